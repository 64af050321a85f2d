import BotRuntime
import Foundation
import Testing

/// The hand-written canonical writer must produce exactly what JSONEncoder
/// (sorted keys, unescaped slashes) produces, so stored specs decode and
/// hashes never depend on which encoder wrote them.
struct CanonicalJSONTests {
    static func foundationJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func canonical(_ value: some CanonicalJSONEncodable) -> String {
        String(decoding: value.canonicalJSON, as: UTF8.self)
    }

    static var fullBot: BotSpec {
        var bot = BotSpec(metadata: ObjectMeta(name: "support", labels: ["tier": "gold", "a.b/c": "x"], owner: "team-support"))
        bot.displayName = "Buzzy's \"Support\" Bot / ünïcode ✓"
        bot.description = "Line one\nLine two\twith tab and \\ backslash and \u{01} control"
        bot.systemPrompt = "You are helpful.\r\n"
        bot.model = ModelSpec(provider: .openai, endpoint: "local-llm", name: "llama3")
        bot.honeyJars = ["shop-faq", "beekeeping"]
        bot.visibility = .public
        bot.status = .maintenance
        bot.maxConversationLength = 42
        bot.confidenceThreshold = 0.73
        bot.rateLimits = RateLimits(perHour: 5, perDay: 50)
        bot.handoff.keywords = ["human", "speak to a person"]
        bot.handoff.confidenceThreshold = 0.25
        bot.handoff.urgency.critical = ["outage"]
        bot.handoff.urgency.low = ["feedback"]
        bot.handoff.notify.email = ["a@example.com"]
        bot.handoff.notify.webhooks = ["support-slack"]
        bot.handoff.sla.high = SpecDuration(seconds: 5400)
        bot.apiKeys = APIKeySpec(generation: 3, rotateEvery: SpecDuration(seconds: 30 * 86_400),
                                 gracePeriod: SpecDuration(seconds: 0), recipients: ["AAAA"])
        return bot
    }

    @Test func botWithEveryFieldSetMatchesJSONEncoder() throws {
        #expect(Self.canonical(Self.fullBot) == (try Self.foundationJSON(Self.fullBot)))
    }

    @Test func botWithDefaultsMatchesJSONEncoder() throws {
        let bot = BotSpec(metadata: ObjectMeta(name: "minimal"))
        #expect(Self.canonical(bot) == (try Self.foundationJSON(bot)))
    }

    @Test(arguments: [0.0, 1.0, 0.5, 0.7, 0.1, 0.33333, 1e-7])
    func thresholdsWriteLikeJSONEncoder(_ value: Double) throws {
        var bot = BotSpec(metadata: ObjectMeta(name: "b"))
        bot.confidenceThreshold = value
        bot.handoff.confidenceThreshold = value
        #expect(Self.canonical(bot) == (try Self.foundationJSON(bot)))
    }

    @Test func otherKindsMatchJSONEncoder() throws {
        let jar = HoneyJarSpec(metadata: ObjectMeta(name: "shop-faq"), description: "FAQ", sources: ["knowledge/**/*.md"])
        let policy = KeyRotationPolicySpec(metadata: ObjectMeta(name: "gold", labels: ["x": "y"]), selector: ["tier": "gold", "env": "prod"],
                                           rotateEvery: SpecDuration(seconds: 86_400 * 30), maxKeyAge: SpecDuration(seconds: 86_400 * 90))
        let policyNoMax = KeyRotationPolicySpec(metadata: ObjectMeta(name: "p"), selector: [:], rotateEvery: SpecDuration(seconds: 3600 * 48))
        let person = OperatorSpec(metadata: ObjectMeta(name: "alice"), email: "alice@example.com", role: .admin, teams: ["t1", "t2"])
        #expect(Self.canonical(jar) == (try Self.foundationJSON(jar)))
        #expect(Self.canonical(policy) == (try Self.foundationJSON(policy)))
        #expect(Self.canonical(policyNoMax) == (try Self.foundationJSON(policyNoMax)))
        #expect(Self.canonical(person) == (try Self.foundationJSON(person)))
    }

    @Test func canonicalJSONDecodesBackToTheSameSpec() throws {
        let decoded = try JSONDecoder().decode(BotSpec.self, from: Data(Self.fullBot.canonicalJSON))
        #expect(decoded == Self.fullBot)
    }

    @Test func labelOrderDoesNotChangeTheHash() {
        let a = BotSpec(metadata: ObjectMeta(name: "x", labels: ["a": "1", "b": "2", "c": "3"]))
        let b = BotSpec(metadata: ObjectMeta(name: "x", labels: ["c": "3", "a": "1", "b": "2"]))
        #expect(CanonicalSpec.encode(a).hash == CanonicalSpec.encode(b).hash)
        var c = a
        c.rateLimits.perHour = 101
        #expect(CanonicalSpec.encode(a).hash != CanonicalSpec.encode(c).hash)
    }

    @Test func hashIsSHA256OfTheJSON() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        #expect(CanonicalSpec.hash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
