import Foundation

/// What analytics keep of one bot's traffic in one UTC hour, updated in
/// the transaction that writes the usage rows it counts. Every figure
/// merges by adding (histograms) or by register maximum (the client
/// sketch), so any range of hours and bots is the merge of its rollups.
public struct UsageRollup: Sendable, Hashable {
    public var bot: String
    /// Hours since 1970-01-01T00:00Z.
    public var hour: Int64
    /// Exchanges (one user message and what answered it).
    public var messages = 0
    /// New conversations.
    public var conversations = 0
    public var answered = 0
    public var lowConfidence = 0
    public var rateLimited = 0
    public var handedOff = 0
    public var errors = 0
    public var confidenceSum = 0.0
    public var confidenceCount = 0
    /// Exchanges with a confidence in [0, 0.1), [0.1, 0.2), ... [0.9, 1].
    public var confidenceBuckets = [Int](repeating: 0, count: 10)
    /// Answers that quoted a passage of the bot's honey jars.
    public var knowledgeHits = 0
    public var promptTokens = 0
    public var completionTokens = 0
    /// Milliseconds.
    public var latency = LogHistogram()
    /// Distinct clients: keys for keyed traffic, hashed addresses for public traffic.
    public var clients = ClientSketch()

    public init(bot: String, hour: Int64) {
        self.bot = bot
        self.hour = hour
    }

    public static func hour(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 3600).rounded(.down)) }

    public mutating func add(_ usage: UsageRecord) {
        messages += 1
        switch usage.outcome {
        case .answered: answered += 1
        case .lowConfidence: lowConfidence += 1
        case .rateLimited: rateLimited += 1
        case .handedOff: handedOff += 1
        case .error: errors += 1
        }
        if let confidence = usage.confidence, confidence.isFinite {
            confidenceSum += confidence
            confidenceCount += 1
            confidenceBuckets[Self.confidenceBucket(confidence)] += 1
        }
        if usage.knowledgeHit { knowledgeHits += 1 }
        promptTokens += usage.promptTokens
        completionTokens += usage.completionTokens
        latency.add(usage.latencyMilliseconds)
        if let client = usage.clientHash ?? usage.keyID.map({ "key:\($0)" }) { clients.add(client) }
    }

    static func confidenceBucket(_ confidence: Double) -> Int { min(max(Int(confidence * 10), 0), 9) }

    public mutating func merge(_ other: UsageRollup) {
        messages += other.messages
        conversations += other.conversations
        answered += other.answered
        lowConfidence += other.lowConfidence
        rateLimited += other.rateLimited
        handedOff += other.handedOff
        errors += other.errors
        confidenceSum += other.confidenceSum
        confidenceCount += other.confidenceCount
        for index in confidenceBuckets.indices { confidenceBuckets[index] += other.confidenceBuckets[index] }
        knowledgeHits += other.knowledgeHits
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        latency.merge(other.latency)
        clients.merge(other.clients)
    }
}

/// What analytics keep of the handoffs one bot opened in one UTC hour, by
/// reason and opening urgency. Later steps of a handoff (assignment,
/// resolution, escalation, reopening) count in the row of the hour it was
/// opened, so rates and times describe the same handoffs.
public struct HandoffRollup: Sendable, Hashable {
    public var bot: String
    public var hour: Int64
    public var reason: String
    public var urgency: String
    public var created = 0
    public var reopened = 0
    /// Rounds (opening or reopening) that reached an operator.
    public var assigned = 0
    /// Seconds from the start of a round to its first assignment.
    public var assignment = LogHistogram()
    public var resolved = 0
    /// Seconds from the start of a round to its resolution.
    public var resolution = LogHistogram()
    /// Rounds handled (assigned or resolved) before their SLA target.
    public var slaMet = 0
    /// Rounds that escalated, or were handled after their target.
    public var slaMissed = 0

    public init(bot: String, hour: Int64, reason: String, urgency: String) {
        self.bot = bot
        self.hour = hour
        self.reason = reason
        self.urgency = urgency
    }

    /// The key of a handoff's row.
    public static func key(_ handoff: Handoff) -> HandoffRollup {
        HandoffRollup(bot: handoff.bot, hour: UsageRollup.hour(of: handoff.createdAt), reason: handoff.reason.rawValue,
                      urgency: handoff.initialUrgency.rawValue)
    }

    /// Counts one step of a handoff: `before` is its state before the step
    /// (nil when it was just opened), `after` its state after.
    public mutating func count(_ kind: HandoffEvent.Kind, before: Handoff?, after: Handoff, at: Date) {
        let roundStart = (before ?? after).reopenedAt ?? after.createdAt
        switch kind {
        case .created:
            created += 1
        case .reopened:
            reopened += 1
        case .assigned:
            // The first assignment of a round; a reassignment is not a new response.
            guard let before, before.assignedAt == nil else { return }
            assigned += 1
            assignment.add(max(at.timeIntervalSince(roundStart), 0.001))
            decideSLA(before, at: at)
        case .resolved:
            resolved += 1
            resolution.add(max(at.timeIntervalSince(roundStart), 0.001))
            // Resolved without ever being assigned: this decides the round too.
            if let before, before.assignedAt == nil { decideSLA(before, at: at) }
        case .escalated:
            slaMissed += 1
        case .triggered, .replied:
            return
        }
    }

    /// A round handled at `at`: met if before its due time; missed if past
    /// it (an escalation that already fired counted it missed).
    mutating func decideSLA(_ before: Handoff, at: Date) {
        guard !before.escalated else { return }
        if let due = before.slaDueAt, at > due { slaMissed += 1 } else { slaMet += 1 }
    }

    public mutating func merge(_ other: HandoffRollup) {
        created += other.created
        reopened += other.reopened
        assigned += other.assigned
        assignment.merge(other.assignment)
        resolved += other.resolved
        resolution.merge(other.resolution)
        slaMet += other.slaMet
        slaMissed += other.slaMissed
    }
}

/// Low-confidence questions grouped by their content terms (stemmed, stop
/// words dropped, in alphabetical order), so "How do I reset my password?"
/// and "reset password" count as one.
public enum QuestionGroup {
    public static func key(_ question: String) -> String {
        let stems = QueryTerms(question).stems
        if stems.isEmpty {
            return QueryTerms.tokens(question).joined(separator: " ")
        }
        return Set(stems).sorted().joined(separator: " ")
    }
}
