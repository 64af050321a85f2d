import Foundation
import Synchronization

/// Exact request budgets per scope and calendar window (UTC hours and days).
///
/// Counting happens in memory under one lock: a check and its increment are
/// one step, so 200 concurrent clients against a limit of 100 get exactly
/// 100 successes. Increments are drained in batches to the store (see
/// `RuntimeWriter`) and loaded back at startup, so counts survive a restart;
/// a crash loses at most the increments of one flush interval.
public final class RateLimiter: Sendable {
    private struct Count {
        var hour: Int64
        var hourCount: Int
        var day: Int64
        var dayCount: Int
    }

    private struct State {
        var counts: [String: Count] = [:]
        /// Increments not yet written.
        var pending: [String: Count] = [:]
        var lastSweep: Int64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The hour and day indexes (since 1970, UTC) of a time.
    static func windows(_ date: Date) -> (hour: Int64, day: Int64) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return (seconds / 3600, seconds / 86400)
    }

    /// Counts one request against `limits` if both windows have room.
    public func acquire(_ scope: String, limits: RateLimits, at now: Date) -> RateDecision {
        let (hour, day) = Self.windows(now)
        return state.withLock { state in
            var count = Self.current(state.counts[scope], hour: hour, day: day)
            let allowed = count.hourCount < limits.perHour && count.dayCount < limits.perDay
            if allowed {
                count.hourCount += 1
                count.dayCount += 1
                state.counts[scope] = count
                var pending = Self.current(state.pending[scope], hour: hour, day: day)
                pending.hourCount += 1
                pending.dayCount += 1
                state.pending[scope] = pending
            }
            if hour != state.lastSweep { Self.sweep(&state, hour: hour, day: day) }
            let status = Self.status(count, limits: limits, now: now)
            return allowed ? .allowed(status) : .refused(status)
        }
    }

    /// The budget as it stands, without counting a request.
    public func status(_ scope: String, limits: RateLimits, at now: Date) -> RateStatus {
        let (hour, day) = Self.windows(now)
        return state.withLock { state in
            Self.status(Self.current(state.counts[scope], hour: hour, day: day), limits: limits, now: now)
        }
    }

    /// Takes the increments counted since the last drain, for the store.
    public func drainIncrements() -> [RateCount] {
        state.withLock { state in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending.flatMap { scope, count -> [RateCount] in
                [RateCount(scope: scope, window: .hour, index: count.hour, count: count.hourCount),
                 RateCount(scope: scope, window: .day, index: count.day, count: count.dayCount)].filter { $0.count > 0 }
            }
        }
    }

    /// Puts back increments a failed write could not store.
    public func restore(_ increments: [RateCount]) {
        state.withLock { state in
            for increment in increments {
                var pending = state.pending[increment.scope] ?? Count(hour: 0, hourCount: 0, day: 0, dayCount: 0)
                switch increment.window {
                case .hour:
                    if pending.hour != increment.index { pending.hour = increment.index; pending.hourCount = 0 }
                    pending.hourCount += increment.count
                case .day:
                    if pending.day != increment.index { pending.day = increment.index; pending.dayCount = 0 }
                    pending.dayCount += increment.count
                }
                state.pending[increment.scope] = pending
            }
        }
    }

    /// Loads stored counts (at startup), adding to anything counted since.
    public func load(_ counts: [RateCount], at now: Date) {
        let (hour, day) = Self.windows(now)
        state.withLock { state in
            for stored in counts {
                var count = Self.current(state.counts[stored.scope], hour: hour, day: day)
                switch stored.window {
                case .hour where stored.index == hour: count.hourCount += stored.count
                case .day where stored.index == day: count.dayCount += stored.count
                default: continue
                }
                state.counts[stored.scope] = count
            }
        }
    }

    private static func current(_ count: Count?, hour: Int64, day: Int64) -> Count {
        var count = count ?? Count(hour: hour, hourCount: 0, day: day, dayCount: 0)
        if count.hour != hour { count.hour = hour; count.hourCount = 0 }
        if count.day != day { count.day = day; count.dayCount = 0 }
        return count
    }

    /// Forgets scopes with nothing counted in the current day (once an hour).
    private static func sweep(_ state: inout State, hour: Int64, day: Int64) {
        state.lastSweep = hour
        state.counts = state.counts.filter { $0.value.day == day && $0.value.dayCount > 0 }
    }

    private static func status(_ count: Count, limits: RateLimits, now: Date) -> RateStatus {
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let hourLeft = max(0, limits.perHour - count.hourCount), dayLeft = max(0, limits.perDay - count.dayCount)
        let hourReset = Int((count.hour + 1) * 3600 - seconds), dayReset = Int((count.day + 1) * 86400 - seconds)
        // The binding window: the one with less room (the day when it is exhausted too).
        if dayLeft < hourLeft || (dayLeft == 0 && hourLeft == 0) {
            return RateStatus(limit: limits.perDay, remaining: dayLeft, resetSeconds: dayReset)
        }
        return RateStatus(limit: limits.perHour, remaining: hourLeft, resetSeconds: hourReset)
    }
}

/// A request's budget in its binding window: what the `RateLimit-*` headers say.
public struct RateStatus: Sendable, Hashable {
    public var limit: Int
    public var remaining: Int
    /// Seconds until the window resets.
    public var resetSeconds: Int
}

/// Whether a request fits its budget.
public enum RateDecision: Sendable, Hashable {
    case allowed(RateStatus)
    case refused(RateStatus)
}
