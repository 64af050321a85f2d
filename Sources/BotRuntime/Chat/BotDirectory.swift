import Foundation
import Synchronization

/// The live bots and usable keys, in memory: what the chat path checks on
/// every request without reading the database.
///
/// It is refreshed from the store when the declared state moves: at once
/// when this process wrote it (`invalidate()`: the next request waits for
/// the refresh, so a revocation made here applies to the very next
/// request), and by `watch(every:)` polling the state version for writes
/// made by other processes (`nectar keys revoke`).
public final class BotDirectory: Sendable {
    /// One consistent view.
    public struct Snapshot: Sendable {
        /// The state version it was read at (or after).
        public let version: Int64
        public let bots: [String: LiveBot]
        let keys: [KeyDigest: LiveKey]

        /// The key a digest stands for, if it may still authenticate.
        public func key(_ digest: KeyDigest) -> LiveKey? { keys[digest] }

        static let empty = Snapshot(version: -1, bots: [:], keys: [:])
    }

    private struct State {
        var snapshot = Snapshot.empty
        /// Bumped by `invalidate()`; a refresh that started before the last
        /// bump leaves the directory stale.
        var generation = 0
        var freshGeneration = -1
        var refreshing: Task<Result<Snapshot, StoreError>, Never>?
    }

    private let store: any RuntimeStateStore
    private let metrics: ChatMetrics
    /// The passages the knowledge responder searches: refreshed with the
    /// bots (a revision that changes knowledge moves the state version too).
    public let knowledge: KnowledgeIndex
    private let state = Mutex(State())

    public init(store: any RuntimeStateStore, metrics: ChatMetrics, knowledge: KnowledgeIndex = KnowledgeIndex()) {
        self.store = store
        self.metrics = metrics
        self.knowledge = knowledge
    }

    /// The current view; waits for a refresh only after an invalidation.
    public func snapshot() async throws(StoreError) -> Snapshot {
        let fresh: Snapshot? = state.withLock { $0.freshGeneration == $0.generation ? $0.snapshot : nil }
        if let fresh { return fresh }
        return try await refresh()
    }

    /// Marks the view stale and starts reading the store again at once, so
    /// that the next request rarely waits; a request that comes before the
    /// read is done waits for it.
    public func invalidate() {
        state.withLock { $0.generation += 1 }
        Task { _ = try? await self.refresh() }
    }

    /// Reads the store again (one refresh at a time; callers share it).
    @discardableResult
    public func refresh() async throws(StoreError) -> Snapshot {
        let task = state.withLock { state -> Task<Result<Snapshot, StoreError>, Never> in
            if let running = state.refreshing { return running }
            let previous = state.snapshot, generation = state.generation
            let task = Task { () -> Result<Snapshot, StoreError> in
                let result: Result<Snapshot, StoreError>
                do throws(StoreError) { result = .success(try await self.load(previous: previous)) } catch { result = .failure(error) }
                self.state.withLock { state in
                    state.refreshing = nil
                    if case .success(let snapshot) = result {
                        state.snapshot = snapshot
                        state.freshGeneration = generation
                    }
                }
                return result
            }
            state.refreshing = task
            return task
        }
        let snapshot = try await task.value.get()
        // A refresh that began before the latest invalidation may have missed it.
        if state.withLock({ $0.freshGeneration != $0.generation }) {
            return try await refresh()
        }
        return snapshot
    }

    /// Polls the state version every `interval` and refreshes when it moved,
    /// until the task is cancelled.
    public func watch(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard let version = try? await store.declaredStateVersion() else { continue }
            if state.withLock({ $0.snapshot.version }) != version {
                _ = try? await refresh()
            }
        }
    }

    private func load(previous: Snapshot) async throws(StoreError) -> Snapshot {
        let version = try await store.declaredStateVersion()
        try await knowledge.refresh(from: store)
        let rows = try await store.liveBotRows()
        let changed = rows.filter { previous.bots[$0.name]?.specHash != $0.specHash }.map(\.name)
        let specs = try await store.botSpecJSON(changed)
        var bots: [String: LiveBot] = [:]
        bots.reserveCapacity(rows.count)
        let decoder = JSONDecoder()
        for row in rows {
            var spec = previous.bots[row.name]?.spec
            var matcher = previous.bots[row.name]?.handoffMatcher
            if let json = specs[row.name] {
                spec = try? decoder.decode(BotSpec.self, from: Data(json.utf8))
                matcher = nil
            }
            guard let spec else { continue }
            bots[row.name] = LiveBot(spec: spec, specHash: row.specHash, handoffMatcher: matcher ?? HandoffMatcher(spec.handoff),
                                     pausedAt: row.pausedAt, pausedBy: row.pausedBy,
                                     pausedReason: row.pausedReason, metrics: previous.bots[row.name]?.metrics ?? BotMetricsSlot(bot: row.name, metrics: metrics))
        }
        var keys: [KeyDigest: LiveKey] = [:]
        for key in try await store.usableKeys() {
            guard let digest = KeyDigest(hex: key.secretHash) else { continue }
            keys[digest] = LiveKey(id: key.id, bot: key.bot, state: key.state, expiresAt: key.expiresAt)
        }
        return Snapshot(version: version, bots: bots, keys: keys)
    }
}

/// A live bot as the chat path sees it.
public struct LiveBot: Sendable {
    public let spec: BotSpec
    let specHash: String
    /// Its handoff keywords, split once (not on every message).
    let handoffMatcher: HandoffMatcher
    public let pausedAt: Date?
    public let pausedBy: String?
    public let pausedReason: String?
    /// Its metric handles, made on its first request (not at load: 10,000
    /// bots would mean 50,000 registrations before the first answer).
    let metrics: BotMetricsSlot

    public var name: String { spec.name }
}

/// A key that may still authenticate.
public struct LiveKey: Sendable, Hashable {
    public let id: String
    public let bot: String
    public let state: StoredKey.State
    public let expiresAt: Date?

    /// Whether it authenticates at `date` (a grace key until its expiry).
    public func isValid(at date: Date) -> Bool {
        switch state {
        case .active: true
        case .grace: expiresAt.map { date < $0 } ?? false
        case .revoked: false
        }
    }
}
