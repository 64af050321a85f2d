import BotRuntime
import Foundation
import Hummingbird
import Logging
import NectarServer
import Synchronization
import Testing
@testable import Reconciler
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small OpenAI-compatible server on loopback, speaking the real wire
/// format: it records each request and answers by the model's name.
final class FakeModelServer: Sendable {
    private let received = Mutex<[Data]>([])
    private let headers = Mutex<[[String: String]]>([])
    private let task = Mutex<Task<Void, any Error>?>(nil)
    private let flakyCalls = Atomic<Int>(0)
    /// Set when a streamed answer could not be written: its client went away.
    let streamCut = Atomic<Bool>(false)
    let port: Int

    var requests: [[String: Any]] {
        received.withLock { $0 }.map { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] ?? [:] }
    }
    var requestHeaders: [[String: String]] { headers.withLock { $0 } }

    init() async throws {
        let router = Router()
        let box = FakeModelBox()
        router.post("v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let server = box.server else { return Response(status: .internalServerError) }
            return try await server.answer(Data(body.readableBytesView), headers: request.headerFields)
        }
        let (port, running) = try await LoopbackApp.start(router, label: "fake model server")
        self.port = port
        task.withLock { $0 = running }
        box.server = self
    }

    func answer(_ body: Data, headers: [String: String]) async throws -> Response {
        received.withLock { $0.append(body) }
        let request = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        self.headers.withLock { $0.append(headers) }
        let model = request["model"] as? String ?? ""
        func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
            Response(status: status, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))))
        }
        func completion(_ message: [String: Any]) throws -> Response {
            try json(["id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": model,
                      "choices": [["index": 0, "message": message, "finish_reason": message["tool_calls"] == nil ? "stop" : "tool_calls"]],
                      "usage": ["prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132]])
        }
        if request["stream"] as? Bool == true {
            if model == "cut-stream-model" {
                // One piece, then the connection ends without [DONE]: a truncated answer.
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: #"data: {"choices":[{"index":0,"delta":{"content":"Standard "}}]}"# + "\n\n"))
                    try await writer.finish(nil)
                })
            }
            let pieces = model == "long-stream-model" ? Array(repeating: "word ", count: 40) : ["Standard ", "delivery ", "takes ", "three to five days."]
            let pause: Duration = model == "long-stream-model" ? .milliseconds(100) : .milliseconds(400)
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { [self] writer in
                func send(_ object: [String: Any]) async throws {
                    let data = try JSONSerialization.data(withJSONObject: object)
                    try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                }
                do {
                    try await send(["id": "c1", "object": "chat.completion.chunk", "choices": [["index": 0, "delta": ["role": "assistant"]]]])
                    for piece in pieces {
                        try await send(["id": "c1", "object": "chat.completion.chunk", "choices": [["index": 0, "delta": ["content": piece]]]])
                        try await Task.sleep(for: pause)
                    }
                    try await send(["id": "c1", "object": "chat.completion.chunk", "choices": [["index": 0, "delta": [:], "finish_reason": "stop"]]])
                    try await send(["id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": ["prompt_tokens": 120, "completion_tokens": 12]])
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                    try await writer.finish(nil)
                } catch {
                    streamCut.store(true, ordering: .relaxed)
                    throw error
                }
            })
        }
        switch model {
        case "handoff-model":
            return try completion(["role": "assistant", "content": NSNull(), "tool_calls": [[
                "id": "call_1", "type": "function",
                "function": ["name": "request_human_handoff", "arguments": #"{"reason": "the user is upset about a damaged order"}"#],
            ]]])
        case "broken-model":
            return try json(["error": ["message": "internal error", "type": "server_error"]], status: .internalServerError)
        case "flaky-model":
            if flakyCalls.add(1, ordering: .relaxed).newValue == 1 {
                return try json(["error": ["message": "overloaded"]], status: .serviceUnavailable)
            }
            return try completion(["role": "assistant", "content": "Second time lucky."])
        case "slow-model":
            try await Task.sleep(for: .seconds(3))
            return try completion(["role": "assistant", "content": "too late"])
        case "garbage-model":
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"choices\": 42")))
        default:
            return try completion(["role": "assistant", "content": "Standard delivery takes three to five working days [1]."])
        }
    }

    func stop() { task.withLock { $0?.cancel() } }
}

final class FakeModelBox: @unchecked Sendable {
    weak var server: FakeModelServer?
}

/// Model-backed bots (`spec.model.provider: openai`) against a real
/// OpenAI-compatible server on loopback: what nectar sends, what it makes
/// of the answer, the handoff tool, and every failure.
@Suite struct ModelResponderDaemonTests {
    static func bot(_ name: String, model: String, endpoint: String = "local-llm", extra: String = "") -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata: {name: \(name), owner: team-support}
        spec:
          systemPrompt: You are the shop's friendly assistant.
          model: {provider: openai, endpoint: \(endpoint), name: \(model)\(extra)}
          honeyJars: [shop]
          maxConversationLength: 2
          rateLimits: {perHour: 1000, perDay: 10000}

        """
    }

    static func start(_ server: FakeModelServer) async throws -> DaemonHarness {
        let harness = try DaemonHarness()
        var files = ChatFixture.files([
            "model-bot": bot("model-bot", model: "echo-model"), "handoff-bot": bot("handoff-bot", model: "handoff-model"),
            "broken-bot": bot("broken-bot", model: "broken-model"), "flaky-bot": bot("flaky-bot", model: "flaky-model"),
            "slow-bot": bot("slow-bot", model: "slow-model"), "garbage-bot": bot("garbage-bot", model: "garbage-model"),
            "lost-bot": bot("lost-bot", model: "echo-model", endpoint: "nowhere"),
            "fallback-bot": bot("fallback-bot", model: "broken-model", extra: ", temperature: 0.2, maxTokens: 300, fallback: knowledge"),
            "stream-bot": bot("stream-bot", model: "stream-model", endpoint: "stream-llm"),
            "long-bot": bot("long-bot", model: "long-stream-model", endpoint: "stream-llm"),
            "cut-bot": bot("cut-bot", model: "cut-stream-model", endpoint: "stream-llm"), "refused-bot": bot("refused-bot", model: "echo-model", endpoint: "closed"),
        ])
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        var settings = harness.settings()
        let closed = try LoopbackListener()  // a port nobody listens on once it is closed
        let closedPort = closed.port
        Glibc.close(closed.descriptor)
        settings.modelEndpoints = [ModelEndpointSetting(name: "local-llm", baseURL: "http://127.0.0.1:\(server.port)/v1", apiKeyEnv: "LLM_KEY",
                                                        timeout: SpecDuration(seconds: 1), maxConcurrency: 2),
                                   ModelEndpointSetting(name: "closed", baseURL: "http://127.0.0.1:\(closedPort)/v1", timeout: SpecDuration(seconds: 2)),
                                   // Streamed answers take longer than 1 s; the timeout covers the whole answer.
                                   ModelEndpointSetting(name: "stream-llm", baseURL: "http://127.0.0.1:\(server.port)/v1", timeout: SpecDuration(seconds: 10))]
        try await harness.start(settings, environment: ["LLM_KEY": "sk-local-0123456789"])
        return harness
    }

    @Test func aModelBotAnswersGroundedInItsHoneyJarsWithHistoryAndTheHandoffTool() async throws {
        let server = try await FakeModelServer()
        defer { server.stop() }
        let harness = try await Self.start(server)
        let key = try harness.key("model-bot")

        let first = try await harness.chat("model-bot", "How long does standard delivery take?", key: key)
        #expect(first.status == 200, "\(first.text)")
        #expect(first.json["reply"] as? String == "Standard delivery takes three to five working days [1].")
        let confidence = try #require(first.json["confidence"] as? Double)
        #expect(confidence > 0.3, "confidence comes from retrieval")
        #expect((first.json["sources"] as? [[String: Any]])?.first?["path"] as? String == "knowledge/shop/shipping.md")

        let request = try #require(server.requests.first)
        #expect(request["model"] as? String == "echo-model")
        #expect(server.requestHeaders.first?["authorization"] == "Bearer sk-local-0123456789")
        let messages = try #require(request["messages"] as? [[String: Any]])
        let system = try #require(messages.first?["content"] as? String)
        #expect(messages.first?["role"] as? String == "system")
        #expect(system.hasPrefix("You are the shop's friendly assistant."))
        #expect(system.contains("Answer from the passages below") && system.contains("[1] ") && system.contains("(knowledge/shop/shipping.md)"))
        #expect(system.contains("three to five working days"), "the passage itself is sent")
        #expect(messages.last?["role"] as? String == "user" && messages.last?["content"] as? String == "How long does standard delivery take?")
        let tool = ((request["tools"] as? [[String: Any]])?.first?["function"] as? [String: Any])
        #expect(tool?["name"] as? String == "request_human_handoff")
        #expect(((tool?["parameters"] as? [String: Any])?["required"] as? [String]) == ["reason"])

        // History, cut to maxConversationLength (2): the last exchange only.
        let conversation = try #require(first.json["conversationId"] as? String)
        _ = try await harness.chat("model-bot", "And international orders?", key: key, conversation: conversation)
        _ = try await harness.chat("model-bot", "Can I return opened honey?", key: key, conversation: conversation)
        let third = try #require(server.requests.last?["messages"] as? [[String: Any]])
        #expect(third.dropFirst().map { $0["role"] as? String } == ["user", "assistant", "user"], "\(third)")
        #expect(third[1]["content"] as? String == "And international orders?")

        // The model asks for a person through the tool: a handoff, reason `model`.
        let handoff = try await harness.chat("handoff-bot", "Can I return opened honey? This is the third broken jar!",
                                             key: try harness.key("handoff-bot"))
        #expect(handoff.status == 200, "\(handoff.text)")
        let opened = try #require(harness.handoff(of: handoff))
        #expect(opened["reason"] as? String == "model")
        let detail = try await harness.handoffDetail(opened["id"] as! String, token: try harness.token("alice"))
        #expect((detail["handoff"] as? [String: Any])?["reasonDetail"] as? String == "the user is upset about a damaged order")

        // Small talk goes to the model (no handoff for a greeting); a question
        // the honey jars do not cover is handed to a person before any
        // model call (no tokens spent on an answer that would be replaced).
        let before = server.requests.count
        let greeting = try await harness.chat("model-bot", "Hello!", key: key)
        #expect(greeting.json["handoff"] is NSNull && server.requests.count == before + 1, "\(greeting.json)")
        let uncovered = try await harness.chat("model-bot", "What is the capital of Mongolia?", key: key)
        #expect(harness.handoff(of: uncovered)?["reason"] as? String == "low_confidence", "\(uncovered.json)")
        #expect(server.requests.count == before + 1)

        // Token usage from the model is stored with the usage row.
        try await harness.daemon?.chat.flush()
        #expect(Int(try ReconcileSQL.strings(path: harness.dbPath, "SELECT count(*) FROM usage_event WHERE prompt_tokens = 120 AND completion_tokens = 12").first ?? "0") ?? 0 >= 3)
        try await harness.stop()
    }

    @Test func failuresAreCleanErrorsNeverHangsOrInternals() async throws {
        let server = try await FakeModelServer()
        defer { server.stop() }
        let harness = try await Self.start(server)
        func ask(_ bot: String) async throws -> DaemonHarness.HTTPResult {
            try await harness.chat(bot, "When do orders ship?", key: try harness.key(bot))
        }
        let broken = try await ask("broken-bot")
        #expect(broken.status == 502 && broken.errorCode == "model_unavailable", "\(broken.text)")
        #expect(broken.text.contains("HTTP 500") && !broken.text.contains("127.0.0.1") && !broken.text.contains("sk-local"))
        #expect(server.requests.filter { $0["model"] as? String == "broken-model" }.count == 2, "a 5xx is retried once")

        let flaky = try await ask("flaky-bot")
        #expect(flaky.status == 200 && flaky.json["reply"] as? String == "Second time lucky.", "\(flaky.text)")

        let slow = try await ask("slow-bot")
        #expect(slow.status == 504 && slow.errorCode == "model_timeout", "\(slow.text)")
        let garbage = try await ask("garbage-bot")
        #expect(garbage.status == 502 && garbage.text.contains("not a chat completion"), "\(garbage.text)")
        let closedEndpoint = try await ask("refused-bot")
        #expect(closedEndpoint.status == 502 && closedEndpoint.text.contains("refused"), "\(closedEndpoint.text)")
        let lost = try await ask("lost-bot")
        #expect(lost.status == 503 && lost.text.contains("nowhere"), "\(lost.text)")

        // With fallback: knowledge the honey jars answer, and say so; the
        // request carried the declared temperature and token limit.
        let fallback = try await ask("fallback-bot")
        #expect(fallback.status == 200, "\(fallback.text)")
        #expect((fallback.json["reply"] as? String)?.hasPrefix("Our assistant is unavailable right now") == true, "\(fallback.json)")
        let sent = try #require(server.requests.last { $0["model"] as? String == "broken-model" && $0["temperature"] != nil })
        #expect(sent["temperature"] as? Double == 0.2 && sent["max_tokens"] as? Int == 300)

        // The endpoint's concurrency limit (2, and 8 waiting): the rest are refused with 503 and Retry-After.
        let configuration = URLSessionConfiguration.default
        configuration.httpMaximumConnectionsPerHost = 16
        let session = URLSession(configuration: configuration)
        let slowKey = try harness.key("slow-bot")
        let burst = try await withThrowingTaskGroup(of: DaemonHarness.HTTPResult.self) { group in
            for _ in 0..<12 { group.addTask { try await harness.chat("slow-bot", "When do orders ship?", key: slowKey, session: session) } }
            return try await group.reduce(into: [DaemonHarness.HTTPResult]()) { $0.append($1) }
        }
        let refused = burst.filter { $0.status == 503 }
        #expect(refused.count == 2 && refused.allSatisfy { $0.headers["retry-after"] != nil && $0.text.contains("busy") },
                "\(burst.map(\.status))")
        #expect(burst.filter { $0.status == 504 }.count == 10)

        // The OpenAI route answers in OpenAI's error shape.
        let openAI = try await harness.request("POST", "/v1/chat/completions", token: try harness.key("broken-bot"), body: try JSONSerialization.data(
            withJSONObject: ["model": "broken-bot", "messages": [["role": "user", "content": "hi there, when do orders ship?"]]]))
        #expect(openAI.status == 502)
        #expect(((openAI.json["error"] as? [String: Any])?["type"] as? String) == "server_error")

        // A bot naming an endpoint the daemon does not define is named in the Ready condition.
        let status = try await harness.status(token: try harness.token("alice"))
        #expect((condition("Ready", in: status)["message"] as? String)?.contains("nowhere (bot lost-bot); those bots answer 503") == true)
        try await harness.stop()
    }
}

extension ModelResponderDaemonTests {
    /// POSTs a streaming completion over a raw connection.
    static func openStream(_ harness: DaemonHarness, bot: String) throws -> RawHTTPConnection {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: [
            "model": bot, "stream": true, "stream_options": ["include_usage": true],
            "messages": [["role": "user", "content": "How long does standard delivery take?"]]]), as: UTF8.self)
        let connection = try RawHTTPConnection(port: harness.port)
        connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(try harness.key(bot))\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return connection
    }

    @Test func aStreamedAnswerIsRelayedAsItArrivesAndStopsWhenTheClientGoesAway() async throws {
        let server = try await FakeModelServer()
        defer { server.stop() }
        let harness = try await Self.start(server)

        let connection = try Self.openStream(harness, bot: "stream-bot")
        var received = ""
        var firstPieceAt: ContinuousClock.Instant?
        let started = ContinuousClock.now
        while !received.contains("data: [DONE]"), ContinuousClock.now - started < .seconds(10) {
            let part = await connection.receive(timeout: 0.2)
            received += part.text
            if firstPieceAt == nil, received.contains(#""content":"Standard ""#) { firstPieceAt = .now }
            if part.closed { break }
        }
        let done = ContinuousClock.now
        let first = try #require(firstPieceAt, "\(received)")
        #expect(done - first > .milliseconds(900), "the first piece came while the model was still answering")
        #expect(received.hasPrefix("HTTP/1.1 200") && received.lowercased().contains("content-type: text/event-stream"))
        let chunks = received.components(separatedBy: "data: ").dropFirst().map { $0.components(separatedBy: "\n\n")[0] }
        let objects = chunks.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let text = objects.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(text == "Standard delivery takes three to five days.", "\(objects)")
        #expect(objects.contains { ($0["nectar"] as? [String: Any])?["conversationId"] != nil })
        #expect(objects.contains { ($0["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 120 }, "the model's usage is reported")

        // A stream that ends before the answer did: after the first piece, an error event.
        let cut = try Self.openStream(harness, bot: "cut-bot")
        var cutText = ""
        let cutStart = ContinuousClock.now
        while !cutText.contains("data: [DONE]"), ContinuousClock.now - cutStart < .seconds(10) {
            let part = await cut.receive(timeout: 0.2)
            cutText += part.text
            if part.closed { break }
        }
        #expect(cutText.contains(#""content":"Standard ""#) && cutText.contains("ended before the answer did"), "\(cutText)")
        #expect(cutText.contains(#""type":"server_error""#))

        // A client that goes away mid-stream stops the model's answer; the
        // turn's usage is recorded.
        let leaving = try Self.openStream(harness, bot: "long-bot")
        var seen = ""
        let waited = ContinuousClock.now
        while !seen.contains("word"), ContinuousClock.now - waited < .seconds(5) { seen += await leaving.receive(timeout: 0.2).text }
        #expect(seen.contains("word"))
        leaving.shutdown()
        try await eventually("the model's stream is cut off", timeout: 10) { server.streamCut.load(ordering: .relaxed) }
        try await eventually("the turn is recorded when its client goes away") {
            try await harness.daemon?.chat.flush()
            return try ReconcileSQL.strings(path: harness.dbPath, "SELECT outcome FROM usage_event WHERE bot = 'long-bot'") == ["error"]
        }
        try await harness.stop()
    }
}
