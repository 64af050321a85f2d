/// The shape of nectar declarations: the one list of field names per object
/// that the decoder enforces and that `docs/nectar.schema.json` must match.
public enum DeclarationSchema {
    /// The only accepted `apiVersion`.
    public static let apiVersion = "nectar/v1"

    /// Declaration kinds, as written in `kind`.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case bot = "Bot"
        case honeyJar = "HoneyJar"
        case keyRotationPolicy = "KeyRotationPolicy"
        case `operator` = "Operator"
    }

    /// Field names of every object, keyed by its path (`Bot.spec.rateLimits`).
    /// Maps with free-form keys (labels, selector) are not listed.
    public static let objects: [String: [String]] = {
        var objects: [String: [String]] = [:]
        for kind in Kind.allCases {
            objects["\(kind.rawValue)"] = document
            objects["\(kind.rawValue).metadata"] = metadata
        }
        objects["Bot.spec"] = [
            "displayName", "description", "systemPrompt", "model", "honeyJars", "visibility", "status",
            "maxConversationLength", "confidenceThreshold", "rateLimits", "handoff", "apiKeys",
        ]
        objects["Bot.spec.model"] = ["provider", "endpoint", "name", "temperature", "maxTokens", "fallback"]
        objects["Bot.spec.rateLimits"] = ["perHour", "perDay"]
        objects["Bot.spec.handoff"] = ["enabled", "keywords", "confidenceThreshold", "urgency", "notify", "sla"]
        objects["Bot.spec.handoff.urgency"] = ["critical", "high", "medium", "low"]
        objects["Bot.spec.handoff.notify"] = ["inApp", "email", "webhooks"]
        objects["Bot.spec.handoff.sla"] = ["critical", "high", "medium", "low"]
        objects["Bot.spec.apiKeys"] = ["generation", "rotateEvery", "gracePeriod", "recipients"]
        objects["HoneyJar.spec"] = ["description", "sources"]
        objects["KeyRotationPolicy.spec"] = ["selector", "rotateEvery", "gracePeriod", "maxKeyAge"]
        objects["Operator.spec"] = ["email", "role", "teams"]
        return objects
    }()

    static let document = ["apiVersion", "kind", "metadata", "spec"]
    static let metadata = ["name", "labels", "owner"]

    /// Field names of the object at `path`.
    static func fields(_ path: String) -> [String] {
        objects[path] ?? []
    }
}
