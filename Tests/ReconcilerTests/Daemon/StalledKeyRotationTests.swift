import BotRuntime
import Foundation
import Metrics
@testable import Reconciler
import Testing

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)

    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// Time-based key rotation goes on while the branch head is invalid: the
/// loop evaluates it on the applied revision, and the status stays Stalled.
@Suite(.serialized, .timeLimit(.minutes(2))) struct StalledKeyRotationDaemonTests {
    @Test func keysRotateOnTheAppliedRevisionWhileTheBranchHeadIsStalled() async throws {
        let harness = try DaemonHarness()
        let clock = ManualClock()
        var files = DaemonSnippet.files(bots: [])
        files["bots/alpha.yaml"] = Snippet.bot("alpha", spec: "{apiKeys: {rotateEvery: 1h, gracePeriod: 30m}}")
        let good = try harness.commit(files)
        let store = try RuntimeStore.open(path: harness.dbPath)
        let reconciler = RevisionReconciler(repositoryPath: harness.repoPath, store: store,
                                            keyDirectory: KeyDirectory(path: harness.directory + "/keys"), now: { clock.now })
        var timing = ReconcileLoop.Timing()
        timing.jitter = 0
        timing.debounce = .milliseconds(10)
        let loop = ReconcileLoop(source: ReconcileSource(location: .local(path: harness.repoPath)), reconciler: reconciler,
                                 timing: timing, logger: harness.logger(), metrics: NOOPMetricsHandler.instance)
        let task = Task { try await loop.run() }
        try await eventually("the first reconcile") { await loop.runsCompleted >= 1 }
        #expect(try store.keys(bot: "alpha").map(\.state) == [.active])

        var broken = files
        broken["bots/beta.yaml"] = Snippet.bot("beta", spec: "{temperature: hot}")
        try harness.commit(broken)
        await loop.requestReconcile(trigger: .webhook)
        try await eventually("stalled") { await loop.status().condition(.stalled)?.status == .true }

        // Two hours later, a poll: the head is still the stalled commit.
        clock.advance(2 * 3600)
        let before = await loop.runsCompleted
        await loop.requestReconcile(trigger: .poll)
        try await eventually("the poll ran") { await loop.runsCompleted > before }
        let keys = try store.keys(bot: "alpha")
        #expect(keys.map(\.state).sorted { $0.rawValue < $1.rawValue } == [.active, .grace], "rotated: \(keys.map(\.state))")
        let status = await loop.status()
        #expect(status.condition(.stalled)?.status == .true, "still stalled on the broken head")
        #expect(status.condition(.ready)?.reason == .invalidDeclarations)
        #expect(status.lastAppliedRevision == good.id.hex)
        let run = try #require(try await store.runs(limit: 1).first)
        #expect(run.trigger == .keys)
        #expect(run.outcome == .applied)
        #expect(run.revision == good.id.hex)

        // Nothing more is due: another poll records nothing.
        let runs = try await store.runs(limit: 100).count
        let again = await loop.runsCompleted
        await loop.requestReconcile(trigger: .poll)
        try await eventually("the next poll ran") { await loop.runsCompleted > again }
        #expect(try await store.runs(limit: 100).count == runs)

        await loop.stop()
        try await task.value
    }
}
