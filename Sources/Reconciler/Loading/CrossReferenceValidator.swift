import BotRuntime

/// Checks that span declarations: unique names per kind, honey-jar references,
/// rotation-policy ties, and grace periods against the effective interval.
struct CrossReferenceValidator {
    var state: DesiredState
    private(set) var diagnostics: [Diagnostic] = []

    init(state: DesiredState) {
        self.state = state
    }

    mutating func run() {
        state.bots = unique(state.bots, kind: "Bot")
        state.honeyJars = unique(state.honeyJars, kind: "HoneyJar")
        state.policies = unique(state.policies, kind: "KeyRotationPolicy")
        state.operators = unique(state.operators, kind: "Operator")
        checkHoneyJarReferences()
        checkPolicies()
    }

    /// Keeps the first declaration of each name (in file order) and reports the others.
    private mutating func unique<Spec>(_ items: [Declared<Spec>], kind: String) -> [Declared<Spec>] {
        // Items arrive in file order and, within a file, in document order.
        var first: [String: Int] = [:]
        first.reserveCapacity(items.count)
        var duplicates: [Int] = []
        for (index, item) in items.enumerated() {
            let name = item.spec.name
            if let original = first[name] {
                diagnostics.append(Diagnostic(path: item.origin.path, at: item.origin.position,
                    "\(kind) \"\(name)\" is declared twice: here and at \(items[original].origin.location)"))
                duplicates.append(index)
            } else {
                first[name] = index
            }
        }
        guard !duplicates.isEmpty else { return items }
        let dropped = Set(duplicates)
        return items.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
    }

    private mutating func checkHoneyJarReferences() {
        let declared = state.honeyJars.map(\.spec.name)
        let names = Set(declared)
        // One hint per distinct unknown name, for the first few of them: a
        // revision with thousands of unknown references against thousands
        // of jars must not spend minutes on suggestions.
        var hints: [String: String?] = [:]
        for bot in state.bots {
            for (index, jar) in bot.spec.honeyJars.enumerated() where !names.contains(jar) {
                var message = "bot \"\(bot.spec.name)\" uses honey jar \"\(jar)\", which is not declared"
                if hints[jar] == nil, hints.count < NameHint.maxNamesHinted {
                    hints[jar] = .some(NameHint.closest(to: jar, among: declared))
                }
                if let hint = hints[jar] ?? nil { message += "; did you mean \"\(hint)\"?" }
                diagnostics.append(Diagnostic(path: bot.origin.path, at: bot.position(of: "spec.honeyJars[\(index)]"), message))
            }
        }
    }

    private mutating func checkPolicies() {
        let policies = state.policies.map(\.spec)
        guard !policies.isEmpty || state.bots.contains(where: { $0.spec.apiKeys.rotateEvery != nil }) else { return }
        var index = PolicyIndex(policies)
        for bot in state.bots {
            let (selection, selected) = index.select(bot.spec)
            if case .tie(let first, let second) = selection {
                let a = state.policies.first { $0.spec.name == first }!
                let b = state.policies.first { $0.spec.name == second }!
                diagnostics.append(Diagnostic(path: bot.origin.path, at: bot.origin.position,
                    "bot \"\(bot.spec.name)\" is selected equally by key rotation policies \"\(first)\" (\(a.origin.location)) and \"\(second)\" (\(b.origin.location)); make one selector more specific"))
                continue
            }
            checkRotation(bot, selected)
        }
    }

    /// The combined grace period must be shorter than the combined interval,
    /// and the interval no longer than the policy's maxKeyAge.
    private mutating func checkRotation(_ bot: Declared<BotSpec>, _ policy: KeyRotationPolicySpec?) {
        let keys = bot.spec.apiKeys
        // A policy's own values were checked when it was decoded; only a
        // bot's own rotateEvery or gracePeriod can conflict with them.
        guard keys.rotateEvery != nil || keys.gracePeriod != nil else { return }
        let effective = EffectiveRotation.resolve(for: bot.spec, policy: policy)
        guard let every = effective.rotateEvery else {
            return
        }
        if effective.gracePeriod >= every, !(keys.rotateEvery != nil && keys.gracePeriod != nil) {
            let graceSource = keys.gracePeriod != nil ? "spec.apiKeys.gracePeriod"
                : effective.policy.map { "the gracePeriod of key rotation policy \"\($0)\"" } ?? "the default gracePeriod"
            let everySource = keys.rotateEvery != nil ? "spec.apiKeys.rotateEvery"
                : effective.policy.map { "the rotateEvery of key rotation policy \"\($0)\"" } ?? "rotateEvery"
            diagnostics.append(Diagnostic(path: bot.origin.path, at: bot.position(of: keys.gracePeriod != nil ? "spec.apiKeys.gracePeriod" : "spec.apiKeys.rotateEvery"),
                "bot \"\(bot.spec.name)\": \(graceSource) (\(effective.gracePeriod)) must be shorter than \(everySource) (\(every))"))
        }
        if let maxAge = effective.maxKeyAge, every > maxAge, let policy = effective.policy {
            diagnostics.append(Diagnostic(path: bot.origin.path, at: bot.position(of: "spec.apiKeys.rotateEvery"),
                "bot \"\(bot.spec.name)\" rotates every \(every), longer than maxKeyAge (\(maxAge)) of key rotation policy \"\(policy)\", so its keys would always be overdue"))
        }
    }
}
