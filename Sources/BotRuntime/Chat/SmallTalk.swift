/// Greetings, thanks and goodbyes: answered with a short friendly reply,
/// not a search (a search would find nothing and look unsure).
enum SmallTalk {
    private static let greetings: Set<String> = [
        "hi", "hello", "hey", "hiya", "howdy", "good morning", "good afternoon", "good evening", "greetings", "hello there",
        "hi there", "hey there",
    ]
    private static let thanks: Set<String> = [
        "thanks", "thank you", "thank you very much", "thanks a lot", "many thanks", "cheers", "thx", "ty", "great thanks",
        "ok thanks", "okay thanks", "thanks so much", "thank you so much",
    ]
    private static let goodbyes: Set<String> = ["bye", "goodbye", "good bye", "see you", "see ya", "bye bye"]

    /// The reply to small talk, or nil when the text asks something.
    static func reply(to text: String, bot: BotSpec) -> String? {
        // The longest phrase above with room for punctuation: a longer text asks something.
        guard text.utf8.count <= 60 else { return nil }
        let words = asciiWords(text) ?? text.lowercased().split(whereSeparator: { !$0.isLetter }).joined(separator: " ")
        guard !words.isEmpty, words.count <= 40 else { return nil }
        if greetings.contains(words) {
            return "Hello! I'm \(bot.displayName). \(bot.description.isEmpty ? "" : bot.description + " ")What can I help you with?"
        }
        if thanks.contains(words) { return "You're welcome! Is there anything else I can help with?" }
        if goodbyes.contains(words) { return "Goodbye, and thanks for stopping by!" }
        return nil
    }

    /// The lowercase words of an ASCII text joined by single spaces (nil
    /// for other text): what the Unicode path computes, byte by byte.
    private static func asciiWords(_ text: String) -> String? {
        var words: [UInt8] = []
        var gap = false
        for byte in text.utf8 {
            guard byte < 0x80 else { return nil }
            let lower = byte | 0x20
            if lower >= 0x61 && lower <= 0x7A {
                if gap && !words.isEmpty { words.append(0x20) }
                gap = false
                words.append(lower)
            } else {
                gap = true
            }
        }
        return String(decoding: words, as: UTF8.self)
    }
}
