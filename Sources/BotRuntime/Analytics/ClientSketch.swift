import Foundation

/// Distinct clients, mergeable: up to 255 clients the sketch keeps a
/// 32-bit hash of each (exact, but for a one-in-four-billion collision);
/// beyond, a HyperLogLog of 1,024 registers (a standard error of about 3%).
/// Sketches merge by union (or each register's maximum), so the distinct
/// clients of any range of hours is the estimate of their merged sketches,
/// without keeping who the clients were.
public struct ClientSketch: Sendable, Hashable {
    static let precision = 10
    static let registerCount = 1 << precision
    static let maxExact = 255

    /// Sorted, without duplicates; nil once the sketch counts in registers.
    private var exact: [UInt32]? = []
    private var registers: [UInt8] = []

    public init() {}

    public var isEmpty: Bool { exact?.isEmpty ?? false }

    public mutating func add(_ client: String) {
        insert(UInt32(truncatingIfNeeded: Self.hash(client) >> 32))
    }

    private mutating func insert(_ hash: UInt32) {
        if var hashes = exact {
            // Sorted insertion: a few hundred hashes at most.
            var low = 0, high = hashes.count
            while low < high {
                let middle = (low + high) / 2
                if hashes[middle] < hash { low = middle + 1 } else { high = middle }
            }
            guard low == hashes.count || hashes[low] != hash else { return }
            exact = nil  // keep the array uniquely referenced while it grows
            hashes.insert(hash, at: low)
            if hashes.count > Self.maxExact { densify(hashes) } else { exact = hashes }
            return
        }
        let index = Int(hash >> UInt32(32 - Self.precision))
        let rank = UInt8(min((hash << UInt32(Self.precision)).leadingZeroBitCount, 32 - Self.precision) + 1)
        if rank > registers[index] { registers[index] = rank }
    }

    private mutating func densify(_ hashes: [UInt32]) {
        exact = nil
        registers = [UInt8](repeating: 0, count: Self.registerCount)
        for hash in hashes { insert(hash) }
    }

    public mutating func merge(_ other: ClientSketch) {
        if let hashes = other.exact {
            for hash in hashes { insert(hash) }
            return
        }
        if let hashes = exact { densify(hashes) }
        // A loop over raw buffers, which the compiler vectorises.
        registers.withUnsafeMutableBufferPointer { mine in
            other.registers.withUnsafeBufferPointer { theirs in
                for index in 0..<Self.registerCount { mine[index] = max(mine[index], theirs[index]) }
            }
        }
    }

    /// The number of distinct clients added (estimated beyond 255).
    public var estimate: Int {
        if let exact { return exact.count }
        let m = Double(Self.registerCount)
        var sum = 0.0
        var zeros = 0
        for register in registers {
            sum += Self.inversePowers[min(Int(register), Self.inversePowers.count - 1)]
            if register == 0 { zeros += 1 }
        }
        let raw = 0.7213 / (1 + 1.079 / m) * m * m / sum
        if raw <= 2.5 * m, zeros > 0 {
            return Int((m * log(m / Double(zeros))).rounded())
        }
        return Int(raw.rounded())
    }

    /// 2^-rank for every rank a register can hold.
    static let inversePowers: [Double] = (0...(32 - precision + 1)).map { pow(2, -Double($0)) }

    /// FNV-1a over the bytes, then a 64-bit finaliser (splitmix64) to spread them.
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }

    /// Stored form: the 1,024 registers, or the hashes (four bytes each,
    /// big-endian, ascending; at most 1,020 bytes).
    public var bytes: [UInt8] {
        guard let exact else { return registers }
        return exact.flatMap { [UInt8($0 >> 24), UInt8($0 >> 16 & 0xff), UInt8($0 >> 8 & 0xff), UInt8($0 & 0xff)] }
    }

    /// Reads the stored form; anything else is an empty sketch.
    public init(bytes: [UInt8]?) {
        guard let bytes else { return }
        if bytes.count == Self.registerCount {
            exact = nil
            registers = bytes
            return
        }
        guard bytes.count % 4 == 0 else { return }
        for start in stride(from: 0, to: bytes.count, by: 4) {
            insert(UInt32(bytes[start]) << 24 | UInt32(bytes[start + 1]) << 16 | UInt32(bytes[start + 2]) << 8 | UInt32(bytes[start + 3]))
        }
    }
}
