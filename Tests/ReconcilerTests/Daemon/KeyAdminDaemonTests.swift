import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// The console's emergency key actions over real HTTP: admins only, the new
/// key delivered to the key directory (never in a response or the log),
/// the old key honouring its grace period or revoked at once, every action
/// audited, and a revocation effective on the next chat request.
@Suite struct KeyAdminDaemonTests {
    @Test func adminsRotateAndRevokeKeysWithoutEverSeeingThem() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let alice = try harness.token("alice"), carol = try harness.token("carol"), ci = try harness.token("ci")
        let directory = KeyDirectory(path: harness.directory + "/keys")
        let original = try #require(directory.read(bot: "support")).active
        let rotate = "/admin/bots/support/keys/rotate"

        #expect(try await harness.admin("POST", rotate, token: carol).status == 403, "agents do not rotate keys")
        #expect(try await harness.admin("POST", rotate, token: ci).status == 403, "auditors change nothing")
        #expect(try await harness.admin("POST", rotate, token: nil).status == 401)
        #expect(try await harness.admin("POST", "/admin/bots/ghost/keys/rotate", token: alice).status == 404)
        let bad = try await harness.admin("POST", rotate, token: alice, json: ["revokeOld": "yes"])
        #expect(bad.status == 400 && bad.text.contains("revokeOld"), "\(bad.text)")
        #expect(try #require(directory.read(bot: "support")).active.id == original.id, "refusals change nothing")

        // A rotation with the default grace period: both keys answer.
        let rotated = try await harness.admin("POST", rotate, token: alice)
        #expect(rotated.status == 201, "\(rotated.text)")
        let fresh = try #require(directory.read(bot: "support")).active
        #expect(rotated.json["keyId"] as? String == fresh.id && fresh.id != original.id)
        #expect((rotated.json["previous"] as? String)?.contains(original.id) == true)
        #expect(!rotated.text.contains(fresh.key), "the new key is never in a response")
        #expect(try await harness.chat("support", "hello", key: fresh.key).status == 200)
        #expect(try await harness.chat("support", "hello", key: original.key).status == 200, "the old key is in its grace period")

        // Revoking the old key works on the very next request.
        let revoke = "/admin/bots/support/keys/\(original.id)/revoke"
        #expect(try await harness.admin("POST", revoke, token: carol).status == 403)
        let revoked = try await harness.admin("POST", revoke, token: alice)
        #expect(revoked.status == 200 && revoked.json["state"] as? String == "revoked", "\(revoked.text)")
        #expect(try await harness.chat("support", "hello", key: original.key).status == 401)
        #expect(try await harness.admin("POST", revoke, token: alice).status == 409, "already revoked")
        #expect(try await harness.admin("POST", "/admin/bots/support/keys/key_nope/revoke", token: alice).status == 404)

        // revokeOld: the previous key stops at once.
        let hard = try await harness.admin("POST", rotate, token: alice, json: ["revokeOld": true])
        #expect(hard.status == 201)
        let newest = try #require(directory.read(bot: "support")).active
        #expect(try await harness.chat("support", "hello", key: fresh.key).status == 401)
        #expect(try await harness.chat("support", "hello", key: newest.key).status == 200)

        let audit = try await harness.request("GET", "/admin/audit?kind=Bot&name=support", token: alice)
        let actions = (audit.json["entries"] as? [[String: Any]] ?? []).filter { $0["actor"] as? String == "operator:alice" }
            .compactMap { $0["action"] as? String }
        #expect(actions.sorted() == ["key-revoke", "key-rotate", "key-rotate"], "\(audit.text)")
        for secret in [fresh.key, newest.key] {
            #expect(!harness.log.lines.contains { $0.contains(secret) }, "no key in the log")
            #expect(!audit.text.contains(secret))
        }
        try await harness.stop()
    }
}
