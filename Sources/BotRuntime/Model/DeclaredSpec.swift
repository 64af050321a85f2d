/// A spec of one declaration kind: what the reconciler stores and compares.
public protocol DeclaredSpec: Sendable, Hashable, Codable, CanonicalJSONEncodable {
    /// The kind this spec declares.
    static var objectKind: ObjectKind { get }
    /// The declared object's name (`metadata.name`).
    var name: String { get }
}

extension BotSpec: DeclaredSpec {
    public static var objectKind: ObjectKind { .bot }
}

extension HoneyJarSpec: DeclaredSpec {
    public static var objectKind: ObjectKind { .honeyJar }
}

extension KeyRotationPolicySpec: DeclaredSpec {
    public static var objectKind: ObjectKind { .keyRotationPolicy }
}

extension OperatorSpec: DeclaredSpec {
    public static var objectKind: ObjectKind { .operator }
}
