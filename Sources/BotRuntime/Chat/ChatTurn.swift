import Foundation

/// How a chat request reached nectar, which decides how it authenticates
/// and which conversations it may continue.
public enum ChatRoute: String, Sendable, Hashable {
    /// `POST /v1/bots/{name}/chat`: with a key (a public bot also without).
    case chat
    /// `POST /v1/public/{slug}/chat`: a public bot, no key, limited per client.
    case `public`
    /// `POST /v1/chat/completions`: with a key; the bot is the `model`.
    case openAI = "openai"
}

/// One user message to a bot.
public struct ChatRequest: Sendable {
    public var route: ChatRoute
    public var bot: String
    /// The presented API key (`Authorization: Bearer` or `X-API-Key`), if any.
    public var credential: String?
    /// The client's address (the socket peer, or a trusted proxy's `X-Forwarded-For`).
    public var clientAddress: String
    public var message: String
    /// A conversation to continue; nil opens a new one.
    public var conversationID: String?
    /// For the OpenAI route: the earlier messages the client sent, oldest first.
    public var history: [ChatMessage]?
    /// When the request arrived, for latency.
    public var receivedAt: ContinuousClock.Instant
    /// Called with each piece of a model's answer as it arrives (streaming);
    /// throwing (the client went away) stops the model's answer.
    public var onDelta: (@Sendable (String) async throws -> Void)?

    public init(route: ChatRoute, bot: String, credential: String?, clientAddress: String, message: String,
                conversationID: String? = nil, history: [ChatMessage]? = nil, receivedAt: ContinuousClock.Instant = .now) {
        self.route = route
        self.bot = bot
        self.credential = credential
        self.clientAddress = clientAddress
        self.message = message
        self.conversationID = conversationID
        self.history = history
        self.receivedAt = receivedAt
    }
}

/// A bot's answer to one message.
public struct ChatReply: Sendable {
    public var bot: String
    public var conversationID: String
    public var messageID: String
    public var reply: String
    public var confidence: Double
    public var sources: [ChatSource]
    public var promptTokens: Int
    public var completionTokens: Int
    public var createdAt: Date
    /// The conversation's open handoff: a person has it, the bot is quiet.
    public var handoff: HandoffSummary? = nil
    /// Operators' replies the client has not been given yet (those written
    /// since its previous message), oldest first.
    public var operatorMessages: [ChatMessage] = []
}

/// Why a chat request was not answered, in the caller's terms.
public enum ChatFailure: Error, Sendable, Equatable {
    /// No key where one is needed, or one that does not authenticate (401).
    case unauthorized(String)
    /// A valid key of another bot (403, without saying which).
    case forbidden(String)
    /// No such bot, or conversation, for this caller (404).
    case notFound(String)
    /// The bot is paused or in maintenance (503 with Retry-After).
    case unavailable(String, retryAfter: Int)
    /// Over the bot's (or the client's) budget (429).
    case rateLimited(String)
    /// The request itself is wrong (400), naming the field.
    case invalid(String)
    /// The database or the responder failed (503 / 502); the log has details.
    case internalFailure(String)
    /// A model endpoint failed (502) or did not answer in time (504).
    case upstream(String, timedOut: Bool)

    /// The sentence for the caller.
    public var message: String {
        switch self {
        case .unauthorized(let text), .forbidden(let text), .notFound(let text), .unavailable(let text, _),
             .rateLimited(let text), .invalid(let text), .internalFailure(let text), .upstream(let text, _):
            text
        }
    }
}

/// The outcome of a chat request, with the budget the `RateLimit-*`
/// headers report once the bot is known.
public struct ChatResult: Sendable {
    public var outcome: Result<ChatReply, ChatFailure>
    public var rate: RateStatus?
}

/// A conversation's messages, for `GET /v1/conversations/{id}`.
public struct Transcript: Sendable {
    public var conversation: ConversationRecord
    public var messages: [ChatMessage]
}
