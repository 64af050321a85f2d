import BotRuntime

/// The key rotation settings that apply to one bot once its own `apiKeys`
/// fields and the most specific selecting policy are combined.
public struct EffectiveRotation: Sendable, Hashable {
    /// Rotation interval, or nil when nothing asks for time-based rotation.
    public var rotateEvery: SpecDuration?
    /// How long a rotated-out key stays valid.
    public var gracePeriod: SpecDuration
    /// The longest an active key may live before drift reports it.
    public var maxKeyAge: SpecDuration?
    /// The policy that contributed any value, if one did.
    public var policy: String?

    /// Combines a bot's own fields (which win) with the selected policy.
    public static func resolve(for bot: BotSpec, among policies: [KeyRotationPolicySpec]) -> EffectiveRotation {
        var policy: KeyRotationPolicySpec?
        if case .policy(let name) = PolicySelection.select(for: bot, among: policies) {
            policy = policies.first { $0.name == name }
        }
        return resolve(for: bot, policy: policy)
    }

    /// Combines a bot's own fields with an already selected policy.
    public static func resolve(for bot: BotSpec, policy: KeyRotationPolicySpec?) -> EffectiveRotation {
        let keys = bot.apiKeys
        let usesPolicy = policy != nil && (keys.rotateEvery == nil || keys.gracePeriod == nil || policy?.maxKeyAge != nil)
        return EffectiveRotation(
            rotateEvery: keys.rotateEvery ?? policy?.rotateEvery,
            gracePeriod: keys.gracePeriod ?? policy?.gracePeriod ?? APIKeySpec.defaultGracePeriod,
            maxKeyAge: policy?.maxKeyAge,
            policy: usesPolicy ? policy?.name : nil
        )
    }
}
