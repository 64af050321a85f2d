import Foundation
import Testing
@testable import BotRuntime

/// The chat path's memory of recent conversations stays bounded.
struct ConversationCacheTests {
    static func record(_ index: Int) -> ConversationRecord {
        ConversationRecord(id: "conv_\(index)", bot: "alpha", channel: .key, keyID: "key_1", clientHash: nil, createdAt: Date())
    }

    static func message(_ text: String) -> ChatMessage {
        ChatMessage(id: "msg_\(text)", role: .assistant, text: text, at: Date(), confidence: 0.9,
                    sources: [ChatSource(honeyJar: "faq", path: "a.md", title: "A", excerpt: String(repeating: "x", count: 500), score: 0.9)])
    }

    @Test func theLeastRecentlyUsedGoAndTheRecentStay() {
        let cache = ConversationCache(capacity: 100, keep: 4, protected: .zero)
        for index in 0..<1_000 {
            _ = cache.append([Self.message("\(index)")], to: Self.record(index), knownCount: 0)
        }
        let kept = (0..<1_000).filter { cache.entry("conv_\($0)") != nil }
        // An eviction goes down to half the capacity, so between 50 and 100 stay.
        #expect(kept.count <= 100 && kept.count >= 50, "\(kept.count)")
        #expect(kept.contains(999) && !kept.contains(0))
    }

    @Test func messagesAreKeptWithoutSourcesAndOnlyTheLastFew() throws {
        let cache = ConversationCache(capacity: 100, keep: 4, protected: .zero)
        for index in 0..<6 { _ = cache.append([Self.message("\(index)")], to: Self.record(1), knownCount: 0) }
        let entry = try #require(cache.entry("conv_1"))
        #expect(entry.recent.map(\.text) == ["2", "3", "4", "5"])
        #expect(entry.count == 6)
        #expect(entry.recent.allSatisfy { $0.sources.isEmpty })
    }

    @Test func entriesUsedInTheProtectedWindowAreNotEvicted() {
        let cache = ConversationCache(capacity: 10, keep: 4, protected: .seconds(60))
        for index in 0..<50 { _ = cache.append([Self.message("\(index)")], to: Self.record(index), knownCount: 0) }
        #expect((0..<50).allSatisfy { cache.entry("conv_\($0)") != nil }, "their messages may not be in the store yet")
    }
}

/// Sources written by hand on the chat path read back as JSONEncoder's would.
struct ChatSourceJSONTests {
    @Test func handWrittenJSONEqualsJSONEncodersOutput() throws {
        let sources = [
            ChatSource(honeyJar: "faq", path: "knowledge/a/b.md", title: "Returns › \"Opened\" honey", excerpt: "Line one\nline\ttwo \u{1} ünï 🐝 \\ /",
                       score: 0.797),
            ChatSource(honeyJar: "faq", path: "c.md", title: "C", excerpt: "", score: 1),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(ChatSource.json(sources) == String(decoding: try encoder.encode(sources), as: UTF8.self))
        #expect(try JSONDecoder().decode([ChatSource].self, from: Data(ChatSource.json(sources).utf8)) == sources)
    }
}

/// Words the stemmer leaves alone, as FTS5's porter tokenizer does.
struct PorterStemmerLimitTests {
    @Test func longWordsAreLeftAloneAndShortOnesStemmed() {
        #expect(PorterStemmer.stem("shipping") == "ship")
        let long = String(repeating: "y", count: 100_000)
        #expect(PorterStemmer.stem(long) == long, "no deep recursion over a run of y")
    }
}
