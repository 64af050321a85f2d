import Foundation

/// The notification outbox and the operators' inboxes, behind a narrow
/// interface (part of `RuntimeStateStore`). Events are written by the
/// handoff store inside the transactions of the changes they announce.
public protocol NotificationStateStore: Sendable {
    /// An operator's inbox: events of the bots it may see (nil: all), unread
    /// first, newest first within each, after `cursor`.
    func inbox(operator name: String, visibleBots: Set<String>?, limit: Int, cursor: InboxCursor?) async throws(StoreError) -> InboxPage
    /// Marks events read for an operator (ids it may not see are ignored);
    /// nil marks every event it may see. Returns how many became read.
    func markRead(operator name: String, events: [String]?, visibleBots: Set<String>?, at: Date) async throws(StoreError) -> Int
    /// Outbox events after a sequence number, oldest first (for dispatchers and streams).
    func outboxEvents(after sequence: Int64, limit: Int) async throws(StoreError) -> [OutboxEvent]
    /// Writes a `reconcile.failed` or `reconcile.recovered` event (no bot:
    /// admins' and auditors' inboxes, and `notifications.reconcileWebhooks`).
    func recordReconcileEvent(_ kind: OutboxEvent.Kind, revision: String?, reason: String?, message: String,
                              at: Date) async throws(StoreError)
    /// Every webhook name live bots declare, with the bot.
    func declaredWebhooks() async throws(StoreError) -> [(bot: String, webhook: String)]
    /// The newest outbox events, newest first (before a sequence number when given).
    func outboxEvents(before sequence: Int64?, limit: Int) async throws(StoreError) -> [OutboxEvent]
}

/// Where an inbox page ends: `read:sequence`.
public struct InboxCursor: Sendable, Hashable {
    public var read: Bool
    public var sequence: Int64

    public init(read: Bool, sequence: Int64) {
        self.read = read
        self.sequence = sequence
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let flag = Int(parts[0]), flag == 0 || flag == 1, let sequence = Int64(parts[1]), sequence > 0 else {
            return nil
        }
        self.init(read: flag == 1, sequence: sequence)
    }

    public var text: String { "\(read ? 1 : 0):\(sequence)" }
}
