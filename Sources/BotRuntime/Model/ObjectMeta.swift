/// The `metadata` block shared by every declaration kind.
public struct ObjectMeta: Sendable, Hashable, Codable {
    /// Lowercase DNS label, unique per kind; a bot's name is also its public slug.
    public var name: String
    /// Free-form labels that rotation policies select on.
    public var labels: [String: String]
    /// The team that owns the object; operators of that team see a bot's handoffs.
    public var owner: String?

    /// Creates metadata; labels default to none and the owner to nobody.
    public init(name: String, labels: [String: String] = [:], owner: String? = nil) {
        self.name = name
        self.labels = labels
        self.owner = owner
    }
}
