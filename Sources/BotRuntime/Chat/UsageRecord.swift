import Foundation

/// One exchange, as analytics count it: written off the request path, in batches.
public struct UsageRecord: Sendable, Hashable {
    /// How an exchange ended.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// Answered at or above the bot's confidence threshold.
        case answered
        /// Answered below it: the bot said it was not sure.
        case lowConfidence = "low-confidence"
        /// Refused by a rate limit.
        case rateLimited = "rate-limited"
        /// A handoff is open: the message went to a person.
        case handedOff = "handed-off"
        /// The responder failed.
        case error
    }

    public var at: Date
    public var bot: String
    /// `chat`, `public`, `openai`.
    public var route: String
    public var keyID: String?
    public var clientHash: String?
    public var conversationID: String?
    public var outcome: Outcome
    public var latencyMilliseconds: Double
    public var confidence: Double?
    /// Whether a passage of the bot's honey jars was quoted.
    public var knowledgeHit: Bool
    public var promptTokens: Int
    public var completionTokens: Int
    /// The question, kept only for low-confidence answers (the analytics'
    /// "top unanswered questions").
    public var question: String?

    public init(at: Date, bot: String, route: String, keyID: String?, clientHash: String?, conversationID: String?,
                outcome: Outcome, latencyMilliseconds: Double, confidence: Double?, knowledgeHit: Bool,
                promptTokens: Int = 0, completionTokens: Int = 0, question: String? = nil) {
        self.at = at
        self.bot = bot
        self.route = route
        self.keyID = keyID
        self.clientHash = clientHash
        self.conversationID = conversationID
        self.outcome = outcome
        self.latencyMilliseconds = latencyMilliseconds
        self.confidence = confidence
        self.knowledgeHit = knowledgeHit
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.question = question
    }
}
