import Foundation

/// Counts of positive values in logarithmic buckets (16 per decade, about
/// 15% wide, from 0.01 to 10^8), mergeable by adding: a percentile of a
/// merged histogram is the percentile of all the values it counted, to
/// within half a bucket (about 7%). Stored as (bucket, count) pairs of five
/// bytes, so that reading one costs the same however many values it counts.
public struct LogHistogram: Sendable, Hashable {
    static let perDecade = 16.0
    /// Bucket 0 starts at 10^-2.
    static let offset = 32
    static let bucketCount = 160

    /// Empty until the first value (most rollups of quiet hours stay small).
    private var counts: [UInt32] = []
    public private(set) var total = 0

    public init() {}

    public mutating func add(_ value: Double, count: Int = 1) {
        guard count > 0, value.isFinite else { return }
        if counts.isEmpty { counts = [UInt32](repeating: 0, count: Self.bucketCount) }
        counts[Self.bucket(value)] &+= UInt32(truncatingIfNeeded: count)
        total += count
    }

    public mutating func merge(_ other: LogHistogram) {
        guard other.total > 0 else { return }
        if counts.isEmpty {
            self = other
            return
        }
        counts.withUnsafeMutableBufferPointer { mine in
            other.counts.withUnsafeBufferPointer { theirs in
                for index in 0..<Self.bucketCount { mine[index] &+= theirs[index] }
            }
        }
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
        for bucket in 0..<Self.bucketCount where counts[bucket] > 0 {
            seen += Int(counts[bucket])
            if seen >= rank { return Self.middle(bucket) }
        }
        return counts.lastIndex { $0 > 0 }.map(Self.middle)
    }

    /// Stored form: for each bucket with values, its index and its count
    /// (four bytes, little-endian); empty for an empty histogram.
    public var bytes: [UInt8] {
        guard total > 0 else { return [] }
        var bytes: [UInt8] = []
        for (index, count) in counts.enumerated() where count > 0 {
            bytes += [UInt8(index), UInt8(count & 0xff), UInt8(count >> 8 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 24)]
        }
        return bytes
    }

    /// Reads the stored form; a malformed one is an empty histogram (a
    /// rollup is never worth a failed report).
    public init(bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty, bytes.count % 5 == 0 else { return }
        var counts = [UInt32](repeating: 0, count: Self.bucketCount)
        var total = 0
        let valid = Array(bytes).withUnsafeBufferPointer { raw in
            for start in stride(from: 0, to: raw.count, by: 5) {
                let index = Int(raw[start])
                guard index < Self.bucketCount else { return false }
                let count = UInt32(raw[start + 1]) | UInt32(raw[start + 2]) << 8 | UInt32(raw[start + 3]) << 16 | UInt32(raw[start + 4]) << 24
                counts[index] &+= count
                total += Int(count)
            }
            return true
        }
        guard valid, total > 0 else { return }
        self.counts = counts
        self.total = total
    }
}
