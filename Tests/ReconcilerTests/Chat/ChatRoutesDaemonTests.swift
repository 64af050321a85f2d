import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// Every chat route over real HTTP on loopback, against a database applied
/// from a real git repository.
@Suite struct ChatRoutesDaemonTests {
    @Test func aKeyedChatAnswersFromTheBotsKnowledgeAndKeepsTheConversation() async throws {
        let harness = try await ChatFixture.start(["support": ChatFixture.bot("support")])
        let key = try harness.key("support")
        let first = try await harness.chat("support", "How long does international delivery take?", key: key)
        #expect(first.status == 200, "\(first.text)")
        let json = first.json
        let conversation = try #require(json["conversationId"] as? String)
        #expect(conversation.hasPrefix("conv_") && conversation.count == 35)
        #expect((json["messageId"] as? String)?.hasPrefix("msg_") == true)
        #expect((json["reply"] as? String)?.contains("seven to ten working days") == true, "\(json)")
        let confidence = try #require(json["confidence"] as? Double)
        #expect(confidence > 0.3 && confidence <= 1)
        let sources = try #require(json["sources"] as? [[String: Any]])
        #expect(sources.first?["path"] as? String == "knowledge/shop/shipping.md")
        #expect(sources.first?["honeyJar"] as? String == "shop")
        #expect((sources.first?["title"] as? String)?.contains("International orders") == true)
        #expect(json.keys.contains("handoff") && json["handoff"] is NSNull)
        #expect(first.headers["ratelimit-limit"] == "1000")
        #expect(first.headers["ratelimit-remaining"] == "999")
        #expect(Int(first.headers["ratelimit-reset"] ?? "") ?? 0 > 0)

        let second = try await harness.chat("support", "And can I return opened honey?", key: key, conversation: conversation)
        #expect(second.status == 200)
        #expect(second.json["conversationId"] as? String == conversation)
        #expect((second.json["reply"] as? String)?.contains("hygiene") == true, "\(second.json)")

        let transcript = try await harness.request("GET", "/v1/conversations/\(conversation)", token: key)
        #expect(transcript.status == 200, "\(transcript.text)")
        let messages = try #require(transcript.json["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "user", "assistant"])
        #expect(messages[0]["text"] as? String == "How long does international delivery take?")
        #expect(messages[1]["confidence"] as? Double == confidence)
        #expect(messages.allSatisfy { $0["at"] is String })
        try await harness.stop()
    }

    @Test func aPublicBotAnswersBySlugWithoutAKeyAndKeepsItsConversationsToItself() async throws {
        let harness = try await ChatFixture.start(["guide": ChatFixture.bot("guide", visibility: "public"),
                                                   "support": ChatFixture.bot("support")])
        let body = try JSONSerialization.data(withJSONObject: ["message": "Do you ship live bees abroad?"])
        let answer = try await harness.request("POST", "/v1/public/guide/chat", body: body)
        #expect(answer.status == 200, "\(answer.text)")
        #expect((answer.json["reply"] as? String)?.contains("Live bees are never shipped abroad") == true, "\(answer.json)")
        let conversation = try #require(answer.json["conversationId"] as? String)
        let transcript = try await harness.request("GET", "/v1/public/guide/conversations/\(conversation)")
        #expect(transcript.status == 200)
        #expect((transcript.json["messages"] as? [Any])?.count == 2)

        // A private bot is not reachable by slug; a public conversation is not
        // reachable with a key, nor through another bot's public route.
        #expect(try await harness.request("POST", "/v1/public/support/chat", body: body).status == 404)
        #expect(try await harness.request("GET", "/v1/conversations/\(conversation)", token: try harness.key("guide")).status == 404)
        #expect(try await harness.request("GET", "/v1/public/support/conversations/\(conversation)").status == 404)
        try await harness.stop()
    }

    @Test func anotherBotsConversationIsNotFound() async throws {
        let harness = try await ChatFixture.start(["alpha": ChatFixture.bot("alpha"), "beta": ChatFixture.bot("beta")])
        let alphaKey = try harness.key("alpha"), betaKey = try harness.key("beta")
        let alpha = try #require(try await harness.chat("alpha", "When do orders ship?", key: alphaKey).json["conversationId"] as? String)
        let continued = try await harness.chat("beta", "And returns?", key: betaKey, conversation: alpha)
        #expect(continued.status == 404)
        #expect(continued.errorCode == "not_found")
        #expect(!continued.text.contains("alpha"), "never a hint of the other bot")
        #expect(try await harness.request("GET", "/v1/conversations/\(alpha)", token: betaKey).status == 404)
        let unknown = "conv_" + String(repeating: "A", count: 22)
        #expect(try await harness.chat("alpha", "hi", key: alphaKey, conversation: unknown).status == 404)
        #expect(try await harness.chat("alpha", "hi", key: alphaKey, conversation: "../etc/passwd").status == 404)
        try await harness.stop()
    }

    @Test func theOpenAIRouteAnswersInTheChatCompletionShapeAndStreamsServerSentEvents() async throws {
        let harness = try await ChatFixture.start(["support": ChatFixture.bot("support")])
        let key = try harness.key("support")
        let payload: [String: Any] = ["model": "support", "messages": [
            ["role": "system", "content": "ignored: the bot has its own prompt"],
            ["role": "user", "content": "hello"], ["role": "assistant", "content": "Hello!"],
            ["role": "user", "content": [["type": "text", "text": "When do orders placed in the morning ship?"]]],
        ]]
        let completion = try await harness.request("POST", "/v1/chat/completions", token: key,
                                                   body: try JSONSerialization.data(withJSONObject: payload))
        #expect(completion.status == 200, "\(completion.text)")
        let json = completion.json
        #expect(json["object"] as? String == "chat.completion")
        #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        #expect(json["model"] as? String == "support")
        #expect(json["created"] is Int)
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "stop")
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect((message["content"] as? String)?.contains("same working day") == true, "\(message)")
        let usage = try #require(json["usage"] as? [String: Int])
        #expect(usage["total_tokens"] == (usage["prompt_tokens"] ?? 0) + (usage["completion_tokens"] ?? 0))
        let nectar = try #require(json["nectar"] as? [String: Any])
        #expect((nectar["conversationId"] as? String)?.hasPrefix("conv_") == true)
        #expect(nectar["confidence"] is Double && nectar["sources"] is [Any])

        var streaming = payload
        streaming["stream"] = true
        streaming["stream_options"] = ["include_usage": true]
        let stream = try await harness.request("POST", "/v1/chat/completions", token: key,
                                               body: try JSONSerialization.data(withJSONObject: streaming))
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.allSatisfy { $0.hasPrefix("data: ") }, "every event is data-prefixed: \(events)")
        #expect(events.last == "data: [DONE]")
        let chunks = events.dropLast().map { event in
            (try? JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8))) as? [String: Any] ?? [:]
        }
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let deltas = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }
        #expect(deltas.joined() == message["content"] as? String, "the chunks add up to the whole answer")
        #expect(chunks.dropLast().last?["nectar"] is [String: Any])
        #expect(chunks.last?["usage"] is [String: Any], "include_usage adds a last chunk with the usage")

        let models = try await harness.request("GET", "/v1/models", token: key)
        #expect(models.status == 200)
        #expect(models.json["object"] as? String == "list")
        #expect((models.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == ["support"])
        try await harness.stop()
    }

    @Test func greetingsAndThanksGetAFriendlyReplyNotASearch() async throws {
        let harness = try await ChatFixture.start(["support": ChatFixture.bot("support")])
        let key = try harness.key("support")
        for greeting in ["Hello!", "thanks", "Good morning"] {
            let answer = try await harness.chat("support", greeting, key: key)
            #expect(answer.status == 200)
            #expect((answer.json["sources"] as? [Any])?.isEmpty == true)
            #expect(answer.json["confidence"] as? Double == 1)
        }
        let unsure = try await harness.chat("support", "What is the capital of Mongolia?", key: key)
        #expect(unsure.status == 200)
        #expect((unsure.json["reply"] as? String)?.contains("not sure") == true, "\(unsure.json)")
        #expect((unsure.json["confidence"] as? Double ?? 1) < 0.3)
        #expect((unsure.json["sources"] as? [Any])?.isEmpty == true, "a weak match is not quoted")
        try await harness.stop()
    }
}
