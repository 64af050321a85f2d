import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// The notification outbox as the in-app inbox shows it, over real HTTP:
/// one event per handoff change, written with it; scoped like handoffs;
/// unread first with a cursor; marking read.
@Suite struct NotificationInboxDaemonTests {
    static func inbox(_ harness: DaemonHarness, token: String, query: String = "") async throws -> DaemonHarness.HTTPResult {
        try await harness.request("GET", "/admin/notifications\(query)", token: token)
    }

    static func types(_ result: DaemonHarness.HTTPResult) -> [String] {
        (result.json["notifications"] as? [[String: Any]] ?? []).compactMap { ($0["event"] as? [String: Any])?["type"] as? String }
    }

    @Test func everyHandoffChangeWritesOneEventThatTheTeamsInboxShows() async throws {
        let clock = TestClock()
        let muted = HandoffFixture.bot("muted").replacingOccurrences(of: "    sla: {critical: 15m", with: """
                notify: {inApp: false}
                sla: {critical: 15m
            """)
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support"),
                                                      "sales": HandoffFixture.bot("sales", owner: "team-sales"), "muted": muted], clock: clock)
        let alice = try harness.token("alice"), carol = try harness.token("carol"), dave = try harness.token("dave")
        let id = try await HandoffOperatorDaemonTests.open(harness, "help, I was charged twice")
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/assign", token: carol)
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/reply", token: carol, json: ["message": "Refunded."])
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/resolve", token: carol, json: ["note": "done"])
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/reopen", token: alice)
        // A second trigger in the open conversation is an event of the handoff, not a notification.
        let conversation = try #require((try await harness.handoffDetail(id, token: alice)["handoff"] as? [String: Any])?["conversationId"] as? String)
        let second = try await harness.chat("support", "help again", key: try harness.key("support"), conversation: conversation)
        #expect(harness.handoff(of: second)?["id"] as? String == id)
        clock.advance(by: 5 * 3600)
        try await eventually("the reopened handoff escalates") {
            Self.types(try await Self.inbox(harness, token: carol)).contains("handoff.escalated")
        }
        let salesID = try await HandoffOperatorDaemonTests.open(harness, bot: "sales")

        let mine = try await Self.inbox(harness, token: carol)
        #expect(mine.status == 200, "\(mine.text)")
        #expect(Self.types(mine) == ["handoff.escalated", "handoff.reopened", "handoff.resolved", "handoff.replied", "handoff.assigned",
                                     "handoff.created"], "newest first, the team's bots only")
        #expect(mine.json["unread"] as? Int == 6)
        let entries = try #require(mine.json["notifications"] as? [[String: Any]])
        let created = try #require(entries.last?["event"] as? [String: Any])
        #expect((created["id"] as? String)?.hasPrefix("evt_") == true)
        #expect(created["bot"] as? String == "support" && created["actor"] as? String == "user")
        #expect(created["time"] is String)
        let handoff = try #require(created["handoff"] as? [String: Any])
        #expect(handoff["id"] as? String == id && handoff["status"] as? String == "pending" && handoff["reason"] as? String == "keyword")
        let replied = try #require(entries[3]["event"] as? [String: Any])
        #expect((replied["detail"] as? [String: Any])?["text"] as? String == "Refunded.")
        #expect(replied["actor"] as? String == "operator:carol")
        #expect(entries.allSatisfy { $0["read"] as? Bool == false })

        #expect(Self.types(try await Self.inbox(harness, token: dave)) == ["handoff.created"], "dave sees sales only")
        #expect(Self.types(try await Self.inbox(harness, token: alice)).count == 7, "an admin sees every bot")
        // A bot that declares notify.inApp: false writes its events (for other
        // channels) but keeps them out of the inbox.
        _ = try await HandoffOperatorDaemonTests.open(harness, bot: "muted")
        #expect(try harness.count("outbox_event") == 8)
        #expect(Self.types(try await Self.inbox(harness, token: alice)).count == 7)
        let salesEvent = try #require((try await Self.inbox(harness, token: dave).json["notifications"] as? [[String: Any]])?.first)
        #expect(((salesEvent["event"] as? [String: Any])?["handoff"] as? [String: Any])?["id"] as? String == salesID)
        try await harness.stop()
    }

    @Test func unreadComeFirstPagesCoverEveryEventOnceAndMarkingReadIsPerOperator() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let carol = try harness.token("carol"), erin = try harness.token("erin")
        for index in 0..<5 { _ = try await HandoffOperatorDaemonTests.open(harness, "help \(index)") }
        let all = try #require(try await Self.inbox(harness, token: carol).json["notifications"] as? [[String: Any]])
        let ids = all.compactMap { ($0["event"] as? [String: Any])?["id"] as? String }
        #expect(ids.count == 5)

        let marked = try await harness.admin("POST", "/admin/notifications/read", token: carol, json: ["ids": [ids[0], ids[2]]])
        #expect(marked.status == 200 && marked.json["marked"] as? Int == 2 && marked.json["unread"] as? Int == 3, "\(marked.text)")
        let again = try await harness.admin("POST", "/admin/notifications/read", token: carol, json: ["ids": [ids[0]]])
        #expect(again.json["marked"] as? Int == 0, "marking twice changes nothing")

        var seen: [(String, Bool)] = []
        var cursor: String?
        repeat {
            let page = try await Self.inbox(harness, token: carol, query: "?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(page.status == 200)
            for entry in page.json["notifications"] as? [[String: Any]] ?? [] {
                seen.append(((entry["event"] as? [String: Any])?["id"] as? String ?? "", entry["read"] as? Bool ?? false))
            }
            cursor = page.json["nextCursor"] as? String
        } while cursor != nil
        #expect(seen.map(\.0) == [ids[1], ids[3], ids[4], ids[0], ids[2]], "unread first, newest first within each")
        #expect(seen.map(\.1) == [false, false, false, true, true])

        #expect(try await Self.inbox(harness, token: erin).json["unread"] as? Int == 5, "read marks are per operator")
        let everything = try await harness.admin("POST", "/admin/notifications/read", token: erin, json: ["all": true])
        #expect(everything.json["unread"] as? Int == 0)

        for body: [String: Any] in [[:], ["ids": "evt_x"], ["all": "yes"]] {
            #expect(try await harness.admin("POST", "/admin/notifications/read", token: carol, json: body).status == 400, "\(body)")
        }
        #expect(try await Self.inbox(harness, token: carol, query: "?cursor=garbage").status == 400)
        #expect(try await Self.inbox(harness, token: carol, query: "?limit=0").status == 400)
        #expect(try await harness.request("GET", "/admin/notifications").status == 401)
        try await harness.stop()
    }
}

extension NotificationInboxDaemonTests {
    /// Reads a server-sent event stream over a raw connection until `text` appears.
    static func read(_ connection: RawHTTPConnection, until text: String, timeout: Double = 5) async -> String {
        var received = ""
        let deadline = Date().addingTimeInterval(timeout)
        while !received.contains(text), Date() < deadline {
            let part = await connection.receive(timeout: 0.3)
            received += part.text
            if part.closed { break }
        }
        return received
    }

    @Test func theLiveStreamSendsNewEventsTheOperatorMaySeeAndResumesFromLastEventID() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let carol = try harness.token("carol"), dave = try harness.token("dave")
        func open(_ token: String, lastEventID: String? = nil) throws -> RawHTTPConnection {
            let connection = try RawHTTPConnection(port: harness.port)
            connection.send("GET /admin/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + (lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? "") + "\r\n")
            return connection
        }
        let carolStream = try open(carol), daveStream = try open(dave)
        let head = await Self.read(carolStream, until: ": nectar notifications")
        #expect(head.hasPrefix("HTTP/1.1 200") && head.lowercased().contains("content-type: text/event-stream"), "\(head)")
        _ = await Self.read(daveStream, until: ": nectar notifications")

        let id = try await HandoffOperatorDaemonTests.open(harness)
        let live = await Self.read(carolStream, until: "event: handoff.created")
        #expect(live.contains("event: handoff.created") && live.contains(id), "\(live)")
        let other = await Self.read(daveStream, until: "event:", timeout: 1)
        #expect(!other.contains("event:"), "another team's agent gets nothing: \(other)")

        // A client that reconnects with Last-Event-ID gets what it missed.
        let resumed = try open(carol, lastEventID: "0")
        let missed = await Self.read(resumed, until: "event: handoff.created")
        #expect(missed.contains("id: 1\nevent: handoff.created"), "\(missed)")
        // A graceful shutdown ends open streams (it does not wait for them).
        try await harness.stop()
        #expect(await carolStream.isClosed(within: 5))
        withExtendedLifetime((daveStream, resumed)) {}
    }
}
