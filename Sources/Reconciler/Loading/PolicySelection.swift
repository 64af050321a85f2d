import BotRuntime

/// Which key rotation policy applies to a bot.
public enum PolicySelection: Sendable, Equatable {
    /// No policy selects the bot.
    case none
    /// The named policy is the most specific one that selects the bot.
    case policy(String)
    /// Two policies select the bot with equally specific selectors.
    case tie(String, String)

    /// Picks the policy whose selector matches the bot's labels with the most
    /// labels; a tie between the most specific ones is reported as `.tie`.
    public static func select(for bot: BotSpec, among policies: [KeyRotationPolicySpec]) -> PolicySelection {
        let matching = policies.filter { $0.selects(bot.metadata.labels) }
            .sorted { ($0.selector.count, $1.name) > ($1.selector.count, $0.name) }
        guard let best = matching.first else { return .none }
        if matching.count > 1, matching[1].selector.count == best.selector.count {
            return .tie(best.name, matching[1].name)
        }
        return .policy(best.name)
    }
}
