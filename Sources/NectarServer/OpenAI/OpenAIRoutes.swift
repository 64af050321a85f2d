import BotRuntime
import Foundation
import Hummingbird

/// The OpenAI-compatible API: `POST /v1/chat/completions` (with
/// `stream: true` as server-sent events) and `GET /v1/models`, so any
/// OpenAI SDK is a nectar client (`base_url` nectar, `api_key` the bot's key).
struct OpenAIRoutes: Sendable {
    let engine: ChatEngine
    let proxies: TrustedProxies

    /// Larger than the chat route's: the client sends the history too.
    static let maxBodyBytes = 256 * 1024

    func add(to router: Router<NectarRequestContext>) {
        let engine = self.engine, proxies = self.proxies
        router.post("v1/chat/completions") { request, context in
            try await Self.openAI {
                try await Self.completion(request, context: context, engine: engine, proxies: proxies)
            }
        }
        router.get("v1/models") { request, _ in
            try await Self.openAI {
                let specs = try await engine.models(credential: try Credential.presented(in: request)).mapError(APIError.init).get()
                return JSONBody.response(ModelListView(data: specs.map {
                    .init(id: $0.name, created: 0, ownedBy: $0.metadata.owner ?? "nectar")
                }))
            }
        }
    }

    /// Runs a handler, answering its errors in OpenAI's shape.
    static func openAI(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            throw OpenAIError(error)
        }
    }

    static func completion(_ request: Request, context: NectarRequestContext, engine: ChatEngine,
                           proxies: TrustedProxies) async throws -> Response {
        let started = ContinuousClock.now
        let credential = try Credential.presented(in: request)
        let body = try await RequestJSON.decode(OpenAIChatRequest.self, from: request, limit: maxBodyBytes)
        let (question, history) = try body.conversation()
        let conversation = body.nectar?.conversationId ?? request.header(named: "X-Nectar-Conversation-Id")
        var chat = ChatRequest(route: .openAI, bot: body.model, credential: credential,
                               clientAddress: proxies.client(of: request, context: context), message: question,
                               conversationID: conversation, history: history, receivedAt: started)
        let result: ChatResult
        if body.stream == true {
            // A model-backed bot streams its answer: pieces are relayed as
            // they arrive. Until the first piece (or the end) nothing is sent,
            // so a refusal still gets its own status.
            let (events, continuation) = AsyncStream.makeStream(of: StreamEvent.self)
            chat.onDelta = { piece in
                try Task.checkCancellation()  // the client went away: stop the model
                continuation.yield(.delta(piece))
            }
            let turn = Task { [chat] in
                continuation.yield(.finished(await engine.chat(chat)))
                continuation.finish()
            }
            // Nobody reads the answer any more (the client went away before
            // it began, or during it): stop the turn and the model.
            continuation.onTermination = { termination in
                if case .cancelled = termination { turn.cancel() }
            }
            var iterator = events.makeAsyncIterator()
            switch await iterator.next() {
            case .delta(let first)?:
                return relay(first: first, rest: events, turn: turn, model: body.model,
                             includeUsage: body.streamOptions?.includeUsage == true)
            case .finished(let finished)?:
                result = finished
            case nil:
                throw APIError(.serviceUnavailable, code: "unavailable", message: "the answer could not be made; the server log has details")
            }
        } else {
            result = await engine.chat(chat)
        }
        let reply: ChatReply
        switch result.outcome {
        case .success(let answer): reply = answer
        case .failure(let failure):
            var error = APIError(failure)
            if let rate = result.rate { error.headers.append(contentsOf: RateHeaders.fields(rate, refused: failure.isRateLimited)) }
            throw error
        }
        var response = body.stream == true
            ? stream(reply, model: body.model, includeUsage: body.streamOptions?.includeUsage == true)
            : JSONBody.response(ChatCompletionView(reply: reply, model: body.model))
        if let rate = result.rate { response.headers.append(contentsOf: RateHeaders.fields(rate)) }
        return response
    }

    /// The answer as `chat.completion.chunk` events: the role, the text in
    /// pieces, the finish with the `nectar` object, optionally the usage,
    /// then `data: [DONE]`.
    static func stream(_ reply: ChatReply, model: String, includeUsage: Bool) -> Response {
        let id = "chatcmpl-" + reply.messageID, created = Int(reply.createdAt.timeIntervalSince1970)
        var chunks = [ChatCompletionChunkView(id: id, created: created, model: model, content: "", role: "assistant")]
        for piece in pieces(of: reply.reply) {
            chunks.append(ChatCompletionChunkView(id: id, created: created, model: model, content: piece))
        }
        chunks.append(ChatCompletionChunkView(id: id, created: created, model: model, finishReason: "stop", nectar: NectarView(reply)))
        if includeUsage { chunks.append(ChatCompletionChunkView(id: id, created: created, model: model, usage: Usage(reply))) }
        let encoder = JSONBody.encoder()
        let events = chunks.compactMap { chunk in try? encoder.encode(chunk) }.map { data in
            ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n")
        } + [ByteBuffer(string: "data: [DONE]\n\n")]
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
                            for event in events { try await writer.write(event) }
                            try await writer.finish(nil)
                        })
    }

    enum StreamEvent: Sendable {
        case delta(String)
        case finished(ChatResult)
    }

    /// A model's answer relayed as `chat.completion.chunk` events while it
    /// comes: the role, each piece, then (when the turn is over) whatever the
    /// reply adds (a handoff notice), the finish with the `nectar` object,
    /// optionally the usage, and `data: [DONE]`. A failure after the first
    /// piece is an `error` event. A client that goes away stops the model.
    static func relay(first: String, rest: AsyncStream<StreamEvent>, turn: Task<Void, Never>, model: String,
                      includeUsage: Bool) -> Response {
        let id = RuntimeID.make("chatcmpl-"), created = Int(Date().timeIntervalSince1970)
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            let encoder = JSONBody.encoder()
            func event(_ chunk: ChatCompletionChunkView) -> ByteBuffer {
                ByteBuffer(string: "data: " + String(decoding: (try? encoder.encode(chunk)) ?? Data("{}".utf8), as: UTF8.self) + "\n\n")
            }
            // The first piece was read by the handler; this iterator takes the rest.
            var iterator = rest.makeAsyncIterator()
            var streamed = first
            do {
                try await writer.write(event(ChatCompletionChunkView(id: id, created: created, model: model, content: "", role: "assistant")))
                try await writer.write(event(ChatCompletionChunkView(id: id, created: created, model: model, content: first)))
                while let next = await iterator.next() {
                    switch next {
                    case .delta(let piece):
                        streamed += piece
                        try await writer.write(event(ChatCompletionChunkView(id: id, created: created, model: model, content: piece)))
                    case .finished(let result):
                        switch result.outcome {
                        case .success(let reply):
                            if reply.reply != streamed {
                                let rest = reply.reply.hasPrefix(streamed) ? String(reply.reply.dropFirst(streamed.count)) : "\n\n" + reply.reply
                                try await writer.write(event(ChatCompletionChunkView(id: id, created: created, model: model, content: rest)))
                            }
                            try await writer.write(event(ChatCompletionChunkView(id: id, created: created, model: model, finishReason: "stop",
                                                                                 nectar: NectarView(reply))))
                            if includeUsage {
                                try await writer.write(event(ChatCompletionChunkView(id: id, created: created, model: model, usage: Usage(reply))))
                            }
                        case .failure(let failure):
                            let error = OpenAIError(APIError(failure))
                            let body = OpenAIError.Body(error: .init(message: error.message, type: error.type, code: error.code))
                            try await writer.write(ByteBuffer(string: "data: " + String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self) + "\n\n"))
                        }
                    }
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            } catch {
                turn.cancel()
                throw error
            }
        })
    }

    /// A reply in word-sized pieces (each with the spacing that follows it).
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " || character == "\n" {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
