import BotRuntime
import Foundation
import Reconciler
import Testing

/// One rule, one document, the exact diagnostics it must produce.
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var yaml: String
    var expected: [String]

    var testDescription: String { rule }

    init(_ rule: String, _ yaml: String, _ expected: String...) {
        self.rule = rule
        self.yaml = yaml
        self.expected = expected
    }

    /// A Bot named `support` whose spec lines (already indented by two spaces)
    /// start on line 6.
    static func bot(_ rule: String, spec: String, _ expected: String...) -> RuleCase {
        var value = RuleCase(rule, "apiVersion: nectar/v1\nkind: Bot\nmetadata:\n  name: support\nspec:\n" + spec + "\n")
        value.expected = expected
        return value
    }
}

/// Every validation rule of a single document, with its exact location and message.
@Suite struct DeclarationValidationTests {
    static let syntaxAndShape: [RuleCase] = [
        RuleCase("invalid YAML syntax", """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: support}
            spec: {honeyJars: [a, b}
            """,
            "bots/a.yaml:4:24: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence at line 4"),
        RuleCase("a document that is a list", "- apiVersion: nectar/v1\n- kind: Bot\n",
            "bots/a.yaml:1:1: a declaration must be a mapping with apiVersion, kind, metadata and spec, found a list"),
        RuleCase("a document that is a scalar", "hello\n",
            "bots/a.yaml:1:1: a declaration must be a mapping with apiVersion, kind, metadata and spec, found \"hello\""),
        RuleCase("unknown apiVersion", """
            apiVersion: nectar/v2
            kind: Operator
            metadata: {name: alice}
            spec: {email: alice@example.com}
            """,
            "bots/a.yaml:1:13: unknown apiVersion \"nectar/v2\"; nectar reads \"nectar/v1\""),
        RuleCase("unknown kind close to a known one", """
            apiVersion: nectar/v1
            kind: Boot
            metadata: {name: support}
            spec: {}
            """,
            "bots/a.yaml:2:7: unknown kind \"Boot\"; expected one of Bot, HoneyJar, KeyRotationPolicy, Operator; did you mean \"Bot\"?"),
        RuleCase("unknown kind far from every known one", """
            apiVersion: nectar/v1
            kind: Widget
            metadata: {name: support}
            spec: {}
            """,
            "bots/a.yaml:2:7: unknown kind \"Widget\"; expected one of Bot, HoneyJar, KeyRotationPolicy, Operator"),
        RuleCase("missing apiVersion", """
            kind: Operator
            metadata: {name: alice}
            spec: {email: alice@example.com}
            """,
            "bots/a.yaml:1:1: the document is missing the required field \"apiVersion\""),
        RuleCase("missing kind", """
            apiVersion: nectar/v1
            metadata: {name: alice}
            spec: {email: alice@example.com}
            """,
            "bots/a.yaml:1:1: the document is missing the required field \"kind\""),
        RuleCase("missing metadata", """
            apiVersion: nectar/v1
            kind: Operator
            spec: {email: alice@example.com}
            """,
            "bots/a.yaml:1:1: the document is missing the required field \"metadata\""),
        RuleCase("missing spec", """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: support}
            """,
            "bots/a.yaml:1:1: the document is missing the required field \"spec\""),
        RuleCase("misspelled spec is unknown and spec is then missing", """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: support}
            specs: {}
            """,
            "bots/a.yaml:1:1: the document is missing the required field \"spec\"",
            "bots/a.yaml:4:1: unknown field \"specs\" in the document; did you mean \"spec\"?"),
        RuleCase("unknown top-level field without a close match", """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: support}
            spec: {}
            status: {}
            """,
            "bots/a.yaml:5:1: unknown field \"status\" in the document (allowed: apiVersion, kind, metadata, spec)"),
        RuleCase("spec that is not a mapping", """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: support}
            spec: []
            """,
            "bots/a.yaml:4:7: spec must be a mapping, found a list"),
        RuleCase("metadata that is not a mapping", """
            apiVersion: nectar/v1
            kind: Bot
            metadata: support
            spec: {}
            """,
            "bots/a.yaml:3:11: metadata must be a mapping, found \"support\""),
    ]

    static let fieldsAndTypes: [RuleCase] = [
        .bot("unknown field suggests the closest name", spec: "  rateLimit: {perHour: 1}",
             "bots/a.yaml:6:3: unknown field \"rateLimit\" in spec; did you mean \"rateLimits\"?"),
        .bot("unknown field without a close match lists the allowed fields", spec: "  colour: blue",
             "bots/a.yaml:6:3: unknown field \"colour\" in spec (allowed: displayName, description, systemPrompt, model, honeyJars, visibility, status, maxConversationLength, confidenceThreshold, rateLimits, handoff, apiKeys)"),
        .bot("unknown field in a nested object", spec: "  handoff: {sla: {critcal: 5m}}",
             "bots/a.yaml:6:19: unknown field \"critcal\" in spec.handoff.sla; did you mean \"critical\"?"),
        .bot("duplicate key", spec: "  status: active\n  status: inactive",
             "bots/a.yaml:7:3: duplicate key \"status\" in spec (first at line 6)"),
        .bot("a repeated unknown key names the line of its first use", spec: "  colour: red\n  colour: blue",
             "bots/a.yaml:6:3: unknown field \"colour\" in spec (allowed: displayName, description, systemPrompt, model, honeyJars, visibility, status, maxConversationLength, confidenceThreshold, rateLimits, handoff, apiKeys)",
             "bots/a.yaml:7:3: duplicate key \"colour\" in spec (first at line 6)"),
        .bot("integer field given text", spec: "  maxConversationLength: abc",
             "bots/a.yaml:6:26: spec.maxConversationLength must be an integer, found \"abc\""),
        .bot("integer field given a quoted number", spec: "  maxConversationLength: \"20\"",
             "bots/a.yaml:6:26: spec.maxConversationLength must be an integer, found \"20\""),
        .bot("number field given text", spec: "  confidenceThreshold: high",
             "bots/a.yaml:6:24: spec.confidenceThreshold must be a number, found \"high\""),
        .bot("boolean field given yes", spec: "  handoff: {enabled: yes}",
             "bots/a.yaml:6:22: spec.handoff.enabled must be true or false, found \"yes\""),
        .bot("list field given a scalar", spec: "  honeyJars: shop-faq",
             "bots/a.yaml:6:14: spec.honeyJars must be a list, found \"shop-faq\""),
        .bot("list item of the wrong type", spec: "  honeyJars: [shop, {a: b}]",
             "bots/a.yaml:6:21: spec.honeyJars[1] must be a string, found a mapping"),
        .bot("mapping field given a scalar", spec: "  rateLimits: 5",
             "bots/a.yaml:6:15: spec.rateLimits must be a mapping, found \"5\""),
        .bot("string field given a list", spec: "  displayName: [a, b]",
             "bots/a.yaml:6:16: spec.displayName must be a string, found a list"),
        .bot("string field given null", spec: "  displayName: ~",
             "bots/a.yaml:6:16: spec.displayName must be a string, found nothing (null)"),
        .bot("string longer than its limit", spec: "  displayName: " + String(repeating: "x", count: 101),
             "bots/a.yaml:6:16: spec.displayName is 101 characters long, more than the limit of 100"),
        .bot("enum value that is not allowed", spec: "  visibility: secret",
             "bots/a.yaml:6:15: spec.visibility must be one of private, public, found \"secret\""),
        .bot("enum value with a typo suggests the value", spec: "  visibility: publc",
             "bots/a.yaml:6:15: spec.visibility must be one of private, public, found \"publc\"; did you mean \"public\"?"),
        .bot("status that is not allowed", spec: "  status: paused",
             "bots/a.yaml:6:11: spec.status must be one of active, inactive, maintenance, found \"paused\""),
        .bot("model provider that is not allowed", spec: "  model: {provider: gpt}",
             "bots/a.yaml:6:21: spec.model.provider must be one of knowledge, openai, found \"gpt\""),
        .bot("model given a scalar", spec: "  model: knowledge",
             "bots/a.yaml:6:10: spec.model must be a mapping, found \"knowledge\""),
        .bot("openai model without endpoint and name", spec: "  model: {provider: openai}",
             "bots/a.yaml:6:10: spec.model with provider openai is missing the required field \"endpoint\"",
             "bots/a.yaml:6:10: spec.model with provider openai is missing the required field \"name\""),
        .bot("knowledge model with an endpoint", spec: "  model: {provider: knowledge, endpoint: local-llm}",
             "bots/a.yaml:6:42: spec.model.endpoint applies only to provider openai; the knowledge responder has no endpoint"),
        .bot("knowledge model with a temperature", spec: "  model: {temperature: 0.2}",
             "bots/a.yaml:6:24: spec.model.temperature applies only to provider openai; the knowledge responder has no temperature"),
        .bot("openai model with a temperature out of range and an unknown fallback",
             spec: "  model: {provider: openai, endpoint: e, name: m, temperature: 3, fallback: cache}",
             "bots/a.yaml:6:64: spec.model.temperature must be between 0 and 2, found 3",
             "bots/a.yaml:6:77: spec.model.fallback must be one of knowledge, found \"cache\""),
        .bot("honey jar listed twice", spec: "  honeyJars: [faq, faq]",
             "bots/a.yaml:6:20: spec.honeyJars lists \"faq\" twice"),
        .bot("urgency given a list", spec: "  handoff: {urgency: [a]}",
             "bots/a.yaml:6:22: spec.handoff.urgency must be a mapping, found a list"),
        .bot("blank handoff keyword", spec: "  handoff: {keywords: [human, \"  \"]}",
             "bots/a.yaml:6:31: spec.handoff.keywords contains an empty keyword"),
        .bot("notify email that is not an address", spec: "  handoff: {notify: {email: [not-an-address]}}",
             "bots/a.yaml:6:30: spec.handoff.notify.email \"not-an-address\" is not an email address"),
        .bot("webhook given as a URL", spec: "  handoff: {notify: {webhooks: [\"https://hooks.example.com/x\"]}}",
             "bots/a.yaml:6:33: webhook name \"https://hooks.example.com/x\" is not a lowercase DNS label (use a-z, 0-9 and -); it names a webhook of the daemon configuration, never a URL"),
    ]

    static let ranges: [RuleCase] = [
        .bot("threshold above 1", spec: "  confidenceThreshold: 1.5",
             "bots/a.yaml:6:24: spec.confidenceThreshold must be between 0 and 1, found 1.5"),
        .bot("threshold below 0", spec: "  confidenceThreshold: -0.1",
             "bots/a.yaml:6:24: spec.confidenceThreshold must be between 0 and 1, found -0.1"),
        .bot("conversation length of zero", spec: "  maxConversationLength: 0",
             "bots/a.yaml:6:26: spec.maxConversationLength must be between 1 and 1000, found 0"),
        .bot("negative rate limit", spec: "  rateLimits: {perHour: -1}",
             "bots/a.yaml:6:25: spec.rateLimits.perHour must be between 0 and 1000000000, found -1"),
        .bot("perDay below perHour", spec: "  rateLimits: {perHour: 500, perDay: 10}",
             "bots/a.yaml:6:38: spec.rateLimits.perDay (10) must be at least perHour (500)"),
        .bot("perHour above the default perDay", spec: "  rateLimits: {perHour: 2000}",
             "bots/a.yaml:6:25: spec.rateLimits.perDay (1000) must be at least perHour (2000)"),
        .bot("key generation of zero", spec: "  apiKeys: {generation: 0}",
             "bots/a.yaml:6:25: spec.apiKeys.generation must be between 1 and 2147483647, found 0"),
        .bot("handoff threshold above the bot's", spec: "  confidenceThreshold: 0.5\n  handoff: {confidenceThreshold: 0.8}",
             "bots/a.yaml:7:34: spec.handoff.confidenceThreshold (0.8) must not exceed spec.confidenceThreshold (0.5)"),
        .bot("bot threshold below the default handoff threshold", spec: "  confidenceThreshold: 0.2",
             "bots/a.yaml:6:24: spec.confidenceThreshold 0.2 is below the default handoff.confidenceThreshold 0.3; set spec.handoff.confidenceThreshold no higher than it"),
        .bot("duration with an unknown unit", spec: "  apiKeys: {rotateEvery: 30x}",
             "bots/a.yaml:6:26: spec.apiKeys.rotateEvery must be a duration such as 90s, 15m, 24h or 30d, found \"30x\""),
        .bot("fractional duration", spec: "  handoff: {sla: {high: 1.5h}}",
             "bots/a.yaml:6:25: spec.handoff.sla.high must be a duration such as 90s, 15m, 24h or 30d, found \"1.5h\""),
        .bot("duration over 100 years", spec: "  apiKeys: {rotateEvery: 36501d}",
             "bots/a.yaml:6:26: spec.apiKeys.rotateEvery must be a duration such as 90s, 15m, 24h or 30d, found \"36501d\""),
        .bot("zero rotation interval", spec: "  apiKeys: {rotateEvery: 0s}",
             "bots/a.yaml:6:26: spec.apiKeys.rotateEvery must be longer than 0s"),
        .bot("zero SLA", spec: "  handoff: {sla: {critical: 0s}}",
             "bots/a.yaml:6:29: spec.handoff.sla.critical must be longer than 0s"),
        .bot("grace period not shorter than the interval", spec: "  apiKeys: {rotateEvery: 1h, gracePeriod: 2h}",
             "bots/a.yaml:6:43: spec.apiKeys.gracePeriod (2h) must be shorter than rotateEvery (1h)"),
        .bot("own interval shorter than the default grace period", spec: "  apiKeys: {rotateEvery: 12h}",
             "bots/a.yaml:6:26: bot \"support\": the default gracePeriod (1d) must be shorter than spec.apiKeys.rotateEvery (12h)"),
    ]

    static let names: [RuleCase] = [
        RuleCase("name with uppercase and underscore", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: Support_Bot
            spec: {}
            """,
            "bots/a.yaml:4:9: metadata.name \"Support_Bot\" is not a lowercase DNS label (use a-z, 0-9 and -)"),
        RuleCase("name starting with a hyphen", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: -support
            spec: {}
            """,
            "bots/a.yaml:4:9: metadata.name \"-support\" must start and end with a letter or digit"),
        RuleCase("name longer than 63 characters", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: \(String(repeating: "a", count: 64))
            spec: {}
            """,
            "bots/a.yaml:4:9: metadata.name \"\(String(repeating: "a", count: 64))\" is 64 characters long; names are at most 63"),
        RuleCase("empty name", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: ""
            spec: {}
            """,
            "bots/a.yaml:4:9: metadata.name \"\" is empty; names are lowercase DNS labels"),
        RuleCase("missing name", """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {owner: team}
            spec: {}
            """,
            "bots/a.yaml:3:11: metadata is missing the required field \"name\""),
        RuleCase("duplicate key in metadata", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: support
              owner: team-a
              owner: team-b
            spec: {}
            """,
            "bots/a.yaml:6:3: duplicate key \"owner\" in metadata (first at line 5)"),
        RuleCase("owner that is not a DNS label", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: support
              owner: Team Support
            spec: {}
            """,
            "bots/a.yaml:5:10: metadata.owner \"Team Support\" is not a lowercase DNS label (use a-z, 0-9 and -)"),
        RuleCase("label key with a bad character", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: support
              labels: {"-tier": gold}
            spec: {}
            """,
            "bots/a.yaml:5:12: label key \"-tier\" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit"),
        RuleCase("label value longer than 63 characters", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: support
              labels: {tier: \(String(repeating: "g", count: 64))}
            spec: {}
            """,
            "bots/a.yaml:5:12: the value of label \"tier\" is longer than 63 characters"),
        RuleCase("label value that is a list", """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: support
              labels: {tier: [gold]}
            spec: {}
            """,
            "bots/a.yaml:5:18: metadata.labels.tier must be a string, found a list"),
    ]

    static let keys: [RuleCase] = [
        .bot("recipient that is not base64", spec: "  apiKeys: {recipients: [\"!!!\"]}",
             "bots/a.yaml:6:26: spec.apiKeys.recipients[0] is not base64; recipients are base64 X25519 public keys (nectar keys identity new)"),
        .bot("recipient of the wrong length", spec: "  apiKeys: {recipients: [aGVsbG8=]}",
             "bots/a.yaml:6:26: spec.apiKeys.recipients[0] decodes to 5 bytes; an X25519 public key has 32; recipients are base64 X25519 public keys (nectar keys identity new)"),
        .bot("second recipient wrong, first fine",
             spec: "  apiKeys:\n    recipients:\n      - \(Data(repeating: 7, count: 32).base64EncodedString())\n      - \(Data(repeating: 7, count: 33).base64EncodedString())",
             "bots/a.yaml:9:9: spec.apiKeys.recipients[1] decodes to 33 bytes; an X25519 public key has 32; recipients are base64 X25519 public keys (nectar keys identity new)"),
    ]

    static let otherKinds: [RuleCase] = [
        RuleCase("honey jar without sources", """
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: shop-faq}
            spec: {description: FAQ}
            """,
            "bots/a.yaml:4:7: spec is missing the required field \"sources\""),
        RuleCase("honey jar with no patterns", """
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: shop-faq}
            spec: {sources: []}
            """,
            "bots/a.yaml:4:17: spec.sources must list at least one pattern"),
        RuleCase("honey jar sources given a string", """
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: shop-faq}
            spec: {sources: "knowledge/*.md"}
            """,
            "bots/a.yaml:4:17: spec.sources must be a list, found \"knowledge/*.md\""),
        RuleCase("unusable source patterns", """
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: shop-faq}
            spec:
              sources:
                - /abs/*.md
                - ../up/*.md
                - a//b.md
                - a/**b/*.md
                - a/[ab].md
                - ""
            """,
            "bots/a.yaml:6:7: source pattern \"/abs/*.md\" is absolute; patterns are relative to the repository root",
            "bots/a.yaml:7:7: source pattern \"../up/*.md\" contains \".\" or \"..\"; write the path from the repository root",
            "bots/a.yaml:8:7: source pattern \"a//b.md\" contains an empty path segment",
            "bots/a.yaml:9:7: source pattern \"a/**b/*.md\" uses ** inside a segment; ** must be a whole segment such as a/**/b",
            "bots/a.yaml:10:7: source pattern \"a/[ab].md\" uses [ or {; only *, ** and ? are supported",
            "bots/a.yaml:11:7: source pattern \"\" is empty"),
        RuleCase("policy without selector and interval", """
            apiVersion: nectar/v1
            kind: KeyRotationPolicy
            metadata: {name: gold}
            spec: {gracePeriod: 1h}
            """,
            "bots/a.yaml:4:7: spec is missing the required field \"rotateEvery\"",
            "bots/a.yaml:4:7: spec is missing the required field \"selector\""),
        RuleCase("policy selector given a list", """
            apiVersion: nectar/v1
            kind: KeyRotationPolicy
            metadata: {name: gold}
            spec: {selector: [tier], rotateEvery: 30d}
            """,
            "bots/a.yaml:4:18: spec.selector must be a mapping, found a list"),
        RuleCase("policy grace period not shorter than its interval", """
            apiVersion: nectar/v1
            kind: KeyRotationPolicy
            metadata: {name: gold}
            spec: {selector: {}, rotateEvery: 1d, gracePeriod: 2d}
            """,
            "bots/a.yaml:4:52: spec.gracePeriod (2d) must be shorter than rotateEvery (1d)"),
        RuleCase("policy interval shorter than the default grace period", """
            apiVersion: nectar/v1
            kind: KeyRotationPolicy
            metadata: {name: gold}
            spec: {selector: {}, rotateEvery: 1h}
            """,
            "bots/a.yaml:4:35: spec.rotateEvery (1h) must be longer than the default gracePeriod (1d); set a shorter gracePeriod"),
        RuleCase("policy maxKeyAge below its interval", """
            apiVersion: nectar/v1
            kind: KeyRotationPolicy
            metadata: {name: gold}
            spec: {selector: {}, rotateEvery: 7d, maxKeyAge: 2d}
            """,
            "bots/a.yaml:4:50: spec.maxKeyAge (2d) must be at least rotateEvery (1w)"),
        RuleCase("operator role other than admin, agent or auditor", """
            apiVersion: nectar/v1
            kind: Operator
            metadata: {name: alice}
            spec: {email: alice@example.com, role: root}
            """,
            "bots/a.yaml:4:40: spec.role must be one of admin, agent, auditor, found \"root\""),
        RuleCase("operator email that is not an address", """
            apiVersion: nectar/v1
            kind: Operator
            metadata: {name: alice}
            spec: {email: alice at example.com}
            """,
            "bots/a.yaml:4:15: spec.email \"alice at example.com\" is not an email address"),
        RuleCase("operator without email", """
            apiVersion: nectar/v1
            kind: Operator
            metadata: {name: alice}
            spec: {role: admin}
            """,
            "bots/a.yaml:4:7: spec is missing the required field \"email\""),
        RuleCase("operator team that is not a DNS label", """
            apiVersion: nectar/v1
            kind: Operator
            metadata: {name: alice}
            spec: {email: alice@example.com, teams: [support, Team_B]}
            """,
            "bots/a.yaml:4:51: team \"Team_B\" is not a lowercase DNS label (use a-z, 0-9 and -)"),
    ]

    @Test(arguments: syntaxAndShape)
    func documentShapeRulesReportExactLocation(_ rule: RuleCase) throws {
        #expect(try diagnostics(of: rule.yaml) == rule.expected)
    }

    @Test(arguments: fieldsAndTypes)
    func fieldAndTypeRulesReportExactLocation(_ rule: RuleCase) throws {
        #expect(try diagnostics(of: rule.yaml) == rule.expected)
    }

    @Test(arguments: ranges)
    func rangeAndDurationRulesReportExactLocation(_ rule: RuleCase) throws {
        #expect(try diagnostics(of: rule.yaml) == rule.expected)
    }

    @Test(arguments: names)
    func nameAndLabelRulesReportExactLocation(_ rule: RuleCase) throws {
        #expect(try diagnostics(of: rule.yaml) == rule.expected)
    }

    @Test(arguments: keys)
    func recipientRulesReportExactLocation(_ rule: RuleCase) throws {
        #expect(try diagnostics(of: rule.yaml) == rule.expected)
    }

    @Test(arguments: otherKinds)
    func honeyJarPolicyAndOperatorRulesReportExactLocation(_ rule: RuleCase) throws {
        #expect(try diagnostics(of: rule.yaml) == rule.expected)
    }

    @Test func everyProblemOfOneDocumentIsReportedNotJustTheFirst() throws {
        let yaml = """
            apiVersion: nectar/v1
            kind: Bot
            metadata:
              name: Support_Bot
              owner: team
              owner: team2
            spec:
              rateLimit: 3
              rateLimits: {perHour: 500, perDay: 10}
              confidenceThreshold: 1.5
              visibility: secret
              maxConversationLength: abc
              apiKeys:
                rotateEvery: 30x
                recipients: ["!!!"]
            """
        #expect(try diagnostics(of: yaml) == [
            "bots/a.yaml:4:9: metadata.name \"Support_Bot\" is not a lowercase DNS label (use a-z, 0-9 and -)",
            "bots/a.yaml:6:3: duplicate key \"owner\" in metadata (first at line 5)",
            "bots/a.yaml:8:3: unknown field \"rateLimit\" in spec; did you mean \"rateLimits\"?",
            "bots/a.yaml:9:38: spec.rateLimits.perDay (10) must be at least perHour (500)",
            "bots/a.yaml:10:24: spec.confidenceThreshold must be between 0 and 1, found 1.5",
            "bots/a.yaml:11:15: spec.visibility must be one of private, public, found \"secret\"",
            "bots/a.yaml:12:26: spec.maxConversationLength must be an integer, found \"abc\"",
            "bots/a.yaml:14:18: spec.apiKeys.rotateEvery must be a duration such as 90s, 15m, 24h or 30d, found \"30x\"",
            "bots/a.yaml:15:18: spec.apiKeys.recipients[0] is not base64; recipients are base64 X25519 public keys (nectar keys identity new)",
        ])
    }

    @Test func coreTagsAreAllowedAndDecideTheScalarType() throws {
        let valid = """
            apiVersion: !!str nectar/v1
            kind: Bot
            metadata: !!map {name: support}
            spec:
              displayName: !!str 42
              maxConversationLength: !!int 30
              honeyJars: !!seq []
            """
        #expect(try diagnostics(of: valid) == [])
        let stringWhereIntegerIsExpected = """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: support}
            spec: {maxConversationLength: !!str 30}
            """
        #expect(try diagnostics(of: stringWhereIntegerIsExpected) == [
            "bots/a.yaml:4:31: spec.maxConversationLength must be an integer, found \"30\"",
        ])
    }

    @Test func anchorsAndAliasesShareSettingsBetweenDocuments() throws {
        let yaml = """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: one}
            spec:
              handoff:
                keywords: &words [human, agent]
                urgency: {high: *words}
            """
        let loaded = try withGitFixture { repo in
            try repo.commit(["bots/a.yaml": yaml])
            return try repo.load()
        }
        #expect(loaded.diagnostics.map(\.description) == [])
        #expect(loaded.state.bots.first?.spec.handoff.urgency.high == ["human", "agent"])
    }
}
