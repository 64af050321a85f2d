import BotRuntime
import Foundation
import Logging
import NectarServer
import Testing
@testable import Reconciler
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// A real daemon in this process: a real git repository in a temporary
// directory, a real SQLite file, the HTTP server on a loopback port picked
// by the kernel, and requests over real TCP through URLSession.

/// Log lines captured from a daemon (JSON, as `nectar serve` writes them off a terminal).
final class DaemonLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ line: String) { lock.withLock { storage.append(line) } }
    var lines: [String] { lock.withLock { storage } }

    /// The decoded lines.
    var entries: [[String: String]] {
        lines.compactMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
    }
}

final class DaemonHarness: @unchecked Sendable {
    let directory: String
    let repoPath: String
    let dbPath: String
    let repository: GitRepository
    let log = DaemonLog()
    private(set) var daemon: NectarDaemon?
    private var task: Task<Void, any Error>?
    private(set) var port = 0

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-daemon-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        repoPath = directory + "/repo"
        dbPath = directory + "/nectar.sqlite"
        repository = try GitRepository.create(at: repoPath, bare: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Settings for a test: loopback port 0, fast timing, files in the directory.
    func settings(_ adjust: (inout ServeSettings) -> Void = { _ in }) -> ServeSettings {
        var settings = ServeSettings()
        settings.database = dbPath
        settings.listen = "127.0.0.1:0"
        settings.keyDirectory = directory + "/keys"
        settings.repository = repoPath
        settings.mirrorDirectory = directory + "/mirrors"
        settings.interval = SpecDuration(seconds: 60)
        settings.jitter = 0
        settings.debounceMilliseconds = 20
        adjust(&settings)
        return settings
    }

    func logger() -> Logger {
        let log = self.log
        var logger = Logger(label: "nectar") { label in JSONLogHandler(label: label, write: { log.append($0) }) }
        logger.logLevel = .debug
        return logger
    }

    /// Starts the daemon and waits until it listens.
    func start(_ settings: ServeSettings? = nil, environment: [String: String] = [:],
               now: @escaping @Sendable () -> Date = { Date() }, slaCheckInterval: Duration = .seconds(1)) async throws {
        let daemon = try NectarDaemon(settings: settings ?? self.settings(), environment: environment, logger: logger(),
                                      handleSignals: false, now: now, slaCheckInterval: slaCheckInterval)
        self.daemon = daemon
        task = Task { try await daemon.run() }
        try await eventually("the server listens") { daemon.port != nil }
        port = daemon.port ?? 0
        try await eventually("the first reconcile finished") { await daemon.loop.runsCompleted >= 1 }
    }

    /// Shuts the daemon down gracefully and waits for it to stop.
    func stop() async throws {
        guard let daemon, let task else { return }
        await daemon.shutdown()
        try await task.value
        self.daemon = nil
        self.task = nil
    }

    @discardableResult
    func commit(_ files: [String: String], message: String = "snapshot") throws -> CommitInfo {
        try repository.commit(files: files.mapValues { Array($0.utf8) }, message: message)
    }

    /// A token for a declared operator, issued through the store.
    func token(_ name: String) throws -> String {
        try RuntimeStore.open(path: dbPath).issueOperatorToken(operator: name).token.secret
    }

    struct HTTPResult {
        var status: Int
        var body: Data
        var headers: [String: String]

        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        /// `error.code` of a JSON error body.
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    func request(_ method: String, _ path: String, token: String? = nil, body: Data? = nil,
                 headers: [String: String] = [:], session: URLSession = .shared) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)".lowercased()] = "\(value)" }
        return HTTPResult(status: http.statusCode, body: data, headers: fields)
    }

    /// `GET /admin/status` as an admin.
    func status(token: String) async throws -> [String: Any] {
        try await request("GET", "/admin/status", token: token).json
    }

    /// Names of the live bots, from `GET /admin/bots`.
    func botNames(token: String) async throws -> [String] {
        let bots = try await request("GET", "/admin/bots", token: token).json["bots"] as? [[String: Any]] ?? []
        return bots.compactMap { $0["name"] as? String }.sorted()
    }
}

/// The condition of a type from a status JSON object.
func condition(_ type: String, in status: [String: Any]) -> [String: Any] {
    (status["conditions"] as? [[String: Any]] ?? []).first { $0["type"] as? String == type } ?? [:]
}

/// Polls `check` every 50 ms until it holds or `timeout` passes (then records a failure).
func eventually(_ what: String, timeout: Double = 10, _ check: () async throws -> Bool,
                sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
    while ContinuousClock.now < deadline {
        if try await check() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out after \(timeout) s waiting until \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

/// Declarations for daemon tests: two operators and some bots.
enum DaemonSnippet {
    static let operators = Snippet.documents(Snippet.operator("alice", role: "admin"), Snippet.operator("bob", role: "agent"))

    /// `bots/operators.yaml` plus one file per bot.
    static func files(bots: [String]) -> [String: String] {
        var files = ["bots/operators.yaml": operators]
        for bot in bots { files["bots/\(bot).yaml"] = Snippet.bot(bot) }
        return files
    }
}
