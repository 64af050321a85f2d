import Foundation

extension ChatEngine {
    /// A conversation ready for a turn.
    struct OpenConversation {
        var record: ConversationRecord
        var history: [ChatMessage]
        var isNew: Bool
        var count: Int
    }

    /// The conversation a request continues (it must be this bot's, opened
    /// the same way), or a new one. Unknown and foreign ids are the same 404.
    func conversation(_ request: ChatRequest, caller: Caller, at: Date) async throws -> OpenConversation {
        guard let id = request.conversationID else {
            let record = ConversationRecord(id: RuntimeID.make("conv_"), bot: caller.bot.name, channel: caller.channel,
                                            keyID: caller.key?.id, clientHash: caller.isPublic ? caller.clientHash : nil, createdAt: at)
            return OpenConversation(record: record, history: [], isNew: true, count: 0)
        }
        let missing = ChatFailure.notFound("there is no conversation \(id) for this bot")
        guard RuntimeID.isWellFormed(id, prefix: "conv_") else { throw missing }
        if let entry = conversations.entry(id) {
            guard entry.record.bot == caller.bot.name, entry.record.channel == caller.channel else { throw missing }
            return OpenConversation(record: entry.record, history: entry.recent, isNew: false, count: entry.count)
        }
        guard let record = try await store.conversation(id), record.bot == caller.bot.name, record.channel == caller.channel else {
            throw missing
        }
        let recent = try await store.messages(of: id, last: 100)
        conversations.remember(record, recent: recent, count: recent.count)
        return OpenConversation(record: record, history: recent, isNew: false, count: recent.count)
    }

    /// Asks the responder and hands the two messages and the usage row to the writer.
    func answer(_ request: ChatRequest, caller: Caller, conversation: OpenConversation, at: Date) async throws -> ChatReply {
        let spec = caller.bot.spec
        let memory = Array((request.history ?? conversation.history).suffix(spec.maxConversationLength))
        let answer = try await responder.answer(ResponderQuestion(bot: spec, text: request.message, history: memory))
        let user = ChatMessage(id: RuntimeID.make("msg_"), role: .user, text: request.message, at: at)
        let reply = ChatMessage(id: RuntimeID.make("msg_"), role: .assistant, text: answer.reply, at: now(),
                                confidence: answer.confidence, sources: answer.sources)
        _ = conversations.append([user, reply], to: conversation.record, knownCount: conversation.count)
        let outcome: UsageRecord.Outcome = answer.kind == .notSure ? .lowConfidence : .answered
        let id = conversation.record.id
        writer.enqueue { batch in
            if conversation.isNew { batch.conversations.append(conversation.record) }
            batch.messages.append((id, 0, user))
            batch.messages.append((id, 0, reply))
            if let key = caller.key { batch.keyUses[key.id] = at }
        }
        record(request, caller: caller, conversation: id, outcome: outcome, answer: answer, at: at)
        return ChatReply(bot: caller.bot.name, conversationID: id, messageID: reply.id, reply: answer.reply,
                         confidence: answer.confidence, sources: answer.sources, promptTokens: answer.promptTokens,
                         completionTokens: answer.completionTokens, createdAt: reply.at)
    }

    /// The usage row and metrics of one exchange.
    func record(_ request: ChatRequest, caller: Caller, conversation: String?, outcome: UsageRecord.Outcome,
                answer: ResponderAnswer?, at: Date) {
        let elapsed = ContinuousClock.now - request.receivedAt
        caller.bot.metrics.record(outcome, nanoseconds: elapsed.inNanoseconds)
        let usage = UsageRecord(at: at, bot: caller.bot.name, route: request.route.rawValue, keyID: caller.key?.id,
                                clientHash: caller.isPublic ? caller.clientHash : nil, conversationID: conversation,
                                outcome: outcome, latencyMilliseconds: elapsed.inSeconds * 1000, confidence: answer?.confidence,
                                knowledgeHit: !(answer?.sources.isEmpty ?? true), promptTokens: answer?.promptTokens ?? 0,
                                completionTokens: answer?.completionTokens ?? 0,
                                question: outcome == .lowConfidence ? String(request.message.prefix(500)) : nil)
        writer.enqueue { $0.usage.append(usage) }
    }
}
