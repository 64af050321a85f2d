import BotRuntime
import Foundation
import GRDB
import Reconciler

/// Issue 3's benchmark: cold apply, a one-bot change and a no-op at 10,000
/// bots, against a floor of a raw libyaml parse plus one bulk insert of the
/// specs in one transaction, all measured in this process.
struct ApplyBenchmark {
    let bots: Int
    let runs: Int

    func run() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-apply-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repoPath = root + "/repo.git"
        var files = SyntheticRepository(botCount: bots).files()
        let repository = try GitRepository.create(at: repoPath, bare: true)
        let revisionA = try repository.commit(files: files, message: "A")
        files[SyntheticRepository.botPath(42)] = Array(SyntheticRepository.bot(42, perHour: 200).utf8)
        let revisionB = try repository.commit(files: files, message: "B: one bot changed")
        try repository.pack(revisionB.id)
        print("repository: \(bots) bots at \(revisionA.id.short) and \(revisionB.id.short) (one bot changed), packed")

        // Floor: parse every declaration with libyaml, then insert the specs in one transaction.
        let reader = try GitRevisionFiles(repository: repository, revision: revisionA.id.hex)
        let documents = try reader.files(under: "bots").filter { RevisionLoader.isDeclarationFile($0.path) }
            .map { file -> (String, [UInt8]) in
                guard case .bytes(let bytes) = try reader.read(file, maxBytes: .max) else { return (file.path, []) }
                return (file.path, bytes)
            }
        var floorDatabase = 0
        let floor = try Stopwatch.median(runs: runs) {
            RawYAMLParse.parse(documents.map(\.1))
            floorDatabase += 1
            try Self.bulkInsert(documents, into: root + "/floor-\(floorDatabase).sqlite")
        }

        if ProcessInfo.processInfo.environment["NECTAR_BENCH_PROFILE"] == "daemon" {
            let store = try RuntimeStore.open(path: root + "/profile.sqlite")
            let daemon = RevisionReconciler(repositoryPath: repoPath, store: store, keyDirectory: KeyDirectory(path: root + "/keys-\(UUID().uuidString)"))
            try Self.expect(daemon.reconcile(revision: revisionA.id.hex), .applied)
            for index in 0..<200 {
                let outcome = daemon.reconcile(revision: (index % 2 == 0 ? revisionB : revisionA).id.hex)
                try Self.expect(outcome, .applied)
                if index % 50 == 0 {
                    print(outcome.stepSeconds.map { String(format: "%@ %.1f ms", $0.step, $0.seconds * 1000) }.joined(separator: ", "))
                }
            }
            return
        }
        if ProcessInfo.processInfo.environment["NECTAR_BENCH_PROFILE"] == "cold" {
            for index in 0..<5 {
                let store = try RuntimeStore.open(path: root + "/profile-\(index).sqlite")
                let outcome = RevisionReconciler(repositoryPath: repoPath, store: store).reconcile(revision: revisionA.id.hex)
                try Self.expect(outcome, .applied)
                print(outcome.stepSeconds.map { String(format: "%@ %.1f ms", $0.step, $0.seconds * 1000) }.joined(separator: ", "))
            }
            return
        }

        // Cold: a new database and a new reconciler (empty blob cache) each run.
        // Cold, keys recorded (hash and sealed copies) but no key directory:
        // the apply itself, comparable with the floor.
        var coldDatabase = 0
        let cold = try Stopwatch.median(runs: runs) {
            coldDatabase += 1
            let store = try RuntimeStore.open(path: root + "/cold-\(coldDatabase).sqlite")
            try Self.expect(RevisionReconciler(repositoryPath: repoPath, store: store).reconcile(revision: revisionA.id.hex), .applied)
        }
        // Cold as `nectar apply` runs it: plus one key file per bot.
        let coldWithFiles = try Stopwatch.median(runs: runs) {
            coldDatabase += 1
            let store = try RuntimeStore.open(path: root + "/cold-\(coldDatabase).sqlite")
            let keys = KeyDirectory(path: root + "/keys-\(coldDatabase)")
            try Self.expect(RevisionReconciler(repositoryPath: repoPath, store: store, keyDirectory: keys)
                .reconcile(revision: revisionA.id.hex), .applied)
        }

        var openDatabase = 0
        let openOnly = try Stopwatch.median(runs: runs) {
            openDatabase += 1
            _ = try RuntimeStore.open(path: root + "/open-\(openDatabase).sqlite")
        }
        let validateOnly = try Stopwatch.median(runs: runs) {
            guard try RevisionLoader().load(GitRevisionFiles(repository: repository, revision: revisionA.id.hex)).isValid else {
                throw BenchmarkFailure(message: "invalid")
            }
        }
        _ = validateOnly

        // One bot changed, as the daemon sees it: a long-lived reconciler
        // (warm blob cache) alternating between A and B.
        let store = try RuntimeStore.open(path: root + "/daemon.sqlite")
        let daemon = RevisionReconciler(repositoryPath: repoPath, store: store, keyDirectory: KeyDirectory(path: root + "/keys-\(UUID().uuidString)"))
        try Self.expect(daemon.reconcile(revision: revisionA.id.hex), .applied)
        var flip = false
        let oneChange = try Stopwatch.median(runs: runs) {
            flip.toggle()
            try Self.expect(daemon.reconcile(revision: (flip ? revisionB : revisionA).id.hex), .applied)
        }
        // The same change from a one-shot process (`nectar apply`): no warm cache.
        let oneShot = try Stopwatch.median(runs: runs) {
            flip.toggle()
            let fresh = RevisionReconciler(repositoryPath: repoPath, store: store, keyDirectory: KeyDirectory(path: root + "/keys-\(UUID().uuidString)"))
            try Self.expect(fresh.reconcile(revision: (flip ? revisionB : revisionA).id.hex), .applied)
        }
        let current = flip ? revisionB : revisionA
        let noop = try Stopwatch.median(runs: runs) {
            try Self.expect(daemon.reconcile(revision: current.id.hex), .noop)
        }

        let rows: [(String, (wall: Double, cpu: Double), Double?, String)] = [
            ("floor: raw libyaml parse + one bulk insert of \(bots) specs", floor, nil, ""),
            ("cold apply into an empty database (10,000 keys issued, stored as hashes)", cold, nil, "within 3x floor"),
            ("cold apply with a key directory (plus 10,000 key files, 0600, atomic)", coldWithFiles, nil, "(key delivery)"),
            ("  of which: create and migrate the database", openOnly, nil, "(part of cold)"),
            ("  of which: load and validate the revision", validateOnly, nil, "(part of cold)"),
            ("one bot changed (daemon: warm blob cache)", oneChange, cold.wall, "within 5% of cold"),
            ("one bot changed (one-shot `nectar apply` process)", oneShot, cold.wall, "(no target)"),
            ("no-op (same revision again)", noop, cold.wall, "within 1% of cold"),
        ]
        print("")
        print("| measurement | median wall time | / floor | / cold apply | CPU time | target |")
        print("|---|---:|---:|---:|---:|---|")
        for (name, time, _, target) in rows {
            print(String(format: "| %@ | %.1f ms | %.2fx | %.1f%% | %.1f ms | %@ |", name, time.wall * 1000, time.wall / floor.wall,
                         time.wall / cold.wall * 100, time.cpu * 1000, target))
        }
        print("")
        print(String(format: "cold / floor = %.2fx; one change / cold = %.1f%%; no-op / cold = %.2f%%",
                     cold.wall / floor.wall, oneChange.wall / cold.wall * 100, noop.wall / cold.wall * 100))
    }

    static func expect(_ outcome: ReconcileOutcome, _ expected: ReconcileRun.Outcome) throws {
        guard outcome.run.outcome == expected else {
            throw BenchmarkFailure(message: "expected \(expected), got \(outcome.run.outcome): \(outcome.error ?? "")")
        }
    }

    static func bulkInsert(_ documents: [(String, [UInt8])], into path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE spec (path TEXT PRIMARY KEY NOT NULL, spec TEXT NOT NULL) WITHOUT ROWID")
            let statement = try db.makeStatement(sql: "INSERT INTO spec (path, spec) VALUES (?, ?)")
            for (path, bytes) in documents {
                try statement.execute(arguments: [path, String(decoding: bytes, as: UTF8.self)])
            }
        }
    }
}
