import BotRuntime
import Foundation

/// Decoding of `kind: Bot`.
extension DeclarationContext {
    mutating func bot(_ metadata: ObjectMeta, _ spec: DocumentReader.Fields) -> BotSpec? {
        var bot = BotSpec(metadata: metadata)
        var valid = true
        let reader = self.reader
        if let value = reader.optional(spec, "displayName", &valid, { reader.string($0, $1, maxLength: 100) }) {
            bot.displayName = value
        }
        if let value = reader.optional(spec, "description", &valid, { reader.string($0, $1, maxLength: 4096) }) {
            bot.description = value
        }
        if let value = reader.optional(spec, "systemPrompt", &valid, { reader.string($0, $1, maxLength: 32_768) }) {
            bot.systemPrompt = value
        }
        if let node = spec["model"] {
            if let model = model(node) { bot.model = model } else { valid = false }
        }
        if let items = reader.optional(spec, "honeyJars", &valid, { reader.strings($0, $1) }) {
            var seen: Set<String> = []
            for (index, (name, position)) in items.enumerated() {
                fieldPositions["spec.honeyJars[\(index)]"] = position
                if !seen.insert(name).inserted {
                    reader.report(at: position, "spec.honeyJars lists \"\(name)\" twice")
                    valid = false
                }
            }
            bot.honeyJars = items.map(\.0)
        }
        if let value = reader.optional(spec, "visibility", &valid, { reader.choice($0, $1, as: BotSpec.Visibility.self) }) {
            bot.visibility = value
        }
        if let value = reader.optional(spec, "status", &valid, { reader.choice($0, $1, as: BotSpec.Status.self) }) {
            bot.status = value
        }
        if let value = reader.optional(spec, "maxConversationLength", &valid, { reader.integer($0, $1, in: 1...1000) }) {
            bot.maxConversationLength = value
        }
        if let value = reader.optional(spec, "confidenceThreshold", &valid, { reader.number($0, $1, in: 0...1) }) {
            bot.confidenceThreshold = value
        }
        if let node = spec["rateLimits"] {
            if let limits = rateLimits(node) { bot.rateLimits = limits } else { valid = false }
        }
        if let node = spec["handoff"] {
            if let handoff = handoff(node, botThreshold: bot.confidenceThreshold) { bot.handoff = handoff } else { valid = false }
        } else if bot.handoff.confidenceThreshold > bot.confidenceThreshold, let node = spec["confidenceThreshold"] {
            reader.report(node, "spec.confidenceThreshold \(bot.confidenceThreshold) is below the default handoff.confidenceThreshold \(bot.handoff.confidenceThreshold); set spec.handoff.confidenceThreshold no higher than it")
            valid = false
        }
        if let node = spec["apiKeys"] {
            if let keys = apiKeys(node) { bot.apiKeys = keys } else { valid = false }
        }
        return valid ? bot : nil
    }

    private mutating func model(_ node: Int32) -> ModelSpec? {
        guard let fields = reader.fields(node, "spec.model", allowed: DeclarationSchema.fields("Bot.spec.model")) else { return nil }
        var valid = true
        var model = ModelSpec()
        let reader = self.reader
        if let provider = reader.optional(fields, "provider", &valid, { reader.choice($0, $1, as: ModelSpec.Provider.self) }) {
            model.provider = provider
        }
        model.endpoint = reader.optional(fields, "endpoint", &valid, { reader.string($0, $1, maxLength: 253) })
        if let node = fields["endpoint"] { fieldPositions["spec.model.endpoint"] = reader.position(node) }
        model.name = reader.optional(fields, "name", &valid, { reader.string($0, $1, maxLength: 253) })
        model.temperature = reader.optional(fields, "temperature", &valid, { reader.number($0, $1, in: 0...2) })
        model.maxTokens = reader.optional(fields, "maxTokens", &valid, { reader.integer($0, $1, in: 1...1_000_000) })
        model.fallback = reader.optional(fields, "fallback", &valid, { reader.choice($0, $1, as: ModelSpec.Fallback.self) })
        guard valid else { return nil }
        switch model.provider {
        case .openai:
            for field in ["endpoint", "name"] where fields[field] == nil {
                reader.report(node, "spec.model with provider openai is missing the required field \"\(field)\"")
                valid = false
            }
        case .knowledge:
            for field in ["endpoint", "name", "temperature", "maxTokens", "fallback"] {
                if let value = fields[field] {
                    reader.report(value, "spec.model.\(field) applies only to provider openai; the knowledge responder has no \(field)")
                    valid = false
                }
            }
        }
        return valid ? model : nil
    }

    private func rateLimits(_ node: Int32) -> RateLimits? {
        guard let fields = reader.fields(node, "spec.rateLimits", allowed: DeclarationSchema.fields("Bot.spec.rateLimits")) else { return nil }
        var valid = true
        var limits = RateLimits()
        let reader = self.reader
        let range = 0...1_000_000_000
        if let value = reader.optional(fields, "perHour", &valid, { reader.integer($0, $1, in: range) }) { limits.perHour = value }
        if let value = reader.optional(fields, "perDay", &valid, { reader.integer($0, $1, in: range) }) { limits.perDay = value }
        if valid, limits.perDay < limits.perHour {
            reader.report(fields["perDay"] ?? fields["perHour"] ?? node,
                          "spec.rateLimits.perDay (\(limits.perDay)) must be at least perHour (\(limits.perHour))")
            valid = false
        }
        return valid ? limits : nil
    }

    private mutating func handoff(_ node: Int32, botThreshold: Double) -> HandoffSpec? {
        guard let fields = reader.fields(node, "spec.handoff", allowed: DeclarationSchema.fields("Bot.spec.handoff")) else { return nil }
        var valid = true
        var handoff = HandoffSpec()
        let reader = self.reader
        if let value = reader.optional(fields, "enabled", &valid, { reader.boolean($0, $1) }) { handoff.enabled = value }
        if let value = reader.optional(fields, "keywords", &valid, { phrases($0, $1) }) { handoff.keywords = value }
        if let value = reader.optional(fields, "confidenceThreshold", &valid, { reader.number($0, $1, in: 0...1) }) {
            handoff.confidenceThreshold = value
        }
        if valid, handoff.confidenceThreshold > botThreshold {
            reader.report(fields["confidenceThreshold"] ?? node,
                          "spec.handoff.confidenceThreshold (\(handoff.confidenceThreshold)) must not exceed spec.confidenceThreshold (\(botThreshold))")
            valid = false
        }
        if let urgencyNode = fields["urgency"] {
            if let urgency = reader.fields(urgencyNode, "spec.handoff.urgency", allowed: DeclarationSchema.fields("Bot.spec.handoff.urgency")) {
                if let value = reader.optional(urgency, "critical", &valid, { phrases($0, $1) }) { handoff.urgency.critical = value }
                if let value = reader.optional(urgency, "high", &valid, { phrases($0, $1) }) { handoff.urgency.high = value }
                if let value = reader.optional(urgency, "medium", &valid, { phrases($0, $1) }) { handoff.urgency.medium = value }
                if let value = reader.optional(urgency, "low", &valid, { phrases($0, $1) }) { handoff.urgency.low = value }
            } else {
                valid = false
            }
        }
        if let notifyNode = fields["notify"] {
            if let notify = notify(notifyNode) { handoff.notify = notify } else { valid = false }
        }
        if let slaNode = fields["sla"] {
            if let sla = reader.fields(slaNode, "spec.handoff.sla", allowed: DeclarationSchema.fields("Bot.spec.handoff.sla")) {
                if let value = reader.optional(sla, "critical", &valid, { reader.duration($0, $1) }) { handoff.sla.critical = value }
                if let value = reader.optional(sla, "high", &valid, { reader.duration($0, $1) }) { handoff.sla.high = value }
                if let value = reader.optional(sla, "medium", &valid, { reader.duration($0, $1) }) { handoff.sla.medium = value }
                if let value = reader.optional(sla, "low", &valid, { reader.duration($0, $1) }) { handoff.sla.low = value }
            } else {
                valid = false
            }
        }
        return valid ? handoff : nil
    }

    private mutating func notify(_ node: Int32) -> NotifySpec? {
        guard let fields = reader.fields(node, "spec.handoff.notify", allowed: DeclarationSchema.fields("Bot.spec.handoff.notify")) else { return nil }
        var valid = true
        var notify = NotifySpec()
        let reader = self.reader
        if let node = fields["webhooks"] { fieldPositions["spec.handoff.notify.webhooks"] = reader.position(node) }
        if let value = reader.optional(fields, "inApp", &valid, { reader.boolean($0, $1) }) { notify.inApp = value }
        if let items = reader.optional(fields, "email", &valid, { reader.strings($0, $1) }) {
            for (address, position) in items where !NameRules.isEmailAddress(address) {
                reader.report(at: position, "spec.handoff.notify.email \"\(address)\" is not an email address")
                valid = false
            }
            notify.email = items.map(\.0)
        }
        if let items = reader.optional(fields, "webhooks", &valid, { reader.strings($0, $1) }) {
            for (name, position) in items {
                if let problem = NameRules.dnsLabelProblem(name) {
                    reader.report(at: position, "webhook name \"\(name)\" \(problem); it names a webhook of the daemon configuration, never a URL")
                    valid = false
                }
            }
            notify.webhooks = items.map(\.0)
        }
        return valid ? notify : nil
    }

    private mutating func apiKeys(_ node: Int32) -> APIKeySpec? {
        guard let fields = reader.fields(node, "spec.apiKeys", allowed: DeclarationSchema.fields("Bot.spec.apiKeys")) else { return nil }
        var valid = true
        var keys = APIKeySpec()
        let reader = self.reader
        if let value = reader.optional(fields, "generation", &valid, { reader.integer($0, $1, in: 1...Int(Int32.max)) }) {
            keys.generation = value
        }
        keys.rotateEvery = reader.optional(fields, "rotateEvery", &valid, { reader.duration($0, $1) })
        keys.gracePeriod = reader.optional(fields, "gracePeriod", &valid, { reader.duration($0, $1, allowZero: true) })
        for field in ["gracePeriod", "rotateEvery"] {
            if let node = fields[field] { fieldPositions["spec.apiKeys.\(field)"] = reader.position(node) }
        }
        if let items = reader.optional(fields, "recipients", &valid, { reader.strings($0, $1) }) {
            var seen: Set<Data> = []
            for (index, (key, position)) in items.enumerated() {
                if let bytes = Data(base64Encoded: key), !seen.insert(bytes).inserted {
                    reader.report(at: position, "spec.apiKeys.recipients[\(index)] repeats an earlier recipient")
                    valid = false
                    continue
                }
                if let problem = NameRules.recipientProblem(key) {
                    reader.report(at: position, "spec.apiKeys.recipients[\(index)] \(problem); recipients are base64 X25519 public keys (nectar keys identity new)")
                    valid = false
                }
            }
            keys.recipients = items.map(\.0)
        }
        if valid, let every = keys.rotateEvery, let grace = keys.gracePeriod, grace >= every {
            reader.report(fields["gracePeriod"] ?? node,
                          "spec.apiKeys.gracePeriod (\(grace)) must be shorter than rotateEvery (\(every))")
            valid = false
        }
        return valid ? keys : nil
    }

    private func phrases(_ node: Int32, _ fieldPath: String) -> [String]? {
        guard let items = reader.strings(node, fieldPath) else { return nil }
        var valid = true
        for (text, position) in items where text.utf8.allSatisfy({ $0 == 32 || $0 == 9 }) {
            reader.report(at: position, "\(fieldPath) contains an empty keyword")
            valid = false
        }
        return valid ? items.map(\.0) : nil
    }
}
