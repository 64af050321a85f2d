import BotRuntime
import Foundation
import Testing
@testable import Reconciler
#if canImport(FoundationXML)
import FoundationXML
#endif

// Helpers for the drift tests: the nectar binary run without blocking a
// thread of Swift's pool (a daemon in this process may need it to answer the
// child), with an environment of the test's choosing; decoded reports; and
// JUnit XML read back with a real XML parser.

enum DriftCLI {
    /// A started nectar whose output goes to files (nothing can block on a full pipe).
    private struct Launch {
        let process = Process()
        let directory: URL
        let out: URL, err: URL
        let outHandle: FileHandle, errHandle: FileHandle

        init(_ arguments: [String], environment: [String: String]) throws {
            var arguments = arguments
            if arguments.first == "apply", !arguments.contains("--key-dir"),
               let db = arguments.firstIndex(of: "--db").map({ arguments[$0 + 1] }) {
                arguments += ["--key-dir", db + ".keys"]
            }
            var childEnvironment = ProcessInfo.processInfo.environment
            childEnvironment["NECTAR_TOKEN"] = nil
            childEnvironment.merge(environment) { _, new in new }
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-drift-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            out = directory.appendingPathComponent("stdout")
            err = directory.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            outHandle = try FileHandle(forWritingTo: out)
            errHandle = try FileHandle(forWritingTo: err)
            process.executableURL = URL(fileURLWithPath: ReconcileCLI.binary)
            process.arguments = arguments
            process.environment = childEnvironment
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = FileHandle.nullDevice
        }

        func result(_ status: Int32) throws -> ReconcileCLI.Result {
            defer { try? FileManager.default.removeItem(at: directory) }
            try outHandle.close()
            try errHandle.close()
            return ReconcileCLI.Result(status: status,
                                       stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                                       stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
        }
    }

    /// Runs the built nectar to completion, blocking this thread (for tests
    /// with no server in the process). The child gets this process's
    /// environment without `NECTAR_TOKEN` (a token set by whoever runs the
    /// tests must not leak in), plus `environment`. Like `ReconcileCLI.run`,
    /// `apply --db F` gets `--key-dir F.keys` so no key lands in the package.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ReconcileCLI.Result {
        let launch = try Launch(arguments, environment: environment)
        do {
            try launch.process.run()
        } catch {
            _ = try? launch.result(-1)
            throw error
        }
        launch.process.waitUntilExit()
        return try launch.result(launch.process.terminationStatus)
    }

    /// The same without blocking a thread of Swift's pool while the child
    /// runs: a daemon in this process answers the child from that pool.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ReconcileCLI.Result {
        let launch = try Launch(arguments, environment: environment)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            launch.process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try launch.process.run()
            } catch {
                launch.process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return try launch.result(status)
    }

    /// `nectar apply` of one commit into a database.
    static func apply(_ commit: CommitInfo, repo: String, db: String,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try run(["apply", "--repo", repo, "--ref", commit.id.hex, "--db", db])
        #expect(run.status == 0, "nectar apply failed: \(run.stderr)", sourceLocation: sourceLocation)
    }
}

extension ReconcileCLI.Result {
    /// The report printed by `--format json`, decoded as the library's type.
    func driftReport() throws -> DriftReport {
        try DriftJSON.decode(stdout)
    }

    /// Whether this is a command failure as the CLI promises it: exit 1, no
    /// output, one line on stderr starting `error: `, no crash or trace.
    var isOneSentenceFailure: Bool {
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
        return status == 1 && stdout.isEmpty && lines.count == 2 && lines[1].isEmpty
            && stderr.hasPrefix("error: ") && !stderr.contains("Fatal error") && !stderr.contains("Stack dump")
            && !stderr.contains("Swift/") && !stderr.contains("0x")
    }
}

enum DriftJSON {
    static func decode(_ text: String) throws -> DriftReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(DriftReport.self, from: Data(text.utf8))
    }
}

extension DriftReport {
    /// `kind subject` of every finding, in report order.
    var findingLines: [String] { findings.map { "\($0.kind.rawValue) \($0.subject)" } }

    /// The one finding of a kind about a subject (`revision` or `Bot/name`).
    func finding(_ kind: DriftFinding.Kind, _ subject: String = "revision") -> DriftFinding? {
        findings.first { $0.kind == kind && $0.subject == subject }
    }
}

/// A JUnit XML document read back with Foundation's XMLParser.
struct JUnitDocument {
    struct Failure: Equatable {
        var type: String
        var message: String
        var body: String
    }

    struct TestCase {
        var classname: String
        var name: String
        var failures: [Failure] = []
    }

    /// Attributes of the root `testsuites` and of the `testsuite` element.
    var suites: [String: String] = [:]
    var suite: [String: String] = [:]
    var cases: [TestCase] = []

    /// Parses `text`; throws when it is not well-formed XML.
    init(_ text: String) throws {
        let delegate = Delegate()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = delegate
        guard parser.parse() else {
            throw DriftError(message: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
        suites = delegate.suites
        suite = delegate.suite
        cases = delegate.cases
    }

    func testCase(_ name: String) -> TestCase? { cases.first { $0.name == name } }

    private final class Delegate: NSObject, XMLParserDelegate {
        var suites: [String: String] = [:]
        var suite: [String: String] = [:]
        var cases: [TestCase] = []
        var failure: Failure?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            switch elementName {
            case "testsuites": suites = attributeDict
            case "testsuite": suite = attributeDict
            case "testcase": cases.append(TestCase(classname: attributeDict["classname"] ?? "", name: attributeDict["name"] ?? ""))
            case "failure": failure = Failure(type: attributeDict["type"] ?? "", message: attributeDict["message"] ?? "", body: "")
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            failure?.body += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            if elementName == "failure", let failure, !cases.isEmpty {
                cases[cases.count - 1].failures.append(failure)
                self.failure = nil
            }
        }
    }
}

/// Declarations for the drift tests.
enum DriftYAML {
    static let operators = ReconcileYAML.operator("alice")

    /// `bots/operators.yaml` and one `bots/NAME.yaml` per bot (ReconcileYAML's block-style bot).
    static func files(bots: [String]) -> [String: String] {
        var files = ReconcileYAML.botFiles(bots)
        files["bots/operators.yaml"] = operators
        return files
    }

    /// A gold-tier bot with its own `apiKeys` lines (indented four spaces).
    static func keyedBot(_ name: String, generation: Int = 1, keys: String = "") -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: \(name)
          labels: {tier: gold}
        spec:
          apiKeys:
            generation: \(generation)\(keys)

        """
    }

    static func policy(rotateEvery: String, maxKeyAge: String? = nil, gracePeriod: String = "24h") -> String {
        """
        apiVersion: nectar/v1
        kind: KeyRotationPolicy
        metadata: {name: gold-tier}
        spec: {selector: {tier: gold}, rotateEvery: \(rotateEvery), gracePeriod: \(gracePeriod)\(maxKeyAge.map { ", maxKeyAge: \($0)" } ?? "")}

        """
    }
}

/// A loopback HTTP server on its own thread that answers every request with
/// one canned response and records the requests' headers: for what a real
/// nectar never answers (redirects, HTML, another export format).
final class CannedHTTPServer: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    private let response: String
    private let lock = NSLock()
    private var headers: [String] = []

    /// Requests seen so far, as their header blocks.
    var requests: [String] { lock.withLock { headers } }

    init(status: String, headers extra: [String] = [], body: String = "") throws {
        response = (["HTTP/1.1 \(status)", "Content-Length: \(body.utf8.count)", "Connection: close"] + extra).joined(separator: "\r\n")
            + "\r\n\r\n" + body
        let listener = try LoopbackListener()
        socket = listener.descriptor
        port = Int(listener.port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    private func serve() {
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 { return }  // closed by stop()
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !received.suffix(4).elementsEqual([13, 10, 13, 10]) {
                let count = read(client, &buffer, buffer.count)
                if count <= 0 { break }
                received += buffer.prefix(count)
            }
            lock.withLock { headers.append(String(decoding: received, as: UTF8.self)) }
            _ = response.utf8CString.withUnsafeBufferPointer { write(client, $0.baseAddress, $0.count - 1) }
            close(client)
        }
    }

    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }
}
