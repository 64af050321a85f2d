import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// A fresh directory under the system's temporary directory, removed when the
/// closure returns (or throws), so that no test leaves files behind.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("nectar-tests-\(UUID().uuidString)", isDirectory: true).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// A real git repository, created with libgit2 in a temporary directory.
///
/// Use it through `withGitFixture`, which deletes the directory afterwards; the
/// closure form keeps the directory alive exactly as long as the test uses it.
final class GitFixture {
    let path: String
    let repository: GitRepository

    fileprivate init(path: String, bare: Bool) throws {
        self.path = path
        self.repository = try GitRepository.create(at: path, bare: bare)
    }

    /// Commits a full snapshot of text files on `branch` (parent: the branch tip).
    @discardableResult
    func commit(_ files: [String: String], message: String = "snapshot", branch: String = "main") throws -> CommitInfo {
        try repository.commit(files: files.mapValues { Array($0.utf8) }, message: message, branch: branch)
    }

    /// Commits a full snapshot of raw files.
    @discardableResult
    func commitBytes(_ files: [String: [UInt8]], message: String = "snapshot", branch: String = "main") throws -> CommitInfo {
        try repository.commit(files: files, message: message, branch: branch)
    }

    /// Loads `revision` the way `nectar validate` and the daemon do.
    func load(_ revision: String = "HEAD", declarationsPath: String = "bots",
              cache: DeclarationCache? = nil, limits: YAMLLimits = YAMLLimits()) throws -> LoadedRevision {
        let loader = RevisionLoader(declarationsPath: declarationsPath, cache: cache, limits: limits)
        return try loader.load(GitRevisionFiles(repository: repository, revision: revision))
    }

    /// Writes a file into the work tree (not committed).
    func write(_ relativePath: String, _ text: String) throws {
        try writeFile(root: path, relativePath, Array(text.utf8))
    }
}

/// Runs `body` with a new repository (bare or with a work tree) whose directory
/// is deleted afterwards.
func withGitFixture<Result>(bare: Bool = false, _ body: (GitFixture) throws -> Result) throws -> Result {
    try withTemporaryDirectory { directory in
        let fixture = try GitFixture(path: directory + "/repo", bare: bare)
        return try withExtendedLifetime(fixture) { try body(fixture) }
    }
}

/// Writes `bytes` at `relativePath` below `root`, creating directories.
func writeFile(root: String, _ relativePath: String, _ bytes: [UInt8]) throws {
    let url = URL(fileURLWithPath: root).appendingPathComponent(relativePath)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}

/// Commits `files` to a new repository, loads HEAD and returns the diagnostics
/// as `path:line:column: message` lines, plus the commit (for messages that
/// name it).
func committedDiagnostics(_ files: [String: String]) throws -> (lines: [String], commit: CommitInfo) {
    try withGitFixture { repo in
        let commit = try repo.commit(files)
        let loaded = try repo.load()
        return (loaded.diagnostics.map(\.description), commit)
    }
}

/// The diagnostics of one declarations file `bots/a.yaml` committed alone.
func diagnostics(of yaml: String, path: String = "bots/a.yaml", extraFiles: [String: String] = [:]) throws -> [String] {
    var files = extraFiles
    files[path] = yaml
    return try committedDiagnostics(files).lines
}

/// Declaration snippets that are valid on their own.
enum Snippet {
    static func bot(_ name: String, labels: String = "{}", spec: String = "{}") -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata: {name: \(name), labels: \(labels)}
        spec: \(spec)
        """
    }

    static func honeyJar(_ name: String, sources: String = "[\"knowledge/*.md\"]") -> String {
        """
        apiVersion: nectar/v1
        kind: HoneyJar
        metadata: {name: \(name)}
        spec: {sources: \(sources)}
        """
    }

    static func policy(_ name: String, selector: String, rotateEvery: String = "30d", extra: String = "") -> String {
        """
        apiVersion: nectar/v1
        kind: KeyRotationPolicy
        metadata: {name: \(name)}
        spec: {selector: \(selector), rotateEvery: \(rotateEvery)\(extra)}
        """
    }

    static func `operator`(_ name: String, role: String = "agent") -> String {
        """
        apiVersion: nectar/v1
        kind: Operator
        metadata: {name: \(name)}
        spec: {email: \(name)@example.com, role: \(role)}
        """
    }

    /// Joins documents into one multi-document file.
    static func documents(_ documents: String...) -> String {
        documents.joined(separator: "\n---\n") + "\n"
    }

    /// Every field of DESIGN.md section 4, one document per kind.
    static let designExample = """
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: support
          owner: team-support
          labels: {tier: gold}
        spec:
          displayName: Buzzy's Support Bot
          description: Answers questions about orders and shipping.
          systemPrompt: |
            You are a friendly support assistant.
          model: {provider: openai, endpoint: local-llm, name: llama3}
          honeyJars: [shop-faq]
          visibility: public
          status: maintenance
          maxConversationLength: 30
          confidenceThreshold: 0.7
          rateLimits: {perHour: 120, perDay: 1200}
          handoff:
            enabled: false
            keywords: [human, agent, "speak to a person", escalate]
            confidenceThreshold: 0.4
            urgency: {critical: [outage, "data loss"], high: [urgent, refund]}
            notify: {inApp: false, email: [support@example.com], webhooks: [support-slack]}
            sla: {critical: 15m, high: 1h, medium: 4h, low: 24h}
          apiKeys:
            generation: 3
            rotateEvery: 30d
            gracePeriod: 0s
            recipients: [\(Data(repeating: 9, count: 32).base64EncodedString())]
        ---
        apiVersion: nectar/v1
        kind: HoneyJar
        metadata: {name: shop-faq}
        spec:
          description: Shop policies and shipping FAQ
          sources: ["knowledge/**/*.md"]
        ---
        apiVersion: nectar/v1
        kind: KeyRotationPolicy
        metadata: {name: gold-tier}
        spec: {selector: {tier: gold}, rotateEvery: 30d, gracePeriod: 12h, maxKeyAge: 90d}
        ---
        apiVersion: nectar/v1
        kind: Operator
        metadata: {name: alice}
        spec: {email: alice@example.com, role: admin, teams: [team-support]}
        """
}
