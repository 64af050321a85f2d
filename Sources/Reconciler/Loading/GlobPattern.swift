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

    /// The longest pattern, in bytes, and the most `*` and `?` characters in
    /// one: far beyond real source patterns, small enough that matching
    /// stays cheap against any number of files.
    public static let maxLength = 256
    public static let maxWildcards = 16

    /// Why a pattern cannot be used, or nil.
    public static func problem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.hasPrefix("/") { return "is absolute; patterns are relative to the repository root" }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains("..") || parts.contains(".") { return "contains \".\" or \"..\"; write the path from the repository root" }
        if parts.contains("") { return "contains an empty path segment" }
        if parts.contains(where: { $0.contains("**") && $0 != "**" }) { return "uses ** inside a segment; ** must be a whole segment such as a/**/b" }
        if text.contains("[") || text.contains("{") { return "uses [ or {; only *, ** and ? are supported" }
        if text.utf8.count > maxLength { return "is \(text.utf8.count) bytes long; a pattern may have at most \(maxLength)" }
        let wildcards = text.utf8.count(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") })
        if wildcards > maxWildcards { return "has \(wildcards) wildcard characters; a pattern may have at most \(maxWildcards)" }
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
    ///
    /// Linear-time matching in the manner of `fnmatch` implementations that
    /// remember only the last star: on a mismatch, the last `*` (within a
    /// segment) or `**` (over segments) takes one more unit and matching
    /// resumes after it. That is exact for these patterns and bounded by
    /// pattern length times path length, where recursive backtracking was
    /// exponential (`*a*a*a*a*a*a*b` took seconds on one 60-character name).
    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/").map { Array($0.utf8) }
        let doubleStar = Array("**".utf8)
        var p = 0, n = 0
        var star = -1, starN = 0
        while n < parts.count {
            if p < segments.count, segments[p] == doubleStar {
                star = p
                starN = n
                p += 1
            } else if p < segments.count, Self.matchSegment(segments[p], parts[n]) {
                p += 1
                n += 1
            } else if star >= 0 {
                p = star + 1
                starN += 1
                n = starN
            } else {
                return false
            }
        }
        while p < segments.count, segments[p] == doubleStar { p += 1 }
        return p == segments.count
    }

    /// One segment: `*` any run of characters, `?` one character (one to
    /// four UTF-8 bytes), anything else itself.
    static func matchSegment(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*"), question = UInt8(ascii: "?")
        var p = 0, n = 0
        var starP = -1, starN = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == star {
                starP = p
                starN = n
                p += 1
            } else if p < pattern.count, pattern[p] == question {
                p += 1
                n += characterLength(name, at: n)
            } else if p < pattern.count, pattern[p] == name[n] {
                p += 1
                n += 1
            } else if starP >= 0 {
                p = starP + 1
                starN += characterLength(name, at: starN)
                n = starN
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }

    /// Bytes of the UTF-8 character starting at `index` (one for a stray byte).
    private static func characterLength(_ bytes: [UInt8], at index: Int) -> Int {
        var end = index + 1
        if bytes[index] >= 0xC0 { while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 } }
        return end - index
    }
}
