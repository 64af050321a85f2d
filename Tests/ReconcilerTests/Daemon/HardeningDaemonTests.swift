import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// Store failures answer unauthenticated callers without the database's
/// path or SQLite's words; drift reports are made one at a time and reused;
/// a force-pushed branch shows in the status.
@Suite struct HardeningDaemonTests {
    /// Every successful reconcile checks the key files against the store.
    @Test func aKeyFileOutOfStepIsLoggedAndCountedAfterTheNextReconcile() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start()
        let token = try harness.token("alice")
        try await eventually("the first check ran") {
            try await harness.request("GET", "/metrics").text.contains("nectar_key_file_mismatches 0")
        }
        let directory = KeyDirectory(path: harness.directory + "/keys")
        var file = try #require(directory.read(bot: "alpha"))
        file.active.id = "key_notInTheDb01"
        try directory.write(file)
        let runs = await harness.daemon?.loop.runsCompleted ?? 0
        _ = try await harness.request("POST", "/admin/reconcile", token: token)
        try await eventually("the reconcile ran") { (await harness.daemon?.loop.runsCompleted ?? 0) > runs }
        // The check runs on the reconcile queue right after the run.
        try await eventually("the key files were checked") {
            try await harness.request("GET", "/metrics").text.contains("nectar_key_file_mismatches 1")
        }
        #expect(harness.log.lines.contains { $0.contains("key file out of step with the database") && $0.contains("key_notInTheDb01") })
        try await harness.stop()
    }

    @Test func storeFailuresAreAnsweredWithoutPathsOrSQLiteMessages() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start()
        let token = try harness.token("alice")
        for statement in ["ALTER TABLE store_meta RENAME TO store_meta_gone", "ALTER TABLE api_key RENAME TO api_key_gone",
                          "ALTER TABLE operator_token RENAME TO operator_token_gone"] {
            try ReconcileSQL.execute(path: harness.dbPath, statement)
        }
        for (path, auth) in [("/readyz", nil), ("/metrics", nil), ("/admin/status", token)] as [(String, String?)] {
            let response = try await harness.request("GET", path, token: auth)
            #expect(response.status == 503, "\(path)")
            #expect(response.errorCode == "database_unavailable", "\(path)")
            for leak in [harness.dbPath, "nectar.sqlite", "no such table", "store_meta", "api_key", "operator_token"] {
                #expect(!response.text.contains(leak), "\(path) leaks \(leak): \(response.text)")
            }
        }
        #expect(harness.log.lines.contains { $0.contains("no such table") }, "the detail goes to the log")
        try await harness.stop()
    }

    @Test func driftReportsAreSharedWhileInFlightAndReusedUntilTheStateMoves() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha", "beta"]))
        try await harness.start()
        let token = try harness.token("alice")
        let loop = try #require(harness.daemon).loop
        let bodies = try await withThrowingTaskGroup(of: DaemonHarness.HTTPResult.self) { group in
            for _ in 0..<8 { group.addTask { try await harness.request("GET", "/admin/drift", token: token) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(bodies.allSatisfy { $0.status == 200 })
        #expect(Set(bodies.map(\.text)).count == 1)
        #expect(await loop.driftReportsMade == 1, "eight callers, one report")
        _ = try await harness.request("GET", "/admin/drift", token: token)
        #expect(await loop.driftReportsMade == 1, "reused while nothing changed")

        let paused = try await harness.request("POST", "/admin/bots/alpha/pause", token: token, body: Data(#"{"reason":"x"}"#.utf8))
        #expect(paused.status == 200)
        let after = try await harness.request("GET", "/admin/drift", token: token)
        #expect(await loop.driftReportsMade == 2, "a pause moves the state version")
        #expect(after.text.contains("runtime-override"))
        try await harness.stop()
    }

    @Test func aForcePushedBranchIsNotedInTheStatus() async throws {
        let harness = try DaemonHarness()
        let first = try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start()
        let token = try harness.token("alice")
        // A commit with no parent, put on main: the applied commit is no
        // longer in the branch's history.
        let rewritten = try harness.repository.commit(files: DaemonSnippet.files(bots: ["alpha", "beta"]).mapValues { Array($0.utf8) },
                                                      message: "rewritten", branch: "rewrite")
        try harness.repository.setReference("refs/heads/main", to: rewritten.id)
        _ = try await harness.request("POST", "/admin/reconcile", token: token)
        try await eventually("beta is live") { try await harness.botNames(token: token) == ["alpha", "beta"] }
        let status = try await harness.status(token: token)
        let push = try #require(status["forcePush"] as? [String: Any])
        #expect(push["from"] as? String == first.id.hex)
        #expect(push["to"] as? String == rewritten.id.hex)
        #expect((condition("Ready", in: status)["message"] as? String)?.contains("force-pushed") == true)
        #expect(harness.log.entries.contains { $0["message"]?.contains("force-pushed") == true && $0["level"] == "warning" })

        let next = try harness.commit(DaemonSnippet.files(bots: ["alpha", "beta", "gamma"]))
        _ = try await harness.request("POST", "/admin/reconcile", token: token)
        try await eventually("gamma is live") { try await harness.botNames(token: token).contains("gamma") }
        let later = try await harness.status(token: token)
        #expect((later["forcePush"] as? [String: Any])?["to"] as? String == rewritten.id.hex, "a fast-forward adds no note")
        #expect((condition("Ready", in: later)["message"] as? String) == "applied revision \(next.id.short)")
        try await harness.stop()
    }
}
