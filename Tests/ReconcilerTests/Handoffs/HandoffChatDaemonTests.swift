import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// Handoffs from the user's side, over real HTTP: what triggers one on each
/// chat route, urgency, one open handoff per conversation, the quiet bot,
/// operators' replies relayed, and the bot answering again after resolution.
@Suite struct HandoffChatDaemonTests {
    @Test func eachTriggerOpensAHandoffOnEveryChatRoute() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support"),
                                                      "guide": HandoffFixture.bot("guide", visibility: "public"),
                                                      "calm": HandoffFixture.bot("calm", enabled: false)])
        let key = try harness.key("support"), alice = try harness.token("alice")

        let keyword = try await harness.chat("support", "I need help with my order", key: key)
        #expect(keyword.status == 200, "\(keyword.text)")
        let opened = try #require(harness.handoff(of: keyword))
        #expect(opened["reason"] as? String == "keyword")
        #expect(opened["status"] as? String == "pending")
        #expect(opened["urgency"] as? String == "medium")
        #expect((opened["id"] as? String)?.hasPrefix("hof_") == true)
        #expect((keyword.json["reply"] as? String)?.contains("a person") == true, "\(keyword.json)")

        let helpful = try await harness.chat("support", "That answer was helpful, how long does international delivery take?", key: key)
        #expect(helpful.json["handoff"] is NSNull, "help does not match helpful: \(helpful.json)")

        let explicit = try await harness.chat("support", "Can I talk to a human?", key: key)
        #expect(harness.handoff(of: explicit)?["reason"] as? String == "explicit_request")
        for ordinary in ["I am human", "What is your human resources policy?"] {
            let answer = try await harness.chat("support", ordinary, key: key)
            #expect(answer.status == 200)
            #expect(harness.handoff(of: answer)?["reason"] as? String != "explicit_request", "\(ordinary): \(answer.json)")
        }

        let unsure = try await harness.chat("support", "What is the capital of Mongolia?", key: key)
        let low = try #require(harness.handoff(of: unsure))
        #expect(low["reason"] as? String == "low_confidence")
        let confidence = try #require(unsure.json["confidence"] as? Double)
        #expect(confidence < 0.25)
        let detail = try await harness.handoffDetail(try #require(low["id"] as? String), token: alice)
        let stored = try #require(detail["handoff"] as? [String: Any])
        #expect(stored["confidence"] as? Double == confidence)
        #expect(stored["reasonDetail"] as? String == String(confidence))

        let publicBody = try JSONSerialization.data(withJSONObject: ["message": "real person please"])
        let anonymous = try await harness.request("POST", "/v1/public/guide/chat", body: publicBody,
                                                  headers: ["Content-Type": "application/json"])
        #expect(harness.handoff(of: anonymous)?["reason"] as? String == "explicit_request", "\(anonymous.text)")

        let completion = try await harness.request("POST", "/v1/chat/completions", token: key, body: try JSONSerialization.data(
            withJSONObject: ["model": "support", "messages": [["role": "user", "content": "Let me speak to a   person, please"]]]))
        #expect(completion.status == 200, "\(completion.text)")
        let nectar = try #require(completion.json["nectar"] as? [String: Any])
        #expect((nectar["handoff"] as? [String: Any])?["reason"] as? String == "keyword")
        let content = ((completion.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        #expect(content?.contains("a person") == true)

        let calm = try await harness.chat("calm", "help, I want to talk to a human", key: try harness.key("calm"))
        #expect(calm.json["handoff"] is NSNull, "handoffs disabled: \(calm.json)")
        let list = try await harness.request("GET", "/admin/handoffs?bot=calm", token: alice)
        #expect((list.json["handoffs"] as? [Any])?.isEmpty == true)
        try await harness.stop()
    }

    @Test func urgencyComesFromTheBotsKeywordsAndSetsTheSLATarget() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let key = try harness.key("support"), alice = try harness.token("alice")
        let cases: [(String, String, TimeInterval)] = [
            ("help, we have an outage and an urgent refund", "critical", 15 * 60), ("help with a refund", "high", 3600),
            ("help me", "medium", 4 * 3600), ("help whenever you can", "low", 24 * 3600),
        ]
        for (message, urgency, target) in cases {
            let answer = try await harness.chat("support", message, key: key)
            let handoff = try #require(harness.handoff(of: answer))
            #expect(handoff["urgency"] as? String == urgency, "\(message)")
            let stored = try #require(try await harness.handoffDetail(handoff["id"] as! String, token: alice)["handoff"] as? [String: Any])
            let created = try #require((stored["createdAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            let due = try #require((stored["slaDueAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(due.timeIntervalSince(created) - target) <= 1, "\(message): \(stored)")
        }
        try await harness.stop()
    }

    @Test func aPersonTakesTheConversationTheBotStaysQuietAndAnswersAgainAfterResolution() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let key = try harness.key("support"), carol = try harness.token("carol")

        let first = try await harness.chat("support", "help, my parcel is lost", key: key)
        let conversation = try #require(first.json["conversationId"] as? String)
        let id = try #require(harness.handoff(of: first)?["id"] as? String)

        // A user message while it is open goes to the thread; the bot says a person has it.
        let waiting = try await harness.chat("support", "How long does international delivery take?", key: key, conversation: conversation)
        #expect(waiting.status == 200)
        #expect(harness.handoff(of: waiting)?["id"] as? String == id, "still the one open handoff")
        #expect((waiting.json["reply"] as? String)?.contains("seven to ten") == false, "the bot stays quiet: \(waiting.json)")
        #expect((waiting.json["sources"] as? [Any])?.isEmpty == true)

        // A second trigger adds to the open handoff and may raise its urgency.
        let again = try await harness.chat("support", "this is urgent, escalate please", key: key, conversation: conversation)
        #expect(harness.handoff(of: again)?["id"] as? String == id)
        #expect(harness.handoff(of: again)?["urgency"] as? String == "high")

        #expect(try await harness.admin("POST", "/admin/handoffs/\(id)/assign", token: carol).json["assignee"] as? String == "carol")
        let reply = try await harness.admin("POST", "/admin/handoffs/\(id)/reply", token: carol,
                                            json: ["message": "Hi, I'm Carol. A new parcel left today."])
        #expect(reply.status == 200, "\(reply.text)")

        // The user's next message gets the operator's reply, once.
        let relayed = try await harness.chat("support", "any news?", key: key, conversation: conversation)
        #expect(relayed.json["reply"] as? String == "Hi, I'm Carol. A new parcel left today.", "\(relayed.json)")
        let operatorMessages = try #require(relayed.json["operatorMessages"] as? [[String: Any]])
        #expect(operatorMessages.map { $0["author"] as? String } == ["carol"])
        #expect(harness.handoff(of: relayed)?["status"] as? String == "assigned")
        let later = try await harness.chat("support", "thanks!", key: key, conversation: conversation)
        #expect((later.json["operatorMessages"] as? [Any])?.isEmpty == true)
        #expect((later.json["reply"] as? String)?.contains("has this conversation") == true, "\(later.json)")

        let transcript = try await harness.request("GET", "/v1/conversations/\(conversation)", token: key)
        let messages = try #require(transcript.json["messages"] as? [[String: Any]])
        let carolSaid = messages.first { $0["role"] as? String == "operator" }
        #expect(carolSaid?["text"] as? String == "Hi, I'm Carol. A new parcel left today.")
        #expect(carolSaid?["author"] as? String == "carol")

        let resolved = try await harness.admin("POST", "/admin/handoffs/\(id)/resolve", token: carol, json: ["note": "parcel resent"])
        #expect(resolved.json["status"] as? String == "resolved")
        let answered = try await harness.chat("support", "How long does international delivery take?", key: key, conversation: conversation)
        #expect(answered.json["handoff"] is NSNull)
        #expect((answered.json["reply"] as? String)?.contains("seven to ten") == true, "the bot answers again: \(answered.json)")

        // A new trigger after resolution is a new handoff.
        let next = try await harness.chat("support", "help again please", key: key, conversation: conversation)
        let nextID = try #require(harness.handoff(of: next)?["id"] as? String)
        #expect(nextID != id)

        let detail = try await harness.handoffDetail(id, token: carol)
        let handoff = try #require(detail["handoff"] as? [String: Any])
        #expect(handoff["resolutionNote"] as? String == "parcel resent")
        #expect(handoff["resolvedBy"] as? String == "carol")
        #expect((detail["transcript"] as? [[String: Any]])?.last?["text"] as? String == "help, my parcel is lost",
                "the transcript ends with the message that opened it")
        let thread = try #require(detail["thread"] as? [[String: Any]])
        #expect(thread.contains { $0["role"] as? String == "operator" })
        #expect(!thread.contains { ($0["text"] as? String)?.contains("seven to ten") == true }, "the thread ends at resolution")
        #expect(try await harness.eventKinds(id, token: carol) == ["created", "triggered", "assigned", "replied", "resolved"])
        try await harness.stop()
    }

    @Test func theOpenAIRouteGetsTheOperatorsReplyOnItsNextCall() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let key = try harness.key("support"), alice = try harness.token("alice")
        func complete(_ messages: [[String: String]], conversation: String?) async throws -> DaemonHarness.HTTPResult {
            var body: [String: Any] = ["model": "support", "messages": messages]
            if let conversation { body["nectar"] = ["conversationId": conversation] }
            return try await harness.request("POST", "/v1/chat/completions", token: key, body: try JSONSerialization.data(withJSONObject: body))
        }
        let first = try await complete([["role": "user", "content": "I want to talk to a real person"]], conversation: nil)
        let nectar = try #require(first.json["nectar"] as? [String: Any])
        let conversation = try #require(nectar["conversationId"] as? String)
        let id = try #require((nectar["handoff"] as? [String: Any])?["id"] as? String)

        let reply = try await harness.admin("POST", "/admin/handoffs/\(id)/reply", token: alice, json: ["message": "Alice here, how can I help?"])
        #expect(reply.status == 200)
        #expect((reply.json["handoff"] as? [String: Any])?["assignee"] as? String == "alice", "replying takes a waiting handoff")

        let second = try await complete([["role": "user", "content": "I want to talk to a real person"],
                                         ["role": "assistant", "content": "I've asked a person"], ["role": "user", "content": "hello?"]],
                                        conversation: conversation)
        #expect(second.status == 200, "\(second.text)")
        let content = ((second.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        #expect(content == "Alice here, how can I help?")
        let secondNectar = try #require(second.json["nectar"] as? [String: Any])
        #expect((secondNectar["operatorMessages"] as? [[String: Any]])?.first?["author"] as? String == "alice")
        #expect((secondNectar["handoff"] as? [String: Any])?["status"] as? String == "assigned")
        try await harness.stop()
    }
}
