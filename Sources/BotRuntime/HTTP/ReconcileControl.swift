import Foundation

/// What the HTTP server needs from the reconcile loop, without knowing git:
/// its status, and a way to ask for a reconcile now.
public protocol ReconcileControl: Sendable {
    /// The loop's current status.
    func status() async -> ReconcileStatus
    /// Asks for a reconcile as soon as possible (debounced: several requests
    /// close together give one reconcile).
    func requestReconcile(trigger: String) async
    /// The drift report of the followed branch head against the live state,
    /// as JSON (the shape of `nectar drift --format json`), or one sentence
    /// saying why it cannot be made.
    func driftReport() async -> Result<Data, DriftUnavailable>
}

/// Why a drift report could not be made (git unreadable, the database failing).
public struct DriftUnavailable: Error, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
}

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
        public var type: String
        /// `True`, `False` or `Unknown`, as in Kubernetes conditions.
        public var status: String
        public var reason: String
        public var message: String
        public var lastTransitionTime: Date?

        public init(type: String, status: String, reason: String, message: String, lastTransitionTime: Date?) {
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
    public func condition(_ type: String) -> Condition? {
        conditions.first { $0.type == type }
    }
}
