import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// Handoffs from the operators' side, over real HTTP: every transition and
/// every refusal, SLA escalation with an injected clock across a restart,
/// the list's filters and cursor, and the audit log.
@Suite struct HandoffOperatorDaemonTests {
    /// Opens a handoff in a new conversation; returns its id.
    static func open(_ harness: DaemonHarness, _ message: String = "help please", bot: String = "support") async throws -> String {
        let answer = try await harness.chat(bot, message, key: try harness.key(bot))
        return try #require(harness.handoff(of: answer)?["id"] as? String, "\(answer.text)")
    }

    @Test func everyTransitionAndEveryRefusal() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let alice = try harness.token("alice"), carol = try harness.token("carol"), erin = try harness.token("erin")
        let id = try await Self.open(harness)
        let path = "/admin/handoffs/\(id)"

        let assigned = try await harness.admin("POST", "\(path)/assign", token: alice, json: ["to": "carol"])
        #expect(assigned.status == 200, "\(assigned.text)")
        #expect(assigned.json["status"] as? String == "assigned")
        #expect(assigned.json["assignee"] as? String == "carol")
        #expect(assigned.json["assignedAt"] is String && assigned.json["slaDueAt"] == nil)

        let taken = try await harness.admin("POST", "\(path)/assign", token: erin)
        #expect(taken.status == 409 && taken.errorCode == "conflict")
        #expect((taken.json["error"] as? [String: Any])?["message"] as? String == "handoff \(id) is already assigned to carol")
        #expect(try await harness.admin("POST", "\(path)/assign", token: erin, json: ["to": "erin", "from": "alice"]).status == 409,
                "a reassignment names who has it now")
        let moved = try await harness.admin("POST", "\(path)/assign", token: erin, json: ["to": "erin", "from": "carol"])
        #expect(moved.status == 200 && moved.json["assignee"] as? String == "erin")

        // Bad bodies and names are 400s and change nothing.
        #expect(try await harness.admin("POST", "\(path)/reply", token: erin, json: [:]).status == 400)
        #expect(try await harness.admin("POST", "\(path)/reply", token: erin, json: ["message": "   "]).status == 400)
        #expect(try await harness.admin("POST", "\(path)/reply", token: erin, json: ["message": 42]).status == 400)
        let garbage = try await harness.request("POST", "\(path)/resolve", token: erin, body: Data("{not json".utf8))
        #expect(garbage.status == 400 && garbage.errorCode == "bad_request", "\(garbage.text)")
        let unknownOperator = try await harness.admin("POST", "\(path)/assign", token: alice, json: ["to": "zed", "from": "erin"])
        #expect(unknownOperator.status == 400 && unknownOperator.text.contains("no declared operator named zed"))
        let outsider = try await harness.admin("POST", "\(path)/assign", token: alice, json: ["to": "dave", "from": "erin"])
        #expect(outsider.status == 400, "dave is an agent of another team: \(outsider.text)")
        #expect(try await harness.handoffDetail(id, token: alice)["handoff"].flatMap { ($0 as? [String: Any])?["assignee"] as? String } == "erin")

        #expect(try await harness.admin("POST", "\(path)/reply", token: erin, json: ["message": "On it."]).status == 200)
        let resolved = try await harness.admin("POST", "\(path)/resolve", token: erin, json: ["note": "answered"])
        #expect(resolved.status == 200 && resolved.json["status"] as? String == "resolved")
        #expect(resolved.json["resolvedAt"] is String && resolved.json["resolvedBy"] as? String == "erin")
        #expect(try await harness.admin("POST", "\(path)/resolve", token: erin).status == 409, "resolving a resolved handoff")
        #expect(try await harness.admin("POST", "\(path)/reply", token: erin, json: ["message": "late"]).status == 409)
        #expect(try await harness.admin("POST", "\(path)/assign", token: erin).status == 409)

        let reopened = try await harness.admin("POST", "\(path)/reopen", token: carol)
        #expect(reopened.status == 200, "\(reopened.text)")
        #expect(reopened.json["status"] as? String == "pending" && reopened.json["assignee"] == nil)
        #expect(reopened.json["reopenedAt"] is String && reopened.json["slaDueAt"] is String)
        #expect(reopened.json["resolvedAt"] == nil && reopened.json["resolutionNote"] == nil && reopened.json["resolvedBy"] == nil,
                "a reopened handoff starts a new round: \(reopened.json)")
        #expect(try await harness.admin("POST", "\(path)/reopen", token: carol).status == 409, "only a resolved handoff reopens")

        // Unknown and malformed ids are 404s.
        for missing in ["hof_" + String(repeating: "A", count: 22), "hof_short", "../../etc"] {
            #expect(try await harness.request("GET", "/admin/handoffs/\(missing)", token: alice).status == 404)
            #expect(try await harness.admin("POST", "/admin/handoffs/\(missing)/resolve", token: alice).status == 404)
        }
        for query in ["status=bogus", "urgency=extreme", "limit=0", "limit=1000", "cursor=abc"] {
            let bad = try await harness.request("GET", "/admin/handoffs?\(query)", token: alice)
            #expect(bad.status == 400 && bad.errorCode == "bad_request", "\(query): \(bad.text)")
        }

        #expect(try await harness.eventKinds(id, token: alice)
            == ["created", "assigned", "assigned", "replied", "resolved", "reopened"])
        let events = try #require(try await harness.handoffDetail(id, token: alice)["events"] as? [[String: Any]])
        #expect(events.map { $0["actor"] as? String } == ["user", "operator:alice", "operator:erin", "operator:erin", "operator:erin",
                                                          "operator:carol"])
        #expect((events[2]["detail"] as? [String: String]) == ["from": "carol", "to": "erin"])

        // Every action is in the audit log with the operator as actor.
        let audit = try await harness.request("GET", "/admin/audit?kind=Handoff&name=\(id)", token: alice)
        let entries = try #require(audit.json["entries"] as? [[String: Any]])
        #expect(entries.map { $0["action"] as? String }.reversed()
            == ["handoff-assign", "handoff-assign", "handoff-reply", "handoff-resolve", "handoff-reopen"])
        #expect(entries.map { $0["actor"] as? String }.reversed()
            == ["operator:alice", "operator:erin", "operator:erin", "operator:erin", "operator:carol"])
        try await harness.stop()
    }

    @Test func theListFiltersAndPagesNewestFirst() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support"), "sales": HandoffFixture.bot("sales")])
        let alice = try harness.token("alice")
        var ids: [String] = []
        for index in 0..<5 { ids.append(try await Self.open(harness, index == 0 ? "help, outage!" : "help \(index)")) }
        let salesID = try await Self.open(harness, bot: "sales")
        _ = try await harness.admin("POST", "/admin/handoffs/\(ids[1])/assign", token: alice, json: ["to": "carol"])
        _ = try await harness.admin("POST", "/admin/handoffs/\(ids[2])/resolve", token: alice)

        func list(_ query: String) async throws -> (ids: [String], next: String?) {
            let page = try await harness.request("GET", "/admin/handoffs?\(query)", token: alice)
            #expect(page.status == 200, "\(page.text)")
            return ((page.json["handoffs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }, page.json["nextCursor"] as? String)
        }
        #expect(try await list("").ids == [salesID] + ids.reversed())
        #expect(try await list("bot=support&status=pending").ids == [ids[4], ids[3], ids[0]])
        #expect(try await list("status=open&bot=support").ids == [ids[4], ids[3], ids[1], ids[0]])
        #expect(try await list("status=resolved").ids == [ids[2]])
        #expect(try await list("urgency=critical").ids == [ids[0]])
        #expect(try await list("assignee=carol").ids == [ids[1]])

        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await list("limit=2&bot=support" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(page.ids.count <= 2)
            seen += page.ids
            cursor = page.next
        } while cursor != nil
        #expect(seen == ids.reversed(), "pages cover every handoff once, newest first")
        try await harness.stop()
    }

    @Test func anUnassignedHandoffEscalatesOncePastItsTargetAlsoAcrossARestart() async throws {
        let clock = TestClock()
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")], clock: clock)
        let alice = try harness.token("alice")
        func handoff(_ id: String) async throws -> [String: Any] {
            try #require(try await harness.handoffDetail(id, token: alice)["handoff"] as? [String: Any])
        }
        func escalations(_ id: String) async throws -> Int {
            try await harness.eventKinds(id, token: alice).filter { $0 == "escalated" }.count
        }
        let medium = try await Self.open(harness)                       // due in 4 h
        let assigned = try await Self.open(harness, "help, I need it done")
        _ = try await harness.admin("POST", "/admin/handoffs/\(assigned)/assign", token: alice)

        clock.advance(by: 4 * 3600 - 60)
        try await Task.sleep(for: .milliseconds(300))                   // several checks of the SLA timer
        #expect(try await handoff(medium)["escalated"] as? Bool == false, "a minute before its target")

        clock.advance(by: 120)
        try await eventually("the handoff escalates") { try await handoff(medium)["escalated"] as? Bool == true }
        let escalated = try await handoff(medium)
        #expect(escalated["urgency"] as? String == "high" && escalated["initialUrgency"] as? String == "medium")
        #expect(escalated["slaDueAt"] == nil && escalated["escalatedAt"] is String)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await escalations(medium) == 1, "exactly once")
        #expect(try await handoff(assigned)["escalated"] as? Bool == false, "an assigned handoff does not escalate")

        // A target that passes while the daemon is down fires at the next
        // start, once; one that fired before the restart does not fire again.
        let low = try await Self.open(harness, "help whenever you can")  // due in 24 h
        try await harness.stop()
        clock.advance(by: 25 * 3600)
        try await harness.start(harness.settings(), now: clock.now, slaCheckInterval: .milliseconds(50))
        try await eventually("the target that passed while down fires") { try await handoff(low)["escalated"] as? Bool == true }
        #expect(try await handoff(low)["urgency"] as? String == "medium")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await escalations(low) == 1)
        #expect(try await escalations(medium) == 1)
        let audit = try await harness.request("GET", "/admin/audit?kind=Handoff&name=\(low)", token: alice)
        #expect((audit.json["entries"] as? [[String: Any]])?.first?["actor"] as? String == "nectar")
        try await harness.stop()
    }
}
