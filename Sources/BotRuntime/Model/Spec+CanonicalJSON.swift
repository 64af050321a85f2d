/// Canonical JSON of every spec type, keys in sorted order. Keep in step with
/// the stored properties: `CanonicalJSONTests` compares with `JSONEncoder`.
extension BotSpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("apiKeys"); w.value(apiKeys)
        w.key("confidenceThreshold"); w.double(confidenceThreshold)
        w.key("description"); w.string(description)
        w.key("displayName"); w.string(displayName)
        w.key("handoff"); w.value(handoff)
        w.key("honeyJars"); w.strings(honeyJars)
        w.key("maxConversationLength"); w.int(maxConversationLength)
        w.key("metadata"); w.value(metadata)
        w.key("model"); w.value(model)
        w.key("rateLimits"); w.value(rateLimits)
        w.key("status"); w.string(status.rawValue)
        w.key("systemPrompt"); w.string(systemPrompt)
        w.key("visibility"); w.string(visibility.rawValue)
        w.endObject()
    }
}

extension ObjectMeta: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("labels"); w.stringMap(labels)
        w.key("name"); w.string(name)
        if let owner { w.key("owner"); w.string(owner) }
        w.endObject()
    }
}

extension APIKeySpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("generation"); w.int(generation)
        if let gracePeriod { w.key("gracePeriod"); w.string(gracePeriod.description) }
        w.key("recipients"); w.strings(recipients)
        if let rotateEvery { w.key("rotateEvery"); w.string(rotateEvery.description) }
        w.endObject()
    }
}

extension HandoffSpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("confidenceThreshold"); w.double(confidenceThreshold)
        w.key("enabled"); w.bool(enabled)
        w.key("keywords"); w.strings(keywords)
        w.key("notify"); w.value(notify)
        w.key("sla"); w.value(sla)
        w.key("urgency"); w.value(urgency)
        w.endObject()
    }
}

extension NotifySpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("email"); w.strings(email)
        w.key("inApp"); w.bool(inApp)
        w.key("webhooks"); w.strings(webhooks)
        w.endObject()
    }
}

extension SLATargets: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("critical"); w.string(critical.description)
        w.key("high"); w.string(high.description)
        w.key("low"); w.string(low.description)
        w.key("medium"); w.string(medium.description)
        w.endObject()
    }
}

extension UrgencyRules: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("critical"); w.strings(critical)
        w.key("high"); w.strings(high)
        w.key("low"); w.strings(low)
        w.key("medium"); w.strings(medium)
        w.endObject()
    }
}

extension ModelSpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        if let endpoint { w.key("endpoint"); w.string(endpoint) }
        if let fallback { w.key("fallback"); w.string(fallback.rawValue) }
        if let maxTokens { w.key("maxTokens"); w.int(maxTokens) }
        if let name { w.key("name"); w.string(name) }
        w.key("provider"); w.string(provider.rawValue)
        if let temperature { w.key("temperature"); w.double(temperature) }
        w.endObject()
    }
}

extension RateLimits: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("perDay"); w.int(perDay)
        w.key("perHour"); w.int(perHour)
        w.endObject()
    }
}

extension HoneyJarSpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("description"); w.string(description)
        w.key("metadata"); w.value(metadata)
        w.key("sources"); w.strings(sources)
        w.endObject()
    }
}

extension KeyRotationPolicySpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("gracePeriod"); w.string(gracePeriod.description)
        if let maxKeyAge { w.key("maxKeyAge"); w.string(maxKeyAge.description) }
        w.key("metadata"); w.value(metadata)
        w.key("rotateEvery"); w.string(rotateEvery.description)
        w.key("selector"); w.stringMap(selector)
        w.endObject()
    }
}

extension OperatorSpec: CanonicalJSONEncodable {
    public func writeCanonical(to w: inout CanonicalJSONWriter) {
        w.beginObject()
        w.key("email"); w.string(email)
        w.key("metadata"); w.value(metadata)
        w.key("role"); w.string(role.rawValue)
        w.key("teams"); w.strings(teams)
        w.endObject()
    }
}
