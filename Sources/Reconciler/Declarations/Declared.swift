import BotRuntime

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
///
/// A value type backed by one immutable object, so that passing a
/// declaration around (10,000 of them per revision) costs one reference count.
public struct Declared<Spec: DeclaredSpec>: Sendable, Hashable, Codable {
    private final class Storage: Sendable {
        let spec: Spec
        let canonical: CanonicalForm
        let origin: DeclarationOrigin
        let fieldPositions: [String: SourcePosition]
        let encoded: EncodedObject

        init(spec: Spec, canonical: CanonicalForm, origin: DeclarationOrigin, fieldPositions: [String: SourcePosition]) {
            self.spec = spec
            self.canonical = canonical
            self.origin = origin
            self.fieldPositions = fieldPositions
            self.encoded = EncodedObject(kind: Spec.objectKind, name: spec.name, canonical: canonical,
                                         sourcePath: origin.path, blobID: origin.blobID.hex)
        }
    }

    private let storage: Storage

    /// The typed declaration with defaults filled in.
    public var spec: Spec {
        _read { yield storage.spec }
    }
    /// Its canonical JSON and hash, computed once when the file is decoded
    /// (and cached with it), so planning compares hashes only.
    public var canonical: CanonicalForm {
        _read { yield storage.canonical }
    }
    /// Where it was declared.
    public var origin: DeclarationOrigin {
        _read { yield storage.origin }
    }
    /// Positions of fields that later checks point at, keyed by field path
    /// such as `spec.honeyJars[1]`.
    public var fieldPositions: [String: SourcePosition] {
        _read { yield storage.fieldPositions }
    }

    /// What planning and applying read, shared by every copy.
    public var encoded: EncodedObject { storage.encoded }

    /// Creates a declaration; the canonical form is computed from the spec.
    public init(spec: Spec, origin: DeclarationOrigin, fieldPositions: [String: SourcePosition] = [:]) {
        storage = Storage(spec: spec, canonical: CanonicalSpec.encode(spec), origin: origin, fieldPositions: fieldPositions)
    }

    /// The position of a field, falling back to the declaration's own.
    public func position(of field: String) -> SourcePosition {
        fieldPositions[field] ?? origin.position
    }

    public static func == (lhs: Declared, rhs: Declared) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.canonical == rhs.canonical && lhs.origin == rhs.origin && lhs.fieldPositions == rhs.fieldPositions)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonical.hash)
        hasher.combine(origin)
    }

    enum CodingKeys: String, CodingKey { case spec, origin, fieldPositions }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(spec: try container.decode(Spec.self, forKey: .spec),
                  origin: try container.decode(DeclarationOrigin.self, forKey: .origin),
                  fieldPositions: try container.decode([String: SourcePosition].self, forKey: .fieldPositions))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(spec, forKey: .spec)
        try container.encode(origin, forKey: .origin)
        try container.encode(fieldPositions, forKey: .fieldPositions)
    }
}
