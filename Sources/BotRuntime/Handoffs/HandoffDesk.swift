import Foundation
import Logging
import Synchronization

/// The handoff side of the runtime: which conversations a person has (in
/// memory, so the chat path reads no row to know the bot must stay quiet),
/// the operators' actions with their scoping, and the SLA timer.
///
/// The map of open handoffs is this process's: operators act through this
/// daemon's API, so every change passes here. (Several replicas over one
/// database will need a change signal for it, as the bot directory has.)
public final class HandoffDesk: Sendable {
    let store: any RuntimeStateStore
    let writer: RuntimeWriter
    let conversations: ConversationCache
    let directory: BotDirectory
    let logger: Logger
    let now: @Sendable () -> Date

    private struct State {
        /// Conversation id -> its open handoff.
        var open: [String: HandoffSummary] = [:]
        /// The earliest SLA target to come (nil: none pending).
        var nextDue: Date?
    }

    private let state = Mutex(State())
    /// Called with each handoff an escalation changed (notifications hook in here).
    private let escalationObservers = Mutex<[@Sendable (Handoff) -> Void]>([])

    init(store: any RuntimeStateStore, writer: RuntimeWriter, conversations: ConversationCache, directory: BotDirectory,
         logger: Logger, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.writer = writer
        self.conversations = conversations
        self.directory = directory
        self.logger = logger
        self.now = now
        // The map follows the store's commits, in commit order: two
        // operators' changes racing cannot leave it at the older state.
        store.observeHandoffCommits { [weak self] handoff in self?.track(handoff) }
    }

    /// Reads the open handoffs and the next SLA target (at start).
    public func load() async throws(StoreError) {
        let open = try await store.openHandoffs()
        let due = try await store.nextHandoffDue()
        state.withLock { state in
            state.open = Dictionary(open.map { ($0.conversationID, $0.summary) }) { first, _ in first }
            state.nextDue = due
        }
    }

    /// The open handoff of a conversation, if a person has it.
    public func open(conversation id: String) -> HandoffSummary? {
        state.withLock { $0.open[id] }
    }

    /// Records a handoff's new state in memory (called in commit order).
    func track(_ handoff: Handoff) {
        state.withLock { state in
            if handoff.status.isOpen {
                state.open[handoff.conversationID] = handoff.summary
            } else if state.open[handoff.conversationID]?.id == handoff.id {
                state.open[handoff.conversationID] = nil
            }
            if let due = handoff.slaDueAt { state.nextDue = min(state.nextDue ?? due, due) }
        }
    }

    /// Registers a function called with every escalated handoff.
    public func onEscalation(_ observer: @escaping @Sendable (Handoff) -> Void) {
        escalationObservers.withLock { $0.append(observer) }
    }

    // MARK: - Operators

    /// The bots an operator may see: nil (all) for an admin, else the live
    /// bots whose `metadata.owner` is one of the agent's teams.
    public func visibleBots(for identity: OperatorIdentity) async throws(StoreError) -> Set<String>? {
        guard identity.role == .agent else { return nil }
        let teams = Set(identity.teams)
        let snapshot = try await directory.snapshot()
        return Set(snapshot.bots.values.filter { $0.spec.metadata.owner.map(teams.contains) ?? false }.map(\.spec.name))
    }

    /// Live bots that declare `spec.handoff.notify.inApp: false`.
    public func botsWithoutInApp() async throws(StoreError) -> Set<String> {
        Set(try await directory.snapshot().bots.values.filter { !$0.spec.handoff.notify.inApp }.map(\.spec.name))
    }

    /// Handoffs an operator may see, newest first.
    public func list(_ query: HandoffQuery, as identity: OperatorIdentity) async throws(StoreError) -> [Handoff] {
        var query = query
        query.visibleBots = try await visibleBots(for: identity)
        return try await store.handoffs(query)
    }

    /// One handoff with its transcript and events, if the operator may see it.
    public func detail(_ id: String, as identity: OperatorIdentity) async throws(StoreError) -> HandoffDetail? {
        guard RuntimeID.isWellFormed(id, prefix: "hof_") else { return nil }
        try await writer.flush()
        return try await store.handoffDetail(id, visibleBots: try await visibleBots(for: identity))
    }

    /// Assigns a handoff to `target` (the acting operator when nil).
    public func assign(_ id: String, to target: String?, from: String?, as identity: OperatorIdentity) async throws(StoreError) -> HandoffChangeResult {
        try await change(id, .assign(to: target ?? identity.name, from: from), as: identity)
    }

    /// An operator's answer, appended to the user's conversation.
    public func reply(_ id: String, text: String, as identity: OperatorIdentity) async throws(StoreError) -> (HandoffChangeResult, ChatMessage) {
        let message = ChatMessage(id: RuntimeID.makeOrdered("msg_"), role: .operator, text: text, at: now(), author: identity.name)
        // Messages the chat path buffered reach the store first, so the
        // conversation keeps the order things were said in.
        try await writer.flush()
        let result = try await change(id, .reply(message), as: identity)
        if case .changed(let handoff) = result {
            conversations.appendIfCached([message], to: handoff.conversationID)
        }
        return (result, message)
    }

    public func resolve(_ id: String, note: String?, as identity: OperatorIdentity) async throws(StoreError) -> HandoffChangeResult {
        try await change(id, .resolve(note: note), as: identity)
    }

    public func reopen(_ id: String, as identity: OperatorIdentity) async throws(StoreError) -> HandoffChangeResult {
        // The SLA of the bot as it is declared now (the defaults for a deleted bot).
        let snapshot = try await directory.snapshot()
        return try await change(id, .reopen(slaByBot: snapshot.bots.mapValues(\.spec.handoff.sla)), as: identity)
    }

    private func change(_ id: String, _ action: HandoffChange.Action, as identity: OperatorIdentity) async throws(StoreError) -> HandoffChangeResult {
        guard RuntimeID.isWellFormed(id, prefix: "hof_") else { return .notFound }
        let visible = try await visibleBots(for: identity)
        return try await store.changeHandoff(HandoffChange(id: id, actor: identity.name, action: action, visibleBots: visible,
                                                           at: now()))
    }

    // MARK: - SLA

    /// Escalates the handoffs whose SLA target has passed; cheap when none has.
    @discardableResult
    public func escalateDue() async throws(StoreError) -> [Handoff] {
        let at = now()
        // Take the due time; handoffs opened while this runs set it again
        // (from nil), and what the store says comes next is merged after.
        let taken = state.withLock { state -> Date? in
            guard let due = state.nextDue, due <= at else { return nil }
            state.nextDue = nil
            return due
        }
        guard let taken else { return [] }
        let escalated: [Handoff]
        let next: Date?
        do throws(StoreError) {
            escalated = try await store.escalateDueHandoffs(at: at)
            next = try await store.nextHandoffDue()
        } catch {
            state.withLock { $0.nextDue = min($0.nextDue ?? taken, taken) }
            throw error
        }
        state.withLock { state in
            if let next { state.nextDue = min(state.nextDue ?? next, next) }
        }
        for handoff in escalated {
            logger.info("handoff escalated", metadata: ["handoff": "\(handoff.id)", "bot": "\(handoff.bot)",
                                                        "urgency": "\(handoff.urgency.rawValue)"])
        }
        let observers = escalationObservers.withLock { $0 }
        for handoff in escalated { for observer in observers { observer(handoff) } }
        return escalated
    }

    /// Checks the SLA targets every `interval` until cancelled.
    public func watch(every interval: Duration) async {
        while !Task.isCancelled {
            do throws(StoreError) {
                try await escalateDue()
            } catch {
                logger.error("escalating handoffs failed; retried at the next check", metadata: ["error": "\(error.description)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
