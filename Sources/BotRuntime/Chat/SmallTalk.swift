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
        let words = text.lowercased().split(whereSeparator: { !$0.isLetter }).joined(separator: " ")
        guard !words.isEmpty, words.count <= 40 else { return nil }
        if greetings.contains(words) {
            return "Hello! I'm \(bot.displayName). \(bot.description.isEmpty ? "" : bot.description + " ")What can I help you with?"
        }
        if thanks.contains(words) { return "You're welcome! Is there anything else I can help with?" }
        if goodbyes.contains(words) { return "Goodbye, and thanks for stopping by!" }
        return nil
    }
}
