/// A fast writer of canonical JSON: object keys sorted, no whitespace,
/// numbers and strings written as Foundation's `JSONEncoder` with
/// `.sortedKeys` and `.withoutEscapingSlashes` writes them, so that stored
/// specs decode with `JSONDecoder` and their hashes are stable.
///
/// Written by hand because `JSONEncoder` cost about 40 µs per bot on Linux,
/// which dominated a 10,000-bot apply; a test checks that both encoders
/// produce the same bytes for every spec type.
public struct CanonicalJSONWriter {
    /// The JSON written so far.
    public private(set) var output: [UInt8] = []
    private var needsComma: [Bool] = []

    public init() {
        output.reserveCapacity(1024)
    }

    /// Starts an object; close it with `endObject()`.
    public mutating func beginObject() {
        output.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    /// Writes a member's key; the value follows. Keys must come in sorted order.
    public mutating func key(_ name: String) {
        if needsComma[needsComma.count - 1] { output.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        string(name)
        output.append(UInt8(ascii: ":"))
    }

    public mutating func endObject() {
        needsComma.removeLast()
        output.append(UInt8(ascii: "}"))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes a string with JSON escaping.
    public mutating func string(_ text: String) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Runs of bytes that need no escape are copied at once.
            var run = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): output.append(92); output.append(34)
                case UInt8(ascii: "\\"): output.append(92); output.append(92)
                case 0x0A: output.append(92); output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(92); output.append(UInt8(ascii: "r"))
                case 0x09: output.append(92); output.append(UInt8(ascii: "t"))
                case 0x08: output.append(92); output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(92); output.append(UInt8(ascii: "f"))
                default:
                    output.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ value: Int) {
        output.append(contentsOf: String(value).utf8)
    }

    public mutating func double(_ value: Double) {
        if value == value.rounded(), abs(value) < 1e15 {
            output.append(contentsOf: String(Int64(value)).utf8)
        } else {
            output.append(contentsOf: "\(value)".utf8)
        }
    }

    public mutating func bool(_ value: Bool) {
        output.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// An array, each element written by `element`.
    public mutating func array<Element>(_ elements: [Element], _ element: (inout CanonicalJSONWriter, Element) -> Void) {
        output.append(UInt8(ascii: "["))
        for (index, item) in elements.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            element(&self, item)
        }
        output.append(UInt8(ascii: "]"))
    }

    public mutating func strings(_ values: [String]) {
        output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            string(value)
        }
        output.append(UInt8(ascii: "]"))
    }

    /// A map of strings, keys sorted.
    public mutating func stringMap(_ map: [String: String]) {
        beginObject()
        for (name, value) in map.sorted(by: { $0.key < $1.key }) {
            key(name)
            string(value)
        }
        endObject()
    }

    /// Writes JSON text as is (punctuation, `null`).
    public mutating func raw(_ text: String) {
        output.append(contentsOf: text.utf8)
    }

    /// Writes a nested canonical value.
    public mutating func value(_ value: some CanonicalJSONEncodable) {
        value.writeCanonical(to: &self)
    }
}

/// Types whose canonical JSON `CanonicalJSONWriter` writes directly.
public protocol CanonicalJSONEncodable: Encodable {
    /// Writes the same JSON `JSONEncoder` (sorted keys, unescaped slashes) would.
    func writeCanonical(to writer: inout CanonicalJSONWriter)
}

extension CanonicalJSONEncodable {
    /// The canonical JSON bytes.
    public var canonicalJSON: [UInt8] {
        var writer = CanonicalJSONWriter()
        writeCanonical(to: &writer)
        return writer.output
    }
}
