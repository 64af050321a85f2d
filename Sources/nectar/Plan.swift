import ArgumentParser
import BotRuntime
import Foundation
import Reconciler

/// `nectar plan`: what applying a revision would change.
struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what applying a revision would change (against another revision or a database).",
        discussion: """
        With --base REV, compares two revisions of the repository (a pull request: no database needed). \
        With --db FILE, compares the revision with the live state of a runtime database; with --server URL, \
        with a running nectar's state (GET /admin/state, operator token from --token-env). \
        Exit codes: 0 no changes (or any plan without --detailed-exitcode), 2 changes with \
        --detailed-exitcode, 1 error (including invalid declarations).
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, markdown }

    @OptionGroup var source: RevisionOptions

    @Option(name: .long, help: "Compare with this revision (for pull requests).")
    var base: String?

    @OptionGroup var live: LiveStateOptions

    @Option(name: .long, help: "Output format: text, json or markdown.")
    var format: Format = .text

    @Flag(name: .long, help: "Exit 2 when there are changes, 0 when there are none.")
    var detailedExitcode = false

    @OptionGroup var guards: ApplyPolicyOptions

    func validate() throws {
        if [base, live.db, live.server].compactMap({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --base REV, --db FILE or --server URL")
        }
    }

    func run() async throws {
        let report: PlanReport
        do {
            if let base {
                report = try RevisionPlanning.plan(repository: source.repo, declarationsPath: source.path,
                                                   revision: source.ref, base: base, policy: guards.policy)
            } else if let server = live.server {
                let export = try await ServerClient(server: server, tokenEnv: live.tokenEnv).stateExport()
                report = try RevisionPlanning.plan(repository: source.repo, declarationsPath: source.path,
                                                   revision: source.ref, export: export, server: server, policy: guards.policy)
            } else {
                let store = try RuntimeStore.openReadOnly(path: live.db!)
                report = try RevisionPlanning.plan(repository: source.repo, declarationsPath: source.path,
                                                   revision: source.ref, store: store, policy: guards.policy)
            }
        } catch {
            throw CommandFailure.exit(error)
        }
        switch format {
        case .json: Terminal.standardOutput(try report.json())
        case .markdown: Terminal.standardOutput(report.markdown())
        case .text: Terminal.standardOutput(report.text(colour: isatty(STDOUT_FILENO) == 1))
        }
        if !report.valid {
            if format != .text {
                for error in report.errors { Terminal.standardError(error.description) }
            }
            throw ExitCode.failure
        }
        if detailedExitcode && report.hasChanges { throw ExitCode(2) }
    }
}
