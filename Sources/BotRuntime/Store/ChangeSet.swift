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

/// One line of the audit log.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var at: Date
    /// A revision (`git:1a2b3c4`) or an operator (`operator:alice`).
    public var actor: String
    /// `create`, `update`, `delete`, `restore`, `pause`, ...
    public var action: String
    public var objectKind: String
    public var objectName: String
    /// What changed, as a JSON document.
    public var changes: String
    /// The reconcile run that made the change, if one did.
    public var runID: Int64?

    public init(at: Date, actor: String, action: String, objectKind: String, objectName: String, changes: String, runID: Int64? = nil) {
        self.at = at
        self.actor = actor
        self.action = action
        self.objectKind = objectKind
        self.objectName = objectName
        self.changes = changes
        self.runID = runID
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

/// One reconcile attempt, as recorded.
public struct ReconcileRun: Sendable, Hashable, Codable {
    /// How an attempt ended.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// Changes were applied.
        case applied
        /// The revision matched the live state: nothing to do.
        case noop
        /// The revision was invalid or could not be read; nothing was applied.
        case failed
        /// A guard (mass delete, empty state) stopped the apply.
        case refused
    }

    public var id: Int64?
    public var revision: String?
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: Outcome
    /// What started it: `cli`, `poll`, `webhook`, `admin`.
    public var trigger: String
    /// The plan summary, as JSON.
    public var summary: String
    /// One sentence per error.
    public var errors: [String]

    public init(id: Int64? = nil, revision: String?, startedAt: Date, finishedAt: Date, outcome: Outcome,
                trigger: String, summary: String, errors: [String]) {
        self.id = id
        self.revision = revision
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.trigger = trigger
        self.summary = summary
        self.errors = errors
    }
}
