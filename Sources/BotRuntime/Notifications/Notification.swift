import Foundation

/// An event of the notification outbox: written in the same transaction as
/// the change that causes it, so no committed change is without its event
/// and no event is without its change.
public struct OutboxEvent: Sendable, Hashable {
    /// The event types, as `type` in payloads.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case handoffCreated = "handoff.created"
        case handoffAssigned = "handoff.assigned"
        case handoffReplied = "handoff.replied"
        case handoffResolved = "handoff.resolved"
        case handoffReopened = "handoff.reopened"
        case handoffEscalated = "handoff.escalated"
        /// The daemon's Ready condition became false (the first failure after a success or a start).
        case reconcileFailed = "reconcile.failed"
        /// Ready again after failures.
        case reconcileRecovered = "reconcile.recovered"
    }

    /// The outbox's order (also the inbox cursor).
    public var sequence: Int64
    /// `evt_` + 22 base62 characters: stable across retries and channels.
    public var id: String
    public var type: String
    public var bot: String?
    public var handoffID: String?
    public var at: Date
    /// The stable JSON payload (documented in docs/notifications.md).
    public var payload: String

    public init(sequence: Int64, id: String, type: String, bot: String?, handoffID: String?, at: Date, payload: String) {
        self.sequence = sequence
        self.id = id
        self.type = type
        self.bot = bot
        self.handoffID = handoffID
        self.at = at
        self.payload = payload
    }
}

/// An outbox event in an operator's inbox.
public struct InboxEntry: Sendable, Hashable {
    public var event: OutboxEvent
    public var read: Bool
}

/// A page of an operator's inbox: unread first, newest first within each.
public struct InboxPage: Sendable {
    public var entries: [InboxEntry]
    /// Pass back to get the next page; nil on the last.
    public var nextCursor: String?
    /// Unread notifications in all (not only on this page).
    public var unread: Int
}

extension HandoffEvent.Kind {
    /// The notification an event of this kind sends, if any (a repeated
    /// trigger on an open handoff sends none).
    var notification: OutboxEvent.Kind? {
        switch self {
        case .created: .handoffCreated
        case .assigned: .handoffAssigned
        case .replied: .handoffReplied
        case .resolved: .handoffResolved
        case .reopened: .handoffReopened
        case .escalated: .handoffEscalated
        case .triggered: nil
        }
    }
}
