import Foundation
import Logging
import Testing
@testable import BotRuntime

/// The chat path's batched writer on a real SQLite file.
struct RuntimeWriterTests {
    static func usage(_ bot: String) -> UsageRecord {
        UsageRecord(at: Date(), bot: bot, route: "chat", keyID: nil, clientHash: "abc", conversationID: nil, outcome: .answered,
                    latencyMilliseconds: 1, confidence: 0.9, knowledgeHit: true, promptTokens: 3, completionTokens: 5, question: nil)
    }

    /// Rows enqueued after the last periodic flush are written when the
    /// writer's task is cancelled (a graceful shutdown), although a
    /// cancelled task's own database access is refused.
    @Test func theLastRowsAreWrittenWhenTheWriterIsCancelled() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try RuntimeStore.open(path: directory.appendingPathComponent("nectar.sqlite").path)
        let limiter = RateLimiter()
        // An interval far longer than the test: only the last flush can write.
        let writer = RuntimeWriter(store: store, limiter: limiter, interval: .seconds(3600), logger: Logger(label: "test"))
        let running = Task { await writer.run() }
        writer.enqueue { $0.usage.append(Self.usage("alpha")) }
        writer.enqueue { $0.usage.append(Self.usage("alpha")) }
        _ = limiter.acquire("bot:alpha", limits: RateLimits(perHour: 10, perDay: 10), at: Date())
        running.cancel()
        await running.value
        let counts = try await store.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_event") ?? 0,
             try Int.fetchOne(db, sql: "SELECT coalesce(sum(count), 0) FROM rate_counter WHERE scope = 'bot:alpha'") ?? 0)
        }
        #expect(counts.0 == 2)
        #expect(counts.1 == 2, "one hour and one day increment")
    }
}
