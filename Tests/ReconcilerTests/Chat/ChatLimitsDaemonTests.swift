import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Rate limits that are exact under concurrency and survive a restart;
/// bodies of every bad kind refused with a 4xx that writes nothing; FTS5
/// syntax in questions never an error.
@Suite struct ChatLimitsDaemonTests {
    @Test func twoHundredConcurrentClientsAgainstALimitOfOneHundredGetExactlyOneHundredAnswers() async throws {
        let harness = try await ChatFixture.start(["busy": ChatFixture.bot("busy", perHour: 100, perDay: 1000)])
        let key = try harness.key("busy")
        // 200 connections at once, not a client library's few per host.
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 200
        let session = URLSession(configuration: configuration)
        let statuses = try await withThrowingTaskGroup(of: (Int, [String: String]).self) { group in
            for index in 0..<200 {
                group.addTask {
                    let answer = try await harness.chat("busy", "When do orders ship? (\(index))", key: key, session: session)
                    return (answer.status, answer.headers)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0.0 == 200 }.count == 100)
        #expect(statuses.filter { $0.0 == 429 }.count == 100)
        let refusal = try #require(statuses.first { $0.0 == 429 }?.1)
        #expect(refusal["retry-after"] != nil && refusal["ratelimit-remaining"] == "0" && refusal["ratelimit-limit"] == "100")
        let refused = try await harness.chat("busy", "hello", key: key)
        #expect(refused.status == 429)
        #expect(refused.errorCode == "rate_limited")
        try await #require(harness.daemon).chat.flush()
        #expect(try harness.count("message") == 200, "a refusal writes no message")
        #expect(try harness.count("usage_event WHERE outcome = 'rate-limited'") == 101)
        try await harness.stop()
    }

    @Test func countsSurviveARestartAndEveryKeyOfABotSharesOneBudget() async throws {
        let harness = try await ChatFixture.start(["small": ChatFixture.bot("small", perHour: 5, perDay: 50)])
        let key = try harness.key("small")
        for _ in 0..<3 { #expect(try await harness.chat("small", "hello", key: key).status == 200) }
        try await harness.stop()
        try await harness.start()
        let after = try await harness.chat("small", "hello", key: key)
        #expect(after.status == 200)
        #expect(after.headers["ratelimit-remaining"] == "1", "3 before the restart and 1 after: \(after.headers)")
        #expect(try await harness.chat("small", "hello", key: key).status == 200)
        #expect(try await harness.chat("small", "hello", key: key).status == 429)
        try await harness.stop()
    }

    @Test func badBodiesAreRefusedWithTheFieldNamedAndWriteNothing() async throws {
        let harness = try await ChatFixture.start(["support": ChatFixture.bot("support")])
        let key = try harness.key("support")
        let cases: [(Data, Int, String)] = [
            (Data("{not json".utf8), 400, "not valid JSON"),
            (Data("[1,2]".utf8), 400, "must be a JSON object"),
            (Data(#"{"message": 42}"#.utf8), 400, "field message must be a string"),
            (Data(#"{"text": "hi"}"#.utf8), 400, "field message is required"),
            (Data(#"{"message": "   "}"#.utf8), 400, "field message must not be empty"),
            (Data(#"{"message": "hi", "conversationId": 7}"#.utf8), 400, "field conversationId must be a string"),
            (Data([0x7B, 0x22, 0x6D, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]), 400, "not valid UTF-8"),
            (Data(), 400, "empty"),
            (try JSONSerialization.data(withJSONObject: ["message": String(repeating: "x", count: 9000)]), 400, "at most 8192"),
            (try JSONSerialization.data(withJSONObject: ["message": String(repeating: "x", count: 70_000)]), 413, "larger than"),
        ]
        for (body, status, words) in cases {
            let answer = try await harness.request("POST", "/v1/bots/support/chat", token: key, body: body)
            #expect(answer.status == status, "\(words): \(answer.text)")
            #expect(answer.text.contains(words), "\(answer.text)")
            #expect(answer.errorCode != nil, "a JSON error body")
        }
        let openAI = try await harness.request("POST", "/v1/chat/completions", token: key, body: Data(#"{"model": "support"}"#.utf8))
        #expect(openAI.status == 400)
        let error = try #require(openAI.json["error"] as? [String: Any])
        #expect(error["type"] as? String == "invalid_request_error")
        #expect((error["message"] as? String)?.contains("field messages is required") == true)
        try await #require(harness.daemon).chat.flush()
        for table in ["conversation", "message", "usage_event"] { #expect(try harness.count(table) == 0, "\(table)") }
        try await harness.stop()
    }

    @Test func fts5SyntaxInAQuestionIsNeverAnErrorNorAnInjection() async throws {
        let harness = try await ChatFixture.start(["support": ChatFixture.bot("support")])
        let key = try harness.key("support")
        for question in [#"""#, #"ship" OR "*"#, "refund*", "NEAR(refund return)", "-refund", "heading:refund", "body : x AND",
                         "jar_key:0115", "(((", "^ship", "{heading} : refund", "🐝 ships?", "returns' \"quoted\" NOT opened"] {
            let answer = try await harness.chat("support", question, key: key)
            #expect(answer.status == 200, "\(question): \(answer.text)")
        }
        // Searching another jar's key through the question finds nothing of it.
        let sneaky = try await harness.chat("support", "jar_key : \"0\" OR heading", key: key)
        #expect(sneaky.status == 200)
        try await harness.stop()
    }
}
