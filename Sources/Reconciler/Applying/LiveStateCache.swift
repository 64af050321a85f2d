import BotRuntime
import Foundation

/// The live state a long-running reconciler last saw, valid while the
/// store's state version is unchanged. Any write to declared state (by
/// nectar or by hand) bumps the version and so invalidates it.
public final class LiveStateCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: LiveState?

    public init() {}

    func state(at version: Int64) -> LiveState? {
        lock.withLock { cached?.stateVersion == version ? cached : nil }
    }

    func store(_ state: LiveState) {
        lock.withLock { cached = state }
    }

    /// Hands the cached state over (the cache forgets it), so that the
    /// caller can change it in place without copying its tables.
    func take() -> LiveState? {
        lock.withLock {
            defer { cached = nil }
            return cached
        }
    }
}
