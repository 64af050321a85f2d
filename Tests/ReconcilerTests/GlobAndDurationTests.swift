import BotRuntime
import Foundation
import Reconciler
import Testing

/// The small value types: glob patterns, durations, name hints, policy selection.
@Suite struct GlobAndDurationTests {
    @Test(arguments: [
        ("knowledge/**/*.md", "knowledge/a.md", true),
        ("knowledge/**/*.md", "knowledge/x/y/z.md", true),
        ("knowledge/**/*.md", "knowledge/a.txt", false),
        ("knowledge/**/*.md", "other/knowledge/a.md", false),
        ("knowledge/*.md", "knowledge/a.md", true),
        ("knowledge/*.md", "knowledge/x/a.md", false),
        ("knowledge/*.md", "knowledge/.md", true),
        ("knowledge/a?.md", "knowledge/a1.md", true),
        ("knowledge/a?.md", "knowledge/a.md", false),
        ("knowledge/a?.md", "knowledge/a12.md", false),
        ("knowledge/a?.md", "knowledge/aé.md", true),
        ("knowledge/a?.md", "knowledge/a/.md", false),
        ("**", "any/depth/at/all.txt", true),
        ("**/faq.md", "faq.md", true),
        ("**/faq.md", "a/b/faq.md", true),
        ("a/**/b/*.md", "a/b/x.md", true),
        ("a/**/b/*.md", "a/1/2/b/x.md", true),
        ("a/**/b/*.md", "a/1/2/c/x.md", false),
        ("*", "top.md", true),
        ("*", "dir/top.md", false),
        ("exact/path.md", "exact/path.md", true),
        ("exact/path.md", "exact/path.mdx", false),
        ("*.md", "README.MD", false),
        ("a*b*c.md", "axxbyyc.md", true),
        ("a*b*c.md", "axxbyyd.md", false),
        ("*a*", "bab", true),
        ("**/a/**/b", "x/a/y/a/z/b", true),
        ("**/a/**/b", "x/a/y/a/z/c", false),
        ("?*?", "é", false),
        ("?*?", "éé", true),
    ])
    func globPatternsMatchPathSegments(pattern: String, path: String, matches: Bool) {
        #expect(GlobPattern(pattern).matches(path) == matches)
    }

    /// Patterns that made the old backtracking matcher exponential: the
    /// outcome at the size limits (no time is asserted; the linear matcher
    /// answers these at once, the old one took seconds to hours).
    @Test func patternsThatBacktrackedExponentiallyMatchCorrectly() {
        let name = "docs/" + String(repeating: "a", count: 60)
        #expect(!GlobPattern("docs/*a*a*a*a*a*a*b").matches(name))
        #expect(GlobPattern("docs/*a*a*a*a*a*a*a").matches(name))
        let fifteen = "docs/" + String(repeating: "*a", count: 7) + "*b"
        #expect(GlobPattern.problem(fifteen) == nil)
        #expect(!GlobPattern(fifteen).matches("docs/" + String(repeating: "a", count: 200)))
        let deep = Array(repeating: "**", count: 8).joined(separator: "/") + "/x"
        #expect(!GlobPattern(deep).matches(Array(repeating: "d", count: 60).joined(separator: "/") + "/y"))
        #expect(GlobPattern(deep).matches(Array(repeating: "d", count: 60).joined(separator: "/") + "/x"))
    }

    @Test func patternsOverTheLimitsAreRefused() {
        #expect(GlobPattern.problem(String(repeating: "a", count: 257)) == "is 257 bytes long; a pattern may have at most 256")
        #expect(GlobPattern.problem(String(repeating: "*a", count: 17)) == "has 17 wildcard characters; a pattern may have at most 16")
        #expect(GlobPattern.problem(String(repeating: "a", count: 256)) == nil)
    }

    @Test(arguments: [
        ("knowledge/shop/**/*.md", "knowledge/shop"),
        ("knowledge/*.md", "knowledge"),
        ("knowledge/a.md", "knowledge"),
        ("*.md", ""),
        ("**/x.md", ""),
        ("a/b?/c.md", "a"),
    ])
    func staticPrefixIsTheLeadingDirectoryWithoutWildcards(pattern: String, prefix: String) {
        #expect(GlobPattern(pattern).staticPrefix == prefix)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("/etc/*.md", "is absolute; patterns are relative to the repository root"),
        ("a/../b.md", "contains \".\" or \"..\"; write the path from the repository root"),
        ("./a.md", "contains \".\" or \"..\"; write the path from the repository root"),
        ("a//b.md", "contains an empty path segment"),
        ("a/", "contains an empty path segment"),
        ("a/**.md", "uses ** inside a segment; ** must be a whole segment such as a/**/b"),
        ("a/[ab].md", "uses [ or {; only *, ** and ? are supported"),
        ("a/{x,y}.md", "uses [ or {; only *, ** and ? are supported"),
    ])
    func unusablePatternsAreExplained(pattern: String, problem: String) {
        #expect(GlobPattern.problem(pattern) == problem)
    }

    @Test(arguments: ["knowledge/**/*.md", "a?.md", "docs/*", "README.md", "**"])
    func usablePatternsHaveNoProblem(pattern: String) {
        #expect(GlobPattern.problem(pattern) == nil)
    }

    @Test(arguments: [
        ("90s", 90, "1m30s"),
        ("15m", 900, "15m"),
        ("1h30m", 5_400, "1h30m"),
        ("90m", 5_400, "1h30m"),
        ("24h", 86_400, "1d"),
        ("30d", 2_592_000, "30d"),
        ("2w", 1_209_600, "2w"),
        ("0s", 0, "0s"),
        ("1d1s", 86_401, "1d1s"),
        ("36500d", 3_153_600_000, "36500d"),
    ])
    func durationsParseToSecondsWithACanonicalSpelling(text: String, seconds: Int64, canonical: String) throws {
        let duration = try #require(SpecDuration(parsing: text))
        #expect(duration.seconds == seconds)
        #expect(duration.description == canonical)
        #expect(SpecDuration(parsing: canonical) == duration)
    }

    @Test(arguments: ["", "h", "30", "30x", "1.5h", "-1h", "1h 30m", "1H", "h1", "36501d", "99999999999999999999s", "9223372036854775807w"])
    func malformedOrHugeDurationsDoNotParse(text: String) {
        #expect(SpecDuration(parsing: text) == nil)
    }

    @Test func durationsEncodeAsTheirCanonicalText() throws {
        let encoded = try JSONEncoder().encode([SpecDuration(seconds: 5_400)])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"1h30m\"]")
        #expect(try JSONDecoder().decode([SpecDuration].self, from: Data("[\"90m\"]".utf8)) == [SpecDuration(seconds: 5_400)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([SpecDuration].self, from: Data("[\"soon\"]".utf8)) }
    }

    @Test(arguments: [
        ("rateLimit", ["rateLimits", "handoff"], "rateLimits"),
        ("stauts", ["status", "visibility"], "status"),
        ("DISPLAYNAME", ["displayName"], "displayName"),
        ("colour", ["status", "model"], nil),
        ("x", [], nil),
        ("shop-fq", ["shop-faq", "beekeeping-basics"], "shop-faq"),
    ] as [(String, [String], String?)])
    func nameHintsSuggestOnlyCloseCandidates(name: String, candidates: [String], hint: String?) {
        #expect(NameHint.closest(to: name, among: candidates) == hint)
    }

    static func bot(labels: [String: String], rotateEvery: String? = nil, gracePeriod: String? = nil) -> BotSpec {
        var bot = BotSpec(metadata: ObjectMeta(name: "bot", labels: labels))
        bot.apiKeys.rotateEvery = rotateEvery.flatMap(SpecDuration.init(parsing:))
        bot.apiKeys.gracePeriod = gracePeriod.flatMap(SpecDuration.init(parsing:))
        return bot
    }

    static func policy(_ name: String, _ selector: [String: String], every: String = "30d",
                       grace: String = "24h", maxAge: String? = nil) -> KeyRotationPolicySpec {
        KeyRotationPolicySpec(metadata: ObjectMeta(name: name), selector: selector,
                              rotateEvery: SpecDuration(parsing: every)!, gracePeriod: SpecDuration(parsing: grace)!,
                              maxKeyAge: maxAge.flatMap(SpecDuration.init(parsing:)))
    }

    @Test func policySelectionPrefersTheMostSpecificSelector() {
        let labels = ["tier": "gold", "region": "eu"]
        let all = Self.policy("everyone", [:])
        let tier = Self.policy("gold", ["tier": "gold"])
        let region = Self.policy("eu", ["region": "eu"])
        let both = Self.policy("gold-eu", ["tier": "gold", "region": "eu"])
        let other = Self.policy("silver", ["tier": "silver"])
        #expect(PolicySelection.select(for: Self.bot(labels: labels), among: []) == .none)
        #expect(PolicySelection.select(for: Self.bot(labels: labels), among: [other]) == .none)
        #expect(PolicySelection.select(for: Self.bot(labels: [:]), among: [all, tier]) == .policy("everyone"))
        #expect(PolicySelection.select(for: Self.bot(labels: labels), among: [all, tier]) == .policy("gold"))
        #expect(PolicySelection.select(for: Self.bot(labels: labels), among: [tier, region]) == .tie("eu", "gold"))
        #expect(PolicySelection.select(for: Self.bot(labels: labels), among: [tier, region, both]) == .policy("gold-eu"))
    }

    @Test func effectiveRotationCombinesTheBotsFieldsWithItsPolicy() {
        let gold = Self.policy("gold", ["tier": "gold"], every: "30d", grace: "12h", maxAge: "90d")
        let fromPolicy = EffectiveRotation.resolve(for: Self.bot(labels: ["tier": "gold"]), among: [gold])
        #expect(fromPolicy.rotateEvery == SpecDuration(parsing: "30d"))
        #expect(fromPolicy.gracePeriod == SpecDuration(parsing: "12h"))
        #expect(fromPolicy.maxKeyAge == SpecDuration(parsing: "90d"))
        #expect(fromPolicy.policy == "gold")

        let own = EffectiveRotation.resolve(for: Self.bot(labels: ["tier": "gold"], rotateEvery: "7d", gracePeriod: "1h"), among: [gold])
        #expect(own.rotateEvery == SpecDuration(parsing: "7d"))
        #expect(own.gracePeriod == SpecDuration(parsing: "1h"))
        #expect(own.maxKeyAge == SpecDuration(parsing: "90d"))
        #expect(own.policy == "gold")

        let none = EffectiveRotation.resolve(for: Self.bot(labels: [:]), among: [gold])
        #expect(none.rotateEvery == nil)
        #expect(none.gracePeriod == APIKeySpec.defaultGracePeriod)
        #expect(none.maxKeyAge == nil)
        #expect(none.policy == nil)
    }

    @Test func hintsFindTyposAndStayBounded() {
        #expect(NameHint.closest(to: "fqa", among: ["faq", "shop"]) == "faq")
        #expect(NameHint.closest(to: "FAQ", among: ["faq"]) == "faq")
        #expect(NameHint.closest(to: "shipping-faq", among: ["shiping-faq", "returns"]) == "shiping-faq")
        #expect(NameHint.closest(to: "zzz", among: ["faq", "shop"]) == nil)
        // Many candidates of the same length: an answer, from a bounded number of comparisons.
        let jars = (0..<5_000).map { String(format: "jar-%05d", $0) }
        #expect(NameHint.closest(to: "jar-0000x", among: jars) != nil)
        #expect(NameHint.closest(to: "completely-different-name", among: jars) == nil)
    }
}
