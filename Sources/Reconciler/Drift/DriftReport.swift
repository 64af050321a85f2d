import BotRuntime
import Foundation

/// What `nectar drift` finds between what git declares at a revision and what runs.
public struct DriftReport: Sendable, Codable {
    /// The revision checked (full commit id).
    public var revision: String
    /// The revision the runtime last applied, if any.
    public var appliedRevision: String?
    /// What was compared: `database` or `server`, and its path or URL.
    public var live: Live
    public var checkedAt: Date
    /// Declared bots (one JUnit test case each), sorted.
    public var bots: [String]
    public var findings: [DriftFinding]

    public struct Live: Sendable, Codable {
        /// `database` or `server`.
        public var source: String
        /// The database path or the server URL.
        public var name: String

        public init(source: String, name: String) {
            self.source = source
            self.name = name
        }
    }

    /// Whether anything drifts.
    public var hasDrift: Bool { !findings.isEmpty }

    /// Findings about one object, or about the revision (nil).
    public func findings(for kind: ObjectKind?, _ name: String?) -> [DriftFinding] {
        findings.filter { $0.objectKind == kind && $0.object == name }
    }
}

/// One difference, with how to resolve it.
public struct DriftFinding: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The revision is ahead of the last applied one.
        case unappliedRevision = "unapplied-revision"
        /// The last attempted reconcile failed or was refused.
        case applyFailed = "apply-failed"
        /// Declared, not live.
        case missing
        /// Live, not declared.
        case unexpected
        /// Live spec differs from the declared one.
        case specMismatch = "spec-mismatch"
        /// A pause or an emergency key rotation that git does not declare.
        case runtimeOverride = "runtime-override"
        /// An active key older than its policy allows.
        case keyOverdue = "key-overdue"
        /// A key past its grace period still stored as valid.
        case graceExpiredKeyActive = "grace-expired-key-active"
        /// A bot's key file disagrees with the database: a valid key it does
        /// not hold, another active key, or a key the database does not know.
        case keyFileMismatch = "key-file-mismatch"
    }

    public var kind: Kind
    /// The object's kind, or nil for findings about the revision.
    public var objectKind: ObjectKind?
    public var object: String?
    /// What git declares, as one line.
    public var expected: String
    /// What runs, as one line.
    public var actual: String
    /// How to resolve it, as one sentence.
    public var resolution: String
    /// Field-level differences (spec-mismatch).
    public var fields: [FieldChange] = []
    /// Commits between the applied revision and the checked one (unapplied-revision), newest first.
    public var commits: [Commit] = []
    /// The errors of the failed run (apply-failed).
    public var errors: [String] = []

    public struct Commit: Sendable, Codable, Hashable {
        public var id: String
        public var summary: String
        public var author: String
        public var time: Date
    }

    /// `kind Bot/name` or `kind revision`: the finding's subject.
    public var subject: String {
        guard let object else { return "revision" }
        return "\(objectKind?.rawValue ?? "object")/\(object)"
    }
}
