import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// Who may do what under `/admin`: every handoff and admin route against no
/// token, a wrong token, an agent of another team, an agent of the bot's
/// team, and an admin. And the races: many conversations triggering at
/// once, many operators assigning at once.
@Suite struct HandoffScopingDaemonTests {
    enum Caller: String, CaseIterable {
        case none, wrong, otherTeam, team, auditor, admin
    }

    @Test func theScopingMatrix() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support"),
                                                      "sales": HandoffFixture.bot("sales", owner: "team-sales")])
        let tokens: [Caller: String?] = [.none: nil, .wrong: "nop_" + String(repeating: "x", count: 40),
                                         .otherTeam: try harness.token("dave"), .team: try harness.token("carol"),
                                         .auditor: try harness.token("ci"),
                                         .admin: try harness.token("alice")]
        let salesHandoff = try await HandoffOperatorDaemonTests.open(harness, bot: "sales")

        // Handoff routes on a support handoff: other teams get 404, never 403.
        for caller in Caller.allCases {
            let token = tokens[caller]!
            let id = try await HandoffOperatorDaemonTests.open(harness)
            let steps: [(String, String, [String: Any]?)] = [
                ("GET", "/admin/handoffs/\(id)", nil), ("POST", "/admin/handoffs/\(id)/assign", nil),
                ("POST", "/admin/handoffs/\(id)/reply", ["message": "hello from \(caller)"]),
                ("POST", "/admin/handoffs/\(id)/resolve", ["note": "done"]), ("POST", "/admin/handoffs/\(id)/reopen", nil),
            ]
            for (method, path, body) in steps {
                let expected: Int = switch caller {
                case .none, .wrong: 401
                case .otherTeam: 404
                case .auditor: method == "GET" ? 200 : 403     // reads everything, works nothing
                case .team, .admin: 200
                }
                let result = try await harness.admin(method, path, token: token, json: body)
                #expect(result.status == expected, "\(caller) \(method) \(path): \(result.text)")
                if expected == 404 { #expect(!result.text.contains("support"), "no hint of the bot") }
            }
            let list = try await harness.request("GET", "/admin/handoffs", token: token)
            let listed = Set((list.json["handoffs"] as? [[String: Any]] ?? []).compactMap { $0["bot"] as? String })
            switch caller {
            case .none, .wrong: #expect(list.status == 401)
            case .otherTeam: #expect(list.status == 200 && listed == ["sales"], "\(listed)")
            case .team: #expect(list.status == 200 && listed == ["support"], "\(listed)")
            case .auditor, .admin: #expect(list.status == 200 && listed == ["sales", "support"])
            }
        }
        #expect(try await harness.request("GET", "/admin/handoffs/\(salesHandoff)", token: tokens[.team]!).status == 404)
        #expect(try await harness.request("GET", "/admin/handoffs/\(salesHandoff)", token: tokens[.otherTeam]!).status == 200)

        // Installation-wide routes are for admins (an auditor reads them);
        // agents get 403 (the route exists for everyone).
        let adminOnly: [(String, String)] = [("GET", "/admin/status"), ("GET", "/admin/reconciles"), ("POST", "/admin/reconcile"),
                                             ("GET", "/admin/audit"), ("GET", "/admin/state"), ("GET", "/admin/drift"),
                                             ("GET", "/admin/operators"), ("POST", "/admin/bots/support/pause"),
                                             ("POST", "/admin/bots/support/resume")]
        for caller in Caller.allCases {
            for (method, path) in adminOnly {
                let result = try await harness.admin(method, path, token: tokens[caller]!)
                let expected: Set<Int> = switch caller {
                case .none, .wrong: [401]
                case .otherTeam, .team: [403]
                case .auditor: method == "GET" ? [200] : [403]
                case .admin: [200, 202]
                }
                #expect(expected.contains(result.status), "\(caller) \(method) \(path): \(result.status) \(result.text)")
                if caller == .team || caller == .otherTeam { #expect(!result.text.contains("@example.com")) }
            }
        }

        // Bots: an agent reads its teams' bots only; another team's bot is 404.
        for caller in Caller.allCases {
            let bots = try await harness.request("GET", "/admin/bots", token: tokens[caller]!)
            let names = (bots.json["bots"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.sorted()
            let support = try await harness.request("GET", "/admin/bots/support", token: tokens[caller]!).status
            switch caller {
            case .none, .wrong: #expect(bots.status == 401 && support == 401)
            case .otherTeam: #expect(names == ["sales"] && support == 404)
            case .team: #expect(names == ["support"] && support == 200)
            case .auditor, .admin: #expect(names == ["sales", "support"] && support == 200)
            }
        }

        // Everyone with a token reads who they are and their own tokens; nobody else's address.
        for caller in [Caller.otherTeam, .team, .admin] {
            let me = try await harness.request("GET", "/admin/me", token: tokens[caller]!)
            #expect(me.status == 200)
            #expect(me.json["name"] as? String == ["otherTeam": "dave", "team": "carol", "admin": "alice"][caller.rawValue])
            #expect((me.json["tokens"] as? [[String: Any]])?.count == 1)
            #expect(!me.text.contains("@example.com") && !me.text.contains(tokens[caller]!!))
        }
        let operators = try await harness.request("GET", "/admin/operators", token: tokens[.admin]!)
        #expect((operators.json["operators"] as? [Any])?.count == 5)
        let assignAuditor = try await harness.admin("POST", "/admin/handoffs/\(salesHandoff)/assign", token: tokens[.admin]!, json: ["to": "ci"])
        #expect(assignAuditor.status == 400, "an auditor works no handoffs: \(assignAuditor.text)")
        try await harness.stop()
    }

    @Test func fiftyConversationsTriggerAtOnceAndTenOperatorsAssignAtOnce() async throws {
        let harness = try DaemonHarness()
        var files = ChatFixture.files(["support": HandoffFixture.bot("support")])
        let names = (0..<10).map { "op\($0)" }
        files["bots/operators.yaml"] = Snippet.documents(HandoffFixture.operators, names.map { name in
            "apiVersion: nectar/v1\nkind: Operator\nmetadata: {name: \(name)}\nspec: {email: \(name)@example.com, role: agent, teams: [team-support]}"
        }.joined(separator: "\n---\n"))
        try harness.commit(files)
        try await harness.start()
        let key = try harness.key("support"), alice = try harness.token("alice")
        var issued: [String: String] = [:]
        for name in names { issued[name] = try harness.token(name) }
        let tokens = issued

        // One conversation, ten triggering messages at once: one handoff.
        let opened = try await harness.chat("support", "How long does international delivery take?", key: key)
        let shared = try #require(opened.json["conversationId"] as? String)
        let sameConversation = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<10 {
                group.addTask { harness.handoff(of: try await harness.chat("support", "help \(index)", key: key, conversation: shared))?["id"] as? String }
            }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(Set(sameConversation.compactMap { $0 }).count == 1 && sameConversation.allSatisfy { $0 != nil }, "\(sameConversation)")
        let sharedID = try #require(sameConversation.first ?? nil)
        let kinds = try await harness.eventKinds(sharedID, token: alice)
        #expect(kinds.filter { $0 == "created" }.count == 1 && kinds.filter { $0 == "triggered" }.count == 9, "\(kinds)")

        // Fifty new conversations at once: fifty handoffs, one each.
        let ids = try await withThrowingTaskGroup(of: (String, String)?.self) { group in
            for index in 0..<50 {
                group.addTask {
                    let answer = try await harness.chat("support", "I need help, order \(index)", key: key)
                    guard let id = harness.handoff(of: answer)?["id"] as? String, let conversation = answer.json["conversationId"] as? String else {
                        return nil
                    }
                    return (id, conversation)
                }
            }
            return try await group.reduce(into: [(String, String)]()) { if let pair = $1 { $0.append(pair) } }
        }
        #expect(ids.count == 50 && Set(ids.map(\.0)).count == 50 && Set(ids.map(\.1)).count == 50)
        let openCount = try await harness.request("GET", "/admin/handoffs?status=open&limit=200", token: alice)
        #expect((openCount.json["handoffs"] as? [Any])?.count == 51)

        // Ten operators assign each of them at once: one wins, nine get 409.
        let outcomes = try await withThrowingTaskGroup(of: (String, String, Int).self) { group in
            for (id, _) in ids {
                for name in names {
                    group.addTask { (id, name, try await harness.admin("POST", "/admin/handoffs/\(id)/assign", token: tokens[name]).status) }
                }
            }
            return try await group.reduce(into: [(String, String, Int)]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0.2 == 200 || $0.2 == 409 }, "\(outcomes.filter { $0.2 != 200 && $0.2 != 409 })")
        for (id, _) in ids {
            let winners = outcomes.filter { $0.0 == id && $0.2 == 200 }
            #expect(winners.count == 1, "\(id): \(winners)")
            let detail = try await harness.handoffDetail(id, token: alice)
            #expect((detail["handoff"] as? [String: Any])?["assignee"] as? String == winners.first?.1)
            let events = (detail["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(events == ["created", "assigned"], "no lost or doubled events: \(events)")
        }
        let audit = try await harness.request("GET", "/admin/audit?kind=Handoff&limit=1000", token: alice)
        #expect((audit.json["entries"] as? [Any])?.count == 50)
        try await harness.stop()
    }
}
