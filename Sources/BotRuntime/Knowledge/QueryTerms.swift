import Synchronization

/// The content terms of a question: its words lowercased, without stop
/// words and duplicates, and their Porter stems. Retrieval searches for the
/// words (the index stems them itself); confidence compares the stems.
public struct QueryTerms: Sendable, Equatable {
    /// The most terms a question contributes; a longer text is not a better question.
    public static let maxTerms = 32

    public let words: [String]
    public let stems: [String]

    public init(_ text: String) {
        var words: [String] = []
        var stems: [String] = []
        var seenWords = Set<String>()
        var seenStems = Set<String>()
        for token in Self.tokens(text) where !Self.stopWords.contains(token) && seenWords.insert(token).inserted {
            guard words.count < Self.maxTerms else { break }
            words.append(token)
            let stem = StemCache.shared.stem(token)
            if seenStems.insert(stem).inserted { stems.append(stem) }
        }
        // A question made only of stop words ("what is it?") still has terms.
        self.words = words
        self.stems = stems
    }

    /// Lowercased runs of letters and digits; an apostrophe inside a word
    /// ends it (`bot's` -> `bot`, `s` is then a stop word).
    public static func tokens(_ text: String) -> [String] {
        if let tokens = asciiTokens(text) { return tokens }
        var tokens: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// The same for a text of ASCII only, byte by byte (nil when the text
    /// has any other character): most questions, at a fraction of the cost
    /// of asking Unicode's properties of every character. Handoff triggers
    /// split messages with it too (`MatchText`).
    static func asciiTokens(_ text: String) -> [String]? {
        var tokens: [String] = []
        var current: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                current.append(byte + 32)
            case 0x80...:
                return nil
            default:
                if !current.isEmpty {
                    tokens.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                }
            }
        }
        if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
        return tokens
    }

    /// English function words, and the words every support question has
    /// ("how do I ...", "can you ...", "please").
    static let stopWords: Set<String> = [
        "a", "about", "above", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because",
        "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "d", "did", "do", "does",
        "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
        "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself",
        "just", "ll", "m", "me", "might", "more", "most", "must", "my", "myself", "no", "nor", "not", "now", "of", "off",
        "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "please", "re", "s", "same",
        "shall", "she", "should", "so", "some", "such", "t", "than", "thank", "thanks", "that", "the", "their", "theirs",
        "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until",
        "up", "us", "ve", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
        "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "tell", "know", "want", "need",
        "get", "got", "way", "hi", "hello", "hey",
    ]
}

/// Stems of the words questions use, remembered: questions repeat a
/// vocabulary of a few thousand words, and a lookup costs a fraction of
/// stemming. Bounded: when full it starts over.
final class StemCache: Sendable {
    static let shared = StemCache()
    static let capacity = 20_000

    private let stems = Mutex<[String: String]>([:])

    func stem(_ word: String) -> String {
        if let known = stems.withLock({ $0[word] }) { return known }
        let stem = PorterStemmer.stem(word)
        stems.withLock { stems in
            if stems.count >= Self.capacity { stems.removeAll(keepingCapacity: true) }
            stems[word] = stem
        }
        return stem
    }
}
