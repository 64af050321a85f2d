import Foundation

/// An API key as the store holds it: never the secret, only its SHA-256.
///
/// Its JSON form (admin API, state export, `--format json`) leaves out even
/// the hash: metadata only. Decoded keys have an empty `secretHash`.
public struct StoredKey: Sendable, Hashable, Codable {
    /// Where a key stands.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// The bot's current key.
        case active
        /// Rotated out; valid until `expiresAt`.
        case grace
        /// No longer valid.
        case revoked
    }

    /// `key_` + 12 random base62 characters: safe to print and to log.
    public var id: String
    public var bot: String
    /// The `spec.apiKeys.generation` it was issued for.
    public var generation: Int
    /// Lowercase hex SHA-256 of the secret.
    public var secretHash: String
    /// `nb_Ab12…9xYz`.
    public var display: String
    public var state: State
    /// `reconcile` (git) or `emergency` (`nectar keys rotate`).
    public var origin: String
    public var createdAt: Date
    /// When it stopped being the active key.
    public var rotatedAt: Date?
    /// End of the grace period.
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var revokedReason: String?
    public var lastUsedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, bot, generation, display, state, origin, createdAt, rotatedAt, expiresAt, revokedAt, revokedReason, lastUsedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try container.decode(String.self, forKey: .id), bot: try container.decode(String.self, forKey: .bot),
                  generation: try container.decode(Int.self, forKey: .generation), secretHash: "",
                  display: try container.decode(String.self, forKey: .display), state: try container.decode(State.self, forKey: .state),
                  origin: try container.decode(String.self, forKey: .origin), createdAt: try container.decode(Date.self, forKey: .createdAt),
                  rotatedAt: try container.decodeIfPresent(Date.self, forKey: .rotatedAt),
                  expiresAt: try container.decodeIfPresent(Date.self, forKey: .expiresAt),
                  revokedAt: try container.decodeIfPresent(Date.self, forKey: .revokedAt),
                  revokedReason: try container.decodeIfPresent(String.self, forKey: .revokedReason),
                  lastUsedAt: try container.decodeIfPresent(Date.self, forKey: .lastUsedAt))
    }

    public init(id: String, bot: String, generation: Int, secretHash: String, display: String, state: State,
                origin: String, createdAt: Date, rotatedAt: Date? = nil, expiresAt: Date? = nil,
                revokedAt: Date? = nil, revokedReason: String? = nil, lastUsedAt: Date? = nil) {
        self.id = id
        self.bot = bot
        self.generation = generation
        self.secretHash = secretHash
        self.display = display
        self.state = state
        self.origin = origin
        self.createdAt = createdAt
        self.rotatedAt = rotatedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedReason = revokedReason
        self.lastUsedAt = lastUsedAt
    }

    /// Whether the key authenticates at `date`.
    public func isValid(at date: Date) -> Bool {
        switch state {
        case .active: return true
        case .grace: return expiresAt.map { date < $0 } ?? false
        case .revoked: return false
        }
    }
}

extension StoredKey {
    /// `31d`, `5h`, `40m`, `12s`: an age rounded down to its largest unit,
    /// as plans and key listings show it.
    public static func ageText(_ seconds: TimeInterval) -> String {
        let whole = Int64(max(0, seconds))
        if whole >= 86_400 { return "\(whole / 86_400)d" }
        if whole >= 3_600 { return "\(whole / 3_600)h" }
        if whole >= 60 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
