import Foundation

/// A text as words for phrase matching: NFKC-normalised, lowercased, split
/// on anything that is not a letter, digit or combining mark. Matching whole
/// word sequences makes "help" miss "helpful" and lets "speak to a person"
/// match "Speak to... a   PERSON!".
public struct MatchText: Sendable, Hashable {
    public let words: [String]

    public init(_ text: String) {
        words = Self.words(text)
    }

    static func words(_ text: String) -> [String] {
        // Most messages are ASCII: split and lowercase the bytes, with no
        // Unicode normalisation (NFKC leaves ASCII as it is).
        if let words = QueryTerms.asciiTokens(text) { return words }
        var words: [String] = []
        var current = ""
        for scalar in text.precomposedStringWithCompatibilityMapping.unicodeScalars {
            let properties = scalar.properties
            let isMark = properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark
                || properties.generalCategory == .enclosingMark
            if properties.isAlphabetic || properties.numericType != nil || (isMark && !current.isEmpty) {
                current.unicodeScalars.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

/// Phrases split into words once, found in a message by one pass over its
/// words (a dictionary from first word to phrases), the first declared wins.
public struct PhraseSet: Sendable {
    let phrases: [(text: String, words: [String])]
    let byFirstWord: [String: [Int]]

    public init(_ phrases: [String]) {
        let split = phrases.map { (text: $0, words: MatchText.words($0)) }.filter { !$0.words.isEmpty }
        self.phrases = split
        var index: [String: [Int]] = [:]
        for (position, phrase) in split.enumerated() { index[phrase.words[0], default: []].append(position) }
        byFirstWord = index
    }

    /// The first declared phrase that occurs in `text`, if any.
    public func firstMatch(in text: MatchText) -> String? {
        guard !byFirstWord.isEmpty else { return nil }
        var best: Int?
        let words = text.words
        for start in words.indices {
            guard let candidates = byFirstWord[words[start]] else { continue }
            for candidate in candidates where best.map({ candidate < $0 }) ?? true
                && words[start...].starts(with: phrases[candidate].words) {
                best = candidate
            }
        }
        return best.map { phrases[$0].text }
    }
}

/// A bot's `spec.handoff` made ready for matching: kept with the live bot.
public struct HandoffMatcher: Sendable {
    public let rules: HandoffSpec
    let keywords: PhraseSet
    let urgency: [(Urgency, PhraseSet)]

    public init(_ rules: HandoffSpec) {
        self.rules = rules
        keywords = PhraseSet(rules.keywords)
        urgency = [(.critical, PhraseSet(rules.urgency.critical)), (.high, PhraseSet(rules.urgency.high)),
                   (.medium, PhraseSet(rules.urgency.medium)), (.low, PhraseSet(rules.urgency.low))]
    }

    /// A keyword or an explicit request for a person in `text`, if any.
    public func beforeAnswer(_ text: MatchText) -> HandoffTrigger? {
        guard rules.enabled else { return nil }
        if let keyword = keywords.firstMatch(in: text) { return HandoffTrigger(reason: .keyword, detail: keyword) }
        if let phrase = ExplicitRequest.match(text) { return HandoffTrigger(reason: .explicitRequest, detail: phrase) }
        return nil
    }

    /// The most urgent level with a matching keyword, else `medium`.
    public func urgency(_ text: MatchText) -> Urgency {
        urgency.first { $0.1.firstMatch(in: text) != nil }?.0 ?? .medium
    }
}

/// Decides whether a user message opens a handoff and how urgent it is,
/// from a bot's `spec.handoff`. Plain values in and out.
public enum HandoffTriggers {
    /// A keyword or an explicit request for a person in `text`, if any (the
    /// bot's keywords first). Low confidence is decided after the answer.
    public static func beforeAnswer(_ text: MatchText, rules: HandoffSpec) -> HandoffTrigger? {
        HandoffMatcher(rules).beforeAnswer(text)
    }

    /// A low-confidence trigger for an answer (small talk never triggers).
    public static func afterAnswer(_ answer: ResponderAnswer, rules: HandoffSpec) -> HandoffTrigger? {
        guard rules.enabled else { return nil }
        if let reason = answer.handoffRequest {
            return HandoffTrigger(reason: .model, detail: String(reason.prefix(500)), confidence: answer.confidence)
        }
        guard answer.kind != .smallTalk, answer.confidence < rules.confidenceThreshold else { return nil }
        let value = (answer.confidence * 1000).rounded() / 1000
        return HandoffTrigger(reason: .lowConfidence, detail: String(value), confidence: value)
    }

    /// The urgency of a message: the most urgent level with a matching
    /// keyword, else `medium`.
    public static func urgency(_ text: MatchText, rules: UrgencyRules) -> Urgency {
        var spec = HandoffSpec()
        spec.urgency = rules
        return HandoffMatcher(spec).urgency(text)
    }
}

/// nectar's built-in phrases for a user asking for a person, used even when
/// a bot's keywords lack them. Deliberately small: a request verb or an
/// adjective that only a request uses must come with the person-word, so
/// that "I am human", "human resources policy" or "can a person return
/// honey?" do not trigger. Documented in `docs/handoffs.md`.
public enum ExplicitRequest {
    /// Words that name a person to talk to.
    static let people: Set<String> = ["human", "person", "agent", "operator", "representative", "someone", "somebody",
                                      "staff", "employee", "humans", "people", "manager"]
    /// Words after a person-word that make it part of another term
    /// ("I need human resources", "speak to the agent portal").
    static let compounds: Set<String> = ["resources", "resource", "rights", "error", "nature", "readable", "portal", "account",
                                         "id", "number", "code", "body"]
    /// Words that may stand between the verb and the person.
    static let fillers: Set<String> = ["a", "an", "the", "some", "real", "live", "actual", "human", "your", "one", "of", "to",
                                       "with", "support", "customer", "service"]

    /// `talk to a human`, `speak with someone`, `connect me to an agent`,
    /// `transfer me to a person`, `get me a human`, `i want a real person`.
    static let lead: [[String]] = [
        ["talk", "to"], ["talk", "with"], ["speak", "to"], ["speak", "with"], ["chat", "with"], ["chat", "to"],
        ["connect", "me"], ["transfer", "me"], ["put", "me", "through"], ["get", "me"], ["want"], ["need"],
    ]

    /// Two-word requests on their own: `real person`, `live agent`, `human please`.
    static let pairs: [[String]] = [
        ["real", "person"], ["real", "human"], ["actual", "person"], ["actual", "human"], ["live", "agent"], ["live", "person"],
        ["live", "human"], ["human", "agent"], ["human", "operator"], ["human", "please"], ["person", "please"],
        ["agent", "please"], ["operator", "please"], ["representative", "please"],
    ]

    /// The phrase that made `text` a request for a person, if any.
    public static func match(_ text: MatchText) -> String? {
        let words = text.words
        // Every pattern ends on a person-word or "please": most messages have neither.
        guard words.contains(where: { people.contains($0) || $0 == "please" }) else { return nil }
        for start in words.indices {
            for pair in pairs where words[start...].starts(with: pair) {
                let next = start + pair.count
                if next == words.count || !compounds.contains(words[next]) { return pair.joined(separator: " ") }
            }
        }
        for start in words.indices {
            for lead in Self.lead where words[start...].starts(with: lead) {
                // `want` and `need` ask for a person only with a word of
                // their own ("I need a human", not "I need a person to sign").
                let strict = lead == ["want"] || lead == ["need"]
                var index = start + lead.count
                var steps = 0
                while index < words.count, steps < 4 {
                    let word = words[index]
                    if people.contains(word), !strict || ["human", "agent", "operator", "representative"].contains(word),
                       index + 1 == words.count || !compounds.contains(words[index + 1]) {
                        return words[start...index].joined(separator: " ")
                    }
                    guard fillers.contains(word) else { break }
                    index += 1
                    steps += 1
                }
            }
        }
        return nil
    }
}
