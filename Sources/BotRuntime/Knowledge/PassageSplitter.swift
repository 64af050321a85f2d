/// Splits a Markdown document into passages, the units retrieval ranks and
/// quotes: one per section (a heading and the text up to the next heading),
/// a long section cut between paragraphs so no passage is much longer than
/// `targetLength`. Text before the first heading is headed by the title.
public enum PassageSplitter {
    public struct Passage: Sendable, Equatable {
        public let heading: String
        public let text: String
        public let ordinal: Int
    }

    /// The length, in characters, a passage grows to before it is cut at the next paragraph.
    public static let targetLength = 900
    /// The most passages one document yields (a document is at most 1 MiB).
    public static let maxPassages = 2_000

    public static func passages(title: String, markdown: String) -> [Passage] {
        var sections: [(heading: String, paragraphs: [String])] = [(title, [])]
        var paragraph: [Substring] = []
        var inFence = false

        func endParagraph() {
            let text = paragraph.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { sections[sections.count - 1].paragraphs.append(text) }
            paragraph = []
        }

        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                inFence.toggle()
                paragraph.append(line)
                continue
            }
            if !inFence, let heading = heading(of: trimmed) {
                endParagraph()
                sections.append((heading, []))
            } else if !inFence && trimmed.allSatisfy(\.isWhitespace) {
                endParagraph()
            } else {
                paragraph.append(line)
            }
        }
        endParagraph()

        var passages: [Passage] = []
        for section in sections where !section.paragraphs.isEmpty {
            var current = ""
            for text in section.paragraphs {
                if !current.isEmpty && current.count + text.count > targetLength {
                    passages.append(Passage(heading: section.heading, text: current, ordinal: passages.count))
                    current = ""
                }
                current += current.isEmpty ? text : "\n\n" + text
            }
            if !current.isEmpty { passages.append(Passage(heading: section.heading, text: current, ordinal: passages.count)) }
            if passages.count >= maxPassages { return Array(passages.prefix(maxPassages)) }
        }
        return passages
    }

    /// The text of an ATX heading (`## Refunds` -> `Refunds`), or nil.
    static func heading(of line: Substring) -> String? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        var text = rest.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("#") { text.removeLast() }
        text = text.trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }
}
