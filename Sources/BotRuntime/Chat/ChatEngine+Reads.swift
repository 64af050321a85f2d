import Foundation

extension ChatEngine {
    /// A conversation's transcript: for a key of its bot (`publicBot` nil),
    /// or through its public bot's route. Anything else is a 404.
    public func transcript(_ id: String, credential: String?, publicBot: String?, clientAddress: String,
                           limit: Int = 1000) async -> Result<Transcript, ChatFailure> {
        let missing = ChatFailure.notFound("there is no conversation \(id) for this bot")
        do {
            let caller: Caller
            if let publicBot {
                caller = try await resolve(ChatRequest(route: .public, bot: publicBot, credential: nil, clientAddress: clientAddress,
                                                       message: ""))
            } else {
                guard let credential else {
                    throw ChatFailure.unauthorized("an API key is required (Authorization: Bearer nb_… or X-API-Key: nb_…)")
                }
                guard let bot = try await keyBot(credential) else { throw missing }
                caller = try await resolve(ChatRequest(route: .chat, bot: bot, credential: credential, clientAddress: clientAddress,
                                                       message: ""))
            }
            guard RuntimeID.isWellFormed(id, prefix: "conv_") else { throw missing }
            // Messages of the last moments may still be on their way to the store.
            try await writer.flush()
            guard let record = try await store.conversation(id), record.bot == caller.bot.name, record.channel == caller.channel else {
                throw missing
            }
            return .success(Transcript(conversation: record, messages: try await store.messages(of: id, last: limit)))
        } catch let failure as ChatFailure {
            return .failure(failure)
        } catch {
            logger.error("reading a transcript failed", metadata: ["error": "\(error)"])
            return .failure(.internalFailure("the database is unavailable; the server log has details"))
        }
    }

    /// The bots a key may use (its own bot, while it serves).
    public func models(credential: String?) async -> Result<[BotSpec], ChatFailure> {
        guard let credential else {
            return .failure(.unauthorized("an API key is required (Authorization: Bearer nb_… or X-API-Key: nb_…)"))
        }
        do {
            guard let bot = try await keyBot(credential) else { return .success([]) }
            let snapshot = try await directory.snapshot()
            guard let live = snapshot.bots[bot], live.spec.status != .inactive else { return .success([]) }
            return .success([live.spec])
        } catch let failure as ChatFailure {
            return .failure(failure)
        } catch {
            return .failure(.internalFailure("the database is unavailable; the server log has details"))
        }
    }

    /// The bot a valid key belongs to (401 for a key that is not valid).
    private func keyBot(_ credential: String) async throws -> String? {
        let snapshot: BotDirectory.Snapshot
        do {
            snapshot = try await directory.snapshot()
        } catch {
            throw ChatFailure.internalFailure("the database is unavailable; the server log has details")
        }
        guard let digest = KeyDigest(presented: credential) else {
            throw ChatFailure.unauthorized("the API key is malformed (a nectar key is nb_ followed by 36 letters and digits)")
        }
        guard let key = snapshot.key(digest), key.isValid(at: now()) else {
            throw ChatFailure.unauthorized("the API key is not valid: unknown, revoked, or rotated out and past its grace period")
        }
        return key.bot
    }
}
