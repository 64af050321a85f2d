import BotRuntime
import Foundation
import GRDB
import GRDBSQLite
import CMalloc
import Hummingbird
import Logging
import NectarServer
import Reconciler
import Synchronization

/// Issue 12's benchmark: the chat path's throughput and latency under
/// `wrk`, next to a bare Hummingbird route measured in the same run.
///
/// One process serves both: a bare `Application` whose one POST route
/// reads the body and answers a fixed JSON object (the floor: HTTP parsing,
/// routing and writing, nothing of nectar), and a real `NectarDaemon` on a
/// database applied from a temporary git repository: `--bots` typical bots
/// (10,000 by default) plus a private bot with a key and a public bot
/// answering from a honey jar of 40 documents. The requests ask the 68
/// questions of the retrieval-quality test in turn (the bare route gets the
/// same bodies). Each scenario runs
/// `--runs` times for `--seconds` with `wrk`, interleaved with the bare
/// route, so drift in the machine's speed hits both alike; the medians are
/// compared. After the runs the daemon shuts down gracefully and the usage
/// rows are counted: every answered request must have its row.
struct ChatBenchmark {
    var bots: Int
    var seconds: Int
    var runs: Int
    var connections: Int
    /// One question for every request instead of the fixtures' questions.
    var question: String? = nil
    /// Whether the bench bots check handoff triggers (`--handoff off` for an A/B).
    var handoff = true

    struct Scenario {
        var name: String
        var path: String
        /// Request bodies, sent in turn.
        var bodies: [String]
        var headers: [String: String]
    }

    struct LoadResult {
        var requestsPerSecond: Double
        var p50: Double
        var p99: Double
        var requests: Int
        var non2xx: Int
    }

    func run() async throws {
        guard let wrk = Self.which("wrk") else {
            throw BenchmarkFailure(message: "wrk is not installed (apt-get install wrk)")
        }
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-chat-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        // The repository's files are the benchmark's input, not the
        // daemon's state: they are freed once committed, before memory is measured.
        let bench = try await BenchDaemon.start(root: root, files: {
            var files = SyntheticRepository(botCount: bots).files()
            for (path, text) in Self.files(handoff: handoff) { files[path] = Array(text.utf8) }
            return files
        }())
        let settings = bench.settings, nectarPort = bench.port
        let bare = try await Self.startBareRoute()
        let rssServing = Self.residentMiB()
        let key = try bench.key("bench")

        // The questions of the retrieval-quality test, in and out of scope,
        // sent in turn: every request searches, most find an answer.
        let questions = try question.map { [$0] } ?? Self.questions()
        let chatBodies = try questions.map { try Self.json(["message": $0]) }
        let openAIBodies = try questions.map { try Self.json(["model": "bench", "messages": [["role": "user", "content": $0]]]) }
        let json = ["Content-Type": "application/json"]
        let bearer = json.merging(["Authorization": "Bearer \(key)"]) { a, _ in a }
        let floor = Scenario(name: "bare Hummingbird POST route", path: "http://127.0.0.1:\(bare)/bare", bodies: chatBodies, headers: json)
        let scenarios = [
            Scenario(name: "POST /v1/bots/bench/chat (key, knowledge answer)", path: "http://127.0.0.1:\(nectarPort)/v1/bots/bench/chat",
                     bodies: chatBodies, headers: bearer),
            Scenario(name: "POST /v1/public/bench-public/chat (no key, per-client budget)",
                     path: "http://127.0.0.1:\(nectarPort)/v1/public/bench-public/chat", bodies: chatBodies, headers: json),
            Scenario(name: "POST /v1/chat/completions (key, OpenAI shape)", path: "http://127.0.0.1:\(nectarPort)/v1/chat/completions",
                     bodies: openAIBodies, headers: bearer),
        ]
        print("\(bots + 2) bots applied; resident memory of the process (the daemon and the small bare app) before load: \(String(format: "%.0f", rssServing)) MiB")
        print("  \(Self.heapBreakdown())")
        print("\(questions.count) questions in turn, on a honey jar of \(Self.documents().count) documents")
        print("wrk: \(connections) connections, 2 threads, \(seconds) s per run, median of \(runs) runs; \(ProcessInfo.processInfo.activeProcessorCount) cores shared by wrk and the server")

        var floorResults: [LoadResult] = []
        var results = Array(repeating: [LoadResult](), count: scenarios.count)
        for _ in 0..<runs {
            floorResults.append(try await load(wrk, floor, root: root))
            for (index, scenario) in scenarios.enumerated() {
                results[index].append(try await load(wrk, scenario, root: root))
            }
        }
        let floorMedian = Self.median(floorResults)
        print("")
        print(Self.row("scenario", "req/s", "ratio", "p50 ms", "p99 ms", "non-2xx"))
        print(Self.row(floor.name, String(format: "%.0f", floorMedian.requestsPerSecond), "1.00",
                       String(format: "%.2f", floorMedian.p50), String(format: "%.2f", floorMedian.p99), "\(floorResults.map(\.non2xx).reduce(0, +))"))
        var answered = 0
        for (index, scenario) in scenarios.enumerated() {
            let median = Self.median(results[index])
            answered += results[index].map { $0.requests - $0.non2xx }.reduce(0, +)
            print(Self.row(scenario.name, String(format: "%.0f", median.requestsPerSecond),
                           String(format: "%.2f", median.requestsPerSecond / floorMedian.requestsPerSecond),
                           String(format: "%.2f", median.p50), String(format: "%.2f", median.p99),
                           "\(results[index].map(\.non2xx).reduce(0, +))"))
        }

        print("")
        print("resident memory after the runs: \(String(format: "%.0f", Self.residentMiB())) MiB (peak \(String(format: "%.0f", Self.residentMiB(peak: true))) MiB)")
        print("  \(Self.heapBreakdown())")
        try await bench.stop()
        let rows = try await DatabaseQueue(path: settings.database).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_event WHERE outcome IN ('answered', 'low-confidence')") ?? 0
        }
        print("")
        // wrk stops counting at its deadline; requests then in flight are
        // answered (and recorded) but not counted: at most one per connection.
        let inFlight = connections * runs * scenarios.count
        let consistent = rows >= answered && rows <= answered + inFlight
        print("usage rows after a graceful shutdown: \(rows) answered or low-confidence, for \(answered) 2xx answers counted by wrk (and at most \(inFlight) in flight at wrk's deadlines)\(consistent ? "" : " MISMATCH")")
        if !consistent { throw BenchmarkFailure(message: "usage rows and answers differ") }
    }

    /// One `wrk` run of a scenario, waited for on a thread of its own: the
    /// servers under test need every thread of Swift's cooperative pool.
    func load(_ wrk: String, _ scenario: Scenario, root: String) async throws -> LoadResult {
        // Each wrk thread sends the bodies in turn, from its own start.
        var script = "wrk.method = \"POST\"\nlocal bodies = {\n"
        for body in scenario.bodies { script += "  [==[\(body)]==],\n" }
        script += "}\nlocal next = 0\nrequest = function()\n  next = next % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[next])\nend\n"
        for (name, value) in scenario.headers.sorted(by: { $0.key < $1.key }) { script += "wrk.headers[\"\(name)\"] = \"\(value)\"\n" }
        let scriptPath = root + "/scenario.lua"
        // The script holds a key: readable by this user only.
        FileManager.default.createFile(atPath: scriptPath, contents: Data(script.utf8), attributes: [.posixPermissions: 0o600])
        let arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", scriptPath, scenario.path]
        let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try Self.capture(wrk, arguments) })
            }
        }
        guard let result = Self.parse(output) else {
            throw BenchmarkFailure(message: "could not read wrk's output for \(scenario.name):\n\(output)")
        }
        return result
    }

    static func parse(_ output: String) -> LoadResult? {
        var rate: Double?, p50: Double?, p99: Double?, requests: Int?, non2xx = 0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first == "Requests/sec:", fields.count > 1 { rate = Double(fields[1]) }
            if first == "50%", fields.count > 1 { p50 = milliseconds(String(fields[1])) }
            if first == "99%", fields.count > 1 { p99 = milliseconds(String(fields[1])) }
            if fields.count > 1, fields[1] == "requests", let count = Int(first) { requests = count }
            if line.contains("Non-2xx or 3xx responses:"), let count = fields.last.flatMap({ Int($0) }) { non2xx = count }
        }
        guard let rate, let p50, let p99, let requests else { return nil }
        return LoadResult(requestsPerSecond: rate, p50: p50, p99: p99, requests: requests, non2xx: non2xx)
    }

    /// `812.00us`, `1.20ms`, `2.01s` in milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }

    static func median(_ results: [LoadResult]) -> LoadResult {
        func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return LoadResult(requestsPerSecond: middle(results.map(\.requestsPerSecond)), p50: middle(results.map(\.p50)),
                      p99: middle(results.map(\.p99)), requests: results.map(\.requests).reduce(0, +),
                      non2xx: results.map(\.non2xx).reduce(0, +))
    }

    static func row(_ columns: String...) -> String {
        let widths = [64, 9, 6, 8, 8, 8]
        return zip(columns, widths).map { text, width in text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
            .joined(separator: " ")
    }

    /// Where the heap is: what malloc has handed out (and SQLite's part of
    /// it: page caches and statements), and what its arenas hold free.
    static func heapBreakdown() -> String {
        let info = mallinfo2()
        func mib(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / 1_048_576) }
        return "heap: \(mib(Int(info.uordblks) + Int(info.hblkhd))) in use (SQLite \(mib(Int(sqlite3_memory_used())))), \(mib(Int(info.fordblks))) free in malloc's arenas"
    }

    /// This process's resident set (or its peak), from /proc.
    static func residentMiB(peak: Bool = false) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        let field = peak ? "VmHWM:" : "VmRSS:"
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) } ?? 0
            return kilobytes / 1024
        }
        return 0
    }

    /// The floor: a Hummingbird application with one POST route that reads
    /// the body and answers fixed JSON. Returns its port.
    static func startBareRoute() async throws -> Int {
        let router = Router()
        router.post("bare") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let reply = ByteBuffer(string: #"{"reply":"ok","bytes":\#(body.readableBytes)}"#)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: reply))
        }
        return try await BenchDaemon.serve(router, label: "the bare route")
    }

    static func wait<T>(_ what: String, _ value: () async -> T?) async throws -> T {
        for _ in 0..<600 {
            if let found = await value() { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkFailure(message: "timed out waiting until \(what)")
    }

    static func which(_ program: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func capture(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The retrieval-quality fixtures of the tests: 24 help-centre documents
    /// and their in-scope and out-of-scope questions.
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/ReconcilerTests/Fixtures/retrieval")
    }

    static func questions() throws -> [String] {
        struct Questions: Decodable {
            struct InScope: Decodable { var question: String }
            var inScope: [InScope]
            var outOfScope: [String]
        }
        let data = try Data(contentsOf: fixtures.appendingPathComponent("questions.json"))
        let questions = try JSONDecoder().decode(Questions.self, from: data)
        return questions.inScope.map(\.question) + questions.outOfScope
    }

    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    /// 40 documents: the 24 fixtures, each also under a second name with its
    /// sections in reverse order (a jar often holds near-duplicates: old and
    /// new versions, per-region copies), the first 16 of them.
    static func documents() -> [String: String] {
        let directory = fixtures.appendingPathComponent("knowledge")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
        var documents: [String: String] = [:]
        for (index, name) in names.enumerated() {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else { continue }
            documents["knowledge/bench/" + name] = text
            if index < 16 {
                let sections = text.components(separatedBy: "\n## ")
                documents["knowledge/bench/archive-" + name] = ([sections[0]] + sections.dropFirst().reversed()).joined(separator: "\n## ")
            }
        }
        return documents
    }

    /// The bench bots: a honey jar of 40 documents, a private bot and a
    /// public one with budgets far above what a run sends.
    static func files(handoff: Bool) -> [String: String] {
        // Handoff triggers are checked on every message (keywords and the
        // built-in phrases); low-confidence handoffs are off (threshold 0)
        // so that out-of-scope questions measure the answer path, not a
        // handoff opened per request.
        let limits = "rateLimits: {perHour: 1000000000, perDay: 1000000000}\n  handoff: "
            + (handoff ? "{keywords: [human, agent, \"speak to a person\", escalate], confidenceThreshold: 0}" : "{enabled: false}")
        var files = [
            "bots/bench-jar.yaml": "apiVersion: nectar/v1\nkind: HoneyJar\nmetadata: {name: bench-shop}\nspec:\n  sources: [\"knowledge/bench/*.md\"]\n",
            "bots/bench/bench.yaml": "apiVersion: nectar/v1\nkind: Bot\nmetadata: {name: bench}\nspec:\n  honeyJars: [bench-shop]\n  \(limits)\n",
            "bots/bench/public.yaml": "apiVersion: nectar/v1\nkind: Bot\nmetadata: {name: bench-public}\nspec:\n  honeyJars: [bench-shop]\n  visibility: public\n  \(limits)\n",
        ]
        files.merge(documents()) { a, _ in a }
        return files
    }
}

/// A port set once by a server callback.
final class PortBox: Sendable {
    private let port = Mutex<Int?>(nil)

    func set(_ value: Int?) { port.withLock { $0 = value } }
    var value: Int? { port.withLock { $0 } }
}
