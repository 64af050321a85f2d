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
}

/// `GET /admin/handoffs`: a page, newest first.
struct HandoffPage: Encodable {
    var handoffs: [HandoffView]
    /// Pass as `cursor` for the next page; absent on the last.
    var nextCursor: String?
}

/// `GET /admin/handoffs/{id}`: the handoff, the transcript up to its
/// trigger, the thread after it, and its events.
struct HandoffDetailView: Encodable {
    var handoff: HandoffView
    var transcript: [ChatMessage]
    var thread: [ChatMessage]
    var events: [EventView]
    /// Tickets notification services made for it, by webhook name (Zendesk).
    var externalReferences: [String: String]?

    init(_ detail: HandoffDetail) {
        handoff = HandoffView(detail.handoff)
        transcript = detail.transcript
        thread = detail.thread
        events = detail.events.map(EventView.init)
        externalReferences = detail.references.isEmpty ? nil : detail.references
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
