import Foundation

/// What answers a bot's messages: the embedded `knowledge` responder, or a
/// model endpoint (`openai`).
public protocol Responder: Sendable {
    func answer(_ question: ResponderQuestion) async throws -> ResponderAnswer
}

/// A question to answer, with the conversation so far.
public struct ResponderQuestion: Sendable {
    public var bot: BotSpec
    public var text: String
    /// Earlier messages, oldest first, already cut to the bot's memory.
    public var history: [ChatMessage]
    /// For streaming: each piece of the answer as it is made.
    public var onDelta: (@Sendable (String) async throws -> Void)?

    public init(bot: BotSpec, text: String, history: [ChatMessage]) {
        self.bot = bot
        self.text = text
        self.history = history
    }
}

/// An answer, with how sure the responder is and where it came from.
public struct ResponderAnswer: Sendable {
    /// What kind of answer it is.
    public enum Kind: String, Sendable {
        /// An answer from knowledge (or a model) at or above the bot's threshold.
        case answer
        /// Below the threshold: the bot says it is not sure.
        case notSure
        /// A greeting, thanks or goodbye, answered without a search.
        case smallTalk
    }

    public var reply: String
    /// In [0, 1].
    public var confidence: Double
    public var sources: [ChatSource]
    public var kind: Kind
    public var promptTokens: Int
    public var completionTokens: Int
    /// A model asked for a person (its `request_human_handoff` tool), with its reason.
    public var handoffRequest: String?
    /// The model endpoint failed and the knowledge responder answered instead.
    public var fallback = false

    public init(reply: String, confidence: Double, sources: [ChatSource], kind: Kind, promptTokens: Int, completionTokens: Int,
                handoffRequest: String? = nil) {
        self.handoffRequest = handoffRequest
        self.reply = reply
        self.confidence = confidence
        self.sources = sources
        self.kind = kind
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// A rough token count (four bytes of UTF-8 a token), for responders
    /// that have no tokenizer.
    public static func estimatedTokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }
}
