import BotRuntime
import Foundation

/// One changed field: `spec.rateLimits.perHour: 100 -> 200`.
public struct FieldChange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Dotted path, such as `spec.rateLimits.perHour` or `metadata.labels.tier`.
    public var path: String
    /// The old value (absent when the field was added).
    public var from: JSONValue?
    /// The new value (absent when the field was removed).
    public var to: JSONValue?

    public var description: String {
        "\(path): \(from?.description ?? "(none)") -> \(to?.description ?? "(none)")"
    }

    /// The differences between two JSON values, leaves first-to-last by path.
    static func differences(_ old: JSONValue, _ new: JSONValue, path: String = "") -> [FieldChange] {
        if old == new { return [] }
        switch (old, new) {
        case (.object(let a), .object(let b)):
            var changes: [FieldChange] = []
            for key in Set(a.keys).union(b.keys).sorted() {
                let child = path.isEmpty ? specPath(key) : "\(path).\(key)"
                switch (a[key], b[key]) {
                case (let x?, let y?): changes += differences(x, y, path: child)
                case (let x?, nil): changes.append(FieldChange(path: child, from: x, to: nil))
                case (nil, let y?): changes.append(FieldChange(path: child, from: nil, to: y))
                case (nil, nil): break
                }
            }
            return changes
        default:
            return [FieldChange(path: path, from: old, to: new)]
        }
    }

    /// Spec structs hold their metadata next to spec fields; paths read as in YAML.
    private static func specPath(_ key: String) -> String {
        key == "metadata" ? "metadata" : "spec.\(key)"
    }
}
