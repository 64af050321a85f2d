import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// Analytics over real HTTP after real traffic: every figure is checked
/// against the same figure counted here from the raw rows (usage events,
/// conversations, handoffs) through a separate SQLite connection.
@Suite struct AnalyticsDaemonTests {
    @Test func theFiguresAreTheRawRowsFiguresAndAgentsSeeTheirTeamsBots() async throws {
        let clock = TestClock()
        let harness = try await HandoffFixture.start([
            "support": HandoffFixture.bot("support"),
            "sales": HandoffFixture.bot("sales", visibility: "public", enabled: false, owner: "team-sales"),
            "tiny": ChatFixture.bot("tiny", perHour: 2),
        ], clock: clock)
        let alice = try harness.token("alice"), carol = try harness.token("carol"), dave = try harness.token("dave")
        let key = try harness.key("support")

        // Traffic: answers, unsure answers that hand off, keyword handoffs,
        // small talk, a conversation that goes on, public chat, rate limits.
        var handoffs: [String] = []
        for question in ["How long does standard delivery take?", "Can I return unopened equipment?",
                         "When are refunds paid?", "Do you ship live bees abroad?", "hello", "thanks!"] {
            #expect(try await harness.chat("support", question, key: key).status == 200)
        }
        let first = try await harness.chat("support", "How long does express delivery take?", key: key)
        let conversation = try #require(first.json["conversationId"] as? String)
        #expect(try await harness.chat("support", "And international orders?", key: key, conversation: conversation).status == 200)
        for message in ["What is the capital of Peru?", "help please", "I need help with my hive", "Who won the football yesterday?"] {
            let answer = try await harness.chat("support", message, key: key)
            handoffs.append(try #require(harness.handoff(of: answer)?["id"] as? String, "\(message): \(answer.text)"))
        }
        for message in ["How long does delivery take?", "What is the capital of Peru?"] {
            let answer = try await harness.request("POST", "/v1/public/sales/chat", body: Data(#"{"message": "\#(message)"}"#.utf8),
                                                   headers: ["Content-Type": "application/json"])
            #expect(answer.status == 200, "\(answer.text)")
        }
        let tinyKey = try harness.key("tiny")
        for _ in 0..<4 { _ = try await harness.chat("tiny", "How long does delivery take?", key: tinyKey) }

        // Operators: one handoff assigned then resolved, one resolved
        // unassigned, the other two escalate past their 4 h target.
        #expect(try await harness.admin("POST", "/admin/handoffs/\(handoffs[1])/assign", token: alice, json: ["to": "carol"]).status == 200)
        #expect(try await harness.admin("POST", "/admin/handoffs/\(handoffs[1])/resolve", token: carol, json: ["note": "done"]).status == 200)
        #expect(try await harness.admin("POST", "/admin/handoffs/\(handoffs[2])/resolve", token: carol).status == 200)
        clock.advance(by: 4 * 3600 + 60)
        try await eventually("the two pending handoffs escalate") {
            Int(try ReconcileSQL.strings(path: harness.dbPath, "SELECT count(*) FROM handoff WHERE escalated = 1").first ?? "") == 2
        }
        try await harness.daemon?.chat.flush()

        func raw(_ sql: String) throws -> Int { Int(try ReconcileSQL.strings(path: harness.dbPath, sql).first ?? "") ?? -1 }
        func rawDouble(_ sql: String) throws -> Double { Double(try ReconcileSQL.strings(path: harness.dbPath, sql).first ?? "") ?? -1 }

        // The whole installation, as an admin.
        let overview = try await harness.request("GET", "/admin/analytics/overview", token: alice)
        #expect(overview.status == 200, "\(overview.text)")
        let totals = try #require(overview.json["totals"] as? [String: Any])
        #expect(totals["messages"] as? Int == (try raw("SELECT count(*) FROM usage_event")))
        #expect(totals["conversations"] as? Int == (try raw("SELECT count(*) FROM conversation")))
        for (field, outcome) in [("answered", "answered"), ("lowConfidence", "low-confidence"), ("rateLimited", "rate-limited"),
                                 ("handedOff", "handed-off"), ("errors", "error")] {
            #expect(totals[field] as? Int == (try raw("SELECT count(*) FROM usage_event WHERE outcome = '\(outcome)'")), "\(field)")
        }
        #expect(try raw("SELECT count(*) FROM usage_event WHERE outcome = 'rate-limited'") == 2, "tiny allows 2 an hour")
        let average = try rawDouble("SELECT avg(confidence) FROM usage_event WHERE confidence IS NOT NULL")
        #expect(abs((totals["averageConfidence"] as? Double ?? -1) - average) < 0.0001)
        #expect(totals["uniqueClients"] as? Int == (try raw("""
            SELECT count(DISTINCT coalesce(client_hash, 'key:' || key_id)) FROM usage_event
            """)), "keys of keyed traffic, hashed addresses of public traffic")
        let answeredSelf = try raw("SELECT count(*) FROM usage_event WHERE outcome IN ('answered', 'low-confidence')")
        let hits = try raw("SELECT count(*) FROM usage_event WHERE knowledge_hit = 1")
        #expect(abs((totals["knowledgeHitRate"] as? Double ?? -1) - Double(hits) / Double(answeredSelf)) < 0.0001)

        let figures = try #require(overview.json["handoffs"] as? [String: Any])
        let handoffCount = try raw("SELECT count(*) FROM handoff")
        #expect(handoffCount == 4 && figures["count"] as? Int == handoffCount)
        let byReason = try #require(figures["byReason"] as? [String: Int])
        #expect(byReason["keyword"] == (try raw("SELECT count(*) FROM handoff WHERE reason = 'keyword'")))
        #expect(byReason["low_confidence"] == (try raw("SELECT count(*) FROM handoff WHERE reason = 'low_confidence'")))
        #expect((figures["byUrgency"] as? [String: Int])?["medium"] == 4)
        let sla = try #require((figures["sla"] as? [String: Any])?["medium"] as? [String: Any])
        #expect(sla["met"] as? Int == 2 && sla["missed"] as? Int == 2 && sla["attainment"] as? Double == 0.5, "\(sla)")
        let assignment = try rawDouble("SELECT assigned_at - created_at FROM handoff WHERE assigned_at IS NOT NULL")
        let p50 = try #require((figures["timeToAssignmentSeconds"] as? [String: Any])?["p50"] as? Double)
        #expect(abs(p50 - max(assignment, 0.01)) / max(assignment, 0.01) < 0.1, "p50 \(p50) vs assignment \(assignment)")
        let conversations = try raw("SELECT count(*) FROM conversation")
        #expect(abs((figures["rate"] as? Double ?? -1) - 4.0 / Double(conversations)) < 0.0001)

        let unanswered = try #require(overview.json["topUnanswered"] as? [[String: Any]])
        let peru = try #require(unanswered.first { ($0["question"] as? String)?.contains("Peru") == true }, "\(unanswered)")
        #expect(peru["count"] as? Int == (try raw("SELECT count(*) FROM usage_event WHERE question LIKE '%Peru%'")))
        let series = try #require(overview.json["series"] as? [[String: Any]])
        #expect(series.count == 8, "seven days by day, rounded out to whole hours: \(series.count)")
        #expect(series.compactMap { ($0["usage"] as? [String: Any])?["messages"] as? Int }.reduce(0, +) == totals["messages"] as? Int)

        // An agent sees its teams' bots only; another team's bot is a 404.
        let carols = try await harness.request("GET", "/admin/analytics/overview", token: carol)
        #expect(carols.json["bots"] as? [String] == ["support", "tiny"])
        #expect((carols.json["totals"] as? [String: Any])?["messages"] as? Int
                == (try raw("SELECT count(*) FROM usage_event WHERE bot IN ('support', 'tiny')")))
        #expect(try await harness.request("GET", "/admin/bots/sales/analytics", token: carol).status == 404)
        let sales = try await harness.request("GET", "/admin/bots/sales/analytics?bucket=hour", token: dave)
        #expect(sales.status == 200 && sales.json["bots"] as? [String] == ["sales"])
        #expect((sales.json["totals"] as? [String: Any])?["messages"] as? Int == 2)
        #expect((sales.json["totals"] as? [String: Any])?["uniqueClients"] as? Int == 1, "one address, hashed")
        #expect((sales.json["series"] as? [Any])?.count == 7 * 24 + 1)
        #expect(try await harness.request("GET", "/admin/bots/ghost/analytics", token: alice).status == 404)

        // CSV, and one 400 sentence per bad parameter.
        let csv = try await harness.request("GET", "/admin/bots/support/analytics?format=csv&bucket=day", token: carol)
        #expect(csv.status == 200 && csv.headers["content-type"]?.hasPrefix("text/csv") == true)
        let lines = csv.text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("start,conversations,messages,unique_clients,") == true && lines.count == 9)
        for (query, message) in [("bucket=week", "bucket must be hour or day"), ("format=xml", "format must be json or csv"),
                                 ("from=yesterday", "from must be an ISO 8601 time"),
                                 ("from=2026-11-20T00:00:00Z&to=2026-11-10T00:00:00Z", "from must be earlier than to"),
                                 ("from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&bucket=hour", "hourly buckets cover at most 31 days")] {
            let refused = try await harness.request("GET", "/admin/analytics/overview?\(query)", token: alice)
            #expect(refused.status == 400 && refused.text.contains(message), "\(query): \(refused.text)")
        }
        #expect(try await harness.request("GET", "/admin/analytics/overview").status == 401)
        try await harness.stop()
    }

    /// The daemon prunes usage rows past the retention when it starts; the
    /// analytics of the pruned hours stay the same.
    @Test func expiredUsageRowsArePrunedAndTheirAnalyticsKept() async throws {
        let clock = TestClock()
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")], clock: clock)
        let alice = try harness.token("alice"), key = try harness.key("support")
        for question in ["How long does standard delivery take?", "When are refunds paid?", "What is the capital of Peru?"] {
            #expect(try await harness.chat("support", question, key: key).status == 200)
        }
        try await harness.daemon?.chat.flush()
        let before = try await harness.request("GET", "/admin/analytics/overview?bucket=hour", token: alice)
        let expected = try #require(before.json["totals"] as? [String: Any])
        #expect(expected["messages"] as? Int == 3)
        try await harness.stop()
        #expect(try harness.count("usage_event") == 3)

        // Two hours later, with a retention of one hour: the rows go, the figures stay.
        clock.advance(by: 2 * 3600)
        try await harness.start(harness.settings { $0.usageRetention = SpecDuration(seconds: 3600) }, now: clock.now)
        try await eventually("the expired rows are pruned") { (try? harness.count("usage_event")) == 0 }
        let after = try await harness.request("GET", "/admin/analytics/overview?bucket=hour", token: alice)
        #expect(after.status == 200)
        let totals = try #require(after.json["totals"] as? [String: Any])
        for field in ["messages", "conversations", "answered", "lowConfidence", "handedOff", "uniqueClients"] {
            #expect(totals[field] as? Int == expected[field] as? Int, "\(field)")
        }
        #expect(totals["averageConfidence"] as? Double == expected["averageConfidence"] as? Double)
        #expect(after.json["topUnanswered"] as? [[String: Any]] != nil)
        try await harness.stop()
    }
}
