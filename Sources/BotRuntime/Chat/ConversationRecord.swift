import Foundation

/// A conversation: created by the server, bound to one bot and to the way
/// it was opened (with a key, or publicly), never reachable otherwise.
public struct ConversationRecord: Sendable, Hashable {
    /// How a conversation was opened.
    public enum Channel: String, Sendable, Hashable, Codable {
        /// With one of the bot's API keys (any of them may continue it).
        case key
        /// Through the public route of a public bot.
        case `public`
    }

    /// `conv_` + 30 base62 characters: the time it was made, then 128 random bits
    /// (older ids have the 22 random characters only).
    public var id: String
    public var bot: String
    public var channel: Channel
    /// The key that opened it (for the record; any key of the bot continues it).
    public var keyID: String?
    /// The salted hash of the public client's address.
    public var clientHash: String?
    public var createdAt: Date

    public init(id: String, bot: String, channel: Channel, keyID: String?, clientHash: String?, createdAt: Date) {
        self.id = id
        self.bot = bot
        self.channel = channel
        self.keyID = keyID
        self.clientHash = clientHash
        self.createdAt = createdAt
    }
}

/// Server-made identifiers: a prefix and 22 base62 characters from the
/// system's secure random source (128 bits), or, for rows written at a high
/// rate (conversations, messages), 8 base62 characters of the creation
/// time in milliseconds before them: such ids sort by time, so the store's
/// indexes grow at their end instead of touching a random page per row.
public enum RuntimeID {
    /// A new id such as `hof_…` (22 random characters).
    public static func make(_ prefix: String) -> String {
        prefix + String(decoding: Base62.encode(randomBits(), width: 22), as: UTF8.self)
    }

    /// A new id such as `conv_…` that sorts after the ids made before it
    /// (8 characters of time, then 22 random ones: 30 in all).
    public static func makeOrdered(_ prefix: String, at date: Date = Date()) -> String {
        let milliseconds = UInt128(max(0, date.timeIntervalSince1970 * 1000))
        return prefix + String(decoding: Base62.encode(milliseconds, width: 8) + Base62.encode(randomBits(), width: 22), as: UTF8.self)
    }

    /// 128 bits from the system's secure random source (two draws).
    private static func randomBits() -> UInt128 {
        var generator = SystemRandomNumberGenerator()
        return UInt128(generator.next() as UInt64) << 64 | UInt128(generator.next() as UInt64)
    }

    /// Whether `text` could be an id of this prefix, either form (cheap check before any lookup).
    public static func isWellFormed(_ text: String, prefix: String) -> Bool {
        let length = text.utf8.count - prefix.utf8.count
        return (length == 22 || length == 30) && text.utf8.starts(with: prefix.utf8)
            && text.utf8.dropFirst(prefix.utf8.count).allSatisfy(Base62.isDigit)
    }
}
