import Foundation

/// The reconcile status, after Flux: conditions with reasons, revisions and timing.
public struct ReconcileStatus: Sendable, Codable, Equatable {
    /// `Ready`, `Reconciling` and `Stalled`, always all three.
    public var conditions: [Condition]
    public var lastAppliedRevision: String?
    public var lastAttemptedRevision: String?
    public var lastAttemptAt: Date?
    public var lastSuccessAt: Date?
    /// When the loop runs next (absent while a run is in flight).
    public var nextRunAt: Date?
    /// Failures in a row since the last success.
    public var consecutiveFailures: Int
    /// The last error, one sentence (absent after a success).
    public var lastError: String?
    public var source: Source
    /// The last time the followed branch was rewritten: a newly applied head
    /// that does not descend from the revision applied before it.
    public var forcePush: ForcePush?

    /// A branch rewrite: which applied revision the new head replaced.
    public struct ForcePush: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
        public var at: Date

        public init(from: String, to: String, at: Date) {
            self.from = from
            self.to = to
            self.at = at
        }
    }

    /// Where declarations come from (a remote URL never carries credentials here).
    public struct Source: Sendable, Codable, Equatable {
        public var repository: String
        public var branch: String?
        public var path: String
        public var pollInterval: Double

        public init(repository: String, branch: String?, path: String, pollInterval: Double) {
            self.repository = repository
            self.branch = branch
            self.path = path
            self.pollInterval = pollInterval
        }
    }

    public struct Condition: Sendable, Codable, Equatable {
        public var type: ConditionType
        public var status: ConditionStatus
        public var reason: ConditionReason
        public var message: String
        public var lastTransitionTime: Date?

        public init(type: ConditionType, status: ConditionStatus, reason: ConditionReason, message: String,
                    lastTransitionTime: Date? = nil) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
            self.lastTransitionTime = lastTransitionTime
        }
    }

    public init(conditions: [Condition], lastAppliedRevision: String?, lastAttemptedRevision: String?, lastAttemptAt: Date?,
                lastSuccessAt: Date?, nextRunAt: Date?, consecutiveFailures: Int, lastError: String?, source: Source) {
        self.conditions = conditions
        self.lastAppliedRevision = lastAppliedRevision
        self.lastAttemptedRevision = lastAttemptedRevision
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.nextRunAt = nextRunAt
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
        self.source = source
    }

    /// The condition of a type, if present.
    public func condition(_ type: ConditionType) -> Condition? {
        conditions.first { $0.type == type }
    }
}

/// The three conditions every status carries, after Flux.
public enum ConditionType: String, Sendable, Codable, CaseIterable {
    /// Whether the last applied revision is the branch head's (the runtime serves what git says).
    case ready = "Ready"
    /// Whether a reconcile is in flight or will retry.
    case reconciling = "Reconciling"
    /// Whether the loop waits for a new commit because retrying cannot help.
    case stalled = "Stalled"
}

/// A condition's status, as in Kubernetes conditions.
public enum ConditionStatus: String, Sendable, Codable {
    case `true` = "True"
    case `false` = "False"
    case unknown = "Unknown"
}

/// Why a condition has its status: one CamelCase word, stable for alerts.
public enum ConditionReason: String, Sendable, Codable, CaseIterable {
    /// A reconcile is running (or the first has not finished).
    case progressing = "Progressing"
    /// A reconcile is running after failures.
    case progressingWithRetry = "ProgressingWithRetry"
    /// The branch head is applied.
    case reconciliationSucceeded = "ReconciliationSucceeded"
    /// The last reconcile succeeded (Reconciling and Stalled are False).
    case succeeded = "Succeeded"
    /// Waiting for a new commit.
    case stalled = "Stalled"
    /// A transient failure will be retried with backoff.
    case retrying = "Retrying"
    /// The revision would delete every bot or too many of them.
    case deleteGuard = "DeleteGuard"
    /// The revision has invalid declarations.
    case invalidDeclarations = "InvalidDeclarations"
    /// The revision was refused for another reason that retrying cannot fix.
    case applyRefused = "ApplyRefused"
    /// git could not be read (fetch failed, revision unresolvable).
    case gitUnavailable = "GitUnavailable"
    /// The apply failed (the database, most often).
    case reconciliationFailed = "ReconciliationFailed"
}
