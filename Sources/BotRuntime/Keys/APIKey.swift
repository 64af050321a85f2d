/// A bot's API key, with its secret.
///
/// The format is GitHub's token layout: `nb_`, 30 base62 characters from the
/// system's secure random source, then 6 base62 characters of the CRC-32 of
/// those 30 (big-endian, left-padded with `0`): 39 characters in all. The
/// checksum lets a mistyped key or garbage be rejected without any lookup.
///
/// Printing a key, interpolating it into a string, logging it or dumping it
/// shows only its display form (`nb_Ab12…9xYz`); the secret is read only
/// through ``secret``, for the one delivery.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The whole key, `nb_…` (39 ASCII characters). Deliver it once; store only ``secretHash``.
    public let secret: String

    /// `nb_`.
    public static let prefix = "nb_"
    /// The number of random base62 characters after the prefix.
    public static let randomLength = 30
    /// The number of base62 checksum characters at the end.
    public static let checksumLength = 6
    /// The length of a key in characters: 39.
    public static let length = 3 + randomLength + checksumLength

    private static let prefixBytes: [UInt8] = Array("nb_".utf8)

    private init(uncheckedSecret: String) {
        self.secret = uncheckedSecret
    }

    /// A new key from the system's secure random source.
    public static func generate() -> APIKey {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A new key from `generator` (tests pass a seeded one; everything else
    /// uses ``generate()``).
    public static func generate(using generator: inout some RandomNumberGenerator) -> APIKey {
        let random = Base62.random(count: randomLength, using: &generator)
        let checksum = Base62.encode(CRC32.checksum(random), width: checksumLength)
        return APIKey(uncheckedSecret: String(decoding: prefixBytes + random + checksum, as: UTF8.self))
    }

    /// Parses a presented key, checking its prefix, length, characters and
    /// checksum. Pure: it touches no database, so garbage costs nothing.
    public init(parsing text: String) throws(APIKeyFormatError) {
        let bytes = Array(text.utf8)
        guard bytes.starts(with: Self.prefixBytes) else { throw .missingPrefix }
        let body = bytes.dropFirst(Self.prefixBytes.count)
        if let index = body.firstIndex(where: { !Base62.isDigit($0) }) {
            // Count characters, not bytes, so a position is what a person sees.
            let position = String(decoding: bytes[..<index], as: UTF8.self).count + 1
            throw .invalidCharacter(position: position)
        }
        guard bytes.count == Self.length else { throw .wrongLength(bytes.count) }
        let random = body.prefix(Self.randomLength)
        let checksum = body.suffix(Self.checksumLength)
        guard Base62.encode(CRC32.checksum(random), width: Self.checksumLength).elementsEqual(checksum) else {
            throw .checksumMismatch
        }
        self.secret = text
    }

    /// `nb_` + the first 4 random characters + `…` + the last 4 characters:
    /// enough to tell keys apart, nothing to authenticate with.
    public var display: String {
        let characters = Array(secret)
        return Self.prefix + String(characters[3..<7]) + "…" + String(characters.suffix(4))
    }

    /// Lowercase hex SHA-256 of the secret's UTF-8: what the store keeps.
    public var secretHash: String {
        CanonicalSpec.hash(Array(secret.utf8))
    }

    /// A new key id: `key_` + 12 random base62 characters (not secret).
    public static func newKeyID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "key_" + String(decoding: Base62.random(count: 12, using: &generator), as: UTF8.self)
    }

    /// The display form only, never the secret.
    public var description: String { display }

    /// The display form only, never the secret.
    public var debugDescription: String { "APIKey(\(display))" }

    /// A mirror without the secret, so `dump` and debuggers do not show it.
    public var customMirror: Mirror {
        Mirror(self, children: ["display": display], displayStyle: .struct)
    }

    /// Compares the secrets in constant time.
    public static func == (lhs: APIKey, rhs: APIKey) -> Bool {
        ConstantTime.equals(lhs.secret.utf8, rhs.secret.utf8)
    }

    /// Hashes the secret (keys are equal exactly when their secrets are).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(secret)
    }
}

/// Why a presented string is not an API key, in one sentence that never
/// repeats the presented text.
public enum APIKeyFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// It does not start with `nb_` (case matters).
    case missingPrefix
    /// It has a character other than 0-9, A-Z, a-z after the prefix (1-based position).
    case invalidCharacter(position: Int)
    /// It is not 39 characters long (the length found, in bytes).
    case wrongLength(Int)
    /// Its last 6 characters are not the checksum of the 30 before them.
    case checksumMismatch

    /// One sentence, without the presented text.
    public var description: String {
        switch self {
        case .missingPrefix:
            "the API key does not start with nb_"
        case .invalidCharacter(let position):
            "the API key has a character other than 0-9, A-Z and a-z at position \(position)"
        case .wrongLength(let count):
            "the API key is \(count) characters long; an API key is \(APIKey.length)"
        case .checksumMismatch:
            "the API key's checksum does not match (it is mistyped, truncated or not a nectar key)"
        }
    }
}

/// Comparisons whose time does not depend on where the inputs differ.
public enum ConstantTime {
    /// Whether two byte sequences are equal, XOR-accumulating over every byte
    /// (the lengths of what is compared here, hashes and keys, are public).
    public static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }
}
