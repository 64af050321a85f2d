import Dispatch
import Foundation
import Synchronization

/// Recent conversations in memory: their binding and last messages, so a
/// chat turn reads no database row for a conversation it served lately.
/// Messages reach the store through `RuntimeWriter`; the cache is updated
/// first, so it is never behind the store. It keeps what a responder needs
/// (role, text, time), not the sources: transcripts are read from the store.
final class ConversationCache: Sendable {
    struct Entry: Sendable {
        var record: ConversationRecord
        /// The last messages, oldest first, at most `keep`.
        var recent: [ChatMessage]
        /// Messages in the conversation so far (the next one's seq).
        var count: Int
        var lastUsed: UInt64

        /// Adds messages (without their sources), keeping the last `keep`;
        /// `touch` marks the entry used now.
        mutating func add(_ messages: [ChatMessage], keep: Int, touch: Bool = true) {
            recent += messages.map(ConversationCache.slim)
            if recent.count > keep { recent.removeFirst(recent.count - keep) }
            count += messages.count
            if touch { lastUsed = ConversationCache.now }
        }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// The size above which the next eviction runs; raised after an
        /// eviction that could not get under the capacity, so the sort is
        /// paid once per tenth of growth, not on every append.
        var evictAbove: Int
    }

    /// Monotonic nanoseconds.
    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
    /// Entries used this recently are never evicted: their newest messages
    /// may still be on their way to the store.
    private let protectedNanoseconds: UInt64

    private let capacity: Int
    private let keep: Int
    private let state: Mutex<State>

    init(capacity: Int = 10_000, keep: Int = 100, protected: Duration = .seconds(1)) {
        self.capacity = capacity
        self.keep = keep
        protectedNanoseconds = UInt64(protected.components.seconds) * 1_000_000_000
            + UInt64(protected.components.attoseconds / 1_000_000_000)
        state = Mutex(State(evictAbove: capacity))
    }

    /// A message as the cache keeps it: without its sources.
    private static func slim(_ message: ChatMessage) -> ChatMessage {
        var copy = message
        copy.sources = []
        return copy
    }

    func entry(_ id: String) -> Entry? {
        state.withLock { state in
            state.entries[id]?.lastUsed = Self.now
            return state.entries[id]
        }
    }

    /// Remembers a conversation read from the store (unless a newer copy is here).
    func remember(_ record: ConversationRecord, recent: [ChatMessage], count: Int) {
        state.withLock { state in
            guard state.entries[record.id] == nil else { return }
            state.entries[record.id] = Entry(record: record, recent: recent.suffix(keep).map(Self.slim), count: count, lastUsed: Self.now)
            evictIfFull(&state)
        }
    }

    /// Appends messages and returns the seq of the first.
    func append(_ messages: [ChatMessage], to record: ConversationRecord, knownCount: Int) -> Int {
        state.withLock { state in
            let first = state.entries[record.id]?.count ?? knownCount
            add(messages, to: record, knownCount: knownCount, &state)
            return first
        }
    }

    /// Appends a turn's messages and returns the operators' messages written
    /// since the conversation's previous user message (what its client was
    /// not given yet), in one step: an operator's reply appended at the same
    /// moment is returned now or with the next user message, never neither.
    /// `history` stands in for a conversation that is not cached.
    func appendCollectingOperatorMessages(_ messages: [ChatMessage], to record: ConversationRecord, knownCount: Int,
                                          history: [ChatMessage]) -> [ChatMessage] {
        state.withLock { state in
            let pending = Self.operatorMessagesSinceLastUser(state.entries[record.id]?.recent ?? history)
            add(messages, to: record, knownCount: knownCount, &state)
            return pending
        }
    }

    /// Appends to a conversation's entry (made when missing), under the lock.
    private func add(_ messages: [ChatMessage], to record: ConversationRecord, knownCount: Int, _ state: inout State) {
        var entry = state.entries[record.id] ?? Entry(record: record, recent: [], count: knownCount, lastUsed: Self.now)
        entry.add(messages, keep: keep)
        state.entries[record.id] = entry
        evictIfFull(&state)
    }

    /// The operators' messages since the conversation's last user message, if it is cached.
    func pendingOperatorMessages(_ id: String) -> [ChatMessage]? {
        state.withLock { state in state.entries[id].map { Self.operatorMessagesSinceLastUser($0.recent) } }
    }

    /// Operators' messages after the last user message of `history`.
    static func operatorMessagesSinceLastUser(_ history: [ChatMessage]) -> [ChatMessage] {
        var result: [ChatMessage] = []
        for message in history.reversed() {
            if message.role == .user { break }
            if message.role == .operator { result.append(message) }
        }
        return result.reversed()
    }

    /// Appends messages written elsewhere (an operator's reply) to a
    /// conversation, if it is cached; otherwise the next turn reads them.
    func appendIfCached(_ messages: [ChatMessage], to id: String) {
        state.withLock { state in
            state.entries[id]?.add(messages, keep: keep, touch: false)
        }
    }

    private func evictIfFull(_ state: inout State) {
        guard state.entries.count > state.evictAbove else { return }
        // Drop the least recently used down to half the capacity in one
        // pass, sparing any used in the last second (their newest messages
        // may not be in the store yet). Half, so that the pass (a sort and
        // a rebuilt dictionary) is paid once per capacity/2 new
        // conversations: at thousands of new conversations a second a
        // pass per tenth cost the chat path several percent.
        let sorted = state.entries.values.map(\.lastUsed).sorted()
        let cutoff = min(sorted[state.entries.count - capacity / 2 - 1], Self.now &- protectedNanoseconds)
        state.entries = state.entries.filter { $0.value.lastUsed > cutoff }
        state.evictAbove = max(capacity, state.entries.count + capacity / 2)
    }
}
