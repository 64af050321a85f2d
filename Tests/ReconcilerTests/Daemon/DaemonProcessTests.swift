import BotRuntime
import Foundation
import GRDB
@testable import Reconciler
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `nectar serve` as a process: SIGTERM while a large reconcile runs.
@Suite(.serialized) struct DaemonProcessTests {
    @Test(.tags(.reconcileSlow), .timeLimit(.minutes(3)))
    func sigtermDuringAReconcileLetsItFinishAndLeavesAConsistentDatabase() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario(bare: true) { scenario in
            let (a, b) = ReconcileCrashSafetyTests.revisions()
            let revisionA = try scenario.repository.commit(files: a, message: "A")
            // The database at A, and a reference copy brought to B by `nectar apply`.
            let applied = try ReconcileCLI.run(["apply", "--repo", scenario.repoPath, "--ref", revisionA.id.hex, "--db", scenario.dbPath])
            #expect(applied.status == 0, "\(applied.stderr)")
            let revisionB = try scenario.repository.commit(files: b, message: "B")
            let reference = scenario.directory + "/reference.sqlite"
            try ReconcileCrashSafetyTests.copyDatabase(scenario.dbPath, to: reference)
            let referenceRun = try ReconcileCLI.run(["apply", "--repo", scenario.repoPath, "--ref", revisionB.id.hex, "--db", reference])
            #expect(referenceRun.status == 0, "\(referenceRun.stderr)")

            let logPath = scenario.directory + "/serve.log"
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ReconcileCLI.binary)
            process.arguments = ["serve", "--repo", scenario.repoPath, "--branch", "main", "--db", scenario.dbPath,
                                 "--key-dir", scenario.dbPath + ".keys", "--listen", "127.0.0.1:0", "--log-level", "debug",
                                 "--log-format", "json"]
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            // SIGTERM as soon as the startup reconcile (A -> B, 3,000 bots) has begun.
            let started = ContinuousClock.now
            while !(try String(contentsOfFile: logPath, encoding: .utf8)).contains(#""message":"reconcile started""#) {
                #expect(ContinuousClock.now - started < .seconds(60), "the reconcile never started")
                guard ContinuousClock.now - started < .seconds(60), process.isRunning else { return }
                ReconcileCrashSafetyTests.sleep(0.005)
            }
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            try log.close()

            let output = try String(contentsOfFile: logPath, encoding: .utf8)
            #expect(process.terminationReason == .exit && process.terminationStatus == 0, "graceful exit; log:\n\(output.suffix(2000))")
            let lines = output.split(separator: "\n").map(String.init)
            let stopped = lines.firstIndex { $0.contains(#""message":"reconcile loop stopped""#) }
            let appliedLine = lines.firstIndex { $0.contains(#""message":"reconcile applied""#) }
            #expect(appliedLine != nil, "the reconcile in flight completed")
            if let stopped, let appliedLine { #expect(appliedLine < stopped) }

            let digest = try ReconcileCrashSafetyTests.digest(scenario.dbPath)
            let expected = try ReconcileCrashSafetyTests.digest(reference)
            #expect(digest == expected, "the database is exactly at B, as a one-shot apply leaves it")
            let integrity = try ReconcileSQL.queue(scenario.dbPath).read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
            #expect(integrity == "ok")
        }
    }

    @Test func aListenAddressInUseStopsServeWithOneSentence() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try scenario.commit(["bots/a.yaml": Snippet.bot("a")])
            // Hold a port on loopback.
            let listener = try LoopbackListener(backlog: 4)
            defer { close(listener.descriptor) }
            let port = Int(listener.port)
            let result = try ReconcileCLI.run(["serve", "--repo", scenario.repoPath, "--db", scenario.dbPath,
                                               "--key-dir", scenario.dbPath + ".keys", "--listen", "127.0.0.1:\(port)",
                                               "--log-format", "json"])
            #expect(result.status == 1)
            let errors = result.stderr.split(separator: "\n")
            #expect(errors.count == 1 && errors.first?.hasPrefix("error: ") == true, "\(result.stderr)")
        }
    }
}

extension DaemonProcessTests {
    /// Starts `nectar serve` as a process; returns it and its port (from its log).
    static func serve(_ arguments: [String], environment: [String: String], log logPath: String) async throws -> (Process, Int) {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ReconcileCLI.binary)
        process.arguments = ["serve"] + arguments + ["--listen", "127.0.0.1:0", "--log-format", "json"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(60), process.isRunning {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: #""address":"127.0.0.1:"#) {
                let port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
                return (process, port)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw RawHTTPConnection.Failure(description: "nectar serve did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
    }

    /// SIGKILL right after handoffs are created, before their deliveries:
    /// after a restart every event arrives, each under one delivery id.
    @Test(.timeLimit(.minutes(2))) func aSigkillBetweenTheHandoffsAndTheirDeliveriesLosesNone() async throws {
        try ReconcileCLI.requireBinary()
        let receiver = try await WebhookReceiver(plans: ["crash": Array(repeating: 503, count: 3)])
        defer { receiver.stop() }
        let harness = try DaemonHarness()
        var files = ChatFixture.files(["support": WebhookDeliveryDaemonTests.bot("support", webhooks: ["crash-hook"])])
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        let config = harness.directory + "/nectar.yaml"
        try Data("""
            notifications:
              retryBase: 1s
              webhooks:
                crash-hook: {url: "\(receiver.url("crash"))", secretEnv: HOOK_SECRET}
            """.utf8).write(to: URL(fileURLWithPath: config))
        let arguments = ["--repo", harness.repoPath, "--db", harness.dbPath, "--key-dir", harness.directory + "/keys", "--config", config]
        let environment = ["HOOK_SECRET": WebhookDeliveryDaemonTests.secret]

        var (process, port) = try await Self.serve(arguments, environment: environment, log: harness.directory + "/first.log")
        try await eventually("the first reconcile wrote the bot's key") {
            (try? String(contentsOfFile: harness.directory + "/first.log", encoding: .utf8))?.contains(#""message":"reconcile applied""#) == true
        }
        let key = try harness.key("support")
        var opened: [String] = []
        for index in 0..<5 {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/bots/support/chat")!)
            request.httpMethod = "POST"
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: ["message": "help \(index)"])
            let (data, _) = try await URLSession.shared.data(for: request)
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            opened.append(try #require((json?["handoff"] as? [String: Any])?["id"] as? String))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        (process, port) = try await Self.serve(arguments, environment: environment, log: harness.directory + "/second.log")
        defer { if process.isRunning { process.terminate() } }
        try await eventually("every handoff's created event is delivered", timeout: 30) {
            Set(receiver.requests("crash").filter { $0.json["type"] as? String == "handoff.created" && $0.headers["x-nectar-delivery"] != nil }
                .compactMap { ($0.json["handoff"] as? [String: Any])?["id"] as? String }) == Set(opened)
        }
        try await Task.sleep(for: .milliseconds(500))
        let received = receiver.requests("crash")
        let byEvent = Dictionary(grouping: received) { $0.json["id"] as? String ?? "" }
        #expect(byEvent.count == 5, "one event per handoff, none lost")
        for (event, requests) in byEvent {
            #expect(Set(requests.compactMap { $0.headers["x-nectar-delivery"] }).count == 1, "\(event): retries and restarts keep one delivery id")
            #expect(requests.allSatisfy(WebhookDeliveryDaemonTests.verify))
        }
        process.terminate()
        process.waitUntilExit()
    }
}
