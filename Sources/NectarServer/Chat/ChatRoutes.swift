import BotRuntime
import Foundation
import Hummingbird

/// The chat API: `POST /v1/bots/{name}/chat`, `POST /v1/public/{slug}/chat`,
/// `GET /v1/conversations/{id}` and `GET /v1/public/{slug}/conversations/{id}`.
struct ChatRoutes: Sendable {
    let engine: ChatEngine
    let proxies: TrustedProxies

    /// The largest chat request body.
    static let maxBodyBytes = 64 * 1024

    func add(to router: Router<NectarRequestContext>) {
        let engine = self.engine, proxies = self.proxies
        router.post("v1/bots/:name/chat") { request, context in
            try await Self.chat(request, context: context, route: .chat, bot: try context.parameters.require("name"),
                                engine: engine, proxies: proxies)
        }
        router.post("v1/public/:slug/chat") { request, context in
            try await Self.chat(request, context: context, route: .public, bot: try context.parameters.require("slug"),
                                engine: engine, proxies: proxies)
        }
        router.get("v1/conversations/:id") { request, context in
            let credential = try Credential.presented(in: request)
            let result = await engine.transcript(try context.parameters.require("id"), credential: credential, publicBot: nil,
                                                 clientAddress: proxies.client(of: request, context: context))
            return try Self.respond(result.map(TranscriptView.init), rate: nil)
        }
        router.get("v1/public/:slug/conversations/:id") { request, context in
            let result = await engine.transcript(try context.parameters.require("id"), credential: nil,
                                                 publicBot: try context.parameters.require("slug"),
                                                 clientAddress: proxies.client(of: request, context: context))
            return try Self.respond(result.map(TranscriptView.init), rate: nil)
        }
    }

    static func chat(_ request: Request, context: NectarRequestContext, route: ChatRoute, bot: String, engine: ChatEngine,
                     proxies: TrustedProxies) async throws -> Response {
        let started = ContinuousClock.now
        let credential = try Credential.presented(in: request)
        let body = try await RequestJSON.decode(ChatRequestBody.self, from: request, limit: maxBodyBytes)
        let message = try RequestJSON.message(body.message, field: "message")
        let result = await engine.chat(ChatRequest(route: route, bot: bot, credential: credential,
                                                   clientAddress: proxies.client(of: request, context: context), message: message,
                                                   conversationID: body.conversationId, receivedAt: started))
        return try respond(result.outcome.map(ChatReplyView.init), rate: result.rate)
    }

    /// A JSON answer or error, with the `RateLimit-*` headers when the budget is known.
    static func respond(_ outcome: Result<some Encodable, ChatFailure>, rate: RateStatus?) throws -> Response {
        switch outcome {
        case .success(let value):
            var response = JSONBody.response(value)
            if let rate { response.headers.append(contentsOf: RateHeaders.fields(rate)) }
            return response
        case .failure(let failure):
            var error = APIError(failure)
            if let rate { error.headers.append(contentsOf: RateHeaders.fields(rate, refused: failure.isRateLimited)) }
            throw error
        }
    }
}

/// The API key a request presents: `Authorization: Bearer nb_…` or `X-API-Key: nb_…`.
enum Credential {
    static func presented(in request: Request) throws -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError.unauthorized("the Authorization header must be Bearer followed by an API key")
            }
            return trimmed(parts[1])
        }
        return request.headers[apiKeyHeader].map { trimmed($0[...]) }
    }

    /// The text without surrounding spaces and tabs.
    private static func trimmed(_ text: Substring) -> String {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }

    /// `X-API-Key` (a valid header name, checked once).
    static let apiKeyHeader = HTTPFields.Element.Name("X-API-Key")!
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (and
/// `Retry-After` on a refusal), as the IETF RateLimit header draft names them.
enum RateHeaders {
    typealias Name = HTTPFields.Element.Name
    // Valid header-name tokens, checked once at startup.
    static let limit = Name("RateLimit-Limit")!
    static let remaining = Name("RateLimit-Remaining")!
    static let reset = Name("RateLimit-Reset")!

    static func fields(_ status: RateStatus, refused: Bool = false) -> HTTPFields {
        var fields: HTTPFields = [
            limit: String(status.limit),
            remaining: String(status.remaining),
            reset: String(status.resetSeconds),
        ]
        if refused { fields[.retryAfter] = String(status.resetSeconds) }
        return fields
    }
}

extension TrustedProxies {
    /// The client of a request: its socket peer, or what a trusted proxy says.
    func client(of request: Request, context: NectarRequestContext) -> String {
        client(peer: context.peerAddress, forwardedFor: request.headers[Self.forwardedFor])
    }

    /// `X-Forwarded-For` (a valid header name, checked once).
    static let forwardedFor = HTTPFields.Element.Name("X-Forwarded-For")!
}

extension ChatFailure {
    var isRateLimited: Bool {
        if case .rateLimited = self { return true }
        return false
    }
}

extension APIError {
    /// A chat failure as an HTTP error.
    init(_ failure: ChatFailure) {
        switch failure {
        case .unauthorized(let message): self = .unauthorized(message)
        case .forbidden(let message): self = .forbidden(message)
        case .notFound(let message): self = .notFound(message)
        case .invalid(let message): self = .badRequest(message)
        case .rateLimited(let message): self = APIError(.tooManyRequests, code: "rate_limited", message: message)
        case .unavailable(let message, let retryAfter):
            self = APIError(.serviceUnavailable, code: "bot_unavailable", message: message, headers: [.retryAfter: String(retryAfter)])
        case .internalFailure(let message): self = APIError(.serviceUnavailable, code: "unavailable", message: message)
        case .upstream(let message, let timedOut):
            self = timedOut ? APIError(.gatewayTimeout, code: "model_timeout", message: message)
                : APIError(.badGateway, code: "model_unavailable", message: message)
        }
    }
}
