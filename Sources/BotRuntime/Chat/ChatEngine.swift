import Crypto
import Foundation
import Logging
import Synchronization

/// A chat turn from request to reply: authenticate from memory, check the
/// bot's state, resolve the conversation, count the request against its
/// budget, ask the responder, and hand the messages and usage to the
/// writer. Plain values in and out; no HTTP.
public final class ChatEngine: Sendable {
    let directory: BotDirectory
    let store: any RuntimeStateStore
    let limiter: RateLimiter
    let writer: RuntimeWriter
    let conversations: ConversationCache
    let responder: any Responder
    /// The `openai` responder, when the daemon defines model endpoints.
    let modelResponder: (any Responder)?
    let metrics: ChatMetrics
    /// Open handoffs, operators' actions and the SLA timer.
    public let handoffs: HandoffDesk
    private let salt = Mutex("")
    let logger: Logger
    public let now: @Sendable () -> Date

    public init(directory: BotDirectory, store: any RuntimeStateStore, limiter: RateLimiter, writer: RuntimeWriter,
                responder: any Responder, modelResponder: (any Responder)? = nil, metrics: ChatMetrics, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.modelResponder = modelResponder
        self.directory = directory
        self.store = store
        self.limiter = limiter
        self.writer = writer
        self.responder = responder
        self.metrics = metrics
        self.logger = logger
        self.now = now
        let conversations = ConversationCache()
        self.conversations = conversations
        handoffs = HandoffDesk(store: store, writer: writer, conversations: conversations, directory: directory, logger: logger, now: now)
    }

    /// Answers one message.
    public func chat(_ request: ChatRequest) async -> ChatResult {
        let caller: Caller
        do {
            caller = try await resolve(request)
        } catch let failure as ChatFailure {
            return ChatResult(outcome: .failure(failure), rate: nil)
        } catch {
            return ChatResult(outcome: .failure(.internalFailure("the request failed inside nectar; the server log has details")), rate: nil)
        }
        let at = now()
        let rate = limiter.status(caller.scope, limits: caller.bot.spec.rateLimits, at: at)
        do {
            let conversation = try await self.conversation(request, caller: caller, at: at)
            switch limiter.acquire(caller.scope, limits: caller.bot.spec.rateLimits, at: at) {
            case .refused(let status):
                record(request, caller: caller, conversation: conversation.record.id, outcome: .rateLimited, answer: nil, at: at)
                metrics.rateLimited.increment()
                let window = status.limit == caller.bot.spec.rateLimits.perDay && status.remaining == 0 ? "day" : "hour"
                return ChatResult(outcome: .failure(.rateLimited(
                    "bot \(caller.bot.name) has used its \(status.limit) requests this \(window)\(caller.isPublic ? " for this client" : ""); retry in \(status.resetSeconds) s")),
                    rate: status)
            case .allowed(let status):
                let reply = try await answer(request, caller: caller, conversation: conversation, at: at)
                return ChatResult(outcome: .success(reply), rate: status)
            }
        } catch let failure as ChatFailure {
            // A model endpoint's failure is counted like any failed answer.
            if case .upstream = failure {
                record(request, caller: caller, conversation: request.conversationID, outcome: .error, answer: nil, at: at)
            }
            return ChatResult(outcome: .failure(failure), rate: rate)
        } catch is CancellationError {
            // The client of a streamed answer went away; the turn is recorded.
            record(request, caller: caller, conversation: request.conversationID, outcome: .error, answer: nil, at: at)
            return ChatResult(outcome: .failure(.internalFailure("the client went away")), rate: rate)
        } catch {
            logger.error("chat turn failed", metadata: ["bot": "\(caller.bot.name)", "error": "\(error)"])
            record(request, caller: caller, conversation: request.conversationID, outcome: .error, answer: nil, at: at)
            return ChatResult(outcome: .failure(.internalFailure("the bot could not answer; the server log has details")), rate: rate)
        }
    }

    /// Who is asking, of which bot, and what budget they count against.
    struct Caller {
        var bot: LiveBot
        var key: LiveKey?
        var clientHash: String
        var isPublic: Bool { key == nil }
        var scope: String { key == nil ? "client:\(bot.name):\(clientHash)" : "bot:\(bot.name)" }
        var channel: ConversationRecord.Channel { key == nil ? .public : .key }
    }

    /// Authenticates and finds the bot; every refusal is one sentence.
    func resolve(_ request: ChatRequest) async throws -> Caller {
        let snapshot: BotDirectory.Snapshot
        do {
            snapshot = try await directory.snapshot()
        } catch {
            logger.error("the bot directory could not be read", metadata: ["error": "\(error.description)"])
            throw ChatFailure.internalFailure("the database is unavailable; the server log has details")
        }
        var key: LiveKey?
        if request.route != .public, let credential = request.credential {
            guard let digest = KeyDigest(presented: credential) else {
                throw ChatFailure.unauthorized("the API key is malformed (a nectar key is nb_ followed by 36 letters and digits)")
            }
            guard let found = snapshot.key(digest), found.isValid(at: now()) else {
                throw ChatFailure.unauthorized("the API key is not valid: unknown, revoked, or rotated out and past its grace period")
            }
            guard found.bot == request.bot else { throw ChatFailure.forbidden("this API key may not be used with this bot") }
            key = found
        }
        guard let bot = snapshot.bots[request.bot], bot.spec.status != .inactive else {
            throw ChatFailure.notFound("there is no bot named \(request.bot)")
        }
        if key == nil {
            guard bot.spec.visibility == .public, request.route != .openAI else {
                if request.route == .public { throw ChatFailure.notFound("there is no public bot named \(request.bot)") }
                throw ChatFailure.unauthorized("bot \(request.bot) needs an API key (Authorization: Bearer nb_… or X-API-Key: nb_…)")
            }
        }
        if let pausedAt = bot.pausedAt {
            let reason = bot.pausedReason.map { ": \($0)" } ?? ""
            throw ChatFailure.unavailable("bot \(bot.name) was paused by an operator at \(pausedAt.formatted(.iso8601))\(reason)",
                                          retryAfter: 60)
        }
        if bot.spec.status == .maintenance {
            throw ChatFailure.unavailable("bot \(bot.name) is in maintenance; try again later", retryAfter: 300)
        }
        // A model-backed bot needs the daemon's model endpoints; answering it
        // from the knowledge index instead would pass off another bot as it.
        if bot.spec.model.provider == .openai, modelResponder == nil {
            throw ChatFailure.unavailable(
                "bot \(bot.name) answers with model endpoint \(bot.spec.model.endpoint ?? "?"), and this daemon defines no model endpoints (models.endpoints)",
                retryAfter: 300)
        }
        return Caller(bot: bot, key: key, clientHash: key == nil ? clientHash(request.clientAddress) : "")
    }

    /// Sets the secret salt of client-address hashes (kept in the store, so
    /// a client keeps its hash, and its public budget, across restarts).
    public func setClientHashSalt(_ value: String) {
        salt.withLock { $0 = value }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A salted SHA-256 of a client address: what usage rows and budgets keep.
    func clientHash(_ address: String) -> String {
        let digest = SHA256.hash(data: Array((salt.withLock { $0 } + address).utf8))
        var hex: [UInt8] = []
        hex.reserveCapacity(24)
        for byte in digest.prefix(12) {
            hex.append(Self.hexDigits[Int(byte >> 4)])
            hex.append(Self.hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
