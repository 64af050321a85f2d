import Foundation
import Synchronization

/// Handoff state behind a narrow interface, as part of `RuntimeStateStore`.
/// Every change is one transaction that checks the state it changes, so
/// that two operators racing get one success and one conflict, and a
/// handoff's events, messages and audit entries are written with it.
public protocol HandoffStateStore: Sendable {
    /// Opens a handoff for a conversation, or adds the trigger to the one
    /// already open, writing the conversation (when new) and the messages
    /// in the same transaction (after the messages buffered before them).
    func openHandoff(_ opening: HandoffOpening) async throws(StoreError) -> HandoffOpened
    /// Pending and assigned handoffs (loaded into memory at start).
    func openHandoffs() async throws(StoreError) -> [Handoff]
    /// Handoffs matching a query, newest first.
    func handoffs(_ query: HandoffQuery) async throws(StoreError) -> [Handoff]
    /// A handoff with its transcript, thread and events; nil when unknown or not visible.
    func handoffDetail(_ id: String, visibleBots: Set<String>?) async throws(StoreError) -> HandoffDetail?
    /// An operator's action on a handoff, checked against its current state.
    func changeHandoff(_ change: HandoffChange) async throws(StoreError) -> HandoffChangeResult
    /// Escalates every pending handoff whose SLA target is at or before
    /// `at`, each exactly once, and returns them.
    func escalateDueHandoffs(at: Date) async throws(StoreError) -> [Handoff]
    /// The earliest SLA target still to come, for the escalation timer.
    func nextHandoffDue() async throws(StoreError) -> Date?
    /// Calls `observer` with every handoff a transaction of this process
    /// changed, after it commits and in commit order (so a map kept from
    /// these calls never goes back to an older state).
    func observeHandoffCommits(_ observer: @escaping @Sendable (Handoff) -> Void)
}

/// Observers of committed handoff changes.
public final class HandoffCommits: Sendable {
    private let observers = Mutex<[@Sendable (Handoff) -> Void]>([])

    public init() {}

    public func observe(_ observer: @escaping @Sendable (Handoff) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    public func notify(_ handoffs: [Handoff]) {
        let observers = self.observers.withLock { $0 }
        for handoff in handoffs { for observer in observers { observer(handoff) } }
    }
}

/// What opening (or adding to) a handoff writes.
public struct HandoffOpening: Sendable {
    /// The conversation, written when it is new.
    public var conversation: ConversationRecord
    public var isNewConversation: Bool
    /// The user's message (the trigger) and nectar's acknowledgement.
    public var messages: [ChatMessage]
    public var trigger: HandoffTrigger
    public var urgency: Urgency
    /// The SLA target of each urgency, for the due time.
    public var sla: SLATargets
    /// The id a new handoff gets.
    public var newID: String
    public var at: Date

    public init(conversation: ConversationRecord, isNewConversation: Bool, messages: [ChatMessage], trigger: HandoffTrigger,
                urgency: Urgency, sla: SLATargets, newID: String, at: Date) {
        self.conversation = conversation
        self.isNewConversation = isNewConversation
        self.messages = messages
        self.trigger = trigger
        self.urgency = urgency
        self.sla = sla
        self.newID = newID
        self.at = at
    }
}

/// The open handoff after a trigger, and whether the trigger opened it.
public struct HandoffOpened: Sendable {
    public var handoff: Handoff
    public var created: Bool
}

/// A filter of `GET /admin/handoffs`.
public struct HandoffQuery: Sendable {
    /// Statuses to list (empty: all).
    public var statuses: Set<Handoff.Status> = []
    public var urgency: Urgency?
    public var bot: String?
    public var assignee: String?
    /// The bots the operator may see (nil: all, for admins).
    public var visibleBots: Set<String>?
    public var limit: Int = 50
    /// Only handoffs numbered below this (the cursor of the previous page).
    public var before: Int64?

    public init() {}
}

/// An operator's action on a handoff.
public struct HandoffChange: Sendable {
    public enum Action: Sendable {
        /// Give it to an operator; `from` makes it a reassignment that
        /// succeeds only while `from` has it.
        case assign(to: String, from: String?)
        /// Answer the user (assigns a pending handoff to the replier).
        case reply(ChatMessage)
        case resolve(note: String?)
        /// Open a resolved handoff again, due again after its bot's SLA
        /// (the bots' current targets by name; the defaults for a bot not there).
        case reopen(slaByBot: [String: SLATargets])
    }

    public var id: String
    /// The operator acting.
    public var actor: String
    public var action: Action
    /// The bots the operator may see (nil: all); others are not found.
    public var visibleBots: Set<String>?
    public var at: Date

    public init(id: String, actor: String, action: Action, visibleBots: Set<String>?, at: Date) {
        self.id = id
        self.actor = actor
        self.action = action
        self.visibleBots = visibleBots
        self.at = at
    }
}

/// What an action did.
public enum HandoffChangeResult: Sendable {
    case changed(Handoff)
    /// Unknown, or not visible to the operator (the same answer).
    case notFound
    /// The handoff's state does not allow it (already assigned, already resolved...).
    case conflict(String)
    /// The request names something that does not exist (an operator).
    case invalid(String)
}
