import Dispatch
import Foundation
import Synchronization

/// Recent conversations in memory: their binding and last messages, so a
/// chat turn reads no database row for a conversation it served lately.
/// Messages reach the store through `RuntimeWriter`; the cache is updated
/// first, so it is never behind the store.
final class ConversationCache: Sendable {
    struct Entry: Sendable {
        var record: ConversationRecord
        /// The last messages, oldest first, at most `keep`.
        var recent: [ChatMessage]
        /// Messages in the conversation so far (the next one's seq).
        var count: Int
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
    }

    /// Monotonic nanoseconds.
    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
    /// Entries used this recently are never evicted: their newest messages
    /// may still be on their way to the store.
    private static let protectedNanoseconds: UInt64 = 5_000_000_000

    private let capacity: Int
    private let keep: Int
    private let state = Mutex(State())

    init(capacity: Int = 20_000, keep: Int = 100) {
        self.capacity = capacity
        self.keep = keep
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
            state.entries[record.id] = Entry(record: record, recent: Array(recent.suffix(keep)), count: count, lastUsed: Self.now)
            evictIfFull(&state)
        }
    }

    /// Appends messages and returns the seq of the first.
    func append(_ messages: [ChatMessage], to record: ConversationRecord, knownCount: Int) -> Int {
        state.withLock { state in
            var entry = state.entries[record.id] ?? Entry(record: record, recent: [], count: knownCount, lastUsed: Self.now)
            let first = entry.count
            entry.recent += messages
            if entry.recent.count > keep { entry.recent.removeFirst(entry.recent.count - keep) }
            entry.count += messages.count
            entry.lastUsed = Self.now
            state.entries[record.id] = entry
            evictIfFull(&state)
            return first
        }
    }

    private func evictIfFull(_ state: inout State) {
        guard state.entries.count > capacity else { return }
        // Drop the least recently used tenth in one pass, sparing any used
        // in the last few seconds (the cache may exceed its capacity then).
        let cutoff = min(state.entries.values.map(\.lastUsed).sorted()[capacity / 10],
                         Self.now &- Self.protectedNanoseconds)
        state.entries = state.entries.filter { $0.value.lastUsed > cutoff }
    }
}
