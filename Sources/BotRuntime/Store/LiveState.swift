import Foundation

/// One declared object as the runtime holds it, without its spec body.
public struct LiveObject: Sendable, Hashable, Codable {
    public var kind: ObjectKind
    public var name: String
    /// SHA-256 of the canonical JSON of the spec.
    public var specHash: String
    /// Where the object was declared at the revision that last wrote it.
    public var sourcePath: String
    /// The blob id of that file.
    public var blobID: String
    /// The revision that last changed the spec.
    public var revision: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Set when the object was removed from git (soft deletion).
    public var deletedAt: Date?
    /// Runtime override: when an operator paused the bot (bots only).
    public var pausedAt: Date?
    /// Who paused it.
    public var pausedBy: String?
    /// Why, as the operator said.
    public var pausedReason: String?

    /// Whether the object was removed from git.
    public var isDeleted: Bool { deletedAt != nil }

    /// A bot's runtime status: paused by an operator, or active.
    public var runtimeStatus: RuntimeStatus { pausedAt == nil ? .active : .paused }

    public init(kind: ObjectKind, name: String, specHash: String, sourcePath: String, blobID: String, revision: String,
                createdAt: Date, updatedAt: Date, deletedAt: Date? = nil, pausedAt: Date? = nil, pausedBy: String? = nil,
                pausedReason: String? = nil) {
        self.kind = kind
        self.name = name
        self.specHash = specHash
        self.sourcePath = sourcePath
        self.blobID = blobID
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
        self.pausedAt = pausedAt
        self.pausedBy = pausedBy
        self.pausedReason = pausedReason
    }
}

/// Whether a live bot serves: the runtime override an operator sets, which
/// git does not declare (and drift reports).
public enum RuntimeStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active
    case paused
}

/// What the runtime serves: the reconciler's "actual" side.
public struct LiveState: Sendable {
    /// Objects by kind and name, deleted ones included.
    public var objects: [ObjectKind: [String: LiveObject]]
    /// Knowledge documents: jar -> path -> blob id.
    public var documents: [String: [String: String]]
    /// The revision the last successful apply brought the state to.
    public var appliedRevision: String?
    /// Bumped by every write to declared state, including writes made outside nectar.
    public var stateVersion: Int64
    /// `stateVersion` right after the last successful apply.
    public var appliedStateVersion: Int64?
    /// How many objects of each kind are not deleted (kept with `objects`).
    public var activeCounts: [ObjectKind: Int] = [:]
    /// Keys that still authenticate or may (active and grace), by bot.
    public var keys: [String: [StoredKey]] = [:]

    /// Objects of one kind (deleted included).
    public subscript(kind: ObjectKind) -> [String: LiveObject] {
        objects[kind] ?? [:]
    }

    /// Whether nothing changed the declared state since the last apply.
    public var isUntouchedSinceApply: Bool { appliedStateVersion == stateVersion }
}
