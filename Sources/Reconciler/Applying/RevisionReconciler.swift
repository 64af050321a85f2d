import BotRuntime
import Foundation

/// Reconciles one git revision into the runtime store.
///
/// A reconcile is a fixed list of steps sharing one signature; each either
/// continues or finishes the attempt. Whatever happens, `recordRun` runs last
/// and writes the attempt to the store, so that status and history always
/// tell why the runtime is at the revision it is.
///
/// 1. `resolveRevision`: revision -> commit. Fails transient when git cannot be read.
/// 2. `skipIfApplied`: the commit is already applied and nothing touched the
///    state since: a recorded no-op, without reading any declaration.
/// 3. `loadDeclarations`: every declaration of the commit, validated. Fails
///    stalled when anything is invalid; nothing is applied.
/// 4. `planChanges`: desired vs live, by canonical hash.
/// 5. `checkGuards`: mass-delete and empty-state guards. Refuses (stalled).
/// 6. `applyChanges`: the whole plan, the run and the audit entries in one transaction.
public struct RevisionReconciler: Sendable {
    /// The repository path (bare or with a work tree).
    public var repositoryPath: String
    /// The declarations directory inside it.
    public var declarationsPath: String
    public var store: RuntimeStore
    public var cache: DeclarationCache
    /// The live state as of the last reconcile, while nothing else wrote.
    public var liveCache: LiveStateCache
    /// Where new keys are delivered (nil: only sealed to declared recipients).
    public var keyDirectory: KeyDirectory?
    public var policy: ApplyPolicy
    /// The clock, injectable for tests.
    public var now: @Sendable () -> Date
    /// Whether a no-op that read nothing (the revision is already applied and
    /// nothing is due) is written to the run history. The CLI records every
    /// attempt; the daemon, which polls every minute, records only runs that
    /// read declarations, failed or changed something.
    public var recordsSkippedRuns = true

    public init(repositoryPath: String, declarationsPath: String = "bots", store: RuntimeStore,
                cache: DeclarationCache = DeclarationCache(), liveCache: LiveStateCache = LiveStateCache(),
                keyDirectory: KeyDirectory? = nil, policy: ApplyPolicy = ApplyPolicy(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.repositoryPath = repositoryPath
        self.declarationsPath = declarationsPath
        self.store = store
        self.cache = cache
        self.liveCache = liveCache
        self.keyDirectory = keyDirectory
        self.policy = policy
        self.now = now
    }

    /// Reconciles `revision` once. Never throws: every failure is an outcome.
    public func reconcile(revision: String, trigger: ReconcileTrigger = .cli) -> ReconcileOutcome {
        var attempt = Attempt(revision: revision, trigger: trigger, startedAt: now())
        let steps: [(String, (RevisionReconciler) -> (inout Attempt) throws -> Step)] = [
            ("resolveRevision", { $0.resolveRevision }), ("skipIfApplied", { $0.skipIfApplied }),
            ("loadDeclarations", { $0.loadDeclarations }), ("planChanges", { $0.planChanges }),
            ("checkGuards", { $0.checkGuards }), ("applyChanges", { $0.applyChanges }),
        ]
        var timings: [(step: String, seconds: Double)] = []
        for (name, step) in steps {
            let start = ContinuousClock.now
            defer { timings.append((name, (ContinuousClock.now - start).inSeconds)) }
            do {
                if case .finish = try step(self)(&attempt) { break }
            } catch let error as ApplyError {
                attempt.fail(error.description, as: .stalled)  // the revision itself cannot be applied
                break
            } catch {
                attempt.fail(Self.sentence(error), as: .transient)
                break
            }
        }
        let start = ContinuousClock.now
        var outcome = recordRun(&attempt)
        timings.append(("recordRun", (ContinuousClock.now - start).inSeconds))
        outcome.stepSeconds = timings
        return outcome
    }

    enum Step { case proceed, finish }

    /// State shared by the steps of one attempt.
    struct Attempt {
        let revision: String
        let trigger: ReconcileTrigger
        let startedAt: Date
        var repository: GitRepository?
        var commit: CommitInfo?
        var loaded: LoadedRevision?
        var encoded: EncodedState?
        var live: LiveState?
        var plan: ReconcilePlan?
        var outcome: ReconcileRun.Outcome = .failed
        var error: String?
        var failure: ReconcileOutcome.FailureClass?
        var diagnostics: [Diagnostic] = []
        var recordedRun: ReconcileRun?
        var stateVersion: Int64 = 0
        /// The next key event recorded by an apply nothing has touched since.
        var knownNextKeyEvent: Date?

        init(revision: String, trigger: ReconcileTrigger, startedAt: Date) {
            self.revision = revision
            self.trigger = trigger
            self.startedAt = startedAt
        }

        mutating func fail(_ message: String, as failure: ReconcileOutcome.FailureClass, outcome: ReconcileRun.Outcome = .failed) {
            self.error = message
            self.failure = failure
            self.outcome = outcome
        }
    }

    func resolveRevision(_ attempt: inout Attempt) throws -> Step {
        let repository = try GitRepository(path: repositoryPath)
        attempt.repository = repository
        attempt.commit = try repository.resolve(attempt.revision)
        return .proceed
    }

    func skipIfApplied(_ attempt: inout Attempt) throws -> Step {
        let marker = try store.appliedMarker()
        attempt.stateVersion = marker.stateVersion
        if marker.untouched, marker.declarationsPath == GitRepository.normalize(declarationsPath) {
            attempt.knownNextKeyEvent = marker.nextKeyEvent
        }
        guard marker.untouched, marker.revision == attempt.commit?.id.hex,
              marker.declarationsPath == GitRepository.normalize(declarationsPath) else { return .proceed }
        // A key rotation or grace expiry that fell due needs a reconcile, new commit or not.
        if let due = marker.nextKeyEvent, due <= attempt.startedAt { return .proceed }
        attempt.outcome = .noop
        attempt.plan = ReconcilePlan(revision: marker.revision, baseRevision: marker.revision)
        return .finish
    }

    func loadDeclarations(_ attempt: inout Attempt) throws -> Step {
        guard let repository = attempt.repository, let commit = attempt.commit else { return .finish }
        let files = try GitRevisionFiles(repository: repository, revision: commit.id.hex)
        let loaded = try RevisionLoader(declarationsPath: declarationsPath, cache: cache).load(files)
        attempt.loaded = loaded
        guard loaded.isValid else {
            attempt.diagnostics = loaded.diagnostics
            let count = loaded.diagnostics.count
            attempt.fail("revision \(commit.id.short) has \(count) invalid \(count == 1 ? "declaration" : "declarations"); nothing was applied (first: \(loaded.diagnostics[0]))", as: .stalled)
            return .finish
        }
        attempt.encoded = EncodedState(loaded.state)
        return .proceed
    }

    func planChanges(_ attempt: inout Attempt) throws -> Step {
        guard let encoded = attempt.encoded else { return .finish }
        let live: LiveState
        if let cached = liveCache.state(at: attempt.stateVersion) {
            live = cached
        } else {
            live = try store.liveState()
            liveCache.store(live)
        }
        attempt.live = live
        let store = self.store
        var plan = try Planner().plan(desired: encoded, baseline: PlanSide(live: live)) { kind, names in
            try store.specJSON(kind, names: names)
        }
        KeyPlanner(now: attempt.startedAt, knownNextEvent: attempt.knownNextKeyEvent).plan(&plan, desired: encoded.state, live: live)
        attempt.plan = plan
        return .proceed
    }

    func checkGuards(_ attempt: inout Attempt) throws -> Step {
        guard let plan = attempt.plan, let loaded = attempt.loaded, let live = attempt.live else { return .finish }
        let liveBots = live.activeCounts[.bot] ?? 0
        if let refusal = policy.refusal(for: plan, desired: loaded.state, liveBots: liveBots) {
            attempt.fail(refusal, as: .stalled, outcome: .refused)
            return .finish
        }
        return .proceed
    }

    func applyChanges(_ attempt: inout Attempt) throws -> Step {
        guard let plan = attempt.plan, let encoded = attempt.encoded, let repository = attempt.repository,
              let commit = attempt.commit, let live = attempt.live else { return .finish }
        let finishedAt = now()
        let builder = ChangeSetBuilder(repository: repository, commit: commit, at: finishedAt)
        var changes = try builder.changes(for: plan, encoded: encoded)
        // One writer of the key directory at a time (`nectar keys rotate` and
        // `revoke` take the same lock), from reading the files to the commit.
        let held = try keyDirectory?.lock()
        defer { withExtendedLifetime(held) {} }
        let keyFiles = try builder.addKeyChanges(plan, encoded: encoded, live: live, keyDirectory: keyDirectory, to: &changes)
        changes.basedOnStateVersion = live.stateVersion
        changes.declarationsPath = GitRepository.normalize(declarationsPath)
        changes.nextKeyEvent = plan.nextKeyEvent
        // Deliver before the commit that makes the keys valid: a crash in
        // between leaves files holding keys that are not valid yet, next to
        // the previous key that still is; never a valid key nobody holds.
        if let keyDirectory, !keyFiles.isEmpty {
            for file in keyFiles { try keyDirectory.write(file) }
            keyDirectory.syncDirectory()
        }
        attempt.outcome = plan.hasChanges ? .applied : .noop
        let run = ReconcileRun(revision: commit.id.hex, startedAt: attempt.startedAt, finishedAt: finishedAt,
                               outcome: attempt.outcome, trigger: attempt.trigger,
                               summary: Self.summaryJSON(plan), errors: [])
        let applied: AppliedRun
        do {
            applied = try store.apply(changes, run: run)
        } catch {
            // The files were written for a commit that did not happen: make
            // each hold what the store holds valid again.
            if let keyDirectory, !keyFiles.isEmpty {
                for file in keyFiles {
                    if let valid = try? store.keys(bot: file.bot).filter({ $0.isValid(at: finishedAt) }) {
                        try? keyDirectory.restore(bot: file.bot, valid: valid)
                    }
                }
                keyDirectory.syncDirectory()
            }
            throw error
        }
        if let keyDirectory {
            for change in plan.changes where change.kind == .bot && change.action == .delete {
                keyDirectory.remove(bot: change.name)  // its keys were revoked with the commit
            }
        }
        attempt.recordedRun = run
        attempt.recordedRun?.id = applied.runID
        // Keep the live state for the next reconcile, changed in place: drop
        // every other reference to its tables first so nothing is copied.
        attempt.live = nil
        var next = liveCache.take().flatMap { $0.stateVersion == live.stateVersion ? $0 : nil } ?? live
        _ = consume live
        next.apply(changes, at: finishedAt, stateVersion: applied.stateVersion)
        liveCache.store(next)
        return .finish
    }

    /// Always runs: records the attempt unless `applyChanges` already did.
    func recordRun(_ attempt: inout Attempt) -> ReconcileOutcome {
        var run: ReconcileRun
        if let recorded = attempt.recordedRun {
            run = recorded
        } else if attempt.outcome == .noop, attempt.loaded == nil, !recordsSkippedRuns {
            run = ReconcileRun(revision: attempt.commit?.id.hex, startedAt: attempt.startedAt, finishedAt: now(),
                               outcome: .noop, trigger: attempt.trigger, summary: "{}", errors: [])
        } else {
            run = ReconcileRun(revision: attempt.commit?.id.hex, startedAt: attempt.startedAt, finishedAt: now(),
                               outcome: attempt.outcome, trigger: attempt.trigger,
                               summary: attempt.plan.map(Self.summaryJSON) ?? "{}",
                               errors: attempt.diagnostics.isEmpty ? attempt.error.map { [$0] } ?? [] : attempt.diagnostics.map(\.description))
            do {
                run.id = try store.record(run)
            } catch {
                let message = Self.sentence(error)
                attempt.error = attempt.error.map { "\($0); recording the run also failed: \(message)" } ?? message
                attempt.failure = attempt.failure ?? .transient
                if run.outcome == .noop { run.outcome = .failed }
            }
        }
        return ReconcileOutcome(run: run, commit: attempt.commit, plan: attempt.plan, diagnostics: attempt.diagnostics,
                                error: attempt.error, failure: attempt.failure)
    }

    static func summaryJSON(_ plan: ReconcilePlan) -> String {
        var counts: [String: Int] = [:]
        for action in ReconcilePlan.Action.allCases { counts[action.rawValue] = plan.count(action) }
        counts["unchanged"] = plan.unchanged.values.reduce(0, +)
        counts["documents"] = plan.documents.count
        counts["keys"] = plan.keys.count
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(counts)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }


    /// One sentence for any error the steps throw.
    static func sentence(_ error: any Error) -> String {
        switch error {
        case let git as GitError: return git.description
        case let store as StoreError: return store.description
        case let apply as ApplyError: return apply.description
        case let keys as KeyDirectoryError: return keys.description
        default: return String(describing: error)
        }
    }
}

/// A failure while building the changes of a valid plan.
public struct ApplyError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
