import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// The daemon against real repositories over real HTTP on loopback.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DaemonTests {
    @Test func aNewCommitIsAppliedWithinOnePollInterval() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start(harness.settings { $0.interval = SpecDuration(seconds: 1) })
        let token = try harness.token("alice")
        try await eventually("alpha is live") { try await harness.botNames(token: token) == ["alpha"] }

        let next = try harness.commit(DaemonSnippet.files(bots: ["alpha", "beta"]))
        let committed = ContinuousClock.now
        try await eventually("beta is live", timeout: 10) { try await harness.botNames(token: token) == ["alpha", "beta"] }
        // One 1 s interval, plus slack for a loaded CI machine (the trigger check below shows it was the poll).
        #expect(ContinuousClock.now - committed < .seconds(4), "applied within one 1 s interval (plus slack)")
        let status = try await harness.status(token: token)
        #expect(status["lastAppliedRevision"] as? String == next.id.hex)
        #expect(condition("Ready", in: status)["status"] as? String == "True")
        let runs = try await harness.request("GET", "/admin/reconciles", token: token).json["runs"] as? [[String: Any]] ?? []
        #expect(runs.first?["trigger"] as? String == "poll")
        #expect(runs.first?["revision"] as? String == next.id.hex)
        try await harness.stop()
    }

    @Test func aSignedWebhookAppliesAtOnceAndABadlySignedOneDoesNot() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        let secret = "webhook-secret-\(UUID().uuidString)"
        try await harness.start(environment: ["NECTAR_WEBHOOK_SECRET": secret])
        let token = try harness.token("alice")
        try await eventually("alpha is live") { try await harness.botNames(token: token) == ["alpha"] }
        try harness.commit(DaemonSnippet.files(bots: ["alpha", "beta"]))
        let runsBefore = try await #require(harness.daemon).loop.runsCompleted

        let body = Data(#"{"ref":"refs/heads/main","after":"0000"}"#.utf8)
        let unsigned = try await harness.request("POST", "/hooks/git", body: body)
        #expect(unsigned.status == 401)
        #expect(unsigned.errorCode == "unauthorized")
        let wrongSecret = WebhookSignature.header(body: body, secret: "not-the-secret")
        let forged = try await harness.request("POST", "/hooks/git", body: body,
                                               headers: ["X-Hub-Signature-256": wrongSecret, "X-GitHub-Delivery": "d-forged"])
        #expect(forged.status == 401)
        let tampered = try await harness.request("POST", "/hooks/git", body: Data(#"{"ref":"refs/heads/evil"}"#.utf8),
                                                 headers: ["X-Hub-Signature-256": WebhookSignature.header(body: body, secret: secret),
                                                           "X-GitHub-Delivery": "d-tampered"])
        #expect(tampered.status == 401)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await harness.botNames(token: token) == ["alpha"], "a bad signature triggers nothing (interval is 60 s)")

        let huge = try await harness.request("POST", "/hooks/git", body: Data(count: GitWebhook.maxBodyBytes + 1),
                                             headers: ["X-Hub-Signature-256": WebhookSignature.header(body: body, secret: secret),
                                                       "X-GitHub-Delivery": "d-huge"])
        #expect(huge.status == 413)
        #expect(huge.errorCode == "body_too_large")
        let ping = try await harness.request("POST", "/hooks/git", body: body,
                                             headers: ["X-Hub-Signature-256": WebhookSignature.header(body: body, secret: secret),
                                                       "X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-ping"])
        #expect(ping.status == 200)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await harness.botNames(token: token) == ["alpha"], "a ping triggers nothing")
        #expect(try await #require(harness.daemon).loop.runsCompleted == runsBefore, "no reconcile ran (interval is 60 s)")

        let signed = try await harness.request("POST", "/hooks/git", body: body,
                                               headers: ["X-Hub-Signature-256": WebhookSignature.header(body: body, secret: secret),
                                                         "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-push"])
        #expect(signed.status == 202)
        try await eventually("beta is live") { try await harness.botNames(token: token) == ["alpha", "beta"] }
        let runs = try await harness.request("GET", "/admin/reconciles", token: token).json["runs"] as? [[String: Any]] ?? []
        #expect(runs.first?["trigger"] as? String == "webhook")
        #expect(!harness.log.lines.joined().contains(secret), "the webhook secret is never logged")
        try await harness.stop()
    }

    @Test func aBrokenCommitLeavesTheLastStateServingAndTheStatusSaysWhy() async throws {
        let harness = try DaemonHarness()
        let good = try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start()
        let token = try harness.token("alice")
        try await eventually("alpha is live") { try await harness.botNames(token: token) == ["alpha"] }

        var broken = DaemonSnippet.files(bots: ["alpha"])
        broken["bots/beta.yaml"] = Snippet.bot("beta", spec: "{temperature: hot}")
        let bad = try harness.commit(broken)
        let trigger = try await harness.request("POST", "/admin/reconcile", token: token)
        #expect(trigger.status == 202)
        try await eventually("the status shows the failure") {
            condition("Ready", in: try await harness.status(token: token))["status"] as? String == "False"
        }
        let status = try await harness.status(token: token)
        #expect(condition("Ready", in: status)["reason"] as? String == "InvalidDeclarations")
        #expect(condition("Stalled", in: status)["status"] as? String == "True")
        #expect((status["lastError"] as? String)?.contains("bots/beta.yaml:") == true)
        #expect(status["lastAppliedRevision"] as? String == good.id.hex)
        #expect(status["lastAttemptedRevision"] as? String == bad.id.hex)
        #expect(try await harness.botNames(token: token) == ["alpha"], "the last applied revision keeps serving")
        #expect(try await harness.request("GET", "/readyz").status == 200)
        let runs = try await harness.request("GET", "/admin/reconciles", token: token).json["runs"] as? [[String: Any]] ?? []
        #expect(runs.first?["outcome"] as? String == "failed")
        #expect((runs.first?["errors"] as? [String])?.first?.hasPrefix("bots/beta.yaml:") == true)

        // Fixing it recovers.
        try harness.commit(DaemonSnippet.files(bots: ["alpha", "beta"]))
        _ = try await harness.request("POST", "/admin/reconcile", token: token)
        try await eventually("beta is live") { try await harness.botNames(token: token) == ["alpha", "beta"] }
        try await eventually("ready again") { condition("Ready", in: try await harness.status(token: token))["status"] as? String == "True" }
        try await harness.stop()
    }

    @Test func anUnreachableRemoteBacksOffAndRecoversWhenItReturns() async throws {
        let harness = try DaemonHarness()
        let origin = harness.directory + "/origin.git"
        let moved = harness.directory + "/origin-away.git"
        let remote = try GitRepository.create(at: origin, bare: true)
        try remote.commit(files: DaemonSnippet.files(bots: ["alpha"]).mapValues { Array($0.utf8) }, message: "one")
        try await harness.start(harness.settings {
            $0.repository = "file://" + origin
            $0.branch = "main"
            $0.interval = SpecDuration(seconds: 1)
            $0.backoff = SpecDuration(seconds: 1)
            $0.maxBackoff = SpecDuration(seconds: 2)
        })
        let token = try harness.token("alice")
        try await eventually("alpha is live") { try await harness.botNames(token: token) == ["alpha"] }

        try FileManager.default.moveItem(atPath: origin, toPath: moved)
        try await eventually("two failures in a row", timeout: 8) {
            (try await harness.status(token: token)["consecutiveFailures"] as? Int ?? 0) >= 2
        }
        let failing = try await harness.status(token: token)
        #expect(condition("Ready", in: failing)["reason"] as? String == "GitUnavailable")
        #expect(condition("Reconciling", in: failing)["reason"] as? String == "ProgressingWithRetry")
        #expect(condition("Stalled", in: failing)["status"] as? String == "False")
        #expect(try await harness.botNames(token: token) == ["alpha"], "nothing is deleted because git could not be read")

        try FileManager.default.moveItem(atPath: moved, toPath: origin)
        let back = try GitRepository(path: origin)
        let next = try back.commit(files: DaemonSnippet.files(bots: ["alpha", "beta"]).mapValues { Array($0.utf8) }, message: "two")
        try await eventually("recovered with the new commit", timeout: 8) {
            try await harness.status(token: token)["lastAppliedRevision"] as? String == next.id.hex
        }
        let recovered = try await harness.status(token: token)
        #expect(recovered["consecutiveFailures"] as? Int == 0)
        #expect(condition("Ready", in: recovered)["status"] as? String == "True")
        #expect(try await harness.botNames(token: token) == ["alpha", "beta"])
        try await harness.stop()
    }

    @Test func backoffDoublesUpToItsCapWithJitterInside() {
        var timing = ReconcileLoop.Timing()
        timing.backoffBase = .seconds(5)
        timing.backoffMax = .seconds(60)
        timing.jitter = 0
        #expect((1...6).map { ReconcileLoop.backoff(failures: $0, timing: timing) } == [5, 10, 20, 40, 60, 60])
        timing.jitter = 0.1
        for failures in 1...8 {
            let base = ReconcileLoop.backoff(failures: failures, timing: timing)
            for _ in 0..<20 {
                let delay = ReconcileLoop.jittered(base, timing: timing)
                #expect(delay >= base * 0.9 - 1e-9 && delay <= base * 1.1 + 1e-9)
            }
        }
    }

    @Test func pauseShowsInTheBotStatusTheAuditLogAndTheMetrics() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha", "beta"]))
        try await harness.start()
        let admin = try harness.token("alice"), agent = try harness.token("bob")
        try await eventually("bots are live") { try await harness.botNames(token: admin) == ["alpha", "beta"] }

        let forbidden = try await harness.request("POST", "/admin/bots/alpha/pause", token: agent)
        #expect(forbidden.status == 403)
        #expect(forbidden.errorCode == "forbidden")
        let paused = try await harness.request("POST", "/admin/bots/alpha/pause", token: admin,
                                               body: Data(#"{"reason":"incident 42"}"#.utf8))
        #expect(paused.status == 200)
        #expect(paused.json["status"] as? String == "paused")
        #expect(paused.json["changed"] as? Bool == true)
        // bob is an agent of no team: alpha (owned by nobody) is not his to read.
        #expect(try await harness.request("GET", "/admin/bots/alpha", token: agent).status == 404)
        let detail = try await harness.request("GET", "/admin/bots/alpha", token: admin).json
        #expect(detail["status"] as? String == "paused")
        #expect(detail["pausedBy"] as? String == "operator:alice")
        #expect(detail["pausedReason"] as? String == "incident 42")
        #expect((detail["keys"] as? [[String: Any]])?.first?["secretHash"] == nil, "keys show metadata only")
        let audit = try await harness.request("GET", "/admin/audit?kind=Bot&name=alpha", token: admin).json["entries"] as? [[String: Any]] ?? []
        #expect(audit.first?["action"] as? String == "pause")
        #expect(audit.first?["actor"] as? String == "operator:alice")
        #expect((audit.first?["changes"] as? [String: Any])?["reason"] as? String == "incident 42", "changes are embedded JSON")
        let drift = try await harness.request("GET", "/admin/drift", token: admin).json
        let findings = drift["findings"] as? [[String: Any]] ?? []
        #expect(findings.map { "\($0["kind"] ?? "") \($0["object"] ?? "")" } == ["runtime-override alpha"], "\(drift)")
        #expect(drift["revision"] as? String == drift["appliedRevision"] as? String)
        let metrics = try await harness.request("GET", "/metrics").text
        #expect(metrics.contains(#"nectar_bots{status="paused"} 1"#))
        #expect(metrics.contains(#"nectar_bots{status="active"} 1"#))

        // A reconcile of the same revision keeps the override (git does not declare pauses).
        let loop = try #require(harness.daemon).loop
        let runsBefore = await loop.runsCompleted
        _ = try await harness.request("POST", "/admin/reconcile", token: admin)
        try await eventually("the requested reconcile ran") { await loop.runsCompleted > runsBefore }
        #expect(try await harness.request("GET", "/admin/bots/alpha", token: admin).json["status"] as? String == "paused")

        let resumed = try await harness.request("POST", "/admin/bots/alpha/resume", token: admin)
        #expect(resumed.json["status"] as? String == "active")
        let again = try await harness.request("POST", "/admin/bots/alpha/resume", token: admin)
        #expect(again.json["changed"] as? Bool == false)
        let missing = try await harness.request("POST", "/admin/bots/nope/pause", token: admin)
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        let resumedAudit = try await harness.request("GET", "/admin/audit?name=alpha&limit=1", token: admin).json["entries"] as? [[String: Any]] ?? []
        #expect(resumedAudit.first?["action"] as? String == "resume")
        try await harness.stop()
    }

    @Test func everyAdminEndpointIs401WithoutAValidTokenAnd403ForAForbiddenRole() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start()
        let admin = try harness.token("alice"), agent = try harness.token("bob")
        try await eventually("alpha is live") { try await harness.botNames(token: admin) == ["alpha"] }
        let revoked = try harness.token("alice")
        try RuntimeStore.open(path: harness.dbPath).revokeOperatorTokens(id: try RuntimeStore.open(path: harness.dbPath)
            .operatorTokens(operator: "alice").first!.id)

        let reads = ["/admin/status", "/admin/reconciles", "/admin/bots", "/admin/bots/alpha", "/admin/audit", "/admin/state", "/admin/drift"]
        let writes = ["/admin/reconcile", "/admin/bots/alpha/pause", "/admin/bots/alpha/resume"]
        let badTokens: [String?] = [nil, "nop_garbage", "nb_" + String(repeating: "a", count: 36), revoked,
                                    "nop_" + String(repeating: "A", count: 36)]
        for (method, path) in reads.map({ ("GET", $0) }) + writes.map({ ("POST", $0) }) {
            for bad in badTokens {
                let response = try await harness.request(method, path, token: bad)
                #expect(response.status == 401, "\(method) \(path) with \(bad == nil ? "no token" : "a bad token")")
                #expect(response.errorCode == "unauthorized")
                #expect(response.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            }
        }
        // bob is an agent of no team: the installation-wide reads are 403,
        // the bot list is empty for him and alpha is not found.
        for path in reads {
            let expected = path == "/admin/bots" ? 200 : path == "/admin/bots/alpha" ? 404 : 403
            #expect(try await harness.request("GET", path, token: agent).status == expected, "agent reads \(path)")
            #expect(try await harness.request("GET", path, token: admin).status == 200, "admin reads \(path)")
        }
        #expect(try await harness.botNames(token: agent) == [])
        for path in writes {
            let response = try await harness.request("POST", path, token: agent)
            #expect(response.status == 403, "agent may not POST \(path)")
            #expect(response.errorCode == "forbidden")
            #expect(try await harness.request("POST", path, token: admin).status < 300, "admin may POST \(path)")
        }
        // A token stops working when its operator leaves git.
        try harness.commit(["bots/alpha.yaml": Snippet.bot("alpha"), "bots/operators.yaml": Snippet.operator("alice", role: "admin")])
        _ = try await harness.request("POST", "/admin/reconcile", token: admin)
        try await eventually("bob's token is refused") { try await harness.request("GET", "/admin/status", token: agent).status == 401 }
        let bobs = try RuntimeStore.open(path: harness.dbPath).operatorTokens(operator: "bob")
        #expect(bobs.count == 1 && bobs.allSatisfy { $0.revokedAt != nil }, "revoked for good, so declaring bob again does not revive it")
        #expect(!harness.log.lines.joined().contains(admin) && !harness.log.lines.joined().contains(agent), "no token in any log line")
        try await harness.stop()
    }

    @Test func aSecondInstanceOnTheSameDatabaseRefusesToStart() async throws {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start()
        #expect {
            _ = try NectarDaemon(settings: harness.settings(), environment: [:], logger: harness.logger(), handleSignals: false)
        } throws: { error in
            String(describing: error).contains("is in use by another nectar process")
        }
        let apply = try ReconcileCLI.run(["apply", "--repo", harness.repoPath, "--db", harness.dbPath])
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("is in use by another nectar process"))
        #expect(apply.stderr.split(separator: "\n").count == 1, "one sentence")
        let serve = try ReconcileCLI.run(["serve", "--repo", harness.repoPath, "--db", harness.dbPath, "--listen", "127.0.0.1:0"])
        #expect(serve.status == 1)
        #expect(serve.stderr.contains("is in use by another nectar process (pid \(getpid()), nectar serve)"))
        try await harness.stop()
        // Once it stopped, the database is free again.
        let after = try ReconcileCLI.run(["apply", "--repo", harness.repoPath, "--db", harness.dbPath])
        #expect(after.status == 0, "\(after.stderr)")
    }

    @Test func logsAreJSONWithTheRunIDOfTheHistoryOnEveryOutcomeLine() async throws {
        let harness = try DaemonHarness()
        var files = DaemonSnippet.files(bots: ["alpha"])
        try harness.commit(files)
        try await harness.start()
        let token = try harness.token("alice")
        try await eventually("alpha is live") { try await harness.botNames(token: token) == ["alpha"] }
        files["bots/broken.yaml"] = "kind: [unclosed"
        try harness.commit(files)
        _ = try await harness.request("POST", "/admin/reconcile", token: token)
        try await eventually("the failure is logged") { harness.log.entries.contains { $0["message"] == "reconcile failed" } }
        files["bots/broken.yaml"] = nil
        try harness.commit(files)
        _ = try await harness.request("POST", "/admin/reconcile", token: token)
        try await eventually("the recovery is logged") { harness.log.entries.contains { $0["message"] == "reconcile recovered: Ready again" } }
        let runs = try await harness.request("GET", "/admin/reconciles?limit=50", token: token).json["runs"] as? [[String: Any]] ?? []
        let runIDs = Set(runs.compactMap { ($0["id"] as? Int).map(String.init) })
        try await harness.stop()

        let entries = harness.log.entries
        #expect(entries.count == harness.log.lines.count, "every line is one JSON object")
        let outcomeLines = entries.filter { ["reconcile applied", "reconcile failed", "invalid declaration"].contains($0["message"] ?? "") }
        #expect(outcomeLines.count >= 3)
        #expect(outcomeLines.allSatisfy { runIDs.contains($0["run"] ?? "none") }, "the id /admin/reconciles shows: \(outcomeLines)")
        #expect(!entries.contains { $0["reconcile_id"] != nil }, "one run id, not two")
        let failed = entries.first { $0["message"] == "reconcile failed" }
        let invalid = entries.first { $0["message"] == "invalid declaration" }
        #expect(failed?["run"] == invalid?["run"], "one id across the lines of one run")
        #expect(invalid?["diagnostic"]?.hasPrefix("bots/broken.yaml:") == true, "\(invalid ?? [:])")
        let recovered = try #require(entries.first { $0["message"] == "reconcile recovered: Ready again" })
        #expect(recovered["level"] == "info")
        #expect(entries.allSatisfy { $0["time"] != nil && $0["level"] != nil })
        #expect(!harness.log.lines.joined().contains(token))
    }
}
