/// A length of time written in a declaration, such as `15m`, `24h` or `1h30m`.
///
/// Declarations use whole seconds; the text form is kept canonical (largest
/// units first) so that two spellings of the same duration compare equal.
public struct SpecDuration: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The duration in whole seconds.
    public var seconds: Int64

    /// Creates a duration of `seconds` whole seconds.
    public init(seconds: Int64) {
        self.seconds = seconds
    }

    /// Units accepted in the text form, with their length in seconds.
    public static let units: [(Character, Int64)] = [
        ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// The longest duration a declaration may state: 100 years.
    public static let maximum = SpecDuration(seconds: 100 * 365 * 86_400)

    /// Parses one or more `<integer><unit>` parts (`s`, `m`, `h`, `d`, `w`).
    /// Returns nil for anything else, including an empty string or overflow.
    public init?(parsing text: String) {
        var total: Int64 = 0
        var number: Int64 = 0
        var sawDigit = false
        var sawPart = false
        for character in text.utf8 {
            if character >= UInt8(ascii: "0") && character <= UInt8(ascii: "9") {
                let (multiplied, overflow1) = number.multipliedReportingOverflow(by: 10)
                let (added, overflow2) = multiplied.addingReportingOverflow(Int64(character - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                number = added
                sawDigit = true
                continue
            }
            guard sawDigit,
                  let unit = Self.units.first(where: { $0.0.asciiValue == character })?.1
            else { return nil }
            let (part, overflow1) = number.multipliedReportingOverflow(by: unit)
            let (sum, overflow2) = total.addingReportingOverflow(part)
            if overflow1 || overflow2 { return nil }
            total = sum
            number = 0
            sawDigit = false
            sawPart = true
        }
        guard sawPart, !sawDigit, total <= Self.maximum.seconds else { return nil }
        self.seconds = total
    }

    /// The canonical text form: `0s`, `90s` -> `1m30s`, `86400s` -> `1d`,
    /// `30d` stays `30d`; weeks only when the duration is whole weeks (`2w`).
    public var description: String {
        if seconds == 0 { return "0s" }
        if seconds % 604_800 == 0 { return "\(seconds / 604_800)w" }
        var rest = seconds
        var text = ""
        for (unit, length) in Self.units.dropFirst() where rest >= length {
            text += "\(rest / length)\(unit)"
            rest %= length
        }
        return text
    }

    public static func < (lhs: SpecDuration, rhs: SpecDuration) -> Bool {
        lhs.seconds < rhs.seconds
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = SpecDuration(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "not a duration: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
