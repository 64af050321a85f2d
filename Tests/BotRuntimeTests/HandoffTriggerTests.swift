import Foundation
import Testing
@testable import BotRuntime

/// Handoff triggers and urgency as plain values.
struct HandoffTriggerTests {
    static func rules(keywords: [String] = [], critical: [String] = [], high: [String] = [], low: [String] = [],
                      enabled: Bool = true) -> HandoffSpec {
        var rules = HandoffSpec()
        rules.enabled = enabled
        rules.keywords = keywords
        rules.urgency.critical = critical
        rules.urgency.high = high
        rules.urgency.low = low
        return rules
    }

    static func trigger(_ text: String, _ rules: HandoffSpec) -> HandoffTrigger? {
        HandoffTriggers.beforeAnswer(MatchText(text), rules: rules)
    }

    @Test func keywordsMatchWholeWordsCaseInsensitivelyAndNotInsideOtherWords() {
        let rules = Self.rules(keywords: ["help", "speak to a person", "escalate"])
        #expect(Self.trigger("HELP me please", rules) == HandoffTrigger(reason: .keyword, detail: "help"))
        #expect(Self.trigger("That was helpful, thanks", rules) == nil)
        #expect(Self.trigger("Can you help?", rules)?.detail == "help")
        #expect(Self.trigger("I want to Speak   to... a PERSON!", rules)?.detail == "speak to a person")
        #expect(Self.trigger("speak to a personal shopper", rules) == nil, "a phrase ends on a whole word")
        #expect(Self.trigger("please escalate.", rules)?.detail == "escalate")
        #expect(Self.trigger("the escalator is broken", rules) == nil)
    }

    @Test func matchingIsUnicodeAware() {
        let rules = Self.rules(keywords: ["mensch", "überweisung", "persönlich", "人工"])
        #expect(Self.trigger("Ich möchte einen MENSCH sprechen", rules)?.detail == "mensch")
        #expect(Self.trigger("Die ÜBERWEISUNG fehlt", rules)?.detail == "überweisung")
        // Decomposed "ö" (o + combining diaeresis) is the same word as the precomposed one.
        #expect(Self.trigger("bitte perso\u{0308}nlich", rules)?.detail == "persönlich")
        #expect(Self.trigger("Menschen sind nett", rules) == nil, "a longer word is another word")
        // Full-width letters fold to ASCII (NFKC).
        #expect(Self.trigger("ｍｅｎｓｃｈ bitte", rules)?.detail == "mensch")
    }

    @Test func explicitRequestsForAPersonTriggerWithoutKeywords() {
        let rules = Self.rules()
        for text in ["Can I talk to a human?", "real person please", "I want to speak with someone", "Please connect me to an agent",
                     "transfer me to a live person", "Let me chat with your support staff", "I need a human", "get me a real person",
                     "Speak to a manager!", "human please", "Is there a live agent?"] {
            #expect(Self.trigger(text, rules)?.reason == .explicitRequest, "\(text)")
        }
    }

    @Test func explicitRequestPhrasesDoNotFireOnOrdinaryQuestions() {
        let rules = Self.rules()
        for text in ["I am human", "What is your human resources policy?", "Can a person return opened honey?",
                     "I need a person to sign for the delivery?", "Is the agent portal down?", "Humans love honey",
                     "Which shipping agent do you use?", "I need human resources", "Are bees people too?", "personal data request",
                     "Talk about delivery times", "How do I speak to my bees?", "Where is the live agent portal login?",
                     "what is my human agent id"] {
            #expect(Self.trigger(text, rules) == nil, "\(text)")
        }
    }

    @Test func theBotsKeywordsComeBeforeBuiltInPhrasesAndDisabledMeansNever() {
        #expect(Self.trigger("talk to a human agent", Self.rules(keywords: ["agent"]))?.reason == .keyword)
        #expect(Self.trigger("talk to a human", Self.rules(keywords: ["human"], enabled: false)) == nil)
    }

    @Test func lowConfidenceTriggersBelowTheHandoffThresholdButNeverForSmallTalk() {
        var rules = Self.rules()
        rules.confidenceThreshold = 0.4
        func answer(_ confidence: Double, _ kind: ResponderAnswer.Kind = .answer) -> ResponderAnswer {
            ResponderAnswer(reply: "", confidence: confidence, sources: [], kind: kind, promptTokens: 0, completionTokens: 0)
        }
        #expect(HandoffTriggers.afterAnswer(answer(0.25, .notSure), rules: rules)
            == HandoffTrigger(reason: .lowConfidence, detail: "0.25", confidence: 0.25))
        #expect(HandoffTriggers.afterAnswer(answer(0.4), rules: rules) == nil, "at the threshold is not below it")
        #expect(HandoffTriggers.afterAnswer(answer(0, .smallTalk), rules: rules) == nil)
        rules.enabled = false
        #expect(HandoffTriggers.afterAnswer(answer(0.1, .notSure), rules: rules) == nil)
    }

    @Test func urgencyIsTheHighestMatchingLevelElseMedium() {
        let rules = Self.rules(critical: ["outage", "data loss"], high: ["urgent", "refund"], low: ["whenever"]).urgency
        #expect(HandoffTriggers.urgency(MatchText("an urgent refund after the outage"), rules: rules) == .critical)
        #expect(HandoffTriggers.urgency(MatchText("We had DATA-LOSS!"), rules: rules) == .critical)
        #expect(HandoffTriggers.urgency(MatchText("urgently"), rules: rules) == .medium, "whole words only")
        #expect(HandoffTriggers.urgency(MatchText("I need a refund"), rules: rules) == .high)
        #expect(HandoffTriggers.urgency(MatchText("answer whenever"), rules: rules) == .low)
        #expect(HandoffTriggers.urgency(MatchText("hello"), rules: rules) == .medium)
        #expect(Urgency.low.raised == .medium && Urgency.high.raised == .critical && Urgency.critical.raised == .critical)
    }
}
