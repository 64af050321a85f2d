/// A parsed YAML document as a plain tree with a position on every node:
/// the public face of the YAML layer, for small files such as the daemon's
/// configuration (declarations use the arena directly, for speed).
public struct YAMLValue: Sendable {
    /// What a node holds.
    public enum Content: Sendable {
        /// A scalar's text; `plain` when unquoted and untagged (so `null`,
        /// `~` and empty resolve to null by the YAML 1.2 core schema).
        case scalar(String, plain: Bool)
        /// Key/value pairs in document order.
        case mapping([(key: YAMLValue, value: YAMLValue)])
        case sequence([YAMLValue])
    }

    public var content: Content
    public var position: SourcePosition

    /// Parses the documents of a file; `nil` stands for an empty document.
    public static func parse(_ bytes: [UInt8], limits: YAMLLimits = YAMLLimits()) throws(YAMLError) -> [YAMLValue?] {
        try YAMLParser(limits: limits).parse(bytes).map { document in
            document.root.map { YAMLValue(document, $0) }
        }
    }

    private init(_ document: YAMLDocument, _ index: Int32) {
        let node = document[index]
        position = node.position
        switch node.kind {
        case .scalar:
            content = .scalar(node.text, plain: node.isPlain)
        case .mapping:
            content = .mapping(document.pairs(of: index).map { (YAMLValue(document, $0.key), YAMLValue(document, $0.value)) })
        case .sequence:
            content = .sequence(document.childIndices(of: index).map { YAMLValue(document, $0) })
        }
    }

    /// A plain `null`, `~` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let text, plain: true) = content { return ScalarResolution.isNull(text) }
        return false
    }

    /// The scalar's text, or nil for a collection.
    public var text: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }
}
