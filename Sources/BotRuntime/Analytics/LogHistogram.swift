import Foundation

/// Counts of positive values in logarithmic buckets (16 per decade, about
/// 15% wide, from 0.01 to 10^8), mergeable by adding: a percentile of a
/// merged histogram is the percentile of all the values it counted, to
/// within half a bucket (about 7%). Stored as text, `index:count` pairs.
public struct LogHistogram: Sendable, Hashable {
    static let perDecade = 16.0
    /// Bucket 0 starts at 10^-2.
    static let offset = 32
    static let bucketCount = 160

    public private(set) var counts: [Int: Int] = [:]
    public private(set) var total = 0

    public init() {}

    public mutating func add(_ value: Double, count: Int = 1) {
        guard count > 0, value.isFinite else { return }
        counts[Self.bucket(value), default: 0] += count
        total += count
    }

    public mutating func merge(_ other: LogHistogram) {
        for (bucket, count) in other.counts { counts[bucket, default: 0] += count }
        total += other.total
    }

    static func bucket(_ value: Double) -> Int {
        guard value > 0 else { return 0 }
        let index = Int((log10(value) * perDecade).rounded(.down)) + offset
        return min(max(index, 0), bucketCount - 1)
    }

    /// The geometric middle of a bucket: the value reported for it.
    static func middle(_ bucket: Int) -> Double {
        pow(10, (Double(bucket - offset) + 0.5) / perDecade)
    }

    /// The value below which `fraction` of the counted values fall (nil when empty).
    public func percentile(_ fraction: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((fraction * Double(total)).rounded(.up)))
        var seen = 0
        for bucket in counts.keys.sorted() {
            seen += counts[bucket] ?? 0
            if seen >= rank { return Self.middle(bucket) }
        }
        return counts.keys.max().map(Self.middle)
    }

    /// `index:count,...` in bucket order; empty for an empty histogram.
    public var text: String {
        counts.keys.sorted().map { "\($0):\(counts[$0] ?? 0)" }.joined(separator: ",")
    }

    /// Reads `text`; unreadable pairs are skipped (a rollup is never worth a failed report).
    public init(text: String?) {
        guard let text, !text.isEmpty else { return }
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let bucket = Int(parts[0]), let count = Int(parts[1]),
                  (0..<Self.bucketCount).contains(bucket), count > 0 else { continue }
            counts[bucket, default: 0] += count
            total += count
        }
    }
}
