import BotRuntime
import Foundation
import GRDB
@testable import Reconciler
import Testing

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
