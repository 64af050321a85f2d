import Crypto

/// The SHA-256 of an API key's secret as four words: the key of the
/// in-memory key index, computed from a presented key without allocating.
public struct KeyDigest: Sendable, Hashable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of a presented key, or nil when it is not a well-formed
    /// key (prefix, length, alphabet, checksum): garbage costs no hashing.
    public init?(presented text: String) {
        var text = text
        guard let digest = text.withUTF8({ bytes -> KeyDigest? in
            guard bytes.count == APIKey.length, bytes[0] == UInt8(ascii: "n"), bytes[1] == UInt8(ascii: "b"),
                  bytes[2] == UInt8(ascii: "_") else { return nil }
            var checksum: UInt32 = 0xFFFF_FFFF
            for index in 3..<(3 + APIKey.randomLength) {
                guard Base62.value(of: bytes[index]) != nil else { return nil }
                checksum = CRC32.table[Int((checksum ^ UInt32(bytes[index])) & 0xFF)] ^ (checksum >> 8)
            }
            checksum ^= 0xFFFF_FFFF
            var encoded: UInt64 = 0
            for index in (3 + APIKey.randomLength)..<APIKey.length {
                guard let digit = Base62.value(of: bytes[index]) else { return nil }
                encoded = encoded * 62 + UInt64(digit)
            }
            guard encoded == UInt64(checksum) else { return nil }
            return KeyDigest(SHA256.hash(data: UnsafeRawBufferPointer(bytes)))
        }) else { return nil }
        self = digest
    }

    /// The digest a store holds as lowercase hex, or nil if it is not 64 hex digits.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in utf8.enumerated() {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            words[index / 16] = words[index / 16] << 4 | UInt64(nibble)
        }
        self.words = (words[0], words[1], words[2], words[3])
    }

    private init(_ digest: SHA256.Digest) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { raw in
            func word(_ offset: Int) -> UInt64 {
                var value: UInt64 = 0
                for index in offset..<offset + 8 { value = value << 8 | UInt64(raw[index]) }
                return value
            }
            words = (word(0), word(8), word(16), word(24))
        }
        self.words = words
    }

    public static func == (lhs: KeyDigest, rhs: KeyDigest) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }
}
