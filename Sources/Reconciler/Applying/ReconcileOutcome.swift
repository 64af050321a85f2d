import BotRuntime

/// How one reconcile attempt ended, with everything a caller reports.
public struct ReconcileOutcome: Sendable {
    /// The run as recorded in the store (with its id), or as it would have
    /// been when the store itself failed.
    public var run: ReconcileRun
    /// The revision attempted, when it resolved.
    public var commit: CommitInfo?
    /// The plan, when the revision was valid.
    public var plan: ReconcilePlan?
    /// Declaration errors of an invalid revision.
    public var diagnostics: [Diagnostic] = []
    /// One sentence when the attempt failed or was refused.
    public var error: String?
    /// How the failure should be retried.
    public var failure: FailureClass?
    /// Seconds spent in each step that ran, in order (for metrics and benchmarks).
    public var stepSeconds: [(step: String, seconds: Double)] = []

    /// Whether the attempt left the runtime at the revision (applied or already there).
    public var succeeded: Bool { run.outcome == .applied || run.outcome == .noop }

    /// How a failed attempt should be retried, after Flux and controller-runtime.
    public enum FailureClass: String, Sendable, Codable {
        /// Will not fix itself (invalid declarations, a guard): wait for a new revision.
        case stalled
        /// May fix itself (git or the database unreadable): retry with backoff.
        case transient
    }
}
