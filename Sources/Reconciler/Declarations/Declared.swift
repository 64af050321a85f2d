/// Where a declaration came from: its file, blob and the position of its name.
public struct DeclarationOrigin: Sendable, Hashable, Codable {
    /// Repository-relative path of the file.
    public var path: String
    /// The blob id of the file at the loaded revision.
    public var blobID: ObjectID
    /// Position of `metadata.name` (or of the document when it has none).
    public var position: SourcePosition

    /// `bots/support.yaml:4:9`.
    public var location: String { "\(path):\(position.line):\(position.column)" }
}

/// A decoded declaration with its origin.
public struct Declared<Spec: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    /// The typed declaration with defaults filled in.
    public var spec: Spec
    /// Where it was declared.
    public var origin: DeclarationOrigin
    /// Positions of fields that later checks point at, keyed by field path
    /// such as `spec.honeyJars[1]`.
    public var fieldPositions: [String: SourcePosition]

    /// The position of a field, falling back to the declaration's own.
    public func position(of field: String) -> SourcePosition {
        fieldPositions[field] ?? origin.position
    }
}
