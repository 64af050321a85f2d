/// A declared knowledge base: Markdown files of the same repository and revision.
public struct HoneyJarSpec: Sendable, Hashable, Codable {
    /// Name and labels.
    public var metadata: ObjectMeta
    /// What the jar holds.
    public var description: String
    /// Glob patterns (`*`, `**`, `?`) over repository paths.
    public var sources: [String]

    /// The jar's name.
    public var name: String { metadata.name }

    /// Creates a honey jar.
    public init(metadata: ObjectMeta, description: String = "", sources: [String]) {
        self.metadata = metadata
        self.description = description
        self.sources = sources
    }
}
