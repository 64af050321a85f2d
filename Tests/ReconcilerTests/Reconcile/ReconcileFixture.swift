import BotRuntime
import Foundation
import GRDB
@testable import Reconciler
import Testing

// Helpers for the reconcile tests (plan, apply, guards, crash safety). Every
// type here has a `Reconcile` prefix so as not to clash with the shared
// fixtures in `Support/`.

extension Tag {
    /// Tests that take tens of seconds (they still run in `swift test`).
    @Tag static var reconcileSlow: Self
}

/// A clock for reconciles: every reading is `step` seconds after the previous
/// one, on whole seconds, so times survive the SQLite REAL round trip exactly
/// and "earlier" and "later" are unambiguous.
final class ReconcileClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: TimeInterval
    let step: TimeInterval

    init(start: TimeInterval = 1_800_000_000, step: TimeInterval = 60) {
        self.current = start
        self.step = step
    }

    func now() -> Date {
        lock.withLock {
            current += step
            return Date(timeIntervalSince1970: current)
        }
    }

    /// The last time handed out.
    var last: Date { lock.withLock { Date(timeIntervalSince1970: current) } }
}

/// A temporary directory holding a real git repository (`repo/`, written with
/// libgit2) and a real SQLite runtime database (`nectar.sqlite`), removed
/// when `withReconcileScenario` returns.
final class ReconcileScenario {
    let directory: String
    let repoPath: String
    let dbPath: String
    let repository: GitRepository
    let clock = ReconcileClock()
    let cache = DeclarationCache()
    private var openStore: RuntimeStore?

    fileprivate init(directory: String, bare: Bool) throws {
        self.directory = directory
        self.repoPath = directory + "/repo"
        self.dbPath = directory + "/nectar.sqlite"
        self.repository = try GitRepository.create(at: repoPath, bare: bare)
    }

    /// The runtime store (opened, and created, on first use).
    var store: RuntimeStore {
        get throws {
            if let openStore { return openStore }
            let store = try RuntimeStore.open(path: dbPath)
            openStore = store
            return store
        }
    }

    /// Commits a full snapshot of text files on `main`.
    @discardableResult
    func commit(_ files: [String: String], message: String = "snapshot") throws -> CommitInfo {
        try repository.commit(files: files.mapValues { Array($0.utf8) }, message: message)
    }

    func reconciler(policy: ApplyPolicy = ApplyPolicy()) throws -> RevisionReconciler {
        let clock = self.clock
        return RevisionReconciler(repositoryPath: repoPath, declarationsPath: "bots", store: try store,
                                  cache: cache, policy: policy, now: { clock.now() })
    }

    /// Reconciles a revision once, as `nectar apply` does.
    @discardableResult
    func apply(_ revision: String, policy: ApplyPolicy = ApplyPolicy(), trigger: ReconcileTrigger = ReconcileTrigger(rawValue: "test")) throws -> ReconcileOutcome {
        try reconciler(policy: policy).reconcile(revision: revision, trigger: trigger)
    }

    @discardableResult
    func apply(_ commit: CommitInfo, policy: ApplyPolicy = ApplyPolicy(), trigger: ReconcileTrigger = ReconcileTrigger(rawValue: "test")) throws -> ReconcileOutcome {
        try apply(commit.id.hex, policy: policy, trigger: trigger)
    }

    /// `nectar plan --base`: the difference between two revisions.
    func planBetween(_ base: CommitInfo, _ revision: CommitInfo, policy: ApplyPolicy = ApplyPolicy()) throws -> PlanReport {
        try RevisionPlanning.plan(repository: repoPath, declarationsPath: "bots", revision: revision.id.hex,
                                  base: base.id.hex, policy: policy)
    }

    /// `nectar plan --db`: a revision against the live state, at the
    /// scenario's clock (not the wall clock, which would make time-based key
    /// rotations depend on the day the tests run).
    func planAgainstStore(_ revision: CommitInfo, policy: ApplyPolicy = ApplyPolicy()) throws -> PlanReport {
        try RevisionPlanning.plan(repository: repoPath, declarationsPath: "bots", revision: revision.id.hex,
                                  store: try store, policy: policy, now: clock.last)
    }

    /// Everything the runtime serves, as one comparable value.
    func snapshot() throws -> ReconcileSnapshot {
        try ReconcileSnapshot(store: try store, path: dbPath)
    }
}

/// Runs `body` with a fresh scenario whose directory is deleted afterwards.
func withReconcileScenario<Result>(bare: Bool = false, _ body: (ReconcileScenario) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("nectar-reconcile-\(UUID().uuidString)", isDirectory: true).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let scenario = try ReconcileScenario(directory: directory, bare: bare)
    return try withExtendedLifetime(scenario) { try body(scenario) }
}

/// Runs an async `body` with a fresh scenario whose directory is deleted afterwards.
func withReconcileScenario<Result>(bare: Bool = false, _ body: (ReconcileScenario) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("nectar-reconcile-\(UUID().uuidString)", isDirectory: true).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let scenario = try ReconcileScenario(directory: directory, bare: bare)
    let result = try await body(scenario)
    withExtendedLifetime(scenario) {}
    return result
}

/// The whole live state: the store's view (objects with their metadata,
/// every spec body, documents, markers) plus a raw dump of every table that
/// holds declared state, so that "identical" really means identical.
struct ReconcileSnapshot: Equatable, CustomStringConvertible {
    var objects: [ObjectKind: [String: LiveObject]]
    var specs: [ObjectKind: [String: String]]
    var documents: [String: [String: String]]
    var appliedRevision: String?
    var stateVersion: Int64
    var appliedStateVersion: Int64?
    var tables: [String: [[String]]]
    var auditCount: Int

    init(store: RuntimeStore, path: String) throws {
        let live = try store.liveState()
        objects = live.objects
        var specs: [ObjectKind: [String: String]] = [:]
        for kind in ObjectKind.allCases {
            specs[kind] = try store.specJSON(kind, names: Array(live[kind].keys))
        }
        self.specs = specs
        documents = live.documents
        appliedRevision = live.appliedRevision
        stateVersion = live.stateVersion
        appliedStateVersion = live.appliedStateVersion
        tables = try ReconcileSQL.dump(path: path, tables: ["bot", "honey_jar", "key_rotation_policy", "operator",
                                                              "knowledge_document", "store_meta"])
        auditCount = try store.audit(limit: 1_000_000).count
    }

    var description: String {
        "snapshot(revision: \(appliedRevision ?? "nil"), version: \(stateVersion), bots: \(objects[.bot]?.count ?? 0), documents: \(documents.values.map(\.count).reduce(0, +)))"
    }
}

/// Direct SQL on a database file, for what the store's API deliberately does
/// not offer: raw dumps, integrity checks, and tampering.
enum ReconcileSQL {
    static func queue(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Every row of some tables, as strings, in primary-key order.
    static func dump(path: String, tables: [String]) throws -> [String: [[String]]] {
        let queue = try queue(path)
        return try queue.read { db in
            var result: [String: [[String]]] = [:]
            for table in tables {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1")
                result[table] = rows.map { row in row.databaseValues.map(\.description) }
            }
            return result
        }
    }

    /// `PRAGMA integrity_check`'s answer ("ok" for a sound database).
    static func integrityCheck(path: String) throws -> String {
        let queue = try queue(path)
        return try queue.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }

    static func execute(path: String, _ sql: String, arguments: StatementArguments = StatementArguments()) throws {
        let queue = try queue(path)
        try queue.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    static func strings(path: String, _ sql: String) throws -> [String] {
        let queue = try queue(path)
        return try queue.read { db in try String.fetchAll(db, sql: sql) }
    }
}

/// Declaration text for the reconcile tests.
enum ReconcileYAML {
    /// A bot in block style with the fields the tests change.
    static func bot(_ name: String, perHour: Int = 100, perDay: Int = 1000, tier: String = "silver",
                    honeyJars: [String] = [], description: String? = nil, owner: String? = "team-support") -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: \(name)\(owner.map { "\n  owner: \($0)" } ?? "")
          labels:
            tier: \(tier)
        spec:
          displayName: Bot \(name)
          description: \(description ?? "Answers questions for \(name).")
          honeyJars: [\(honeyJars.joined(separator: ", "))]
          visibility: private
          rateLimits:
            perHour: \(perHour)
            perDay: \(perDay)
          handoff:
            enabled: true
            keywords: [human, agent]

        """
    }

    static func honeyJar(_ name: String, sources: [String]) -> String {
        """
        apiVersion: nectar/v1
        kind: HoneyJar
        metadata: {name: \(name)}
        spec:
          description: Knowledge for \(name)
          sources: [\(sources.map { "\"\($0)\"" }.joined(separator: ", "))]

        """
    }

    static func `operator`(_ name: String) -> String {
        """
        apiVersion: nectar/v1
        kind: Operator
        metadata: {name: \(name)}
        spec: {email: \(name)@example.com, role: agent, teams: [team-support]}

        """
    }

    /// Several documents in one file.
    static func documents(_ documents: String...) -> String {
        documents.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }.joined(separator: "\n---\n") + "\n"
    }

    /// One file per bot: `bots/<name>.yaml`.
    static func botFiles(_ names: [String], perHour: Int = 100) -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.map { ("bots/\($0).yaml", bot($0, perHour: perHour)) })
    }
}

/// Decoded audit `changes` JSON.
struct ReconcileAuditChanges: Decodable, Equatable {
    struct Field: Decodable, Equatable {
        var path: String
        var from: JSONValue
        var to: JSONValue
    }

    var source: String
    var specHash: String?
    var fields: [Field]?

    init(_ entry: AuditEntry) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(entry.changes.utf8))
    }
}

/// The nectar binary built next to the tests, and a way to run it.
enum ReconcileCLI {
    /// `<package root>/.build/debug/nectar`, found from this file's path.
    static var binary: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Reconcile
            .deletingLastPathComponent()  // ReconcilerTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent(".build/debug/nectar").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs nectar to completion and returns its exit status and output.
    static func run(_ arguments: [String], in directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = arguments
        // Key files go next to the database, never into the package's ./keys.
        if arguments.first == "apply", !arguments.contains("--key-dir"),
           let db = arguments.firstIndex(of: "--db").map({ arguments[$0 + 1] }) {
            arguments += ["--key-dir", db + ".keys"]
        }
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Files rather than pipes: nothing can block on a full pipe.
        let out = directory.appendingPathComponent("stdout"), err = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("the nectar binary is missing at \(binary): run `swift build` first")
            throw CancellationError()
        }
    }
}

extension ReconcilePlan.ObjectChange {
    /// `update Bot alpha`, for compact comparisons.
    var reconcileLine: String { "\(action.rawValue) \(kind.rawValue) \(name)" }
}

extension ReconcilePlan {
    /// Every object change as `action Kind name`, in plan order.
    var reconcileLines: [String] { changes.map(\.reconcileLine) }

    /// The fields of one object's change, as `path: from -> to`.
    func reconcileFields(_ name: String, kind: ObjectKind = .bot) -> [String] {
        changes.first { $0.kind == kind && $0.name == name }?.fields.map(\.description) ?? []
    }
}

/// Decodes a run's plan summary JSON (`{"create":1,...}`).
func reconcileSummary(_ run: ReconcileRun) throws -> [String: Int] {
    try JSONDecoder().decode([String: Int].self, from: Data(run.summary.utf8))
}
