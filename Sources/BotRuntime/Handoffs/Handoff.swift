import Foundation

/// A conversation handed to a human operator: why, how urgent, who has it,
/// and every step it took. One open handoff per conversation at most.
public struct Handoff: Sendable, Hashable {
    /// Where a handoff is in its life.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Waiting for an operator; its SLA clock runs.
        case pending
        /// An operator has it.
        case assigned
        /// Given back to the bot.
        case resolved

        /// Pending and assigned handoffs are open: the bot stays quiet.
        public var isOpen: Bool { self != .resolved }
    }

    /// What opened a handoff.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        /// A word or phrase of the bot's `spec.handoff.keywords`.
        case keyword
        /// The user asked for a person in plain words (nectar's built-in phrases).
        case explicitRequest = "explicit_request"
        /// The answer's confidence was below `spec.handoff.confidenceThreshold`.
        case lowConfidence = "low_confidence"
        /// A model-backed bot called its `request_human_handoff` tool.
        case model
    }

    /// `hof_` + 22 base62 characters.
    public var id: String
    /// A small number for people (`#42`), increasing; also the list cursor.
    public var number: Int64
    public var bot: String
    public var conversationID: String
    public var status: Status
    public var urgency: Urgency
    /// The urgency it opened with (escalation raises `urgency`).
    public var initialUrgency: Urgency
    public var reason: Reason
    /// The keyword or phrase that matched, or the confidence as text.
    public var reasonDetail: String?
    /// The answer's confidence, for `low_confidence`.
    public var confidence: Double?
    /// The user message that opened it (the transcript up to the trigger ends with it).
    public var triggerMessageID: String
    public var assignee: String?
    /// Whether its SLA target passed while it was unassigned.
    public var escalated: Bool
    /// When it escalates if still unassigned (nil once escalated, assigned or resolved).
    public var slaDueAt: Date?
    public var createdAt: Date
    public var assignedAt: Date?
    public var escalatedAt: Date?
    public var resolvedAt: Date?
    public var reopenedAt: Date?
    public var resolvedBy: String?
    public var resolutionNote: String?
    public var updatedAt: Date

    public init(id: String, number: Int64, bot: String, conversationID: String, status: Status, urgency: Urgency,
                initialUrgency: Urgency, reason: Reason, reasonDetail: String?, confidence: Double?, triggerMessageID: String,
                assignee: String?, escalated: Bool, slaDueAt: Date?, createdAt: Date, assignedAt: Date?, escalatedAt: Date?,
                resolvedAt: Date?, reopenedAt: Date?, resolvedBy: String?, resolutionNote: String?, updatedAt: Date) {
        self.id = id
        self.number = number
        self.bot = bot
        self.conversationID = conversationID
        self.status = status
        self.urgency = urgency
        self.initialUrgency = initialUrgency
        self.reason = reason
        self.reasonDetail = reasonDetail
        self.confidence = confidence
        self.triggerMessageID = triggerMessageID
        self.assignee = assignee
        self.escalated = escalated
        self.slaDueAt = slaDueAt
        self.createdAt = createdAt
        self.assignedAt = assignedAt
        self.escalatedAt = escalatedAt
        self.resolvedAt = resolvedAt
        self.reopenedAt = reopenedAt
        self.resolvedBy = resolvedBy
        self.resolutionNote = resolutionNote
        self.updatedAt = updatedAt
    }

    /// What a chat response says about it.
    public var summary: HandoffSummary {
        HandoffSummary(id: id, status: status, urgency: urgency, reason: reason, assignee: assignee)
    }
}

/// The handoff a chat response names: `{"id", "status", "urgency", "reason"}`.
public struct HandoffSummary: Sendable, Hashable {
    public var id: String
    public var status: Handoff.Status
    public var urgency: Urgency
    public var reason: Handoff.Reason
    public var assignee: String?

    public init(id: String, status: Handoff.Status, urgency: Urgency, reason: Handoff.Reason, assignee: String?) {
        self.id = id
        self.status = status
        self.urgency = urgency
        self.reason = reason
        self.assignee = assignee
    }
}

/// One line of a handoff's append-only history.
public struct HandoffEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Opened by a trigger.
        case created
        /// Another trigger fired while it was open (it may raise the urgency).
        case triggered
        /// An operator took it, or was given it.
        case assigned
        /// An operator answered the user.
        case replied
        /// Its SLA target passed unassigned: urgency raised one level.
        case escalated
        /// Given back to the bot.
        case resolved
        /// An operator opened a resolved handoff again.
        case reopened
    }

    public var id: Int64
    public var handoffID: String
    public var at: Date
    /// `user`, `nectar`, or `operator:NAME`.
    public var actor: String
    public var kind: Kind
    /// Details as a JSON object (the keyword, the assignee, the urgencies, the note).
    public var detail: String

    public init(id: Int64, handoffID: String, at: Date, actor: String, kind: Kind, detail: String) {
        self.id = id
        self.handoffID = handoffID
        self.at = at
        self.actor = actor
        self.kind = kind
        self.detail = detail
    }
}

/// A handoff with its transcript and history, for `GET /admin/handoffs/{id}`.
public struct HandoffDetail: Sendable {
    public var handoff: Handoff
    /// The conversation up to and including the message that opened it.
    public var transcript: [ChatMessage]
    /// What was said after: the user's messages and the operators' replies.
    public var thread: [ChatMessage]
    public var events: [HandoffEvent]
    /// What notification targets' services made for it, by webhook name
    /// (a Zendesk ticket id).
    public var references: [String: String] = [:]
}

/// Why a trigger fired: what the handoff records as its reason.
public struct HandoffTrigger: Sendable, Hashable {
    public var reason: Handoff.Reason
    /// The keyword or phrase matched, or the confidence.
    public var detail: String
    public var confidence: Double?

    public init(reason: Handoff.Reason, detail: String, confidence: Double? = nil) {
        self.reason = reason
        self.detail = detail
        self.confidence = confidence
    }
}

extension Urgency {
    /// One level up; critical stays critical.
    public var raised: Urgency {
        switch self {
        case .low: .medium
        case .medium: .high
        case .high, .critical: .critical
        }
    }

    /// Higher is more urgent.
    public var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    /// The SLA target of this urgency.
    public func target(in sla: SLATargets) -> SpecDuration {
        switch self {
        case .critical: sla.critical
        case .high: sla.high
        case .medium: sla.medium
        case .low: sla.low
        }
    }
}
