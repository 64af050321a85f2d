import BotRuntime
import Foundation
import GRDB

/// Issue 15's benchmark: analytics reports over 100,000 and over 2,000,000
/// usage rows (50 bots, 30 days), read from the hourly rollups, next to the
/// same totals aggregated from the raw rows in the same run (the cost that
/// grows with history). Rows are written through the store's batch write,
/// the chat path's writer, so the rollups are the ones it maintains; the
/// write rate with rollups is reported too.
struct AnalyticsBenchmark {
    let runs: Int
    var sizes = [100_000, 2_000_000]
    let bots = 50
    let days = 30

    struct Figures {
        var rows: Int
        var writeSeconds: Double
        var overview: Double
        var botSeries: Double
        var rawTotals: Double
        var rollupRows: Int
    }

    func run() async throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-analytics-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        print("\(bots) bots over \(days) days; median of \(runs) runs per query")
        var results: [Figures] = []
        for size in sizes {
            results.append(try await measure(rows: size, path: "\(root)/analytics-\(size).sqlite"))
        }
        func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
        for figures in results {
            print("""
                \(figures.rows) usage rows (\(figures.rollupRows) hourly rollups), written at \
                \(Int(Double(figures.rows) / figures.writeSeconds)) rows/s with rollups:
                  overview, 30 days by day, all bots:   \(ms(figures.overview))
                  one bot, 30 days by hour:             \(ms(figures.botSeries))
                  baseline: totals from the raw rows:   \(ms(figures.rawTotals))
                """)
        }
        let small = results[0], large = results[results.count - 1]
        print(String(format: "ratio %d / %d rows: overview %.2fx, bot series %.2fx (target <= 1.5x); raw-row totals %.1fx",
                     large.rows, small.rows, large.overview / small.overview, large.botSeries / small.botSeries,
                     large.rawTotals / small.rawTotals))
    }

    func measure(rows: Int, path: String) async throws -> Figures {
        let store = try RuntimeStore.open(path: path)
        let end = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        let start = end.addingTimeInterval(-Double(days) * 86_400)
        let span = end.timeIntervalSince(start)
        let outcomes: [UsageRecord.Outcome] = [.answered, .answered, .answered, .answered, .lowConfidence, .handedOff, .rateLimited, .error]
        var generator = SystemRandomNumberGenerator()
        // In time order, as traffic arrives: each batch covers a few hours.
        let began = ContinuousClock.now
        var batch = RuntimeWriteBatch()
        for index in 0..<rows {
            let outcome = outcomes[index % outcomes.count]
            let keyed = index % 3 != 0
            batch.usage.append(UsageRecord(
                at: start.addingTimeInterval(span * Double(index) / Double(rows)), bot: String(format: "bot-%03d", index % bots),
                route: keyed ? "chat" : "public", keyID: keyed ? "key\(index % 7)" : nil,
                clientHash: keyed ? nil : "client\(Int.random(in: 0..<5000, using: &generator))", conversationID: nil,
                outcome: outcome, latencyMilliseconds: Double.random(in: 0.3...40, using: &generator),
                confidence: outcome == .rateLimited ? nil : Double.random(in: 0...1, using: &generator),
                knowledgeHit: outcome == .answered, question: outcome == .lowConfidence ? "question \(index % 300)" : nil))
            if batch.usage.count == 5000 {
                try await store.write(batch)
                batch = RuntimeWriteBatch()
            }
        }
        if !batch.usage.isEmpty { try await store.write(batch) }
        let writeSeconds = (ContinuousClock.now - began).inSeconds

        let overviewQuery = AnalyticsQuery(from: start, to: end, bucket: .day, bots: nil)
        let botQuery = AnalyticsQuery(from: start, to: end, bucket: .hour, bots: ["bot-007"])
        let check = try await store.analytics(overviewQuery)
        guard check.totals.messages == rows else {
            throw BenchmarkFailure(message: "the overview counts \(check.totals.messages) exchanges, not \(rows)")
        }
        let overview = try await median { _ = try await store.analytics(overviewQuery) }
        let botSeries = try await median { _ = try await store.analytics(botQuery) }
        let queue = try DatabaseQueue(path: path)
        let rawTotals = try await median {
            try await queue.read { db in
                _ = try Row.fetchAll(db, sql: """
                    SELECT outcome, count(*), avg(confidence), sum(knowledge_hit) FROM usage_event WHERE at >= ? AND at < ? GROUP BY outcome
                    """, arguments: [start.timeIntervalSince1970, end.timeIntervalSince1970])
            }
        }
        let rollupRows = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_rollup") ?? 0 }
        return Figures(rows: rows, writeSeconds: writeSeconds, overview: overview, botSeries: botSeries, rawTotals: rawTotals,
                       rollupRows: rollupRows)
    }

    func median(_ body: () async throws -> Void) async throws -> Double {
        try await body()  // warm the page cache and the statement cache
        var times: [Double] = []
        for _ in 0..<runs {
            let began = ContinuousClock.now
            try await body()
            times.append((ContinuousClock.now - began).inSeconds)
        }
        return times.sorted()[times.count / 2]
    }
}
