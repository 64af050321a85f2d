import Foundation

/// An object to write: its spec as canonical JSON plus where it came from.
public struct ObjectWrite: Sendable, Hashable {
    public var kind: ObjectKind
    public var name: String
    public var specJSON: String
    public var specHash: String
    public var sourcePath: String
    public var blobID: String

    public init(kind: ObjectKind, name: String, specJSON: String, specHash: String, sourcePath: String, blobID: String) {
        self.kind = kind
        self.name = name
        self.specJSON = specJSON
        self.specHash = specHash
        self.sourcePath = sourcePath
        self.blobID = blobID
    }
}

/// A knowledge document to store (and index).
public struct DocumentWrite: Sendable, Hashable {
    public var jar: String
    public var path: String
    public var blobID: String
    public var title: String
    public var body: String

    public init(jar: String, path: String, blobID: String, title: String, body: String) {
        self.jar = jar
        self.path = path
        self.blobID = blobID
        self.title = title
        self.body = body
    }
}

/// Everything one apply writes, in one transaction.
public struct ChangeSet: Sendable {
    /// The revision being applied.
    public var revision: String
    /// The declarations directory it was read from (a revision read from
    /// another directory is a different desired state).
    public var declarationsPath: String?
    /// New objects, and objects re-added after a soft deletion (restored with their history).
    public var creates: [ObjectWrite] = []
    /// Objects whose spec changed.
    public var updates: [ObjectWrite] = []
    /// Objects whose spec is unchanged but whose file or blob moved.
    public var relocations: [ObjectWrite] = []
    /// Objects removed from git: soft-deleted.
    public var deletes: [(kind: ObjectKind, name: String)] = []
    /// Documents added or changed.
    public var documentWrites: [DocumentWrite] = []
    /// Documents no longer selected: (jar, path).
    public var documentRemovals: [(jar: String, path: String)] = []
    /// Audit entries (their run id is filled in by the store).
    public var audit: [AuditEntry] = []
    /// Keys issued by this apply (stored as hashes) with their sealed copies.
    public var keyIssues: [KeyIssue] = []
    /// Keys moved to grace or revoked by this apply.
    public var keyTransitions: [KeyTransition] = []
    /// When the next time-based key action falls due (a rotation or the end
    /// of a grace period): until then a repeated apply may be a no-op.
    public var nextKeyEvent: Date?
    /// The state version the plan was made against. When set, the store
    /// refuses the change set if anything wrote declared state since, so a
    /// concurrent write is never silently absorbed.
    public var basedOnStateVersion: Int64?

    public init(revision: String) {
        self.revision = revision
    }

    /// Whether applying changes nothing but the applied revision.
    public var isEmpty: Bool {
        creates.isEmpty && updates.isEmpty && relocations.isEmpty && deletes.isEmpty
            && documentWrites.isEmpty && documentRemovals.isEmpty && keyIssues.isEmpty && keyTransitions.isEmpty
    }
}
