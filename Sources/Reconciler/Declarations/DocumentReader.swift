import BotRuntime
import Foundation

/// Reads typed values out of one YAML document, collecting a diagnostic for
/// every problem instead of stopping at the first.
final class DocumentReader {
    let document: YAMLDocument
    let path: String
    private(set) var diagnostics: [Diagnostic] = []

    init(document: YAMLDocument, path: String) {
        self.document = document
        self.path = path
    }

    /// The keys of one mapping, after duplicate and unknown-key checks.
    /// Mappings in declarations are small, so a linear scan beats hashing.
    struct Fields {
        let node: Int32
        let path: String
        /// Accepted keys with their key and value nodes, in document order.
        var entries: [(name: String, key: Int32, value: Int32)]
        /// Every key seen, accepted or not, with its node, so that a rejected
        /// key is not also reported as missing and a repeat names the first.
        var seen: [(name: String, key: Int32)]

        subscript(_ name: String) -> Int32? {
            for entry in entries where entry.name == name { return entry.value }
            return nil
        }

        func key(_ name: String) -> Int32? {
            for entry in entries where entry.name == name { return entry.key }
            return nil
        }
    }

    func report(_ node: Int32, _ message: String) {
        diagnostics.append(Diagnostic(path: path, at: document[node].position, message))
    }

    func report(at position: SourcePosition, _ message: String) {
        diagnostics.append(Diagnostic(path: path, at: position, message))
    }

    func position(_ node: Int32) -> SourcePosition { document.nodes[Int(node)].position }

    /// The text of a scalar node and whether it is plain, or nil for a collection.
    @inline(__always)
    func scalar(_ node: Int32) -> (text: String, isPlain: Bool)? {
        let index = Int(node)
        guard document.nodes[index].kind == .scalar else { return nil }
        return (document.nodes[index].text, document.nodes[index].isPlain)
    }

    /// How a node looks in an error message: `"abc"`, `a list`, `a mapping`.
    func describe(_ node: Int32) -> String {
        let value = document[node]
        switch value.kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            if value.isPlain && ScalarResolution.isNull(value.text) { return "nothing (null)" }
            let text = value.text.count > 40 ? String(value.text.prefix(40)) + "…" : value.text
            return "\"\(text)\""
        }
    }

    /// Mappings up to this many keys are checked for duplicates by a scan.
    static let linearKeyScan = 16

    /// Reads a mapping whose keys must be among `allowed` (nil: any keys).
    func fields(_ node: Int32, _ fieldPath: String, allowed: [String]?) -> Fields? {
        guard document.nodes[Int(node)].kind == .mapping else {
            report(node, "\(fieldPath) must be a mapping, found \(describe(node))")
            return nil
        }
        var fields = Fields(node: node, path: fieldPath, entries: [], seen: [])
        let slice = document.childIndices(of: node)
        fields.entries.reserveCapacity(slice.count / 2)
        var iterator = slice.makeIterator()
        // Duplicate keys: a scan while the mapping is small, a hash index
        // above that (a 40,000-key mapping was quadratic).
        var index: [String: Int32] = [:]
        while let key = iterator.next(), let item = iterator.next() {
            guard let name = scalar(key)?.text else {
                report(key, "keys in \(fieldPath) must be plain strings, found \(describe(key))")
                continue
            }
            let first = fields.seen.count <= Self.linearKeyScan
                ? fields.seen.first(where: { $0.name == name })?.key : index[name]
            if let first {
                report(key, "duplicate key \"\(name)\" in \(fieldPath) (first at line \(position(first).line))")
                continue
            }
            fields.seen.append((name, key))
            if fields.seen.count == Self.linearKeyScan + 1 {
                for (seenName, seenKey) in fields.seen where index[seenName] == nil { index[seenName] = seenKey }
            } else if fields.seen.count > Self.linearKeyScan + 1 {
                index[name] = key
            }
            if let allowed, !allowed.contains(name) {
                var message = "unknown field \"\(name)\" in \(fieldPath)"
                if let hint = NameHint.closest(to: name, among: allowed) {
                    message += "; did you mean \"\(hint)\"?"
                } else {
                    message += " (allowed: \(allowed.joined(separator: ", ")))"
                }
                report(key, message)
                continue
            }
            fields.entries.append((name, key, item))
        }
        return fields
    }

    /// Reports a missing required field at the mapping that lacks it.
    func require(_ fields: Fields, _ name: String) -> Int32? {
        if let node = fields[name] { return node }
        if !fields.seen.contains(where: { $0.name == name }) {
            report(fields.node, "\(fields.path) is missing the required field \"\(name)\"")
        }
        return nil
    }

    func string(_ node: Int32, _ fieldPath: String, maxLength: Int? = nil) -> String? {
        guard let value = scalar(node), !(value.isPlain && ScalarResolution.isNull(value.text)) else {
            report(node, "\(fieldPath) must be a string, found \(describe(node))")
            return nil
        }
        // Counting characters is costly; UTF-8 length bounds it from above.
        if let maxLength, value.text.utf8.count > maxLength, value.text.count > maxLength {
            report(node, "\(fieldPath) is \(value.text.count) characters long, more than the limit of \(maxLength)")
            return nil
        }
        return value.text
    }

    func integer(_ node: Int32, _ fieldPath: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = scalar(node), value.isPlain, let number = ScalarResolution.integer(value.text) else {
            report(node, "\(fieldPath) must be an integer, found \(describe(node))")
            return nil
        }
        guard range.contains(number) else {
            report(node, "\(fieldPath) must be \(Self.describe(range)), found \(number)")
            return nil
        }
        return number
    }

    func number(_ node: Int32, _ fieldPath: String, in range: ClosedRange<Double>) -> Double? {
        guard let value = scalar(node), value.isPlain, let number = ScalarResolution.number(value.text), number.isFinite else {
            report(node, "\(fieldPath) must be a number, found \(describe(node))")
            return nil
        }
        guard range.contains(number) else {
            report(node, "\(fieldPath) must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), found \(value.text)")
            return nil
        }
        return number
    }

    func boolean(_ node: Int32, _ fieldPath: String) -> Bool? {
        guard let value = scalar(node), value.isPlain, let flag = ScalarResolution.boolean(value.text) else {
            report(node, "\(fieldPath) must be true or false, found \(describe(node))")
            return nil
        }
        return flag
    }

    func choice<Value: RawRepresentable & CaseIterable>(_ node: Int32, _ fieldPath: String, as type: Value.Type) -> Value?
    where Value.RawValue == String {
        guard let text = string(node, fieldPath) else { return nil }
        if let value = Value(rawValue: text) { return value }
        let options = Value.allCases.map(\.rawValue)
        var message = "\(fieldPath) must be one of \(options.joined(separator: ", ")), found \"\(text)\""
        if let hint = NameHint.closest(to: text, among: options) { message += "; did you mean \"\(hint)\"?" }
        report(node, message)
        return nil
    }

    func duration(_ node: Int32, _ fieldPath: String, allowZero: Bool = false) -> SpecDuration? {
        guard let text = string(node, fieldPath) else { return nil }
        guard let duration = SpecDuration(parsing: text) else {
            report(node, "\(fieldPath) must be a duration such as 90s, 15m, 24h or 30d, found \"\(text)\"")
            return nil
        }
        if duration.seconds == 0 && !allowZero {
            report(node, "\(fieldPath) must be longer than 0s")
            return nil
        }
        return duration
    }

    /// A list of strings with the position of each item.
    func strings(_ node: Int32, _ fieldPath: String) -> [(String, SourcePosition)]? {
        guard document.nodes[Int(node)].kind == .sequence else {
            report(node, "\(fieldPath) must be a list, found \(describe(node))")
            return nil
        }
        var result: [(String, SourcePosition)] = []
        var valid = true
        for (index, item) in document.childIndices(of: node).enumerated() {
            if let text = string(item, "\(fieldPath)[\(index)]") {
                result.append((text, position(item)))
            } else {
                valid = false
            }
        }
        return valid ? result : nil
    }

    /// A mapping of strings to strings, such as labels, with each key's node.
    func stringMap(_ node: Int32, _ fieldPath: String) -> (values: [String: String], keys: [String: Int32])? {
        guard let fields = fields(node, fieldPath, allowed: nil) else { return nil }
        var result: [String: String] = [:]
        var valid = true
        var keys: [String: Int32] = [:]
        for entry in fields.entries {
            keys[entry.name] = entry.key
            if let text = string(entry.value, "\(fieldPath).\(entry.name)") {
                result[entry.name] = text
            } else {
                valid = false
            }
        }
        return valid ? (result, keys) : nil
    }

    /// Decodes the optional field `name` with `read`, clearing `valid` when it fails.
    func optional<Value>(_ fields: Fields, _ name: String, _ valid: inout Bool,
                         _ read: (Int32, String) -> Value?) -> Value? {
        guard let node = fields[name] else { return nil }
        let value = read(node, "\(fields.path).\(name)")
        if value == nil { valid = false }
        return value
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "at least \(range.lowerBound)" }
        return "between \(range.lowerBound) and \(range.upperBound)"
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
