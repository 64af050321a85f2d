import Foundation
import Logging
import Synchronization

/// Writes the chat path's rows off the request path: requests append to an
/// in-memory batch, and `run()` writes it to the store every
/// `interval` in one transaction (messages, usage, rate-count increments,
/// key uses). `flush()` writes at once (before reading a transcript, and at
/// shutdown). A crash loses at most one interval of rows.
public final class RuntimeWriter: Sendable {
    private let store: any RuntimeStateStore
    private let limiter: RateLimiter
    private let interval: Duration
    private let logger: Logger
    private let pending = Mutex(RuntimeWriteBatch())
    /// Serialises flushes, so batches reach the store in order.
    private let flushing = FlushLock()

    public init(store: any RuntimeStateStore, limiter: RateLimiter, interval: Duration = .milliseconds(50), logger: Logger) {
        self.store = store
        self.limiter = limiter
        self.interval = interval
        self.logger = logger
    }

    /// Adds rows to the next batch.
    public func enqueue(_ update: (inout RuntimeWriteBatch) -> Void) {
        pending.withLock { update(&$0) }
    }

    /// Writes everything enqueued so far (and the rate counts) now.
    public func flush() async throws(StoreError) {
        await flushing.lock()
        defer { flushing.unlock() }
        var batch = pending.withLock { batch in
            defer { batch = RuntimeWriteBatch() }
            return batch
        }
        batch.rateIncrements += limiter.drainIncrements()
        guard !batch.isEmpty else { return }
        do {
            try await store.write(batch)
        } catch {
            // Keep the rows for the next attempt, ahead of what came since.
            limiter.restore(batch.rateIncrements)
            batch.rateIncrements = []
            pending.withLock { later in
                var merged = batch
                merged.append(later)
                later = merged
            }
            throw error
        }
    }

    /// Flushes every `interval` until cancelled, then once more.
    public func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            // Cancelled while asleep: the last write below takes the rows.
            if Task.isCancelled { break }
            do throws(StoreError) {
                try await flush()
            } catch {
                // Cancelled during a write: the last write below takes the rows.
                if Task.isCancelled { break }
                logger.error("writing chat rows failed; they are kept and retried", metadata: ["error": "\(error.description)"])
            }
        }
        // The last write runs in a task of its own: this one is cancelled,
        // and a cancelled task's database access is refused.
        let logger = self.logger
        await Task {
            do throws(StoreError) {
                try await self.flush()
            } catch {
                logger.error("the last write of chat rows failed", metadata: ["error": "\(error.description)"])
            }
        }.value
    }
}

/// An async mutual exclusion: waiters queue in order.
final class FlushLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if state.locked {
                    state.waiters.append(continuation)
                    return false
                }
                state.locked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
