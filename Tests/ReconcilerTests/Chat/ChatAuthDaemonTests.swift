import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// Keys, checked from memory: every way a key can fail, and revocations
/// taking effect without a database read per request.
@Suite struct ChatAuthDaemonTests {
    @Test func everyKindOfBadKeyIsRefusedAndAValidOneOfAnotherBotIsForbidden() async throws {
        let harness = try await ChatFixture.start(["alpha": ChatFixture.bot("alpha"), "beta": ChatFixture.bot("beta")])
        let alpha = try harness.key("alpha"), beta = try harness.key("beta")
        let unknown = APIKey.generate().secret
        let cases: [(String?, Int, String)] = [
            (nil, 401, "needs an API key"),
            ("garbage", 401, "malformed"),
            (String(alpha.dropLast()) + (alpha.last == "A" ? "B" : "A"), 401, "malformed"),  // checksum
            (unknown, 401, "not valid"),
            (beta, 403, "may not be used with this bot"),
        ]
        for (key, status, words) in cases {
            let answer = try await harness.chat("alpha", "When do orders ship?", key: key)
            #expect(answer.status == status, "\(key.map { APIKey.display(of: $0) } ?? "none"): \(answer.text)")
            #expect(answer.text.contains(words), "\(answer.text)")
            #expect(!answer.text.contains("beta"), "a 403 never names the key's bot")
            if status == 401 { #expect(answer.headers["www-authenticate"] != nil) }
        }
        let viaHeader = try await harness.chat("alpha", "When do orders ship?", key: nil, headers: ["X-API-Key": alpha])
        #expect(viaHeader.status == 200)
        let basic = try await harness.chat("alpha", "When do orders ship?", key: nil, headers: ["Authorization": "Basic eDp5"])
        #expect(basic.status == 401)
        try await harness.stop()
    }

    @Test func aBotsStateDecidesItsAnswer() async throws {
        let harness = try await ChatFixture.start([
            "live": ChatFixture.bot("live"), "resting": ChatFixture.bot("resting", status: "maintenance"),
            "retired": ChatFixture.bot("retired", status: "inactive"),
            "modelled": ChatFixture.bot("modelled").replacingOccurrences(
                of: "  honeyJars:", with: "  model: {provider: openai, endpoint: local-llm, name: llama3}\n  honeyJars:"),
        ])
        let admin = try harness.token("alice")
        // A model-backed bot is not answered from the knowledge index in its
        // place when the daemon defines no model endpoints.
        let modelled = try await harness.chat("modelled", "hello", key: try harness.key("modelled"))
        #expect(modelled.status == 503)
        #expect(modelled.text.contains("defines no model endpoints"), "\(modelled.text)")
        let maintenance = try await harness.chat("resting", "hello", key: try harness.key("resting"))
        #expect(maintenance.status == 503)
        #expect(maintenance.headers["retry-after"] != nil)
        #expect(maintenance.text.contains("maintenance"))
        #expect(try await harness.chat("retired", "hello", key: try harness.key("retired")).status == 404)

        let key = try harness.key("live")
        #expect(try await harness.chat("live", "hello", key: key).status == 200)
        let paused = try await harness.request("POST", "/admin/bots/live/pause", token: admin, body: Data(#"{"reason":"incident 7"}"#.utf8))
        #expect(paused.status == 200)
        let refused = try await harness.chat("live", "hello", key: key)
        #expect(refused.status == 503, "a pause applies to the very next request")
        #expect(refused.text.contains("incident 7"))
        #expect(refused.headers["retry-after"] == "60")
        _ = try await harness.request("POST", "/admin/bots/live/resume", token: admin)
        #expect(try await harness.chat("live", "hello", key: key).status == 200)

        // Deleted from git: 404, and its keys stop working with the apply.
        var files = ChatFixture.files(["resting": ChatFixture.bot("resting"), "retired": ChatFixture.bot("retired", status: "inactive")])
        files["bots/extra.yaml"] = ChatFixture.bot("extra")
        files["bots/modelled.yaml"] = ChatFixture.bot("modelled")
        try harness.commit(files)
        _ = try await harness.request("POST", "/admin/reconcile", token: admin)
        try await eventually("live is deleted") { try await harness.botNames(token: admin).contains("live") == false }
        let gone = try await harness.chat("live", "hello", key: key)
        #expect(gone.status == 401 || gone.status == 404, "\(gone.status)")
        try await harness.stop()
    }

    @Test func aRevocationByTheDaemonAppliesToTheNextRequestAndByAnotherProcessWithinASecond() async throws {
        let harness = try await ChatFixture.start(["alpha": ChatFixture.bot("alpha"), "beta": ChatFixture.bot("beta")])
        let alpha = try harness.key("alpha"), beta = try harness.key("beta")
        #expect(try await harness.chat("alpha", "hello", key: alpha).status == 200)
        #expect(try await harness.chat("beta", "hello", key: beta).status == 200)

        // Another process: `nectar keys revoke`.
        let keyID = try #require(try RuntimeStore.openReadOnly(path: harness.dbPath).keys(bot: "beta").first?.id)
        let revoke = try ReconcileCLI.run(["keys", "revoke", "--bot", "beta", "--key", keyID, "--db", harness.dbPath])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let revokedAt = ContinuousClock.now
        try await eventually("the revocation is seen", timeout: 1.5) { try await harness.chat("beta", "hello", key: beta).status == 401 }
        #expect(ContinuousClock.now - revokedAt < .seconds(1.5))

        // This process (an emergency revoke through the store the daemon
        // shares): the next request is refused.
        let store = try #require(harness.daemon).store
        let alphaKey = try #require(try store.keys(bot: "alpha").first)
        try store.applyKeyChanges(issues: [], transitions: [KeyTransition(keyID: alphaKey.id, state: .revoked, at: Date(), reason: "test", bot: "alpha")],
                                  audit: [])
        #expect(try await harness.chat("alpha", "hello", key: alpha).status == 401)
        try await harness.stop()
    }
}

extension APIKey {
    /// The display form of a key text, for test messages (never the secret).
    static func display(of text: String) -> String {
        (try? APIKey(parsing: text).display) ?? "<\(text.count) characters>"
    }
}
