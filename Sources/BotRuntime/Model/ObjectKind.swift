/// The kinds of declared objects the runtime keeps, one table each.
public enum ObjectKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case bot = "Bot"
    case honeyJar = "HoneyJar"
    case keyRotationPolicy = "KeyRotationPolicy"
    case `operator` = "Operator"

    /// The SQLite table holding objects of this kind.
    var table: String {
        switch self {
        case .bot: "bot"
        case .honeyJar: "honey_jar"
        case .keyRotationPolicy: "key_rotation_policy"
        case .operator: "operator"
        }
    }

    /// Lowercase words for messages: `bot`, `honey jar`, ...
    public var noun: String {
        switch self {
        case .bot: "bot"
        case .honeyJar: "honey jar"
        case .keyRotationPolicy: "key rotation policy"
        case .operator: "operator"
        }
    }

    /// Apply order: what others refer to comes first.
    var order: Int {
        switch self {
        case .honeyJar: 0
        case .keyRotationPolicy: 1
        case .operator: 2
        case .bot: 3
        }
    }

    public static func < (lhs: ObjectKind, rhs: ObjectKind) -> Bool { lhs.order < rhs.order }
}
