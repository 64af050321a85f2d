import BotRuntime
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The daemon's reconcile loop: reconciles the source's branch head on a
/// jittered interval, at once when asked (webhook, admin API), and backs
/// off exponentially while git or the database cannot be read.
///
/// - Time-based key rotation is evaluated on every tick: a tick on an
///   unchanged commit still applies a rotation that fell due.
/// - A failure never deletes anything; the last applied revision keeps
///   serving. Transient failures (git or the database unreadable) retry with
///   backoff; a stalled revision (invalid, refused by a guard) waits for a
///   new commit and is not re-read until one arrives or someone asks.
/// - Graceful shutdown lets a reconcile in flight finish: its transaction
///   either commits or rolls back; nothing is applied halfway.
public actor ReconcileLoop: Service {
    /// Timing of the loop.
    public struct Timing: Sendable {
        public var interval: Duration = .seconds(60)
        /// The share of the interval added or taken at random (0.1 = ±10%).
        public var jitter: Double = 0.1
        /// First retry delay after a transient failure; doubles per failure.
        public var backoffBase: Duration = .seconds(5)
        public var backoffMax: Duration = .seconds(300)
        /// How long a trigger waits for others to coalesce with.
        public var debounce: Duration = .milliseconds(250)

        public init() {}
    }

    let source: ReconcileSource
    let reconciler: RevisionReconciler
    private let timing: Timing
    private let logger: Logger
    private let metrics: any MetricsFactory
    let queue = DispatchQueue(label: "nectar.reconcile")

    private var current: ReconcileStatus
    private var pendingTrigger: ReconcileTrigger?
    private var wakeUp: CheckedContinuation<Void, Never>?
    private var timer: Task<Void, Never>?
    /// Counts sleeps, so that a timer of an earlier sleep (cancelled, or
    /// firing just as a trigger woke the loop) never wakes a later one.
    private var sleepGeneration = 0
    private var stopping = false
    /// The commit of a stalled revision, not re-read until the branch moves.
    private var stalledCommit: String?
    private var completedRuns = 0
    /// Transient failures in a row: what the backoff doubles on (a stalled
    /// revision counts as a failure in the status, not as a retry).
    private var transientFailures = 0
    /// The last drift report and what it was made at (see `driftReport()`).
    var driftCache: DriftCache?
    /// The drift report being made, which concurrent callers share.
    var driftInFlight: Task<Result<Data, DriftUnavailable>, Never>?
    /// Told when a reconcile succeeds or fails (notifications hook in here).
    public nonisolated let readyObservers = ReadyObservers()
    /// A note the daemon adds to the Ready condition's message after a
    /// success (a bot naming a webhook the daemon does not define).
    private var readyNote: String?
    /// The last run before this process started failed: its failure was
    /// announced then, and the first success here is a recovery.
    private var failingAtStart = false
    /// How many drift reports were actually made (for tests).
    public internal(set) var driftReportsMade = 0

    public init(source: ReconcileSource, reconciler: RevisionReconciler, timing: Timing = Timing(),
                logger: Logger, metrics: any MetricsFactory) {
        var reconciler = reconciler
        reconciler.declarationsPath = source.path
        reconciler.recordsSkippedRuns = false
        self.source = source
        self.reconciler = reconciler
        self.timing = timing
        self.logger = logger
        self.metrics = metrics
        let marker = try? reconciler.store.appliedMarker()
        let last = try? reconciler.store.runs(limit: 1).first
        let success = try? reconciler.store.lastSuccessfulRun()
        current = ReconcileStatus(
            conditions: [
                .init(type: .ready, status: .unknown, reason: .progressing, message: "the first reconcile has not finished"),
                .init(type: .reconciling, status: .true, reason: .progressing, message: "starting"),
                .init(type: .stalled, status: .false, reason: .progressing, message: ""),
            ],
            lastAppliedRevision: marker?.revision, lastAttemptedRevision: last?.revision, lastAttemptAt: last?.finishedAt,
            lastSuccessAt: success?.finishedAt, nextRunAt: nil, consecutiveFailures: 0, lastError: nil,
            source: .init(repository: source.displayName, branch: source.branch, path: source.path,
                          pollInterval: timing.interval.inSeconds))
        if let success {
            Gauge(label: "nectar_reconcile_last_success_timestamp_seconds", factory: metrics).record(success.finishedAt.timeIntervalSince1970)
        }
        failingAtStart = last.map { $0.outcome == .failed || $0.outcome == .refused } ?? false
    }

    // MARK: Control (the HTTP server reads and asks through these)

    /// Appends a note to the Ready condition's message while the revision
    /// it was made for is still the applied one (nil removes it).
    public func setReadyNote(_ note: String?, revision: String) {
        guard current.lastAppliedRevision == revision, let index = current.conditions.firstIndex(where: { $0.type == .ready }),
              current.conditions[index].status == .true else { return }
        var message = current.conditions[index].message
        if let old = readyNote, message.hasSuffix("; " + old) { message.removeLast(old.count + 2) }
        if let note { message += "; " + note }
        readyNote = note
        current.conditions[index].message = message
    }

    /// The loop's current status.
    public func status() -> ReconcileStatus { current }

    /// Asks for a reconcile as soon as possible (debounced: several requests
    /// close together give one reconcile).
    public func requestReconcile(trigger: ReconcileTrigger) {
        if pendingTrigger == nil { pendingTrigger = trigger }
        logger.info("reconcile requested", metadata: ["trigger": "\(trigger)"])
        wake()
    }

    /// How many reconcile attempts have finished (for tests and logs).
    public var runsCompleted: Int { completedRuns }

    // MARK: Service

    public func run() async throws {
        // Graceful shutdown (SIGTERM) and cancellation (another service of
        // the group failed, such as the HTTP server not binding) both stop
        // the loop once the reconcile in flight, if any, has finished.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.loop()
            } onGracefulShutdown: {
                Task { await self.stop() }
            }
        } onCancel: {
            Task { await self.stop() }
        }
    }

    /// Stops after the reconcile in flight, if any.
    public func stop() {
        stopping = true
        wake()
    }

    private func loop() async {
        var trigger = ReconcileTrigger.startup
        while !stopping {
            let outcome = await reconcileOnce(trigger: trigger)
            guard !stopping else { break }
            let delay = nextDelay(after: outcome)
            current.nextRunAt = Date().addingTimeInterval(delay.inSeconds)
            trigger = await sleep(delay)
        }
        logger.info("reconcile loop stopped")
    }

    /// Sleeps until `delay` passes or a trigger arrives (then waits the
    /// debounce so a burst gives one run). Returns what woke it.
    private func sleep(_ delay: Duration) async -> ReconcileTrigger {
        if pendingTrigger == nil, !stopping {
            sleepGeneration += 1
            let generation = sleepGeneration
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                wakeUp = continuation
                timer = Task { [weak self] in
                    // A cancelled timer (a trigger or stop woke the loop) wakes nothing.
                    guard (try? await Task.sleep(for: delay)) != nil else { return }
                    await self?.timerFired(generation: generation)
                }
            }
            timer?.cancel()
            timer = nil
        }
        guard let trigger = pendingTrigger, !stopping else { return .poll }
        try? await Task.sleep(for: timing.debounce)
        pendingTrigger = nil
        return trigger
    }

    private func wake() {
        wakeUp?.resume()
        wakeUp = nil
    }

    private func timerFired(generation: Int) {
        guard generation == sleepGeneration else { return }
        wake()
    }

    // MARK: One run

    enum Outcome { case succeeded, stalled, transient, skipped }

    /// What the queue hands back for one tick.
    enum RunResult: Sendable {
        /// The branch head was reconciled; `forcePushedFrom` is the applied
        /// revision it replaced when the head does not descend from it.
        case ran(ReconcileOutcome, forcePushedFrom: String?)
        /// The head is the stalled commit, not read again; the applied
        /// revision was reconciled instead for time-based key actions only
        /// (nil when nothing is applied yet).
        case stalled(keys: ReconcileOutcome?)
    }

    private func reconcileOnce(trigger: ReconcileTrigger) async -> Outcome {
        let logger = self.logger
        let started = ContinuousClock.now
        set(.init(type: .reconciling, status: .true, reason: current.consecutiveFailures > 0 ? .progressingWithRetry : .progressing,
                  message: "reconciling \(source.revision) of \(source.displayName)"))
        current.nextRunAt = nil
        logger.debug("reconcile started", metadata: ["trigger": "\(trigger)", "source": "\(source.displayName)"])

        // Only a poll skips a stalled commit; a webhook or an operator asking
        // for a reconcile reads it again.
        let source = self.source, stalledCommit = trigger == .poll ? self.stalledCommit : nil
        var configured = self.reconciler
        // After a failure, record the next run even when it has nothing to
        // do, so that history (and drift's apply-failed) shows the recovery.
        configured.recordsSkippedRuns = current.consecutiveFailures > 0
        let reconciler = configured
        let result: Result<RunResult, GitError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(GitError) {
                    let path = try source.prepare()
                    var run = reconciler
                    run.repositoryPath = path
                    let rewritten = Self.forcePush(repository: path, revision: source.revision, store: run.store)
                    // A stalled commit is not read again until the branch moves.
                    // Key rotations and grace expiries still fall due: they are
                    // evaluated on the applied revision, which is valid (a no-op
                    // there reads nothing and records nothing).
                    if let stalledCommit, (try? GitRepository(path: path).resolve(source.revision).id.hex) == stalledCommit {
                        run.recordsSkippedRuns = false
                        let applied = try? run.store.appliedMarker().revision
                        continuation.resume(returning: .success(.stalled(keys: applied.map { run.reconcile(revision: $0, trigger: .keys) })))
                        return
                    }
                    let outcome = run.reconcile(revision: source.revision, trigger: trigger)
                    continuation.resume(returning: .success(.ran(outcome, forcePushedFrom: outcome.succeeded ? rewritten : nil)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        completedRuns += 1
        let elapsed = ContinuousClock.now - started
        let now = Date()
        switch result {
        case .success(.stalled(let keys)):
            set(.init(type: .reconciling, status: .false, reason: .stalled, message: "waiting for a new commit"))
            logger.debug("stalled revision unchanged; not read again")
            if let keys, keys.run.outcome == .applied {
                record(outcome: .applied, trigger: .keys, elapsed: elapsed)
                logger.info("key actions applied on the applied revision while the branch head is stalled",
                            metadata: ["revision": "\(keys.commit?.id.short ?? "?")", "keys": "\(keys.plan?.keys.count ?? 0)",
                                       "run": "\(keys.run.id ?? 0)"])
            } else if let keys, let error = keys.error {
                logger.warning("key actions on the applied revision failed", metadata: ["error": "\(error)"])
            }
            return .skipped
        case .success(.ran(let outcome, let rewritten)):
            var logger = logger
            if let id = outcome.run.id { logger[metadataKey: "run"] = "\(id)" }
            if let rewritten, let head = outcome.commit {
                current.forcePush = .init(from: rewritten, to: head.id.hex, at: now)
                logger.warning("the branch was force-pushed: the applied revision is not an ancestor of the new head",
                               metadata: ["from": "\(rewritten)", "to": "\(head.id.hex)"])
            }
            return finish(outcome, trigger: trigger, elapsed: elapsed, at: now, logger: logger)
        case .failure(let error):
            // The source could not even be fetched: record it so history tells why.
            let message = error.description
            let id = try? reconciler.store.record(ReconcileRun(revision: nil, startedAt: now.addingTimeInterval(-elapsed.inSeconds),
                                                               finishedAt: now, outcome: .failed, trigger: trigger,
                                                               summary: "{}", errors: [message]))
            var logger = logger
            if let id { logger[metadataKey: "run"] = "\(id)" }
            return fail(message, reason: .gitUnavailable, stalled: false, trigger: trigger, elapsed: elapsed, at: now, logger: logger)
        }
    }

    private func finish(_ outcome: ReconcileOutcome, trigger: ReconcileTrigger, elapsed: Duration, at now: Date, logger: Logger) -> Outcome {
        let revision = outcome.commit?.id.hex
        current.lastAttemptedRevision = revision ?? current.lastAttemptedRevision
        if outcome.succeeded {
            let recovered = current.consecutiveFailures > 0 || failingAtStart
            failingAtStart = false
            stalledCommit = nil
            current.lastAppliedRevision = revision
            current.lastAttemptAt = now
            current.lastSuccessAt = now
            current.consecutiveFailures = 0
            transientFailures = 0
            current.lastError = nil
            let short = outcome.commit?.id.short ?? "?"
            var message = "applied revision \(short)"
            if let forcePush = current.forcePush, forcePush.to == revision {
                message += " (the branch was force-pushed: it replaced \(forcePush.from.prefix(7)), which is not its ancestor)"
            }
            readyNote = nil
            set(.init(type: .ready, status: .true, reason: .reconciliationSucceeded, message: message))
            readyObservers.notify(.succeeded(revision: revision ?? "", message: message, recovered: recovered))
            set(.init(type: .reconciling, status: .false, reason: .succeeded, message: ""))
            set(.init(type: .stalled, status: .false, reason: .succeeded, message: ""))
            record(outcome: outcome.run.outcome, trigger: trigger, elapsed: elapsed)
            Gauge(label: "nectar_reconcile_last_success_timestamp_seconds", factory: metrics).record(now.timeIntervalSince1970)
            Gauge(label: "nectar_reconcile_consecutive_failures", factory: metrics).record(0)
            if outcome.run.outcome == .applied {
                let changes = outcome.plan.map { $0.changes.count + $0.documents.count + $0.keys.count } ?? 0
                logger.info("reconcile applied", metadata: ["revision": "\(short)", "changes": "\(changes)",
                                                            "seconds": "\(elapsed.inSeconds)"])
            } else {
                logger.debug("reconcile no-op", metadata: ["revision": "\(short)"])
            }
            if recovered {
                logger.info("reconcile recovered: Ready again", metadata: ["revision": "\(short)"])
            }
            // File reads and a store read: on the reconcile queue, never on
            // the cooperative pool.
            queue.async { [self] in self.checkKeyFiles(at: now, logger: logger) }
            return .succeeded
        }
        let stalled = outcome.failure == .stalled
        if stalled { stalledCommit = revision }
        let reason: ConditionReason = if outcome.run.outcome == .refused { .deleteGuard }
            else if !outcome.diagnostics.isEmpty { .invalidDeclarations }
            else if stalled { .applyRefused }
            else if outcome.commit == nil { .gitUnavailable }  // the revision could not be read
            else { .reconciliationFailed }
        return fail(outcome.error ?? "the reconcile failed", reason: reason, stalled: stalled, trigger: trigger, elapsed: elapsed, at: now,
                    logger: logger, diagnostics: outcome.diagnostics.map(\.description), outcome: outcome.run.outcome)
    }

    private func fail(_ message: String, reason: ConditionReason, stalled: Bool, trigger: ReconcileTrigger, elapsed: Duration,
                      at now: Date, logger: Logger, diagnostics: [String] = [], outcome: ReconcileRun.Outcome = .failed) -> Outcome {
        current.lastAttemptAt = now
        current.consecutiveFailures += 1
        transientFailures = stalled ? 0 : transientFailures + 1
        current.lastError = message
        set(.init(type: .ready, status: .false, reason: reason, message: message))
        readyObservers.notify(.failed(revision: current.lastAttemptedRevision, reason: reason.rawValue, message: message,
                                      first: current.consecutiveFailures == 1 && !failingAtStart))
        set(.init(type: .stalled, status: stalled ? .true : .false, reason: stalled ? reason : .retrying,
                  message: stalled ? "waiting for a new commit: \(message)" : ""))
        set(.init(type: .reconciling, status: stalled ? .false : .true, reason: stalled ? .stalled : .progressingWithRetry,
                  message: stalled ? "" : "retrying with backoff"))
        record(outcome: outcome, trigger: trigger, elapsed: elapsed)
        Gauge(label: "nectar_reconcile_consecutive_failures", factory: metrics).record(current.consecutiveFailures)
        logger.error("reconcile failed", metadata: ["reason": "\(reason.rawValue)", "error": "\(message)"])
        for line in diagnostics.prefix(20) { logger.error("invalid declaration", metadata: ["diagnostic": "\(line)"]) }
        return stalled ? .stalled : .transient
    }

    private func record(outcome: ReconcileRun.Outcome, trigger: ReconcileTrigger, elapsed: Duration) {
        let dimensions = [("outcome", outcome.rawValue), ("trigger", trigger.kind)]
        Counter(label: "nectar_reconcile_runs_total", dimensions: dimensions, factory: metrics).increment()
        Metrics.Timer(label: "nectar_reconcile_duration_seconds", dimensions: [("outcome", outcome.rawValue)], factory: metrics)
            .recordNanoseconds(elapsed.inNanoseconds)
    }

    /// Replaces a condition, keeping its transition time unless its status changed.
    private func set(_ condition: ReconcileStatus.Condition) {
        var condition = condition
        if let index = current.conditions.firstIndex(where: { $0.type == condition.type }) {
            let previous = current.conditions[index]
            condition.lastTransitionTime = previous.status == condition.status ? previous.lastTransitionTime ?? Date() : Date()
            current.conditions[index] = condition
        } else {
            condition.lastTransitionTime = Date()
            current.conditions.append(condition)
        }
    }

    /// The delay before the next run: the interval after a success or a
    /// stalled revision, exponential backoff after transient failures; with jitter.
    func nextDelay(after outcome: Outcome) -> Duration {
        let base: Double
        switch outcome {
        case .succeeded, .stalled, .skipped: base = timing.interval.inSeconds
        case .transient: base = Self.backoff(failures: transientFailures, timing: timing)
        }
        return .milliseconds(Int64(max(0.05, Self.jittered(base, timing: timing)) * 1000))
    }
}

extension ReconcileLoop {
    /// After every successful reconcile: each bot's key file must hold
    /// exactly the keys the store holds valid (by key id). A mismatch is
    /// logged as a warning and counted in `nectar_key_file_mismatches`; the
    /// drift report lists it as `key-file-mismatch` with the repair.
    nonisolated func checkKeyFiles(at now: Date, logger: Logger) {
        guard let directory = reconciler.keyDirectory, let keys = try? reconciler.store.keys() else { return }
        var byBot: [String: [StoredKey]] = [:]
        for key in keys { byBot[key.bot, default: []].append(key) }
        let detector = DriftDetector(now: now, keyDirectory: directory)
        var mismatched: [DriftFinding] = []
        for (bot, keys) in byBot where keys.contains(where: { $0.isValid(at: now) }) {
            mismatched += detector.keyFileFindings(bot, keys: keys, in: directory)
        }
        Gauge(label: "nectar_key_file_mismatches", factory: metrics).record(mismatched.count)
        for finding in mismatched.sorted(by: { ($0.object ?? "") < ($1.object ?? "") }).prefix(5) {
            logger.warning("key file out of step with the database", metadata: [
                "bot": "\(finding.object ?? "")", "problem": "\(finding.actual)", "repair": "\(finding.resolution)"])
        }
    }
}

/// A reconcile's effect on the Ready condition, for observers.
public enum ReadyTransition: Sendable {
    /// Ready: the revision was applied (or was already); `recovered` after failures.
    case succeeded(revision: String, message: String, recovered: Bool)
    /// Not ready; `first` for the first failure after a success (or start).
    case failed(revision: String?, reason: String, message: String, first: Bool)
}

/// Observers of `ReadyTransition`s, called on the loop (keep them short).
public final class ReadyObservers: Sendable {
    private let observers = Mutex<[@Sendable (ReadyTransition) -> Void]>([])

    public init() {}

    public func observe(_ observer: @escaping @Sendable (ReadyTransition) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func notify(_ transition: ReadyTransition) {
        for observer in observers.withLock({ $0 }) { observer(transition) }
    }
}
