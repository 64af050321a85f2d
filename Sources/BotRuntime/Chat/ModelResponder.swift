import Foundation
import Synchronization

/// An OpenAI-compatible endpoint of the daemon's configuration (never in git).
public struct ModelEndpoint: Sendable, Hashable {
    public var name: String
    /// E.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended.
    public var baseURL: String
    /// Sent as `Authorization: Bearer` (from the variable `apiKeyEnv` names).
    public var apiKey: String?
    public var timeout: Duration
    /// Requests in flight to it at most; more wait briefly, then get a 503.
    public var maxConcurrency: Int

    public init(name: String, baseURL: String, apiKey: String?, timeout: Duration, maxConcurrency: Int) {
        self.name = name
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
    }
}

/// One chat completion request to a model endpoint.
public struct ModelRequest: Sendable {
    public struct Message: Sendable, Hashable {
        public var role: String
        public var content: String
    }

    public var endpoint: ModelEndpoint
    public var model: String
    public var messages: [Message]
    /// Offer the `request_human_handoff(reason)` tool.
    public var offerHandoff: Bool
    public var temperature: Double?
    public var maxTokens: Int?
}

/// What the model answered.
public struct ModelCompletion: Sendable {
    public var content: String
    /// The reason given when the model called `request_human_handoff`.
    public var handoffReason: String?
    public var promptTokens: Int
    public var completionTokens: Int

    public init(content: String, handoffReason: String?, promptTokens: Int, completionTokens: Int) {
        self.content = content
        self.handoffReason = handoffReason
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// Why a model endpoint gave no answer, in one sentence without the
/// endpoint's URL or key.
public enum ModelFailure: Error, Sendable, Equatable {
    /// Refused, 429/5xx after a retry, or a malformed answer (502).
    case badGateway(String)
    /// No answer within the endpoint's timeout (504).
    case timeout(String)
    /// The endpoint's concurrency limit is reached (503 with Retry-After).
    case busy(String)
    /// The client of a streamed answer went away: the model's answer was stopped.
    case clientGone
}

/// Talks to OpenAI-compatible endpoints: the daemon's HTTP client, an
/// outside service the engine reaches through this protocol.
public protocol ModelClient: Sendable {
    /// The model's answer; with `onDelta`, streamed: each piece of content is
    /// handed over as it arrives (a failure before the first piece may be
    /// retried, one after it may not).
    func complete(_ request: ModelRequest, onDelta: (@Sendable (String) async throws -> Void)?) async throws(ModelFailure) -> ModelCompletion
}

/// The `openai` responder: the bot's system prompt, the best passages of its
/// honey jars (the knowledge responder's retrieval) with their sources and
/// instructions to answer from them, the conversation so far, the question;
/// sent to the bot's endpoint. Confidence comes from retrieval (0 when
/// nothing was found and the bot has honey jars).
public struct ModelResponder: Responder {
    static let passages = 3
    let index: KnowledgeIndex
    let client: any ModelClient
    let endpoints: [String: ModelEndpoint]

    public init(index: KnowledgeIndex, client: any ModelClient, endpoints: [ModelEndpoint]) {
        self.index = index
        self.client = client
        self.endpoints = Dictionary(endpoints.map { ($0.name, $0) }) { first, _ in first }
    }

    public func answer(_ question: ResponderQuestion) async throws -> ResponderAnswer {
        let bot = question.bot
        guard let name = bot.model.endpoint, let endpoint = endpoints[name] else {
            throw ChatFailure.unavailable("bot \(bot.name) names model endpoint \(bot.model.endpoint ?? "?"), which this daemon does not define (models.endpoints)",
                                          retryAfter: 300)
        }
        let retrieved = KnowledgeResponder.retrieve(question.text, jars: bot.honeyJars, index: index, limit: Self.passages)
        let smallTalk = SmallTalk.reply(to: question.text, bot: bot) != nil
        let confidence = smallTalk ? 1 : retrieved.first?.score ?? (bot.honeyJars.isEmpty ? 1 : 0)
        // Below the handoff threshold a person answers: decided before the
        // call, so no tokens are spent on an answer that would be replaced.
        if bot.handoff.enabled, confidence < bot.handoff.confidenceThreshold {
            return ResponderAnswer(reply: "", confidence: (confidence * 1000).rounded() / 1000, sources: [], kind: .notSure,
                                   promptTokens: 0, completionTokens: 0)
        }
        let streamed = Mutex(false)
        var question = question
        if let onDelta = question.onDelta {
            question.onDelta = { piece in
                streamed.withLock { $0 = true }
                try await onDelta(piece)
            }
        }
        let request = ModelRequest(endpoint: endpoint, model: bot.model.name ?? "", messages: Self.messages(question, passages: retrieved),
                                   offerHandoff: bot.handoff.enabled, temperature: bot.model.temperature, maxTokens: bot.model.maxTokens)
        let completion: ModelCompletion
        do {
            completion = try await client.complete(request, onDelta: question.onDelta)
        } catch {
            if error == .clientGone { throw CancellationError() }
            let failure: ChatFailure = switch error {
            case .badGateway(let message): .upstream("the model endpoint \(name) of bot \(bot.name) failed: \(message)", timedOut: false)
            case .timeout(let message): .upstream("the model endpoint \(name) of bot \(bot.name) did not answer in time: \(message)", timedOut: true)
            case .busy(let message): .unavailable("the model endpoint \(name) is busy: \(message)", retryAfter: 5)
            case .clientGone: .internalFailure("the client went away")
            }
            // The fallback answers only while nothing of the model's answer was sent.
            guard bot.model.fallback == .knowledge, case .upstream = failure, !streamed.withLock({ $0 }) else { throw failure }
            // The honey jars answer instead, and say so.
            var answer = try await KnowledgeResponder(index: index).answer(question)
            if answer.kind == .answer { answer.reply = Self.fallbackNotice + answer.reply }
            answer.fallback = true
            return answer
        }
        let reply = completion.content.isEmpty && completion.handoffReason != nil ? "" : completion.content
        return ResponderAnswer(reply: reply, confidence: (confidence * 1000).rounded() / 1000, sources: retrieved.map(\.source),
                               kind: smallTalk ? .smallTalk : .answer, promptTokens: completion.promptTokens, completionTokens: completion.completionTokens,
                               handoffRequest: completion.handoffReason)
    }

    static let fallbackNotice = "Our assistant is unavailable right now, so here is what our help pages say: "

    /// System prompt with passages and instructions, history, question.
    static func messages(_ question: ResponderQuestion, passages: [KnowledgeResponder.Retrieved]) -> [ModelRequest.Message] {
        var system = question.bot.systemPrompt.trimmingCharacters(in: .whitespacesAndNewlines)
        if !question.bot.honeyJars.isEmpty {
            system += system.isEmpty ? "" : "\n\n"
            if passages.isEmpty {
                system += "No passage of your knowledge base matches this question. Say that you do not know rather than guess."
            } else {
                system += "Answer from the passages below, and name the source you used. If they do not cover the question, say so instead of guessing.\n"
                for (index, passage) in passages.enumerated() {
                    system += "\n[\(index + 1)] \(passage.source.title) (\(passage.source.path))\n\(passage.source.excerpt)\n"
                }
            }
        }
        var messages: [ModelRequest.Message] = system.isEmpty ? [] : [.init(role: "system", content: system)]
        for message in question.history where message.role == .user || message.role == .assistant || message.role == .operator {
            messages.append(.init(role: message.role == .user ? "user" : "assistant", content: message.text))
        }
        messages.append(.init(role: "user", content: question.text))
        return messages
    }
}
