import BotRuntime
import Foundation
@testable import Reconciler

/// A JSON value, for checking YAML documents against the JSON Schema.
indirect enum SchemaValue: Equatable, Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([SchemaValue])
    case object([String: SchemaValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int.self) { self = .integer(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([SchemaValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: SchemaValue].self))
    }

    subscript(_ key: String) -> SchemaValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var objectValue: [String: SchemaValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .string(let value): return "\"\(value)\""
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}

/// Converts YAML documents to JSON values the way a YAML 1.2 editor sees
/// them: plain scalars by the core schema (null, bool, int, float, else
/// string), quoted or `!!str`-tagged scalars as strings.
enum YAMLToJSON {
    static func documents(_ bytes: [UInt8]) throws -> [SchemaValue] {
        try YAMLParser().parse(bytes).compactMap { document in
            document.root.map { value(document, $0) }
        }
    }

    static func value(_ document: YAMLDocument, _ index: Int32) -> SchemaValue {
        let node = document[index]
        switch node.kind {
        case .mapping:
            var members: [String: SchemaValue] = [:]
            for (key, item) in document.pairs(of: index) {
                members[document[key].text] = value(document, item)
            }
            return .object(members)
        case .sequence:
            return .array(document.childIndices(of: index).map { value(document, $0) })
        case .scalar:
            return node.isPlain ? resolvePlain(node.text) : .string(node.text)
        }
    }

    /// YAML 1.2 core schema, section 10.3.2.
    static func resolvePlain(_ text: String) -> SchemaValue {
        func matches(_ pattern: String) -> Bool {
            text.range(of: "^(?:\(pattern))$", options: .regularExpression) != nil
        }
        if matches("null|Null|NULL|~") || text.isEmpty { return .null }
        if matches("true|True|TRUE") { return .bool(true) }
        if matches("false|False|FALSE") { return .bool(false) }
        if matches("[-+]?[0-9]+"), let value = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return .integer(value) }
        if matches("0o[0-7]+"), let value = Int(text.dropFirst(2), radix: 8) { return .integer(value) }
        if matches("0x[0-9a-fA-F]+"), let value = Int(text.dropFirst(2), radix: 16) { return .integer(value) }
        if matches("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"), let value = Double(text) { return .number(value) }
        if matches("[-+]?\\.(inf|Inf|INF)") { return .number(text.hasPrefix("-") ? -.infinity : .infinity) }
        if matches("\\.(nan|NaN|NAN)") { return .number(.nan) }
        return .string(text)
    }
}
