import BotRuntime
import Foundation

/// One declaration reduced to what planning and applying need: a reference,
/// created once when its file is decoded, so that passes over 10,000 of them
/// cost one reference count each.
public final class EncodedObject: Sendable {
    public let kind: ObjectKind
    public let name: String
    /// Canonical JSON of the spec.
    public let specJSON: String
    /// SHA-256 of `specJSON`.
    public let specHash: String
    public let sourcePath: String
    public let blobID: String

    init(kind: ObjectKind, name: String, canonical: CanonicalForm, sourcePath: String, blobID: String) {
        self.kind = kind
        self.name = name
        self.specJSON = canonical.json
        self.specHash = canonical.hash
        self.sourcePath = sourcePath
        self.blobID = blobID
    }
}
