import Foundation

/// A JSON value that prints and encodes exactly: field-level differences
/// in plans, and JSON stored as text embedded in responses.
public enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text (as produced by `CanonicalSpec`).
    public init(parsing text: String) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// Parses JSON stored as text (audit changes, run summaries) so that it
    /// embeds as JSON in a response; text that is not JSON stays a string.
    public init(embedding text: String) {
        self = (try? JSONValue(parsing: text)) ?? .string(text)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { try container.encode(Int64(number)) } else { try container.encode(number) }
        case .string(let text): try container.encode(text)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

    /// Compact, readable form: `100`, `"private"`, `[human, agent]`, `{tier: gold}`.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return String(flag)
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text):
            let shown = text.count > 60 ? String(text.prefix(57)) + "…" : text
            return "\"\(shown.replacingOccurrences(of: "\n", with: "\\n"))\""
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .object(let object):
            return "{" + object.keys.sorted().map { "\($0): \(object[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }
}

extension JSONValue: CanonicalJSONEncodable {
    public func writeCanonical(to writer: inout CanonicalJSONWriter) {
        switch self {
        case .null: writer.raw("null")
        case .bool(let flag): writer.bool(flag)
        case .number(let number): writer.double(number)
        case .string(let text): writer.string(text)
        case .array(let items):
            writer.array(items) { writer, item in item.writeCanonical(to: &writer) }
        case .object(let members):
            writer.beginObject()
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                writer.key(name)
                value.writeCanonical(to: &writer)
            }
            writer.endObject()
        }
    }
}
