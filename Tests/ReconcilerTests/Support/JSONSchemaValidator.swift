import BotRuntime
import Foundation

/// A deliberately small JSON Schema validator: exactly the keywords
/// `docs/nectar.schema.json` uses. Any other keyword is reported as an error,
/// so the schema cannot start relying on something this validator ignores.
struct JSONSchemaValidator {
    let root: SchemaValue

    static let annotations: Set<String> = ["title", "description", "default", "$schema", "$id", "$defs"]
    static let supported: Set<String> = [
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const",
        "minimum", "maximum", "minLength", "maxLength", "minItems", "pattern", "oneOf",
    ]

    /// The schema at `#/$defs/<name>`.
    func definition(_ name: String) -> SchemaValue? {
        root["$defs"]?[name]
    }

    /// Follows `$ref`s to `#/$defs/X` until the schema has none.
    func resolved(_ schema: SchemaValue) -> SchemaValue {
        var current = schema
        var hops = 0
        while let reference = current["$ref"]?.stringValue, reference.hasPrefix("#/$defs/"), hops < 32,
              let target = definition(String(reference.dropFirst("#/$defs/".count))) {
            current = target
            hops += 1
        }
        return current
    }

    /// Every violation of `schema` by `value`, as `path: problem`.
    func errors(_ value: SchemaValue, against schema: SchemaValue? = nil, at path: String = "$") -> [String] {
        let schema = schema ?? root
        guard let keywords = schema.objectValue else {
            if schema == .bool(true) { return [] }
            if schema == .bool(false) { return ["\(path): not allowed"] }
            return ["\(path): schema is not an object"]
        }
        var errors: [String] = []
        for keyword in keywords.keys where !Self.supported.contains(keyword) && !Self.annotations.contains(keyword) {
            errors.append("\(path): unsupported schema keyword \(keyword)")
        }
        if let reference = keywords["$ref"]?.stringValue {
            guard reference.hasPrefix("#/$defs/"), let target = definition(String(reference.dropFirst("#/$defs/".count))) else {
                return errors + ["\(path): unresolvable $ref \(reference)"]
            }
            errors += self.errors(value, against: target, at: path)
        }
        if let type = keywords["type"] {
            let names: [String]
            switch type {
            case .string(let name): names = [name]
            case .array(let items): names = items.compactMap(\.stringValue)
            default: names = []
            }
            if !names.contains(where: { Self.value(value, hasType: $0) }) {
                errors.append("\(path): expected \(names.joined(separator: " or ")), found \(value)")
            }
        }
        if let allowed = keywords["enum"], case .array(let options) = allowed, !options.contains(value) {
            errors.append("\(path): \(value) is not one of \(allowed)")
        }
        if let constant = keywords["const"], constant != value {
            errors.append("\(path): expected \(constant), found \(value)")
        }
        if let number = Self.number(value) {
            if let minimum = keywords["minimum"].flatMap(Self.number), number < minimum {
                errors.append("\(path): \(value) is below the minimum \(minimum)")
            }
            if let maximum = keywords["maximum"].flatMap(Self.number), number > maximum {
                errors.append("\(path): \(value) is above the maximum \(maximum)")
            }
        }
        if case .string(let text) = value {
            let length = text.unicodeScalars.count
            if case .integer(let minimum)? = keywords["minLength"], length < minimum {
                errors.append("\(path): \"\(text)\" is shorter than \(minimum)")
            }
            if case .integer(let maximum)? = keywords["maxLength"], length > maximum {
                errors.append("\(path): \"\(text)\" is longer than \(maximum)")
            }
            if let pattern = keywords["pattern"]?.stringValue {
                do {
                    let expression = try NSRegularExpression(pattern: pattern)
                    let range = NSRange(text.startIndex..., in: text)
                    if expression.firstMatch(in: text, range: range) == nil {
                        errors.append("\(path): \"\(text)\" does not match \(pattern)")
                    }
                } catch {
                    errors.append("\(path): invalid pattern \(pattern)")
                }
            }
        }
        if case .array(let items) = value {
            if case .integer(let minimum)? = keywords["minItems"], items.count < minimum {
                errors.append("\(path): \(items.count) items, fewer than \(minimum)")
            }
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() {
                    errors += self.errors(item, against: itemSchema, at: "\(path)[\(index)]")
                }
            }
        }
        if case .object(let members) = value {
            let properties = keywords["properties"]?.objectValue ?? [:]
            if case .array(let required)? = keywords["required"] {
                for name in required.compactMap(\.stringValue) where members[name] == nil {
                    errors.append("\(path): missing required property \(name)")
                }
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] {
                    errors += self.errors(member, against: propertySchema, at: "\(path).\(name)")
                } else if let additional = keywords["additionalProperties"] {
                    if additional == .bool(false) {
                        errors.append("\(path): property \(name) is not allowed")
                    } else {
                        errors += self.errors(member, against: additional, at: "\(path).\(name)")
                    }
                }
            }
        }
        if case .array(let branches)? = keywords["oneOf"] {
            let matching = branches.filter { self.errors(value, against: $0, at: path).isEmpty }.count
            if matching != 1 {
                errors.append("\(path): matches \(matching) of the \(branches.count) oneOf branches, not exactly one")
            }
        }
        return errors
    }

    static func value(_ value: SchemaValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .integer), ("number", .integer), ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number == number.rounded() && number.isFinite
        default:
            return false
        }
    }

    static func number(_ value: SchemaValue) -> Double? {
        switch value {
        case .integer(let integer): return Double(integer)
        case .number(let number): return number
        default: return nil
        }
    }
}
