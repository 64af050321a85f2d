import BotRuntime

/// Policy selection memoised by the values of the labels selectors name:
/// most bots share a few, so 10,000 bots cost a few selections.
struct PolicyIndex {
    let policies: [KeyRotationPolicySpec]
    private let selectorKeys: [String]
    private var memo: [[String?]: (PolicySelection, KeyRotationPolicySpec?)] = [:]
    private var key: [String?]

    init(_ policies: [KeyRotationPolicySpec]) {
        self.policies = policies
        self.selectorKeys = Array(Set(policies.flatMap(\.selector.keys))).sorted()
        self.key = Array(repeating: nil, count: selectorKeys.count)
    }

    /// The selection for a bot and the selected policy, if one.
    mutating func select(_ bot: BotSpec) -> (PolicySelection, KeyRotationPolicySpec?) {
        let labels = bot.metadata.labels
        for (index, name) in selectorKeys.enumerated() { key[index] = labels[name] }
        if let known = memo[key] { return known }
        let selection = PolicySelection.select(for: bot, among: policies)
        var selected: KeyRotationPolicySpec?
        if case .policy(let name) = selection { selected = policies.first { $0.name == name } }
        memo[key] = (selection, selected)
        return (selection, selected)
    }

    /// The rotation settings that apply to a bot.
    mutating func rotation(for bot: BotSpec) -> EffectiveRotation {
        EffectiveRotation.resolve(for: bot, policy: select(bot).1)
    }
}
