import Foundation

/// An operator's bearer token, with its secret.
///
/// The layout of an API key with its own prefix: `nop_`, 30 base62 random
/// characters, 6 base62 characters of their CRC-32 (40 characters). The
/// checksum rejects garbage before any lookup; the store keeps only the
/// SHA-256. Printing a token shows only its display form.
public struct OperatorToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The whole token. Shown once when issued; never stored.
    public let secret: String

    public static let prefix = "nop_"
    static let randomLength = 30
    static let checksumLength = 6
    /// 40 characters.
    public static let length = 4 + randomLength + checksumLength

    private init(uncheckedSecret: String) {
        secret = uncheckedSecret
    }

    /// A new token from the system's secure random source.
    public static func generate() -> OperatorToken {
        var generator = SystemRandomNumberGenerator()
        let random = Base62.random(count: randomLength, using: &generator)
        let checksum = Base62.encode(CRC32.checksum(random), width: checksumLength)
        return OperatorToken(uncheckedSecret: String(decoding: Array(prefix.utf8) + random + checksum, as: UTF8.self))
    }

    /// Parses a presented token; nil unless prefix, length, alphabet and
    /// checksum are right. Touches no database.
    public init?(parsing text: some StringProtocol) {
        let bytes = Array(text.utf8)
        let prefixBytes = Array(Self.prefix.utf8)
        guard bytes.count == Self.length, bytes.starts(with: prefixBytes) else { return nil }
        let body = bytes.dropFirst(prefixBytes.count)
        guard body.allSatisfy(Base62.isDigit) else { return nil }
        let checksum = Base62.encode(CRC32.checksum(body.prefix(Self.randomLength)), width: Self.checksumLength)
        guard checksum.elementsEqual(body.suffix(Self.checksumLength)) else { return nil }
        secret = String(decoding: bytes, as: UTF8.self)
    }

    /// `nop_Ab12…9xYz`.
    public var display: String {
        let characters = Array(secret)
        return Self.prefix + String(characters[4..<8]) + "…" + String(characters.suffix(4))
    }

    /// Lowercase hex SHA-256 of the secret: what the store keeps.
    public var secretHash: String { CanonicalSpec.hash(Array(secret.utf8)) }

    public var description: String { display }
    public var debugDescription: String { "OperatorToken(\(display))" }
    public var customMirror: Mirror { Mirror(self, children: ["display": display], displayStyle: .struct) }
}

/// Who presented a valid operator token.
public struct OperatorIdentity: Sendable, Hashable, Codable {
    public var name: String
    public var role: OperatorSpec.Role
    public var teams: [String]
    /// The token's id (not secret), for the audit log.
    public var tokenID: String

    public init(name: String, role: OperatorSpec.Role, teams: [String], tokenID: String) {
        self.name = name
        self.role = role
        self.teams = teams
        self.tokenID = tokenID
    }
}

/// A token's metadata, as listed (never its secret).
public struct OperatorTokenRecord: Sendable, Hashable, Codable {
    public var id: String
    public var operatorName: String
    public var display: String
    public var createdAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?
}
