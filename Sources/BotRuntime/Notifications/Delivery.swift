import Foundation

/// One event's delivery to one channel target, retried under the same id.
public struct Delivery: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Not tried yet.
        case pending
        /// Tried and failed; tried again at `nextAttemptAt`.
        case failed
        case delivered
        /// Given up: too old, the target answered 410, or it is not configured.
        case dead
    }

    /// `dlv_` + 22 base62 characters: `X-Nectar-Delivery`.
    public var id: String
    /// The outbox event's sequence number.
    public var sequence: Int64
    public var eventID: String
    /// `webhook` or `email`.
    public var channel: String
    /// The webhook's name, or the e-mail address.
    public var target: String
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    /// Where the maximum age counts from (the creation, or a manual retry).
    public var ageFrom: Date
    public var deliveredAt: Date?

    public init(id: String, sequence: Int64, eventID: String, channel: String, target: String, status: Status, attempts: Int,
                nextAttemptAt: Date, lastStatus: Int?, lastError: String?, createdAt: Date, ageFrom: Date? = nil, deliveredAt: Date?) {
        self.ageFrom = ageFrom ?? createdAt
        self.id = id
        self.sequence = sequence
        self.eventID = eventID
        self.channel = channel
        self.target = target
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

/// A delivery due now, with its event.
public struct DueDelivery: Sendable {
    public var delivery: Delivery
    public var event: OutboxEvent
}

/// What an attempt ended in.
public enum DeliveryOutcome: Sendable {
    case delivered(status: Int)
    case retry(at: Date, status: Int?, error: String)
    case dead(status: Int?, error: String)
    /// The target's format sends nothing for this event (counted as delivered).
    case skipped(String)
}

/// The deliveries' state behind a narrow interface (part of `RuntimeStateStore`).
public protocol DeliveryStateStore: Sendable {
    /// Turns outbox events after the dispatcher's stored position into
    /// deliveries (one per webhook the event's bot names) and moves the
    /// position, in one transaction. Returns how many events it took.
    /// Events without a bot (reconcile events) go to `reconcileTargets`.
    /// E-mail deliveries follow `mail` (none when it has no sender).
    func planDeliveries(limit: Int, at: Date, reconcileTargets: [String], mail: MailPlan) async throws(StoreError) -> Int
    /// Deliveries due at `at`: only the oldest undelivered one of each
    /// (target, handoff), so a handoff's events arrive in order.
    func dueDeliveries(at: Date, limit: Int, channel: String, target: String) async throws(StoreError) -> [DueDelivery]
    /// The (channel, target) pairs with due deliveries.
    func dueTargets(at: Date) async throws(StoreError) -> [(channel: String, target: String)]
    /// Records an attempt's outcome; false (nothing changed) when the
    /// delivery is no longer pending or failed (abandoned meanwhile).
    @discardableResult
    func recordDelivery(_ id: String, outcome: DeliveryOutcome, at: Date) async throws(StoreError) -> Bool
    /// Marks every undelivered delivery of a target dead (it answered 410, or is not configured).
    func abandonDeliveries(channel: String, target: String, error: String, at: Date) async throws(StoreError) -> Int
    /// Deliveries by status, newest event first (then by target), after a
    /// page's last (sequence, target).
    func deliveries(statuses: Set<Delivery.Status>, limit: Int, after: (sequence: Int64, target: String)?) async throws(StoreError) -> [Delivery]
    /// Tries a failed or dead delivery again now; nil when there is no such delivery,
    /// false when it is not failed or dead.
    func retryDelivery(_ id: String, at: Date) async throws(StoreError) -> Bool?
    /// What a target's service made for a handoff (a Zendesk ticket id), if anything.
    func deliveryReference(channel: String, target: String, key: String) async throws(StoreError) -> String?
    func setDeliveryReference(channel: String, target: String, key: String, reference: String) async throws(StoreError)
    /// Undelivered deliveries and the creation time of the oldest.
    func deliveryBacklog() async throws(StoreError) -> (count: Int, oldest: Date?)
}
