import ArgumentParser
import Foundation
import NectarServer
import Reconciler

/// `nectar validate`: checks every declaration of one revision.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the declarations at a revision (exit 0 valid, 1 invalid).",
        discussion: """
        Reads every *.yaml and *.yml file below --path at --ref straight from git's \
        object database (no checkout) and reports every problem as path:line:column: message. \
        With --worktree, validates the files on disk instead (for editors and pre-commit hooks).
        """
    )

    @OptionGroup var source: RevisionOptions

    @Flag(name: .long, help: "Validate the files on disk instead of a commit.")
    var worktree = false

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Accept a revision with no declaration files (as apply --allow-empty does).")
    var allowEmpty = false

    @Option(name: .long, help: "A daemon configuration file: also check that the model endpoints and webhooks the bots name are defined in it.")
    var config: String?

    func run() throws {
        let loaded: LoadedRevision
        do {
            let loader = RevisionLoader(declarationsPath: source.path)
            if worktree {
                loaded = try loader.load(WorkTreeFiles(root: source.repo))
            } else {
                let repository = try GitRepository(path: source.repo)
                loaded = try loader.load(try GitRevisionFiles(repository: repository, revision: source.ref))
            }
        } catch {
            throw CommandFailure.exit(error)
        }
        var report = ValidationReport(loaded, path: source.path, allowEmpty: allowEmpty)
        if let config {
            let settings: ServeSettings
            do {
                // Secrets are not read: only the names the file defines matter here.
                settings = try ServeSettings.load(file: config, environment: [:])
            } catch {
                throw CommandFailure.exit(error)
            }
            report.add(Self.undefinedNames(loaded.state, settings: settings, file: config))
        }
        switch format {
        case .json:
            try Terminal.json(report)
        case .text:
            for diagnostic in report.errors {
                Terminal.standardError(diagnostic.description)
            }
            if report.valid {
                Terminal.standardOutput("ok: \(loaded.state.summary) \(report.where)")
            } else {
                Terminal.standardError(report.failureSummary)
            }
            // Validating HEAD while edits sit uncommitted checks something
            // other than what the user just wrote: say so.
            if !worktree, source.ref == "HEAD", Self.hasUncommittedDeclarations(repo: source.repo, path: source.path) {
                Terminal.standardError("note: the work tree has uncommitted changes, which this did not check; nectar validate --worktree checks the files on disk")
            }
        }
        if !report.valid { throw ExitCode.failure }
    }

    /// Bots naming a model endpoint or a webhook that the configuration file
    /// does not define, one diagnostic each, at the field.
    static func undefinedNames(_ state: DesiredState, settings: ServeSettings, file: String) -> [Diagnostic] {
        let endpoints = Set(settings.modelEndpoints.map(\.name)), webhooks = Set(settings.webhooks.map(\.name))
        var diagnostics: [Diagnostic] = []
        for bot in state.bots {
            if bot.spec.model.provider == .openai, let endpoint = bot.spec.model.endpoint, !endpoints.contains(endpoint) {
                let position = bot.position(of: "spec.model.endpoint")
                diagnostics.append(Diagnostic(path: bot.origin.path, line: position.line, column: position.column,
                                              message: "spec.model.endpoint names \(endpoint), which \(file) does not define (models.endpoints)"))
            }
            for webhook in bot.spec.handoff.notify.webhooks where !webhooks.contains(webhook) {
                let position = bot.position(of: "spec.handoff.notify.webhooks")
                diagnostics.append(Diagnostic(path: bot.origin.path, line: position.line, column: position.column,
                                              message: "spec.handoff.notify.webhooks names \(webhook), which \(file) does not define (notifications.webhooks)"))
            }
        }
        return diagnostics
    }

    /// Whether a declaration file on disk is new or differs from `HEAD`'s
    /// (files missing on disk are not counted: a checkout without them
    /// validates what was committed).
    static func hasUncommittedDeclarations(repo: String, path: String) -> Bool {
        guard let repository = try? GitRepository(path: repo), !repository.isBare,
              let committed = try? GitRevisionFiles(repository: repository, revision: "HEAD").files(under: path),
              let disk = try? WorkTreeFiles(root: repo).files(under: path) else { return false }
        let blobs = Dictionary(committed.map { ($0.path, $0.blobID) }, uniquingKeysWith: { first, _ in first })
        return disk.contains { blobs[$0.path] != $0.blobID }
    }
}

/// The documented result of `nectar validate --format json`.
struct ValidationReport: Encodable {
    struct Counts: Encodable {
        var bots: Int
        var honeyJars: Int
        var keyRotationPolicies: Int
        var operators: Int
    }

    var valid: Bool
    /// The full commit id, or null for --worktree.
    var revision: String?
    var path: String
    var counts: Counts
    var errors: [Diagnostic]

    enum CodingKeys: String, CodingKey { case valid, revision, path, counts, errors }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(valid, forKey: .valid)
        try container.encode(revision, forKey: .revision)  // null for --worktree
        try container.encode(path, forKey: .path)
        try container.encode(counts, forKey: .counts)
        try container.encode(errors, forKey: .errors)
    }

    init(_ loaded: LoadedRevision, path: String, allowEmpty: Bool) {
        let state = loaded.state
        var errors = loaded.diagnostics
        if loaded.filesRead == 0 && !allowEmpty {
            errors.append(Diagnostic(path: path, line: 1, column: 1,
                                     message: "no declaration files (*.yaml, *.yml) under \(path)/ (pass --allow-empty if that is intended)"))
        }
        self.valid = errors.isEmpty
        self.revision = state.revision?.id.hex
        self.path = path
        self.counts = Counts(bots: state.bots.count, honeyJars: state.honeyJars.count,
                             keyRotationPolicies: state.policies.count, operators: state.operators.count)
        self.errors = errors
    }

    /// Adds diagnostics found after loading (the configuration check).
    mutating func add(_ more: [Diagnostic]) {
        errors += more
        valid = errors.isEmpty
    }

    var `where`: String {
        revision.map { "at \($0.prefix(7))" } ?? "in the work tree"
    }

    var failureSummary: String {
        let files = Set(errors.map(\.path)).count
        return "\(errors.count) \(errors.count == 1 ? "error" : "errors") in \(files) \(files == 1 ? "file" : "files") \(self.where)"
    }
}
