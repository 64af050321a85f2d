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

    /// One database and its queries.
    struct Prepared {
        var rows: Int
        var writeSeconds: Double
        var rollupRows: Int
        var overview: () async throws -> Void
        var botSeries: () async throws -> Void
        var rawTotals: () async throws -> Void
    }

    func run() async throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-analytics-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        print("\(bots) bots over \(days) days; median of \(runs) runs per query, the sizes' queries interleaved")
        var prepared: [Prepared] = []
        for size in sizes {
            prepared.append(try await prepare(rows: size, path: "\(root)/analytics-\(size).sqlite"))
        }
        // Interleaved: a slower moment of the machine slows every size alike.
        var times = [[Double]](repeating: [], count: prepared.count * 3)
        for database in prepared {  // warm the page and statement caches
            try await database.overview()
            try await database.botSeries()
            try await database.rawTotals()
        }
        for _ in 0..<runs {
            for (index, database) in prepared.enumerated() {
                for (offset, query) in [database.overview, database.botSeries, database.rawTotals].enumerated() {
                    let began = ContinuousClock.now
                    try await query()
                    times[index * 3 + offset].append((ContinuousClock.now - began).inSeconds)
                }
            }
        }
        let medians = times.map { $0.sorted()[$0.count / 2] }
        var results: [Figures] = []
        for (index, database) in prepared.enumerated() {
            results.append(Figures(rows: database.rows, writeSeconds: database.writeSeconds, overview: medians[index * 3],
                                   botSeries: medians[index * 3 + 1], rawTotals: medians[index * 3 + 2], rollupRows: database.rollupRows))
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

    func prepare(rows: Int, path: String) async throws -> Prepared {
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
        let queue = try DatabaseQueue(path: path)
        let rollupRows = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_rollup") ?? 0 }
        return Prepared(
            rows: rows, writeSeconds: writeSeconds, rollupRows: rollupRows,
            overview: { _ = try await store.analytics(overviewQuery) },
            botSeries: { _ = try await store.analytics(botQuery) },
            rawTotals: {
                try await queue.read { db in
                    _ = try Row.fetchAll(db, sql: """
                        SELECT outcome, count(*), avg(confidence), sum(knowledge_hit) FROM usage_event WHERE at >= ? AND at < ? GROUP BY outcome
                        """, arguments: [start.timeIntervalSince1970, end.timeIntervalSince1970])
                }
            })
    }
}
