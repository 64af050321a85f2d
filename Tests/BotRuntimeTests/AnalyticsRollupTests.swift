import Foundation
import GRDB
import Testing
@testable import BotRuntime

/// The hourly rollups on a real SQLite file: every figure of a report is
/// checked against the same figure computed here from the raw usage rows.
struct AnalyticsRollupTests {
    static func temporaryStore() throws -> (RuntimeStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-analytics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try RuntimeStore.open(path: directory.appendingPathComponent("nectar.sqlite").path), directory)
    }

    /// Deterministic traffic: `count` exchanges over three bots and 50 hours.
    static func traffic(count: Int, start: Date, seed: UInt64 = 7) -> [UsageRecord] {
        var random = SeededGenerator(state: seed)
        let bots = ["alpha", "beta", "gamma"]
        let questions = ["How do I reset my password?", "reset password", "where is my parcel", "Can I pay in bitcoin?"]
        return (0..<count).map { index in
            let outcome = UsageRecord.Outcome.allCases[Int(random.next() % UInt64(UsageRecord.Outcome.allCases.count))]
            let confidence: Double? = outcome == .rateLimited ? nil : Double(random.next() % 1000) / 1000
            let keyed = random.next() % 2 == 0
            return UsageRecord(
                at: start.addingTimeInterval(Double(random.next() % (50 * 3600))), bot: bots[index % 3], route: keyed ? "chat" : "public",
                keyID: keyed ? "key\(random.next() % 4)" : nil, clientHash: keyed ? nil : "client\(random.next() % 30)",
                conversationID: "conv\(index % 40)", outcome: outcome, latencyMilliseconds: 0.5 + Double(random.next() % 5000) / 10,
                confidence: confidence, knowledgeHit: outcome == .answered && random.next() % 4 != 0,
                promptTokens: Int(random.next() % 50), completionTokens: Int(random.next() % 80),
                question: outcome == .lowConfidence ? questions[Int(random.next() % 4)] : nil)
        }
    }

    @Test func aReportEqualsTheFiguresOfTheRawRows() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let usage = Self.traffic(count: 3000, start: start)
        let conversations = (0..<12).map { index in
            ConversationRecord(id: "conv\(index)", bot: ["alpha", "beta", "gamma"][index % 3], channel: .key, keyID: "k", clientHash: nil,
                               createdAt: start.addingTimeInterval(Double(index) * 3600))
        }
        // Several batches, as the writer makes them; a conversation written twice counts once.
        for chunk in stride(from: 0, to: usage.count, by: 250) {
            var batch = RuntimeWriteBatch()
            batch.usage = Array(usage[chunk..<min(chunk + 250, usage.count)])
            batch.conversations = chunk == 0 ? conversations : [conversations[0]]
            try await store.write(batch)
        }

        let query = AnalyticsQuery(from: start.addingTimeInterval(-3600), to: start.addingTimeInterval(51 * 3600), bucket: .day,
                                   bots: ["alpha", "beta"])
        let report = try await store.analytics(query)
        // Independently, from the raw rows in the database.
        let raw = try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM usage_event WHERE bot IN ('alpha', 'beta')")
        }
        #expect(report.totals.messages == raw.count)
        for (outcome, figure) in [("answered", report.totals.answered), ("low-confidence", report.totals.lowConfidence),
                                  ("rate-limited", report.totals.rateLimited), ("handed-off", report.totals.handedOff),
                                  ("error", report.totals.errors)] {
            #expect(figure == raw.filter { $0["outcome"] == outcome }.count, "\(outcome)")
        }
        let confidences = raw.compactMap { $0["confidence"] as Double? }
        let average = confidences.reduce(0, +) / Double(confidences.count)
        #expect(abs((report.totals.averageConfidence ?? -1) - average) < 0.0001)
        for bucket in report.totals.confidenceDistribution {
            let expected = confidences.filter { min(Int($0 * 10), 9) == Int((bucket.from * 10).rounded()) }.count
            #expect(bucket.count == expected, "confidence bucket \(bucket.from)")
        }
        let selfAnswered = raw.filter { ["answered", "low-confidence"].contains($0["outcome"] as String) }
        let hits = raw.filter { $0["knowledge_hit"] == true }.count
        #expect(abs((report.totals.knowledgeHitRate ?? -1) - Double(hits) / Double(selfAnswered.count)) < 0.0001)
        let clients = Set(raw.map { ($0["client_hash"] as String?) ?? "key:\($0["key_id"] as String)" })
        #expect(report.totals.uniqueClients == clients.count, "small cardinalities are exact")
        #expect(report.totals.promptTokens == raw.map { $0["prompt_tokens"] as Int }.reduce(0, +))
        #expect(report.totals.conversations == 8, "conversations 0-11 split over three bots; alpha and beta have 8")

        // Latency percentiles within half a bucket (about 7%) of the exact ones.
        let latencies = raw.map { $0["latency_ms"] as Double }.sorted()
        for (fraction, estimate) in [(0.5, report.totals.latencyMs.p50), (0.95, report.totals.latencyMs.p95), (0.99, report.totals.latencyMs.p99)] {
            let exact = latencies[Int((fraction * Double(latencies.count)).rounded(.up)) - 1]
            #expect(abs((estimate ?? 0) - exact) / exact < 0.08, "p\(Int(fraction * 100)): \(estimate ?? 0) vs \(exact)")
        }

        // The series covers the range in UTC days and adds up to the totals.
        #expect(report.series.count == 3)
        #expect(report.series.map(\.usage.messages).reduce(0, +) == raw.count)
        let firstDay = report.series[0].start
        let inFirst = raw.filter { ($0["at"] as Double) < firstDay.timeIntervalSince1970 + 86_400 }.count
        #expect(report.series[0].usage.messages == inFirst)
        #expect(report.seriesCSV.split(separator: "\n").count == 4)
        // Daily buckets cover whole days from the daily rollups: the same
        // totals as hourly buckets over the hours that hold the traffic.
        let byHour = try await store.analytics(AnalyticsQuery(from: start.addingTimeInterval(-3600), to: start.addingTimeInterval(51 * 3600),
                                                              bucket: .hour, bots: ["alpha", "beta"]))
        #expect(byHour.totals == report.totals)
        #expect(byHour.series.count == 53 && byHour.series.map(\.usage.messages).reduce(0, +) == raw.count)

        // Unanswered questions grouped by their terms: two wordings of "reset password" are one group.
        let lowConfidence = raw.compactMap { $0["question"] as String? }
        let resets = lowConfidence.filter { $0.lowercased().contains("reset") }.count
        let top = try #require(report.topUnanswered.first { $0.question.lowercased().contains("reset") })
        #expect(top.count == resets)
        #expect(report.topUnanswered.map(\.count).reduce(0, +) == lowConfidence.count)
    }

    @Test func rollupsAreRebuiltFromTheRawRowsAndSurvivePruning() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        var batch = RuntimeWriteBatch()
        batch.usage = Self.traffic(count: 800, start: start, seed: 11)
        try await store.write(batch)
        let query = AnalyticsQuery(from: start, to: start.addingTimeInterval(60 * 3600), bucket: .hour, bots: nil)
        let before = try await store.analytics(query)
        #expect(before.totals.messages == 800)

        // The migration's backfill builds the same rollups from the rows alone.
        try await store.write { db in
            try db.execute(sql: "DELETE FROM usage_rollup; DELETE FROM usage_rollup_day; DELETE FROM question_rollup")
            try RuntimeStore.backfillRollups(db)
        }
        #expect(try await store.analytics(query) == before)

        // Pruning deletes the old rows in small batches and keeps every figure.
        let cutoff = start.addingTimeInterval(25 * 3600)
        let old = try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_event WHERE at < ?", arguments: [cutoff.timeIntervalSince1970]) ?? 0 }
        #expect(old > 100)
        var deleted = 0
        while true {
            let count = try await store.pruneUsage(before: cutoff, limit: 100)
            deleted += count
            if count == 0 { break }
        }
        #expect(deleted == old)
        let left = try await store.read { db in try Int.fetchOne(db, sql: "SELECT min(at) FROM usage_event") }
        #expect(Double(left ?? 0) >= cutoff.timeIntervalSince1970)
        #expect(try await store.analytics(query) == before)
    }

    /// However many different questions users ask, a bot's day keeps ten
    /// groups, and a frequent question stays on top with its count.
    @Test func unansweredQuestionsStayBoundedAndKeepTheFrequentOnes() async throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        var batch = RuntimeWriteBatch()
        for index in 0..<200 {
            let question = index % 4 == 0 ? "How do I reset my password?" : "what about topic \(index)"
            batch.usage.append(UsageRecord(at: start.addingTimeInterval(Double(index)), bot: "alpha", route: "chat", keyID: "k",
                                           clientHash: nil, conversationID: nil, outcome: .lowConfidence, latencyMilliseconds: 1,
                                           confidence: 0.1, knowledgeHit: false, question: question))
        }
        try await store.write(batch)
        let rows = try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM question_rollup") ?? 0 }
        #expect(rows == RuntimeStore.questionGroupsPerDay)
        let report = try await store.analytics(AnalyticsQuery(from: start, to: start.addingTimeInterval(3600), bucket: .hour, bots: nil))
        let top = try #require(report.topUnanswered.first)
        #expect(top.question == "How do I reset my password?")
        #expect(top.count >= 50 && top.count <= 50 + 20, "50 asked; overestimated by at most the smallest kept count: \(top.count)")
    }

    /// A round handled after its due time is missed even if the escalation
    /// had not fired yet; one handled in time is met; an escalated one was
    /// already counted missed.
    @Test func slaRoundsAreDecidedByTheirDueTime() {
        let opened = Date(timeIntervalSince1970: 1_790_000_000)
        let pending = Handoff(id: "hof_1", number: 1, bot: "alpha", conversationID: "c", status: .pending, urgency: .medium,
                              initialUrgency: .medium, reason: .keyword, reasonDetail: nil, confidence: nil, triggerMessageID: "m",
                              assignee: nil, escalated: false, slaDueAt: opened.addingTimeInterval(600), createdAt: opened,
                              assignedAt: nil, escalatedAt: nil, resolvedAt: nil, reopenedAt: nil, resolvedBy: nil, resolutionNote: nil,
                              updatedAt: opened)
        func decided(_ kind: HandoffEvent.Kind, _ before: Handoff, after seconds: TimeInterval) -> (met: Int, missed: Int) {
            var rollup = HandoffRollup.key(before)
            var after = before
            after.assignedAt = kind == .assigned ? opened.addingTimeInterval(seconds) : before.assignedAt
            rollup.count(kind, before: before, after: after, at: opened.addingTimeInterval(seconds))
            return (rollup.slaMet, rollup.slaMissed)
        }
        #expect(decided(.assigned, pending, after: 300) == (1, 0))
        #expect(decided(.assigned, pending, after: 900) == (0, 1), "late, before the escalation fired")
        #expect(decided(.resolved, pending, after: 300) == (1, 0), "resolved unassigned in time")
        var escalated = pending
        escalated.escalated = true
        escalated.slaDueAt = nil
        #expect(decided(.assigned, escalated, after: 900) == (0, 0), "the escalation counted it")
        #expect(decided(.escalated, pending, after: 601) == (0, 1))
        var assigned = pending
        assigned.assignedAt = opened.addingTimeInterval(60)
        #expect(decided(.resolved, assigned, after: 900) == (0, 0), "the assignment decided the round")
    }

    @Test func histogramsAndSketchesMergeAndRoundTrip() {
        var histogram = LogHistogram()
        for value in stride(from: 1.0, through: 1000, by: 1) { histogram.add(value) }
        let p50 = histogram.percentile(0.5) ?? 0
        #expect(abs(p50 - 500) / 500 < 0.08, "\(p50)")
        #expect(LogHistogram(bytes: histogram.bytes) == histogram)
        #expect(LogHistogram(bytes: [200, 1, 0, 0, 0]).total == 0, "a bucket out of range is a malformed histogram")
        #expect(LogHistogram(bytes: [1, 2, 3]).total == 0)

        var left = ClientSketch(), right = ClientSketch(), union = ClientSketch()
        for index in 0..<5000 {
            left.add("client-\(index)")
            union.add("client-\(index)")
        }
        for index in 2500..<10_000 {
            right.add("client-\(index)")
            union.add("client-\(index)")
        }
        var merged = left
        merged.merge(right)
        #expect(merged == union)
        #expect(abs(Double(merged.estimate) - 10_000) / 10_000 < 0.08, "\(merged.estimate)")
        #expect(ClientSketch(bytes: merged.bytes) == merged, "dense form")
        var few = ClientSketch()
        for index in 0..<255 { few.add("c\(index)") }
        few.add("c0")
        #expect(few.estimate == 255, "exact up to 255 clients")
        #expect(few.bytes.count == 1020, "four bytes per client hash")
        #expect(ClientSketch(bytes: few.bytes) == few)
        var exactMerge = few
        exactMerge.merge(ClientSketch(bytes: ClientSketch().bytes))
        #expect(exactMerge == few)

        #expect(QuestionGroup.key("How do I reset my password?") == QuestionGroup.key("password reset"))
        #expect(QuestionGroup.key("Where is my parcel?") != QuestionGroup.key("reset password"))
    }
}
