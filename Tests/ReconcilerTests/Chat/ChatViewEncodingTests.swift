@testable import BotRuntime
import Foundation
@testable import NectarServer
import Testing

/// The chat answers are written by hand (`CanonicalJSONWriter`) on the hot
/// path; they must be byte for byte what `JSONEncoder` makes of the same
/// views, so clients see one format whichever writer ran.
struct ChatViewEncodingTests {
    static func replies() -> [ChatReply] {
        let source = ChatSource(honeyJar: "shop-faq", path: "faq/returns.md", title: "Returns › \"Refunds\" / ünïcode",
                                excerpt: "Line one\nLine two\twith \\ and \u{01}", score: 0.734)
        let plain = ChatReply(bot: "support", conversationID: "conv_0Abc", messageID: "msg_1Xyz", reply: "You can return \"it\" within 30 days.",
                              confidence: 0.8125, sources: [source, source], promptTokens: 12, completionTokens: 9,
                              createdAt: Date(timeIntervalSince1970: 1_780_000_000.75))
        var handedOff = plain
        handedOff.sources = []
        handedOff.confidence = 0
        handedOff.handoff = HandoffSummary(id: "hof_1", status: .assigned, urgency: .high, reason: .keyword, assignee: "alice")
        handedOff.operatorMessages = [ChatMessage(id: "msg_2", role: .operator, text: "Hi, Alice here.", at: Date(timeIntervalSince1970: 1_780_000_001),
                                                  author: "alice")]
        return [plain, handedOff]
    }

    static func bytes(_ value: some CanonicalJSONEncodable) -> String {
        var writer = CanonicalJSONWriter()
        value.writeCanonical(to: &writer)
        return String(decoding: writer.output, as: UTF8.self)
    }

    @Test func chatAnswersMatchJSONEncoder() throws {
        for reply in Self.replies() {
            let view = ChatReplyView(reply: reply)
            #expect(Self.bytes(view) == String(decoding: try JSONBody.encoder().encode(view), as: UTF8.self))
        }
    }

    @Test func openAICompletionsMatchJSONEncoder() throws {
        for reply in Self.replies() {
            let view = ChatCompletionView(reply: reply, model: "support")
            let canonical = Self.bytes(view)
            #expect(canonical == String(decoding: try JSONBody.encoder().encode(view), as: UTF8.self))
            #expect(canonical.hasPrefix(#"{"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":"#))
        }
    }
}
