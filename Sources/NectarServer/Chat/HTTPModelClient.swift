import AsyncHTTPClient
import BotRuntime
import Foundation
import NIOCore
import Synchronization

/// Chat completions from OpenAI-compatible endpoints through one shared
/// async-http-client (one connection pool). A 429 or 5xx, or a refused
/// connection, is retried once after a short backoff; each endpoint admits
/// `maxConcurrency` requests at once, a few more wait, the rest get a 503.
/// Failures are sentences without the endpoint's URL or key.
final class HTTPModelClient: ModelClient {
    let client: HTTPClient
    private let gates = Mutex<[String: ConcurrencyGate]>([:])

    init() {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        // A refused connection fails at once (and is retried once, above),
        // instead of being retried until the deadline; each endpoint's own
        // limit (maxConcurrency) bounds its connections, not the client's.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    func complete(_ request: ModelRequest, onDelta: (@Sendable (String) async throws -> Void)?) async throws(ModelFailure) -> ModelCompletion {
        let gate = gates.withLock { gates in
            if let gate = gates[request.endpoint.name] { return gate }
            let gate = ConcurrencyGate(limit: request.endpoint.maxConcurrency, waiting: request.endpoint.maxConcurrency * 4)
            gates[request.endpoint.name] = gate
            return gate
        }
        guard await gate.enter() else {
            throw .busy("\(request.endpoint.maxConcurrency) requests are in flight and more are waiting")
        }
        defer { gate.leave() }
        do {
            return try await bounded(request, onDelta: onDelta)
        } catch {
            // Retried once, and only while nothing reached the client.
            guard error.retryable, !Task.isCancelled else { throw Task.isCancelled ? .clientGone : error.failure }
            try? await Task.sleep(for: .milliseconds(300))
            do {
                return try await bounded(request, onDelta: onDelta)
            } catch {
                throw error.failure
            }
        }
    }

    /// One attempt within the endpoint's timeout, the whole (streamed)
    /// answer included: async-http-client's deadline ends with the headers.
    private func bounded(_ request: ModelRequest, onDelta: (@Sendable (String) async throws -> Void)?) async throws(AttemptFailure) -> ModelCompletion {
        let seconds = request.endpoint.timeout.components.seconds
        do {
            return try await withThrowingTaskGroup(of: ModelCompletion.self) { group in
                group.addTask { try await self.attempt(request, onDelta: onDelta) }
                group.addTask {
                    try await Task.sleep(for: request.endpoint.timeout)
                    throw AttemptFailure(failure: .timeout("no complete answer within \(seconds) s"), retryable: false)
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else {
                    throw AttemptFailure(failure: .badGateway("the request failed"), retryable: false)
                }
                return first
            }
        } catch let failure as AttemptFailure {
            throw failure
        } catch {
            throw AttemptFailure(failure: Task.isCancelled ? .clientGone : .badGateway("the request failed"), retryable: false)
        }
    }

    private func attempt(_ model: ModelRequest, onDelta: (@Sendable (String) async throws -> Void)?) async throws(AttemptFailure) -> ModelCompletion {
        var base = model.endpoint.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        var http = HTTPClientRequest(url: base + "/chat/completions")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "User-Agent", value: "nectar")
        if let key = model.endpoint.apiKey { http.headers.add(name: "Authorization", value: "Bearer \(key)") }
        http.body = .bytes(ByteBuffer(bytes: Self.body(model, stream: onDelta != nil)))
        let seconds = model.endpoint.timeout.components.seconds
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(http, timeout: .seconds(seconds))
            if let onDelta, (200..<300).contains(Int(response.status.code)) {
                return try await Self.relay(response, onDelta: onDelta)
            }
            bytes = try await response.body.collect(upTo: 4 << 20)
        } catch let failure as AttemptFailure {
            throw failure
        } catch {
            // The turn was cancelled: its client went away.
            if Task.isCancelled { throw AttemptFailure(failure: .clientGone, retryable: false) }
            if let client = error as? HTTPClientError, [.deadlineExceeded, .readTimeout, .connectTimeout].contains(client) {
                throw AttemptFailure(failure: .timeout("no answer within \(seconds) s"), retryable: false)
            }
            let text = String(describing: error).lowercased()
            if text.contains("timeout") || text.contains("timed out") {
                throw AttemptFailure(failure: .timeout("no answer within \(seconds) s"), retryable: false)
            }
            throw AttemptFailure(failure: .badGateway(text.contains("refused") ? "the connection was refused" : "the request failed"),
                                 retryable: true)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw AttemptFailure(failure: .badGateway("it answered HTTP \(status)"), retryable: status == 429 || status >= 500)
        }
        guard let completion = Self.parse(Array(bytes.readableBytesView)) else {
            throw AttemptFailure(failure: .badGateway("its answer is not a chat completion"), retryable: false)
        }
        return completion
    }

    struct AttemptFailure: Error {
        var failure: ModelFailure
        var retryable: Bool
    }

    /// Reads a streamed answer (`data:` events of `chat.completion.chunk`s,
    /// ending with `data: [DONE]`), handing each piece of content to
    /// `onDelta` as it arrives; tool calls and usage are gathered.
    static func relay(_ response: HTTPClientResponse, onDelta: @Sendable (String) async throws -> Void) async throws -> ModelCompletion {
        var pending: [UInt8] = []
        var content = ""
        var toolName = "", toolArguments = ""
        var usage: (Int, Int) = (0, 0)
        var sent = false
        var done = false
        /// A choice with a finish_reason: the answer is complete even if the
        /// server closes without `data: [DONE]`.
        var finished = false
        var body = response.body.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await body.next()
            } catch {
                // The connection broke: retried only if nothing reached the client.
                if Task.isCancelled { throw AttemptFailure(failure: .clientGone, retryable: false) }
                throw AttemptFailure(failure: .badGateway("the connection broke during the answer"), retryable: !sent)
            }
            guard let buffer = next else { break }
            pending += buffer.readableBytesView
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                guard line.starts(with: Array("data:".utf8)) else { continue }
                let data = String(decoding: line.dropFirst(5), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                if data == "[DONE]" { done = true; break }
                guard let chunk = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
                    throw AttemptFailure(failure: .badGateway("its stream holds an event that is not a chat completion chunk"), retryable: !sent)
                }
                if chunk["error"] != nil {
                    throw AttemptFailure(failure: .badGateway("it reported an error during the answer"), retryable: !sent)
                }
                if let counts = chunk["usage"] as? [String: Any] {
                    usage = (counts["prompt_tokens"] as? Int ?? 0, counts["completion_tokens"] as? Int ?? 0)
                }
                let choice = (chunk["choices"] as? [[String: Any]])?.first
                if choice?["finish_reason"] is String { finished = true }
                guard let delta = choice?["delta"] as? [String: Any] else { continue }
                // The first tool call's parts (index 0); its name comes once.
                for call in delta["tool_calls"] as? [[String: Any]] ?? [] where (call["index"] as? Int ?? 0) == 0 {
                    let function = call["function"] as? [String: Any]
                    if toolName.isEmpty, let name = function?["name"] as? String { toolName = name }
                    toolArguments += function?["arguments"] as? String ?? ""
                }
                if let piece = delta["content"] as? String, !piece.isEmpty {
                    content += piece
                    sent = true
                    do {
                        try await onDelta(piece)
                    } catch {
                        throw AttemptFailure(failure: .clientGone, retryable: false)
                    }
                }
            }
            if done { break }
        }
        guard done || finished else {
            throw AttemptFailure(failure: .badGateway("its stream ended before the answer did"), retryable: !sent)
        }
        guard !content.isEmpty || !toolName.isEmpty else {
            throw AttemptFailure(failure: .badGateway("its answer is empty"), retryable: true)
        }
        var reason: String?
        if toolName == "request_human_handoff" {
            let arguments = (try? JSONSerialization.jsonObject(with: Data(toolArguments.utf8))) as? [String: Any]
            reason = (arguments?["reason"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "the model asked for a person"
        }
        return ModelCompletion(content: content, handoffReason: reason, promptTokens: usage.0, completionTokens: usage.1)
    }

    /// The request body: model, messages, the handoff tool when offered.
    static func body(_ request: ModelRequest, stream: Bool = false) -> [UInt8] {
        var object: [String: Any] = [
            "model": request.model,
            "messages": request.messages.map { ["role": $0.role, "content": $0.content] },
        ]
        if stream {
            object["stream"] = true
            object["stream_options"] = ["include_usage": true]
        }
        if let temperature = request.temperature { object["temperature"] = temperature }
        if let maxTokens = request.maxTokens { object["max_tokens"] = maxTokens }
        if request.offerHandoff {
            object["tools"] = [[
                "type": "function",
                "function": [
                    "name": "request_human_handoff",
                    "description": "Hand the conversation to a human operator when the user asks for a person, or when you cannot help from the passages given.",
                    "parameters": [
                        "type": "object",
                        "properties": ["reason": ["type": "string", "description": "Why a person should take over, in one sentence."]],
                        "required": ["reason"],
                    ] as [String: Any],
                ] as [String: Any],
            ]]
        }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// `choices[0].message` (content, or a `request_human_handoff` tool call) and `usage`.
    static func parse(_ bytes: [UInt8]) -> ModelCompletion? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let choice = (object["choices"] as? [[String: Any]])?.first,
              let message = choice["message"] as? [String: Any] else { return nil }
        let content = message["content"] as? String ?? ""
        var reason: String?
        for call in message["tool_calls"] as? [[String: Any]] ?? [] {
            guard let function = call["function"] as? [String: Any], function["name"] as? String == "request_human_handoff" else { continue }
            let arguments = (function["arguments"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
            reason = (arguments?["reason"] as? String).map { $0.isEmpty ? "the model asked for a person" : $0 } ?? "the model asked for a person"
        }
        guard !content.isEmpty || reason != nil else { return nil }
        let usage = object["usage"] as? [String: Any]
        return ModelCompletion(content: content, handoffReason: reason, promptTokens: usage?["prompt_tokens"] as? Int ?? 0,
                               completionTokens: usage?["completion_tokens"] as? Int ?? 0)
    }
}

/// At most `limit` holders at once; up to `waiting` more queue in order; the rest are refused.
final class ConcurrencyGate: Sendable {
    private struct State {
        var inside = 0
        var queue: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let waiting: Int
    private let state = Mutex(State())

    init(limit: Int, waiting: Int) {
        self.limit = max(1, limit)
        self.waiting = waiting
    }

    /// False when the gate and its queue are full.
    func enter() async -> Bool {
        enum Decision { case enter, wait, refuse }
        let decision = state.withLock { state -> Decision in
            if state.inside < limit { state.inside += 1; return .enter }
            return state.queue.count < waiting ? .wait : .refuse
        }
        switch decision {
        case .enter: return true
        case .refuse: return false
        case .wait:
            await withCheckedContinuation { continuation in
                let admitted = state.withLock { state -> Bool in
                    if state.inside < limit { state.inside += 1; return true }
                    state.queue.append(continuation)
                    return false
                }
                if admitted { continuation.resume() }
            }
            return true
        }
    }

    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.queue.isEmpty {
                state.inside -= 1
                return nil
            }
            return state.queue.removeFirst()  // the slot passes to the next in line
        }
        next?.resume()
    }
}
