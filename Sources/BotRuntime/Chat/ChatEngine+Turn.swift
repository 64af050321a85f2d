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
            let record = ConversationRecord(id: RuntimeID.makeOrdered("conv_"), bot: caller.bot.name, channel: caller.channel,
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

    /// Answers a message: quietly while a person has the conversation, with
    /// a handoff when a trigger fires, else with the responder's answer.
    func answer(_ request: ChatRequest, caller: Caller, conversation: OpenConversation, at: Date) async throws -> ChatReply {
        let spec = caller.bot.spec
        let id = conversation.record.id
        let open = conversation.isNew ? nil : handoffs.open(conversation: id)
        // Triggers are looked for only when they can matter.
        let text = spec.handoff.enabled ? MatchText(request.message) : nil
        let early = text.flatMap { caller.bot.handoffMatcher.beforeAnswer($0) }
        if let open {
            return try await quietTurn(request, caller: caller, conversation: conversation, open: open, trigger: early, text: text,
                                       at: at)
        }
        if let early, let text {
            return try await handOff(request, caller: caller, conversation: conversation, trigger: early, text: text, answer: nil,
                                     at: at)
        }
        let memory = Array((request.history ?? conversation.history).suffix(spec.maxConversationLength))
        let responder = spec.model.provider == .openai ? (modelResponder ?? self.responder) : self.responder
        var question = ResponderQuestion(bot: spec, text: request.message, history: memory)
        question.onDelta = request.onDelta
        let answer = try await responder.answer(question)
        if let late = HandoffTriggers.afterAnswer(answer, rules: spec.handoff), let text {
            return try await handOff(request, caller: caller, conversation: conversation, trigger: late, text: text, answer: answer,
                                     at: at)
        }
        let user = ChatMessage(id: RuntimeID.makeOrdered("msg_"), role: .user, text: request.message, at: at)
        let reply = ChatMessage(id: RuntimeID.makeOrdered("msg_"), role: .assistant, text: answer.reply, at: now(),
                                confidence: answer.confidence, sources: answer.sources)
        let pending = conversations.appendCollectingOperatorMessages([user, reply], to: conversation.record, knownCount: conversation.count,
                                                                     history: conversation.history)
        let outcome: UsageRecord.Outcome = answer.kind == .notSure ? .lowConfidence : .answered
        writer.enqueue { batch in
            if conversation.isNew { batch.conversations.append(conversation.record) }
            batch.messages.append((id, 0, user))
            batch.messages.append((id, 0, reply))
            if let key = caller.key { batch.keyUses[key.id] = at }
        }
        record(request, caller: caller, conversation: id, outcome: outcome, answer: answer, at: at)
        return ChatReply(bot: caller.bot.name, conversationID: id, messageID: reply.id, reply: answer.reply,
                         confidence: answer.confidence, sources: answer.sources, promptTokens: answer.promptTokens,
                         completionTokens: answer.completionTokens, createdAt: reply.at, operatorMessages: pending)
    }

    /// What nectar tells the user when a person takes over.
    static func handoffNotice(_ trigger: HandoffTrigger) -> String {
        switch trigger.reason {
        case .lowConfidence:
            "I'm not sure I can answer that well, so I've asked a person from our team to help. They will answer here."
        case .model:
            "I've asked a person from our team to help with this. They will answer here."
        case .keyword, .explicitRequest:
            "I've asked a person from our team to take over. They will answer here."
        }
    }

    /// What nectar tells the user while a person has the conversation.
    static let quietNotice = "A person from our team has this conversation and will answer here."

    /// A trigger fired: the message, nectar's notice and the handoff are
    /// written in one transaction, after the rows buffered before them.
    func handOff(_ request: ChatRequest, caller: Caller, conversation: OpenConversation, trigger: HandoffTrigger, text: MatchText,
                 answer: ResponderAnswer?, at: Date) async throws -> ChatReply {
        let user = ChatMessage(id: RuntimeID.makeOrdered("msg_"), role: .user, text: request.message, at: at)
        let notice = ChatMessage(id: RuntimeID.makeOrdered("msg_"), role: .system, text: Self.handoffNotice(trigger), at: now())
        let opened = try await openHandoff(caller: caller, conversation: conversation, messages: [user, notice], trigger: trigger,
                                           text: text, at: at)
        let pending = conversations.appendCollectingOperatorMessages([user, notice], to: conversation.record,
                                                                     knownCount: conversation.count, history: conversation.history)
        if let key = caller.key { writer.enqueue { $0.keyUses[key.id] = at } }
        record(request, caller: caller, conversation: conversation.record.id, outcome: .handedOff, answer: answer, at: at)
        if opened.created {
            logger.info("handoff opened", metadata: ["handoff": "\(opened.handoff.id)", "bot": "\(caller.bot.name)",
                                                     "reason": "\(trigger.reason.rawValue)", "urgency": "\(opened.handoff.urgency.rawValue)"])
        }
        return ChatReply(bot: caller.bot.name, conversationID: conversation.record.id, messageID: notice.id, reply: notice.text,
                         confidence: answer?.confidence ?? 0, sources: [], promptTokens: answer?.promptTokens ?? 0,
                         completionTokens: answer?.completionTokens ?? 0, createdAt: notice.at, handoff: opened.handoff.summary,
                         operatorMessages: pending)
    }

    /// Opens a handoff (or adds the trigger to the open one) with the turn's
    /// messages, in one transaction after the rows buffered before them.
    func openHandoff(caller: Caller, conversation: OpenConversation, messages: [ChatMessage], trigger: HandoffTrigger,
                     text: MatchText, at: Date) async throws -> HandoffOpened {
        try await writer.flush()
        return try await store.openHandoff(HandoffOpening(
            conversation: conversation.record, isNewConversation: conversation.isNew, messages: messages, trigger: trigger,
            urgency: caller.bot.handoffMatcher.urgency(text), sla: caller.bot.spec.handoff.sla, newID: RuntimeID.make("hof_"), at: at))
    }

    /// A person has the conversation: the message goes to the handoff's
    /// thread, and the reply is what operators wrote since the user's last
    /// message, or a notice that a person will answer. Another trigger is
    /// added to the open handoff (and may raise its urgency).
    func quietTurn(_ request: ChatRequest, caller: Caller, conversation: OpenConversation, open: HandoffSummary,
                   trigger: HandoffTrigger?, text: MatchText?, at: Date) async throws -> ChatReply {
        let id = conversation.record.id
        let seen = conversations.pendingOperatorMessages(id) ?? ConversationCache.operatorMessagesSinceLastUser(conversation.history)
        let user = ChatMessage(id: RuntimeID.makeOrdered("msg_"), role: .user, text: request.message, at: at)
        let notice = seen.isEmpty ? ChatMessage(id: RuntimeID.makeOrdered("msg_"), role: .system, text: Self.quietNotice, at: now()) : nil
        let messages = [user] + (notice.map { [$0] } ?? [])
        var summary = open
        if let trigger, let text {
            let opened = try await openHandoff(caller: caller, conversation: conversation, messages: messages, trigger: trigger,
                                               text: text, at: at)
            summary = opened.handoff.summary
        } else {
            writer.enqueue { batch in
                for message in messages { batch.messages.append((id, 0, message)) }
            }
        }
        // A reply that arrived meanwhile is returned too (the notice, if
        // one was written, is then in the transcript for nothing).
        let pending = conversations.appendCollectingOperatorMessages(messages, to: conversation.record, knownCount: conversation.count,
                                                                     history: conversation.history)
        if let key = caller.key { writer.enqueue { $0.keyUses[key.id] = at } }
        record(request, caller: caller, conversation: id, outcome: .handedOff, answer: nil, at: at)
        let reply = pending.isEmpty ? Self.quietNotice : pending.map(\.text).joined(separator: "\n\n")
        return ChatReply(bot: caller.bot.name, conversationID: id, messageID: pending.last?.id ?? notice?.id ?? user.id, reply: reply,
                         confidence: 0, sources: [], promptTokens: 0, completionTokens: 0, createdAt: pending.last?.at ?? notice?.at ?? at,
                         handoff: summary, operatorMessages: pending)
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
