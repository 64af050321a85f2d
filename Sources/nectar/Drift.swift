import ArgumentParser
import BotRuntime
import Foundation
import Reconciler

/// `nectar drift`: what git declares at a revision against what runs.
struct Drift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report drift between a revision and what runs (exit 0 none, 2 drift, 1 error).",
        discussion: """
        Compares the declarations at --ref with a runtime database (--db) or a running server \
        (--server, through GET /admin/state with an operator token from --token-env). Finds \
        unapplied revisions, failed applies, missing and unexpected objects, specs that differ \
        field by field, runtime overrides (pauses, emergency key rotations), overdue keys and \
        grace keys past their expiry. See docs/ci.md.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, markdown, junit }

    @OptionGroup var source: RevisionOptions

    @OptionGroup var live: LiveStateOptions

    @Option(name: .long, help: "Output format: text, json, markdown or junit.")
    var format: Format = .text

    @Option(name: .long, help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(name: .long, help: "How far past rotateEvery an active key, or past its expiry a grace key, may be before it is reported.")
    var keyTolerance: String = "1h"

    @Option(name: .long, help: "Also check this key directory against the stored keys (key-file-mismatch); with --db.")
    var keyDir: String?

    func validate() throws {
        if (live.db == nil) == (live.server == nil) {
            throw ValidationError("give exactly one of --db FILE or --server URL")
        }
        if SpecDuration(parsing: keyTolerance) == nil {
            throw ValidationError("--key-tolerance must be a duration such as 30m, 1h or 1d")
        }
    }

    func run() async throws {
        let report: DriftReport
        do {
            let export: StateExport
            let compared: DriftReport.Live
            if let server = live.server {
                export = try await ServerClient(server: server, tokenEnv: live.tokenEnv).stateExport()
                compared = .init(source: "server", name: server)
            } else {
                export = try await RuntimeStore.openReadOnly(path: live.db!).export()
                compared = .init(source: "database", name: live.db!)
            }
            report = try DriftDetector(tolerance: SpecDuration(parsing: keyTolerance)!, keyDirectory: keyDir.map(KeyDirectory.init(path:)))
                .report(repositoryPath: source.repo, declarationsPath: source.path, revision: source.ref, live: export, liveSource: compared)
        } catch {
            throw CommandFailure.exit(error)
        }
        let text: String
        switch format {
        case .text: text = report.text()
        case .json: text = try report.json()
        case .markdown: text = report.markdown()
        case .junit: text = report.junit()
        }
        if let output {
            do {
                try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CommandFailure.exit(CommandFailure(message: "cannot write the report to \(output): \(error.localizedDescription)"))
            }
            let count = report.findings.count
            Terminal.standardError(report.hasDrift ? "drift: \(count) \(count == 1 ? "finding" : "findings") written to \(output)" : "no drift; report written to \(output)")
        } else {
            Terminal.standardOutput(text)
        }
        if report.hasDrift { throw ExitCode(2) }
    }
}
