/// A declared chat bot: everything `kind: Bot` says, with defaults filled in.
public struct BotSpec: Sendable, Hashable, Codable {
    /// Name, labels and owning team.
    public var metadata: ObjectMeta
    /// Human-facing name; defaults to the bot's name.
    public var displayName: String
    /// What the bot is for.
    public var description: String
    /// The instructions given to a model responder.
    public var systemPrompt: String
    /// Which responder answers.
    public var model: ModelSpec
    /// Names of the honey jars the bot retrieves from.
    public var honeyJars: [String]
    /// Whether a key is required.
    public var visibility: Visibility
    /// Whether the bot serves requests.
    public var status: Status
    /// Messages of memory per conversation.
    public var maxConversationLength: Int
    /// Below this confidence a reply is marked low-confidence.
    public var confidenceThreshold: Double
    /// Request limits per key (or per client address for public bots).
    public var rateLimits: RateLimits
    /// When and how a conversation is handed to a human.
    public var handoff: HandoffSpec
    /// Key generation, rotation and delivery.
    public var apiKeys: APIKeySpec

    /// The bot's name (its `metadata.name`).
    public var name: String { metadata.name }

    /// Creates a bot with every optional field at its documented default.
    public init(metadata: ObjectMeta) {
        self.metadata = metadata
        self.displayName = metadata.name
        self.description = ""
        self.systemPrompt = ""
        self.model = ModelSpec()
        self.honeyJars = []
        self.visibility = .private
        self.status = .active
        self.maxConversationLength = 20
        self.confidenceThreshold = 0.5
        self.rateLimits = RateLimits()
        self.handoff = HandoffSpec()
        self.apiKeys = APIKeySpec()
    }

    /// Who may reach the bot.
    public enum Visibility: String, Sendable, Hashable, Codable, CaseIterable {
        /// Reachable only with one of its API keys.
        case `private`
        /// Reachable by slug without a key, limited per client address.
        case `public`
    }

    /// Whether the bot answers.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Serving.
        case active
        /// Declared but not serving.
        case inactive
        /// Temporarily not serving, with a maintenance reply.
        case maintenance
    }
}

/// Which responder answers a bot's messages.
public struct ModelSpec: Sendable, Hashable, Codable {
    /// The responder kind.
    public var provider: Provider
    /// For `openai`: the name of an endpoint defined in the daemon configuration.
    public var endpoint: String?
    /// For `openai`: the model name sent to the endpoint.
    public var name: String?
    /// For `openai`: sampling temperature (0 to 2); the endpoint's default when unset.
    public var temperature: Double?
    /// For `openai`: the most tokens of an answer; the endpoint's default when unset.
    public var maxTokens: Int?
    /// For `openai`: answer from the honey jars when the endpoint fails.
    public var fallback: Fallback?

    /// Creates a model choice; the default is the embedded knowledge responder.
    public init(provider: Provider = .knowledge, endpoint: String? = nil, name: String? = nil, temperature: Double? = nil,
                maxTokens: Int? = nil, fallback: Fallback? = nil) {
        self.provider = provider
        self.endpoint = endpoint
        self.name = name
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.fallback = fallback
    }

    /// What answers when a model endpoint fails.
    public enum Fallback: String, Sendable, Hashable, Codable, CaseIterable {
        /// The embedded knowledge responder, saying that it stands in.
        case knowledge
    }

    /// Responder kinds.
    public enum Provider: String, Sendable, Hashable, Codable, CaseIterable {
        /// Embedded full-text retrieval over the bot's honey jars; no network.
        case knowledge
        /// Any OpenAI-compatible chat completions endpoint.
        case openai
    }
}

/// Hourly and daily request limits.
public struct RateLimits: Sendable, Hashable, Codable {
    /// Requests per hour; 0 allows none.
    public var perHour: Int
    /// Requests per day; at least `perHour`.
    public var perDay: Int

    /// Creates limits; defaults are 100 per hour and 1000 per day.
    public init(perHour: Int = 100, perDay: Int = 1000) {
        self.perHour = perHour
        self.perDay = perDay
    }
}

/// Key generation and rotation settings of one bot.
public struct APIKeySpec: Sendable, Hashable, Codable {
    /// Bumping this number rotates the key at the next apply.
    public var generation: Int
    /// Rotation interval; nil takes it from a matching rotation policy.
    public var rotateEvery: SpecDuration?
    /// How long a rotated-out key stays valid; nil takes it from the policy, else 24h.
    public var gracePeriod: SpecDuration?
    /// Base64 X25519 public keys that receive the key sealed with HPKE.
    public var recipients: [String]

    /// Creates key settings; generation 1, no own interval, no recipients.
    public init(generation: Int = 1, rotateEvery: SpecDuration? = nil,
                gracePeriod: SpecDuration? = nil, recipients: [String] = []) {
        self.generation = generation
        self.rotateEvery = rotateEvery
        self.gracePeriod = gracePeriod
        self.recipients = recipients
    }

    /// The grace period used when neither the bot nor a policy sets one.
    public static let defaultGracePeriod = SpecDuration(seconds: 86_400)
}
