import BotRuntime
import Foundation
import Reconciler

/// Issue 6's benchmark: a drift report at 10,000 bots, as a ratio to a
/// no-op `plan --db` (the same revision against the database it was applied
/// to), both as one-shot commands run them: load the revision, read the
/// live state, compare. Measured in this process, same repository, same database.
struct DriftBenchmark {
    let bots: Int
    let runs: Int

    func run() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-drift-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repoPath = root + "/repo.git"
        let repository = try GitRepository.create(at: repoPath, bare: true)
        let revision = try repository.commit(files: SyntheticRepository(botCount: bots).files(), message: "A")
        try repository.pack(revision.id)
        let dbPath = root + "/nectar.sqlite"
        let applied = RevisionReconciler(repositoryPath: repoPath, store: try RuntimeStore.open(path: dbPath)).reconcile(revision: revision.id.hex)
        try ApplyBenchmark.expect(applied, .applied)
        print("repository: \(bots) bots at \(revision.id.short), packed, applied to a database")

        let plan = try Stopwatch.median(runs: runs) {
            let store = try RuntimeStore.openReadOnly(path: dbPath)
            let report = try RevisionPlanning.plan(repository: repoPath, declarationsPath: "bots", revision: revision.id.hex, store: store)
            guard report.valid, !report.hasChanges else { throw BenchmarkFailure(message: "the no-op plan has changes") }
        }
        let live = DriftReport.Live(source: "database", name: dbPath)
        let drift = try Stopwatch.median(runs: runs) {
            let export = try RuntimeStore.openReadOnly(path: dbPath).export()
            let report = try DriftDetector().report(repositoryPath: repoPath, declarationsPath: "bots", revision: revision.id.hex,
                                                    live: export, liveSource: live)
            guard !report.hasDrift else { throw BenchmarkFailure(message: "unexpected drift: \(report.findings.first!.actual)") }
        }
        let exportOnly = try Stopwatch.median(runs: runs) {
            _ = try RuntimeStore.openReadOnly(path: dbPath).export()
        }
        // `drift --server`: the export travels as JSON; encode and decode it (no network).
        let encoder = JSONEncoder(), decoder = JSONDecoder()
        encoder.dateEncodingStrategy = .iso8601
        decoder.dateDecodingStrategy = .iso8601
        var exportBytes = 0
        let viaJSON = try Stopwatch.median(runs: runs) {
            let data = try encoder.encode(try RuntimeStore.openReadOnly(path: dbPath).export())
            exportBytes = data.count
            let export = try decoder.decode(StateExport.self, from: data)
            let report = try DriftDetector().report(repositoryPath: repoPath, declarationsPath: "bots", revision: revision.id.hex,
                                                    live: export, liveSource: live)
            guard !report.hasDrift else { throw BenchmarkFailure(message: "unexpected drift over JSON") }
        }

        let rows: [(String, (wall: Double, cpu: Double))] = [
            ("baseline: no-op `plan --db` (load revision, read live state, compare)", plan),
            ("`drift --db`: the same, plus full specs, keys and runs, every spec re-hashed", drift),
            ("  of which: the state export read", exportOnly),
            ("`drift --server` without the network: export encoded to JSON (\(exportBytes / 1024) KiB) and decoded", viaJSON),
        ]
        print("")
        print("| measurement | median wall time | / no-op plan | CPU time |")
        print("|---|---:|---:|---:|")
        for (name, time) in rows {
            print(String(format: "| %@ | %.1f ms | %.2fx | %.1f ms |", name, time.wall * 1000, time.wall / plan.wall, time.cpu * 1000))
        }
        print("")
        print(String(format: "drift / no-op plan = %.2fx (via JSON: %.2fx)", drift.wall / plan.wall, viaJSON.wall / plan.wall))
    }
}
