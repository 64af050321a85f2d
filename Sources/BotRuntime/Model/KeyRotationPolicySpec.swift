/// A declared key rotation policy that applies to the bots its selector matches.
public struct KeyRotationPolicySpec: Sendable, Hashable, Codable {
    /// Name and labels.
    public var metadata: ObjectMeta
    /// Labels a bot must carry (all of them) to be selected; empty selects every bot.
    public var selector: [String: String]
    /// Rotation interval.
    public var rotateEvery: SpecDuration
    /// How long a rotated-out key stays valid.
    public var gracePeriod: SpecDuration
    /// An active key older than this is drift.
    public var maxKeyAge: SpecDuration?

    /// The policy's name.
    public var name: String { metadata.name }

    /// Creates a policy; the grace period defaults to 24 hours.
    public init(metadata: ObjectMeta, selector: [String: String], rotateEvery: SpecDuration,
                gracePeriod: SpecDuration = APIKeySpec.defaultGracePeriod, maxKeyAge: SpecDuration? = nil) {
        self.metadata = metadata
        self.selector = selector
        self.rotateEvery = rotateEvery
        self.gracePeriod = gracePeriod
        self.maxKeyAge = maxKeyAge
    }

    /// Whether the policy selects a bot with these labels.
    public func selects(_ labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }
}
