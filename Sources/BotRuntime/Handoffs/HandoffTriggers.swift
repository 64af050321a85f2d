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

    /// Whether `phrase` (already split) occurs as consecutive whole words.
    public func contains(_ phrase: [String]) -> Bool {
        guard !phrase.isEmpty, phrase.count <= words.count else { return false }
        let first = phrase[0]
        for start in 0...(words.count - phrase.count) where words[start] == first {
            var index = 1
            while index < phrase.count && words[start + index] == phrase[index] { index += 1 }
            if index == phrase.count { return true }
        }
        return false
    }

    /// The first of `phrases` that occurs, as declared.
    public func firstMatch(_ phrases: [String]) -> String? {
        phrases.first { contains(Self.words($0)) }
    }
}

/// Decides whether a user message opens a handoff and how urgent it is,
/// from a bot's `spec.handoff`. Plain values in and out.
public enum HandoffTriggers {
    /// A keyword or an explicit request for a person in `text`, if any (the
    /// bot's keywords first). Low confidence is decided after the answer.
    public static func beforeAnswer(_ text: MatchText, rules: HandoffSpec) -> HandoffTrigger? {
        guard rules.enabled else { return nil }
        if let keyword = text.firstMatch(rules.keywords) {
            return HandoffTrigger(reason: .keyword, detail: keyword)
        }
        if let phrase = ExplicitRequest.match(text) {
            return HandoffTrigger(reason: .explicitRequest, detail: phrase)
        }
        return nil
    }

    /// A low-confidence trigger for an answer (small talk never triggers).
    public static func afterAnswer(_ answer: ResponderAnswer, rules: HandoffSpec) -> HandoffTrigger? {
        guard rules.enabled, answer.kind != .smallTalk, answer.confidence < rules.confidenceThreshold else { return nil }
        let value = (answer.confidence * 1000).rounded() / 1000
        return HandoffTrigger(reason: .lowConfidence, detail: String(value), confidence: value)
    }

    /// The urgency of a message: the most urgent level with a matching
    /// keyword, else `medium`.
    public static func urgency(_ text: MatchText, rules: UrgencyRules) -> Urgency {
        for (level, keywords) in [(Urgency.critical, rules.critical), (.high, rules.high), (.medium, rules.medium), (.low, rules.low)]
        where text.firstMatch(keywords) != nil {
            return level
        }
        return .medium
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
