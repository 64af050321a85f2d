/// When and how a bot hands a conversation to a human operator.
public struct HandoffSpec: Sendable, Hashable, Codable {
    /// Whether handoffs open at all.
    public var enabled: Bool
    /// Words and phrases (case-insensitive, whole words) that open a handoff.
    public var keywords: [String]
    /// A reply below this confidence opens a handoff.
    public var confidenceThreshold: Double
    /// Keywords that set a handoff's urgency.
    public var urgency: UrgencyRules
    /// Where new handoffs are announced.
    public var notify: NotifySpec
    /// How long a handoff of each urgency may wait unassigned before it escalates.
    public var sla: SLATargets

    /// Creates handoff settings with the documented defaults.
    public init() {
        self.enabled = true
        self.keywords = []
        self.confidenceThreshold = 0.3
        self.urgency = UrgencyRules()
        self.notify = NotifySpec()
        self.sla = SLATargets()
    }
}

/// Handoff urgency levels, most urgent first.
public enum Urgency: String, Sendable, Hashable, Codable, CaseIterable {
    case critical, high, medium, low
}

/// Keywords per urgency level; a handoff without a match is `medium`.
public struct UrgencyRules: Sendable, Hashable, Codable {
    public var critical: [String] = []
    public var high: [String] = []
    public var medium: [String] = []
    public var low: [String] = []

    /// Creates rules with no keywords.
    public init() {}
}

/// Notification channels for new and escalated handoffs.
public struct NotifySpec: Sendable, Hashable, Codable {
    /// Show in the operators' in-app inbox.
    public var inApp: Bool = true
    /// Email addresses notified through the configured SMTP relay.
    public var email: [String] = []
    /// Names of webhooks defined in the daemon configuration.
    public var webhooks: [String] = []

    /// Creates the default: in-app only.
    public init() {}
}

/// Time-to-assignment targets per urgency.
public struct SLATargets: Sendable, Hashable, Codable {
    public var critical = SpecDuration(seconds: 15 * 60)
    public var high = SpecDuration(seconds: 3_600)
    public var medium = SpecDuration(seconds: 4 * 3_600)
    public var low = SpecDuration(seconds: 24 * 3_600)

    /// Creates the default targets: 15m, 1h, 4h, 24h.
    public init() {}
}
