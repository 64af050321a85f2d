import Foundation

/// The delays between runs: backoff after transient failures, and jitter.
extension ReconcileLoop {
    /// Seconds before retry number `failures` (1 = after the first failure):
    /// the base delay doubled per failure, capped.
    static func backoff(failures: Int, timing: Timing) -> Double {
        let exponent = Double(min(max(failures, 1) - 1, 30))
        return min(timing.backoffMax.inSeconds, timing.backoffBase.inSeconds * pow(2, exponent))
    }

    /// `seconds` moved at random by up to ±jitter of itself, so replicas started
    /// together do not poll (or retry) in lockstep.
    static func jittered(_ seconds: Double, timing: Timing) -> Double {
        let spread = seconds * timing.jitter
        return spread > 0 ? seconds + Double.random(in: -spread...spread) : seconds
    }
}
