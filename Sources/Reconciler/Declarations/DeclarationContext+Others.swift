import BotRuntime

/// Decoding of `kind: HoneyJar`, `kind: KeyRotationPolicy` and `kind: Operator`.
extension DeclarationContext {
    mutating func honeyJar(_ metadata: ObjectMeta, _ spec: DocumentReader.Fields) -> HoneyJarSpec? {
        var valid = true
        let reader = self.reader
        let description = reader.optional(spec, "description", &valid, { reader.string($0, $1, maxLength: 4096) }) ?? ""
        var sources: [String] = []
        if let node = reader.require(spec, "sources") {
            if let items = reader.strings(node, "spec.sources") {
                if items.isEmpty {
                    reader.report(node, "spec.sources must list at least one pattern")
                    valid = false
                }
                for (index, (pattern, position)) in items.enumerated() {
                    fieldPositions["spec.sources[\(index)]"] = position
                    if let problem = GlobPattern.problem(pattern) {
                        reader.report(at: position, "source pattern \"\(pattern)\" \(problem)")
                        valid = false
                    }
                }
                sources = items.map(\.0)
            } else {
                valid = false
            }
        } else {
            valid = false
        }
        return valid ? HoneyJarSpec(metadata: metadata, description: description, sources: sources) : nil
    }

    mutating func policy(_ metadata: ObjectMeta, _ spec: DocumentReader.Fields) -> KeyRotationPolicySpec? {
        var valid = true
        let reader = self.reader
        var selector: [String: String] = [:]
        if let node = reader.require(spec, "selector") {
            if let (values, _) = reader.stringMap(node, "spec.selector") { selector = values } else { valid = false }
        } else {
            valid = false
        }
        var rotateEvery: SpecDuration?
        if let node = reader.require(spec, "rotateEvery") {
            rotateEvery = reader.duration(node, "spec.rotateEvery")
        }
        if rotateEvery == nil { valid = false }
        let grace = reader.optional(spec, "gracePeriod", &valid, { reader.duration($0, $1, allowZero: true) })
        let maxAge = reader.optional(spec, "maxKeyAge", &valid, { reader.duration($0, $1) })
        guard valid, let rotateEvery else { return nil }
        let gracePeriod = grace ?? APIKeySpec.defaultGracePeriod
        if gracePeriod >= rotateEvery {
            if let node = spec["gracePeriod"] {
                reader.report(node, "spec.gracePeriod (\(gracePeriod)) must be shorter than rotateEvery (\(rotateEvery))")
            } else {
                reader.report(spec["rotateEvery"] ?? spec.node,
                              "spec.rotateEvery (\(rotateEvery)) must be longer than the default gracePeriod (\(gracePeriod)); set a shorter gracePeriod")
            }
            valid = false
        }
        if let maxAge, maxAge < rotateEvery, let node = spec["maxKeyAge"] {
            reader.report(node, "spec.maxKeyAge (\(maxAge)) must be at least rotateEvery (\(rotateEvery))")
            valid = false
        }
        guard valid else { return nil }
        return KeyRotationPolicySpec(metadata: metadata, selector: selector, rotateEvery: rotateEvery,
                                     gracePeriod: gracePeriod, maxKeyAge: maxAge)
    }

    mutating func operatorSpec(_ metadata: ObjectMeta, _ spec: DocumentReader.Fields) -> OperatorSpec? {
        var valid = true
        let reader = self.reader
        var email = ""
        if let node = reader.require(spec, "email"), let text = reader.string(node, "spec.email", maxLength: 254) {
            if NameRules.isEmailAddress(text) {
                email = text
            } else {
                reader.report(node, "spec.email \"\(text)\" is not an email address")
                valid = false
            }
        } else {
            valid = false
        }
        let role = reader.optional(spec, "role", &valid, { reader.choice($0, $1, as: OperatorSpec.Role.self) }) ?? .agent
        var teams: [String] = []
        if let items = reader.optional(spec, "teams", &valid, { reader.strings($0, $1) }) {
            for (team, position) in items {
                if let problem = NameRules.dnsLabelProblem(team) {
                    reader.report(at: position, "team \"\(team)\" \(problem)")
                    valid = false
                }
            }
            teams = items.map(\.0)
        }
        return valid ? OperatorSpec(metadata: metadata, email: email, role: role, teams: teams) : nil
    }
}
