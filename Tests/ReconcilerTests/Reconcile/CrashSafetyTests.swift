import BotRuntime
import Foundation
import GRDB
import Testing
@testable import Reconciler

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kills `nectar apply` with SIGKILL at many points of a large apply and
/// checks that the database is always sound and at exactly the old revision
/// or exactly the new one: the apply is one SQLite transaction.
@Suite(.serialized) struct ReconcileCrashSafetyTests {
    static let botCount = 3_000
    /// Bots of revision A deleted in B (3.3%, under the 25% guard) and new bots added in B.
    static let churn = 100
    /// A WAL larger than this holds pages of the apply's write transaction
    /// (opening the database and planning write far less).
    static let transactionWAL = 256 * 1024

    /// One typical bot document (about 700 bytes).
    static func bot(_ index: Int, perHour: Int) -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: crash-bot-\(index)
          owner: team-\(index % 50)
          labels: {tier: \(index % 3 == 0 ? "gold" : "silver"), region: eu-\(index % 4)}
        spec:
          displayName: Support bot number \(index)
          description: Answers questions about orders and shipping for shop \(index).
          systemPrompt: |
            You are a friendly support assistant for shop \(index).
            Answer from the knowledge base; offer a person when unsure.
          model: {provider: knowledge}
          honeyJars: [shop\(index % 2 == 0 ? ", guides" : "")]
          visibility: \(index % 10 == 0 ? "public" : "private")
          status: active
          maxConversationLength: 20
          confidenceThreshold: 0.7
          rateLimits: {perHour: \(perHour), perDay: 5000}
          handoff:
            enabled: true
            keywords: [human, agent, "speak to a person"]
            confidenceThreshold: 0.4
            urgency: {critical: [outage], high: [urgent, refund]}
            notify: {inApp: true, email: [team-\(index % 50)@example.com]}
            sla: {critical: 15m, high: 1h}
          apiKeys:
            generation: 1

        """
    }

    static func path(_ index: Int) -> String {
        String(format: "bots/team-%02d/bot-%05d.yaml", index % 50, index)
    }

    /// Revision A: `botCount` bots; revision B: every bot changed, `churn`
    /// deleted, `churn` added, knowledge documents changed.
    static func revisions() -> (a: [String: [UInt8]], b: [String: [UInt8]]) {
        var a: [String: [UInt8]] = [:]
        var b: [String: [UInt8]] = [:]
        for index in 0..<botCount {
            a[path(index)] = Array(bot(index, perHour: 100).utf8)
            if index >= churn { b[path(index)] = Array(bot(index, perHour: 150).utf8) }
        }
        for index in botCount..<(botCount + churn) {
            b[path(index)] = Array(bot(index, perHour: 150).utf8)
        }
        let jars = Array("""
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: shop}
            spec: {sources: ["knowledge/shop/*.md"]}
            ---
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: guides}
            spec: {sources: ["knowledge/guides/*.md"]}

            """.utf8)
        a["bots/jars.yaml"] = jars
        b["bots/jars.yaml"] = jars
        for index in 0..<40 {
            a["knowledge/shop/topic-\(index).md"] = Array("# Topic \(index)\n\nShipping takes \(index + 2) days.\n".utf8)
            b["knowledge/shop/topic-\(index).md"] = Array("# Topic \(index)\n\nShipping now takes \(index + 1) days.\n".utf8)
            a["knowledge/guides/guide-\(index).md"] = Array("# Guide \(index)\n\nInspect hives every \(index + 7) days.\n".utf8)
            if index < 30 { b["knowledge/guides/guide-\(index).md"] = a["knowledge/guides/guide-\(index).md"] }
        }
        return (a, b)
    }

    /// What identifies a state: the applied revision and a digest of every
    /// bot row (name, spec hash, served or not), plus the other declared
    /// objects, the documents, and the run and audit counts.
    struct StateDigest: Equatable, CustomStringConvertible {
        var revision: String?
        var bots: Int
        var digest: String

        var description: String { "\(revision.map { String($0.prefix(7)) } ?? "nil")/\(bots) bots/\(digest.prefix(12))" }
    }

    static func digest(_ path: String) throws -> StateDigest {
        let queue = try ReconcileSQL.queue(path)
        return try queue.read { db in
            var text = ""
            var bots = 0
            let rows = try Row.fetchCursor(db, sql: "SELECT name, spec_hash, deleted_at IS NULL FROM bot ORDER BY name")
            while let row = try rows.next() {
                text += "\(row[0] as String)\t\(row[1] as String)\t\(row[2] as Int)\n"
                bots += 1
            }
            for table in ["honey_jar", "key_rotation_policy", "operator"] {
                for row in try Row.fetchAll(db, sql: "SELECT name, spec_hash, deleted_at IS NULL FROM \(table) ORDER BY name") {
                    text += "\(table)\t\(row[0] as String)\t\(row[1] as String)\t\(row[2] as Int)\n"
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT jar, path, blob_id FROM knowledge_document ORDER BY jar, path") {
                text += "doc\t\(row[0] as String)\t\(row[1] as String)\t\(row[2] as String)\n"
            }
            let runs = try Int.fetchOne(db, sql: "SELECT count(*) FROM reconcile_run") ?? -1
            let audit = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log") ?? -1
            let meta = try Row.fetchOne(db, sql: "SELECT applied_revision, state_version = applied_state_version FROM store_meta")
            text += "runs \(runs) audit \(audit) untouched \(meta?[1] as Int? ?? -1)\n"
            return StateDigest(revision: meta?[0], bots: bots, digest: CanonicalSpec.hash(Array(text.utf8)))
        }
    }

    /// A child process started with posix_spawn, so that this test alone
    /// reaps it: a SIGKILL can never reach a recycled pid.
    struct Child {
        let pid: pid_t

        init(_ arguments: [String]) throws {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            // Key files go next to the database, never into the package's ./keys.
            var arguments = arguments
            if arguments.first == "apply", !arguments.contains("--key-dir"),
               let db = arguments.firstIndex(of: "--db").map({ arguments[$0 + 1] }) {
                arguments += ["--key-dir", db + ".keys"]
            }
            let argv: [UnsafeMutablePointer<CChar>?] = ([ReconcileCLI.binary] + arguments).map { strdup($0) } + [nil]
            let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                argv.forEach { free($0) }
                envp.forEach { free($0) }
            }
            var pid: pid_t = 0
            let result = posix_spawn(&pid, ReconcileCLI.binary, &actions, nil, argv, envp)
            guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
            self.pid = pid
        }

        enum Ending: Equatable { case exited(Int32), killed(Int32) }

        /// Whether it has ended (reaping it), without waiting.
        func poll() -> Ending? {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            return result == pid ? Self.ending(status) : nil
        }

        func wait() -> Ending {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return Self.ending(status)
        }

        func sigkill() {
            _ = kill(pid, SIGKILL)
        }

        static func ending(_ status: Int32) -> Ending {
            let signal = status & 0x7f
            return signal == 0 ? .exited((status >> 8) & 0xff) : .killed(signal)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }

    /// Replaces `destination` (and its -wal and -shm) with a copy of `source`.
    static func copyDatabase(_ source: String, to destination: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: destination + suffix) }
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test(.tags(.reconcileSlow), .timeLimit(.minutes(5)))
    func sigkillDuringALargeApplyLeavesTheOldOrTheNewRevision() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario(bare: true) { scenario in
            let clock = ContinuousClock()
            let started = clock.now
            let (filesA, filesB) = Self.revisions()
            let a = try scenario.repository.commit(files: filesA, message: "A: \(Self.botCount) bots")
            let b = try scenario.repository.commit(files: filesB, message: "B: every bot changed")
            let bytes = filesA.filter { $0.key.hasPrefix("bots/team-") }.values.map(\.count).reduce(0, +)
            print("crash test: revision A has \(Self.botCount) bots (\(bytes / Self.botCount) bytes each)")

            // State A, applied fully by the CLI, then checkpointed so that the
            // main file alone holds it.
            let base = scenario.directory + "/base.sqlite"
            let applyA = try Child(["apply", "--repo", scenario.repoPath, "--ref", a.id.hex, "--db", base])
            #expect(applyA.wait() == .exited(0))
            do {
                let queue = try ReconcileSQL.queue(base)
                try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            }
            #expect(Self.fileSize(base + "-wal") == 0, "state A must be entirely in the main file")
            let stateA = try Self.digest(base)
            #expect(stateA.revision == a.id.hex)
            #expect(stateA.bots == Self.botCount)

            // One uninterrupted apply of A -> B: its duration, when its write
            // transaction starts (the WAL starts growing), how large the WAL
            // grows, and state B.
            let measured = scenario.directory + "/measured.sqlite"
            try Self.copyDatabase(base, to: measured)
            let launch = clock.now
            let child = try Child(["apply", "--repo", scenario.repoPath, "--ref", b.id.hex, "--db", measured])
            var writeStart: Double?
            var largestWAL = 0
            var ending: Child.Ending?
            while ending == nil {
                let wal = Self.fileSize(measured + "-wal")
                largestWAL = max(largestWAL, wal)
                if writeStart == nil, wal > Self.transactionWAL { writeStart = Self.seconds(clock.now - launch) }
                ending = child.poll()
                if ending == nil { Self.sleep(0.0005) }
            }
            let duration = Self.seconds(clock.now - launch)
            #expect(ending == .exited(0))
            #expect(try ReconcileSQL.integrityCheck(path: measured) == "ok")
            let stateB = try Self.digest(measured)
            #expect(stateB.revision == b.id.hex)
            #expect(stateB.bots == Self.botCount + Self.churn)
            #expect(stateA != stateB)
            do {
                let store = try RuntimeStore.open(path: measured, mustExist: true)
                let run = try #require(try store.runs(limit: 1).first)
                #expect(run.outcome == .applied, "\(run.errors)")
                #expect(try reconcileSummary(run)["update"] == Self.botCount - Self.churn)
                #expect(try reconcileSummary(run)["create"] == Self.churn)
                #expect(try reconcileSummary(run)["delete"] == Self.churn)
            }
            print(String(format: "crash test: apply A->B takes %.2fs; its write transaction starts at about %@ and the WAL grows to %d KiB",
                         duration, writeStart.map { String(format: "%.2fs", $0) } ?? "(not seen)", largestWAL / 1024))

            // Kill points. Time alone is unreliable on a busy machine, so besides
            // delays spread from 0 to 110% of the measured apply, some kills are
            // triggered by the apply's own progress: once its WAL holds part of
            // the write transaction (torn writes), and once its commit is visible
            // to a reader (a crash after commit, during checkpoint or output).
            enum KillPoint: CustomStringConvertible {
                case after(Double)
                case walAtLeast(Int)
                case committed(plus: Double)

                var description: String {
                    switch self {
                    case .after(let delay): String(format: "after %.3fs", delay)
                    case .walAtLeast(let bytes): "once the WAL reached \(bytes / 1024) KiB"
                    case .committed(let plus): String(format: "%.3fs after the commit was visible", plus)
                    }
                }
            }
            let spread = 16
            var points = (0..<spread).map { KillPoint.after(Double($0) / Double(spread - 1) * 1.1 * duration) }
            if largestWAL > Self.transactionWAL {
                points += [0.05, 0.15, 0.3, 0.45, 0.6, 0.8].map { KillPoint.walAtLeast(max(Self.transactionWAL + 1, Int(Double(largestWAL) * $0))) }
            }
            points += [0, 0.002, 0.01, 0.03].map { KillPoint.committed(plus: $0) }

            var endedAtA = 0, endedAtB = 0, killed = 0, finished = 0, tornWrites = 0, afterCommit = 0
            var trail = ""
            let copy = scenario.directory + "/killed.sqlite"
            for (iteration, point) in points.enumerated() {
                try Self.copyDatabase(base, to: copy)
                let child = try Child(["apply", "--repo", scenario.repoPath, "--ref", b.id.hex, "--db", copy])
                let started = clock.now
                var walAtKill = 0
                var sawCommit = false
                var early: Child.Ending?
                switch point {
                case .after(let delay):
                    Self.sleep(delay)
                    walAtKill = Self.fileSize(copy + "-wal")
                case .walAtLeast(let bytes):
                    while early == nil, Self.seconds(clock.now - started) < 30 {
                        walAtKill = Self.fileSize(copy + "-wal")
                        if walAtKill >= bytes { break }
                        early = child.poll()
                        if early == nil { Self.sleep(0.0002) }
                    }
                case .committed(let plus):
                    let reader = try ReconcileSQL.queue(copy)
                    while early == nil, Self.seconds(clock.now - started) < 30 {
                        let applied = try reader.read { db in try String.fetchOne(db, sql: "SELECT applied_revision FROM store_meta") }
                        if applied == b.id.hex { sawCommit = true; break }
                        early = child.poll()
                        if early == nil { Self.sleep(0.0005) }
                    }
                    Self.sleep(plus)
                }
                let ending: Child.Ending
                if let early {
                    ending = early
                } else {
                    child.sigkill()
                    ending = child.wait()
                }
                switch ending {
                case .killed(SIGKILL): killed += 1
                case .exited(0): finished += 1
                default: Issue.record("iteration \(iteration): the apply ended with \(ending)")
                }

                let integrity = try ReconcileSQL.integrityCheck(path: copy)
                #expect(integrity == "ok", "iteration \(iteration), killed \(point)")
                let state = try Self.digest(copy)
                let torn = walAtKill > Self.transactionWAL
                if state == stateA {
                    endedAtA += 1
                    // Pages of the transaction had reached the WAL, but not its commit.
                    if torn { tornWrites += 1 }
                } else if state == stateB {
                    endedAtB += 1
                    if ending != .exited(0) { afterCommit += 1 }
                } else {
                    Issue.record("iteration \(iteration), killed \(point): state \(state) is neither A (\(stateA)) nor B (\(stateB))")
                }
                trail += ending == .exited(0) ? "f" : state == stateB ? "B" : torn ? "t" : "a"
                if ending == .exited(0) {
                    #expect(state == stateB, "an apply that finished must have applied B")
                }
                if sawCommit {
                    #expect(state == stateB, "iteration \(iteration): a commit seen by a reader must survive the kill")
                }
                // nectar itself opens the database afterwards and sees the same revision.
                do {
                    let reopened = try RuntimeStore.open(path: copy, mustExist: true)
                    #expect(try reopened.liveState().appliedRevision == state.revision)
                }
                // And the full-text index agrees with its content table.
                try ReconcileSQL.execute(path: copy, "INSERT INTO knowledge_fts(knowledge_fts) VALUES ('integrity-check')")
            }

            let total = Self.seconds(clock.now - started)
            print("crash test: \(points.count) applies killed with SIGKILL: \(endedAtA) ended at exactly A (\(tornWrites) of them killed inside the write transaction), \(endedAtB) at exactly B (\(afterCommit) killed after the commit, \(finished) had already finished); \(killed) kills landed; \(String(format: "%.1f", total))s in all")
            print("crash test: by kill point (a: A, t: A with part of the transaction in the WAL, B: B killed after its commit, f: B, finished before the kill): \(trail)")
            #expect(endedAtA + endedAtB == points.count)
            // A kill at 0s always lands before the commit; kills triggered by a
            // visible commit, and applies that had finished, always leave B.
            #expect(endedAtA >= 1)
            #expect(endedAtB >= 4)
        }
    }
}
