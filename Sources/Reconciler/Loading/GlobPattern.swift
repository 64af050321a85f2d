/// A honey-jar source pattern over repository paths: `*` matches within one
/// path segment, `**` matches any number of whole segments, `?` one character.
public struct GlobPattern: Sendable, Hashable {
    /// The pattern as written.
    public let text: String
    private let segments: [[UInt8]]

    /// Compiles a pattern; see `problem(_:)` for what is rejected.
    public init(_ text: String) {
        self.text = text
        self.segments = text.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.utf8) }
    }

    /// Why a pattern cannot be used, or nil.
    public static func problem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.hasPrefix("/") { return "is absolute; patterns are relative to the repository root" }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains("..") || parts.contains(".") { return "contains \".\" or \"..\"; write the path from the repository root" }
        if parts.contains("") { return "contains an empty path segment" }
        if parts.contains(where: { $0.contains("**") && $0 != "**" }) { return "uses ** inside a segment; ** must be a whole segment such as a/**/b" }
        if text.contains("[") || text.contains("{") { return "uses [ or {; only *, ** and ? are supported" }
        return nil
    }

    /// The leading directory with no wildcard, which is all a match can be below.
    public var staticPrefix: String {
        var prefix: [String] = []
        for segment in segments.dropLast() {
            if segment.contains(UInt8(ascii: "*")) || segment.contains(UInt8(ascii: "?")) { break }
            prefix.append(String(decoding: segment, as: UTF8.self))
        }
        return prefix.joined(separator: "/")
    }

    /// Whether the repository-relative `path` matches.
    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/").map { Array($0.utf8) }
        return Self.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<[UInt8]>, _ path: ArraySlice<[UInt8]>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == Array("**".utf8) {
            let rest = pattern.dropFirst()
            var remaining = path
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let segment = path.first, matchSegment(first[...], segment[...]) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    private static func matchSegment(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if first == UInt8(ascii: "*") {
            var remaining = name
            while true {
                if matchSegment(pattern.dropFirst(), remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let character = name.first else { return false }
        if first == UInt8(ascii: "?") {
            // One character, which may be several UTF-8 bytes.
            var rest = name.dropFirst()
            if character >= 0xC0 { while let next = rest.first, next & 0xC0 == 0x80 { rest = rest.dropFirst() } }
            return matchSegment(pattern.dropFirst(), rest)
        }
        return first == character && matchSegment(pattern.dropFirst(), name.dropFirst())
    }
}
