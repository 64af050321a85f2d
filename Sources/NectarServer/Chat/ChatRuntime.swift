import BotRuntime
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// The chat runtime of one daemon: the in-memory directory of bots and
/// keys, the rate limiter, the writer of messages and usage, and the engine
/// over them. As a `Service` it runs the writer's flushes and the
/// directory's watch; on graceful shutdown it flushes what is left.
public final class ChatRuntime: Service, Sendable {
    public let engine: ChatEngine
    let directory: BotDirectory
    let limiter: RateLimiter
    let writer: RuntimeWriter
    let store: RuntimeStore
    let logger: Logger
    /// How often the directory checks for changes made by other processes.
    let watchInterval: Duration
    /// How often handoffs' SLA targets are checked.
    let slaCheckInterval: Duration

    /// How long usage rows are kept (nil: for good), and how often old ones are pruned.
    let usageRetention: Duration?
    let pruneInterval: Duration

    /// The HTTP client of model endpoints, closed when the runtime stops.
    let modelClient: HTTPModelClient?

    public init(store: RuntimeStore, metrics: any MetricsFactory, logger: Logger, flushInterval: Duration = .milliseconds(50),
                watchInterval: Duration = .milliseconds(250), slaCheckInterval: Duration = .seconds(1),
                modelEndpoints: [ModelEndpoint] = [], usageRetention: Duration? = nil, pruneInterval: Duration = .seconds(3600),
                now: @escaping @Sendable () -> Date = { Date() }) {
        let chatMetrics = ChatMetrics(factory: metrics)
        let directory = BotDirectory(store: store, metrics: chatMetrics)
        let limiter = RateLimiter()
        let writer = RuntimeWriter(store: store, limiter: limiter, interval: flushInterval, logger: logger)
        self.directory = directory
        self.limiter = limiter
        self.writer = writer
        self.store = store
        self.logger = logger
        self.watchInterval = watchInterval
        self.slaCheckInterval = slaCheckInterval
        self.usageRetention = usageRetention
        self.pruneInterval = pruneInterval
        let modelClient = modelEndpoints.isEmpty ? nil : HTTPModelClient()
        self.modelClient = modelClient
        engine = ChatEngine(directory: directory, store: store, limiter: limiter, writer: writer,
                            responder: KnowledgeResponder(index: directory.knowledge),
                            modelResponder: modelClient.map { ModelResponder(index: directory.knowledge, client: $0, endpoints: modelEndpoints) },
                            metrics: chatMetrics, logger: logger, now: now)
        // A change this process commits (an apply, a pause, a key revoked)
        // applies to the very next request.
        store.changes.observe { [directory] in directory.invalidate() }
    }

    /// Loads what must be in memory before the first request: the stored
    /// rate counts of the current windows, the client-hash salt, the directory.
    public func prepare(at now: Date = Date()) async throws(StoreError) {
        limiter.load(try await store.rateCounts(since: now.addingTimeInterval(-86_400)), at: now)
        engine.setClientHashSalt(try await store.clientHashSalt())
        try await directory.refresh()
        try await engine.handoffs.load()
    }

    /// Writes the rows the chat path has buffered now.
    public func flush() async throws(StoreError) {
        try await writer.flush()
    }

    /// Deletes usage rows older than the retention, at start and then
    /// every `pruneInterval`, in small transactions.
    func pruneUsage() async {
        guard let retention = usageRetention else { return }
        while !Task.isCancelled {
            _ = await pruneExpiredUsage(retention: retention)
            try? await Task.sleep(for: pruneInterval)
        }
    }

    /// One pass: every usage row older than `retention`, a batch at a time;
    /// returns how many were deleted.
    @discardableResult
    public func pruneExpiredUsage(retention: Duration) async -> Int {
        let cutoff = engine.now().addingTimeInterval(-Double(retention.components.seconds))
        var deleted = 0
        do throws(StoreError) {
            while !Task.isCancelled {
                let count = try await store.pruneUsage(before: cutoff)
                deleted += count
                if count == 0 { break }
            }
        } catch {
            logger.error("pruning old usage rows failed", metadata: ["error": "\(error.description)"])
        }
        if deleted > 0 { logger.info("pruned old usage rows", metadata: ["rows": "\(deleted)", "before": "\(cutoff)"]) }
        return deleted
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writer.run() }
            group.addTask { await self.directory.watch(every: self.watchInterval) }
            // SLA targets are checked every second (a target that passed
            // while the daemon was down fires at the first check).
            group.addTask { await self.engine.handoffs.watch(every: self.slaCheckInterval) }
            group.addTask { await self.pruneUsage() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await modelClient?.shutdown()
        logger.info("chat runtime stopped; its last rows are written")
    }
}
