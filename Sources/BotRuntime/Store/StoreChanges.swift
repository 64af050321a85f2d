import Synchronization

/// Observers of declared-state changes this process makes through a store
/// (an apply, a pause or resume, an emergency key change), told right after
/// the change commits. Changes made by other processes are noticed by
/// polling the state version instead.
public final class StoreChanges: Sendable {
    private let observers = Mutex<[@Sendable () -> Void]>([])

    init() {}

    /// Calls `observer` after every committed change (on the writing thread:
    /// keep it short, such as marking a cache stale).
    public func observe(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func notify() {
        for observer in observers.withLock({ $0 }) { observer() }
    }
}
