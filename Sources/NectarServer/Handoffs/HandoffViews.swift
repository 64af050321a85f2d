import BotRuntime
import Foundation

/// A handoff as the operator API shows it.
struct HandoffView: Encodable {
    var id: String
    var number: Int64
    var bot: String
    var conversationId: String
    var status: String
    var urgency: String
    var initialUrgency: String
    var reason: String
    var reasonDetail: String?
    var confidence: Double?
    var triggerMessageId: String
    var assignee: String?
    var escalated: Bool
    var slaDueAt: Date?
    var createdAt: Date
    var assignedAt: Date?
    var escalatedAt: Date?
    var resolvedAt: Date?
    var reopenedAt: Date?
    var resolvedBy: String?
    var resolutionNote: String?
    var updatedAt: Date

    init(_ handoff: Handoff) {
        id = handoff.id
        number = handoff.number
        bot = handoff.bot
        conversationId = handoff.conversationID
        status = handoff.status.rawValue
        urgency = handoff.urgency.rawValue
        initialUrgency = handoff.initialUrgency.rawValue
        reason = handoff.reason.rawValue
        reasonDetail = handoff.reasonDetail
        confidence = handoff.confidence
        triggerMessageId = handoff.triggerMessageID
        assignee = handoff.assignee
        escalated = handoff.escalated
        slaDueAt = handoff.slaDueAt
        createdAt = handoff.createdAt
        assignedAt = handoff.assignedAt
        escalatedAt = handoff.escalatedAt
        resolvedAt = handoff.resolvedAt
        reopenedAt = handoff.reopenedAt
        resolvedBy = handoff.resolvedBy
        resolutionNote = handoff.resolutionNote
        updatedAt = handoff.updatedAt
    }

    // Absent values are written as null, so every handoff has every field.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(id, forKey: "id")
        try container.encode(number, forKey: "number")
        try container.encode(bot, forKey: "bot")
        try container.encode(conversationId, forKey: "conversationId")
        try container.encode(status, forKey: "status")
        try container.encode(urgency, forKey: "urgency")
        try container.encode(initialUrgency, forKey: "initialUrgency")
        try container.encode(reason, forKey: "reason")
        try container.encode(reasonDetail, forKey: "reasonDetail")
        try container.encode(confidence, forKey: "confidence")
        try container.encode(triggerMessageId, forKey: "triggerMessageId")
        try container.encode(assignee, forKey: "assignee")
        try container.encode(escalated, forKey: "escalated")
        try container.encode(slaDueAt, forKey: "slaDueAt")
        try container.encode(createdAt, forKey: "createdAt")
        try container.encode(assignedAt, forKey: "assignedAt")
        try container.encode(escalatedAt, forKey: "escalatedAt")
        try container.encode(resolvedAt, forKey: "resolvedAt")
        try container.encode(reopenedAt, forKey: "reopenedAt")
        try container.encode(resolvedBy, forKey: "resolvedBy")
        try container.encode(resolutionNote, forKey: "resolutionNote")
        try container.encode(updatedAt, forKey: "updatedAt")
    }
}

/// `GET /admin/handoffs`: a page, newest first.
struct HandoffPage: Encodable {
    var handoffs: [HandoffView]
    /// Pass as `cursor` for the next page; null on the last.
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(handoffs, forKey: "handoffs")
        try container.encode(nextCursor, forKey: "nextCursor")
    }
}

/// `GET /admin/handoffs/{id}`: the handoff, the transcript up to its
/// trigger, the thread after it, and its events.
struct HandoffDetailView: Encodable {
    var handoff: HandoffView
    var transcript: [ChatMessage]
    var thread: [ChatMessage]
    var events: [EventView]

    init(_ detail: HandoffDetail) {
        handoff = HandoffView(detail.handoff)
        transcript = detail.transcript
        thread = detail.thread
        events = detail.events.map(EventView.init)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(handoff, forKey: "handoff")
        try container.encode(transcript, forKey: "transcript")
        try container.encode(thread, forKey: "thread")
        try container.encode(events, forKey: "events")
    }

    struct EventView: Encodable {
        var id: Int64
        var at: Date
        var actor: String
        var kind: String
        var detail: [String: String]

        init(_ event: HandoffEvent) {
            id = event.id
            at = event.at
            actor = event.actor
            kind = event.kind.rawValue
            detail = (try? JSONDecoder().decode([String: String].self, from: Data(event.detail.utf8))) ?? [:]
        }
    }
}

/// `POST /admin/handoffs/{id}/reply`: the handoff and the message written.
struct ReplyResult: Encodable {
    var handoff: HandoffView
    var message: ChatMessage
}
