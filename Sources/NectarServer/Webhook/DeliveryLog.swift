import Foundation
import Synchronization

/// The webhook deliveries seen recently, by `X-GitHub-Delivery` id, so that
/// a captured request replayed within `window` is refused. Bounded: past
/// `capacity` ids the oldest are forgotten first.
final class DeliveryLog: Sendable {
    private let window: TimeInterval
    private let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var seen: [String: Date] = [:]
        /// Ids in the order they arrived, for expiry.
        var order: [(id: String, at: Date)] = []
        var head = 0
    }

    init(window: TimeInterval = 24 * 3600, capacity: Int = 10_000) {
        self.window = window
        self.capacity = capacity
    }

    /// Records `id` and returns true, or returns false when it was already
    /// seen within the window.
    func firstSighting(of id: String, at now: Date = Date()) -> Bool {
        state.withLock { state in
            while state.head < state.order.count,
                  now.timeIntervalSince(state.order[state.head].at) > window || state.order.count - state.head >= capacity {
                state.seen.removeValue(forKey: state.order[state.head].id)
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            guard state.seen[id] == nil else { return false }
            state.seen[id] = now
            state.order.append((id, now))
            return true
        }
    }
}
