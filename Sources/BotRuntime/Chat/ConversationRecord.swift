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

    /// `conv_` + 22 base62 characters (128 random bits and more).
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
/// system's secure random source (131 bits).
public enum RuntimeID {
    /// A new id such as `conv_…` or `msg_…`.
    public static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String(decoding: Base62.random(count: 22, using: &generator), as: UTF8.self)
    }

    /// Whether `text` could be an id of this prefix (cheap check before any lookup).
    public static func isWellFormed(_ text: String, prefix: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == prefix.utf8.count + 22 && bytes.starts(with: Array(prefix.utf8))
            && bytes.dropFirst(prefix.utf8.count).allSatisfy(Base62.isDigit)
    }
}
