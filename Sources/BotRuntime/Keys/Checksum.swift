/// CRC-32 as zlib, PNG and Ethernet compute it (IEEE 802.3: reflected
/// polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF).
///
/// It guards API keys against typos and garbage, not against forgery: the
/// secret is the 30 random characters, the checksum only lets a key be
/// rejected before any database access.
enum CRC32 {
    /// The byte-at-a-time lookup table.
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1
        }
        return value
    }

    /// The checksum of some bytes.
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)]
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Base62 with the alphabet `0-9A-Za-z`, as ASCII bytes.
enum Base62 {
    /// `0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz`.
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// The value of an ASCII base62 digit, or nil for any other byte.
    static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 36
        default: nil
        }
    }

    /// Whether a byte is an ASCII base62 digit.
    static func isDigit(_ byte: UInt8) -> Bool { value(of: byte) != nil }

    /// `value` in big-endian base62, left-padded with `0` to `width` digits.
    /// The value must fit (62^6 > 2^32, so a `UInt32` fits in 6).
    static func encode(_ value: UInt32, width: Int) -> [UInt8] {
        var digits = [UInt8](repeating: alphabet[0], count: width)
        var rest = value
        var index = width - 1
        while rest > 0, index >= 0 {
            digits[index] = alphabet[Int(rest % 62)]
            rest /= 62
            index -= 1
        }
        precondition(rest == 0, "\(value) does not fit in \(width) base62 digits")
        return digits
    }

    /// A 128-bit `value` in big-endian base62, left-padded to `width` digits
    /// (22 digits hold any 128-bit value); higher digits beyond `width` are dropped.
    static func encode(_ value: UInt128, width: Int) -> [UInt8] {
        var digits = [UInt8](repeating: alphabet[0], count: width)
        var rest = value
        for index in stride(from: width - 1, through: 0, by: -1) where rest > 0 {
            digits[index] = alphabet[Int(rest % 62)]
            rest /= 62
        }
        return digits
    }

    /// `count` uniformly random base62 digits. Random bytes of 248 or more
    /// are rejected (248 = 4 * 62), so every digit is equally likely.
    static func random(count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var digits = [UInt8]()
        digits.reserveCapacity(count)
        while digits.count < count {
            var word = generator.next()
            for _ in 0..<8 where digits.count < count {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if byte < 248 {
                    digits.append(alphabet[Int(byte % 62)])
                }
            }
        }
        return digits
    }
}
