import ArgumentParser
import BotRuntime
import Foundation
import Reconciler

/// `nectar apply`: reconcile one revision into a database and exit.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile a revision into the runtime database once (exit 0 applied, 1 error).",
        discussion: """
        Loads and validates every declaration at --ref, plans against the database and applies \
        the whole plan in one SQLite transaction, recording the run and an audit entry per change. \
        An invalid revision applies nothing and is recorded as a failed run.
        """
    )

    @OptionGroup var source: RevisionOptions

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Where new API keys are written (one file per bot, mode 0600).")
    var keyDir: String = "keys"

    @OptionGroup var guards: ApplyPolicyOptions

    func run() throws {
        let store: RuntimeStore
        let lock: ReconcilerLock
        do {
            lock = try ReconcilerLock(databasePath: database.db, purpose: "nectar apply")
            store = try RuntimeStore.open(path: database.db)
        } catch {
            if format == .json {
                try Terminal.json(ApplyReport(failure: String(describing: error)))
            }
            throw CommandFailure.exit(error)
        }
        let outcome = RevisionReconciler(repositoryPath: source.repo, declarationsPath: source.path, store: store,
                                         keyDirectory: KeyDirectory(path: keyDir), policy: guards.policy)
            .reconcile(revision: source.ref, trigger: .cli)
        defer { withExtendedLifetime(lock) {} }
        let revision = outcome.commit.map(\.id.short) ?? source.ref
        switch format {
        case .json:
            try Terminal.json(ApplyReport(outcome))
        case .text:
            for diagnostic in outcome.diagnostics { Terminal.standardError(diagnostic.description) }
            switch outcome.run.outcome {
            case .applied:
                if let plan = outcome.plan {
                    Terminal.standardOutput(PlanReport(revision: outcome.commit?.id.hex,
                                                       base: .init(source: "database", revision: plan.baseRevision, name: database.db),
                                                       errors: [], plan: plan, refusal: nil).text(colour: isatty(STDOUT_FILENO) == 1))
                }
                Terminal.standardOutput("applied \(revision) (run \(outcome.run.id ?? 0))")
            case .noop:
                if outcome.plan?.baseRevision == outcome.commit?.id.hex {
                    Terminal.standardOutput("no changes: \(revision) is already applied (run \(outcome.run.id ?? 0))")
                } else {
                    Terminal.standardOutput("no changes: \(revision) declares what is already live; recorded as applied (run \(outcome.run.id ?? 0))")
                }
            case .failed, .refused:
                break
            }
        }
        if let error = outcome.error {
            Terminal.standardError("error: \(error)")
            throw ExitCode.failure
        }
    }
}

/// The documented result of `nectar apply --format json`.
struct ApplyReport: Encodable {
    var outcome: String
    var revision: String?
    var run: Int64?
    var error: String?
    var errors: [Diagnostic]
    var changes: [ReconcilePlan.ObjectChange]
    var documents: [ReconcilePlan.DocumentChange]

    enum CodingKeys: String, CodingKey { case outcome, revision, run, error, errors, changes, documents }

    /// Every key is always present; absent values are null.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(revision, forKey: .revision)
        try container.encode(run, forKey: .run)
        try container.encode(error, forKey: .error)
        try container.encode(errors, forKey: .errors)
        try container.encode(changes, forKey: .changes)
        try container.encode(documents, forKey: .documents)
    }

    /// The report when the database could not even be opened.
    init(failure: String) {
        outcome = ReconcileRun.Outcome.failed.rawValue
        error = failure
        errors = []
        changes = []
        documents = []
    }

    init(_ outcome: ReconcileOutcome) {
        self.outcome = outcome.run.outcome.rawValue
        self.revision = outcome.commit?.id.hex
        self.run = outcome.run.id
        self.error = outcome.error
        self.errors = outcome.diagnostics
        self.changes = outcome.plan?.changes ?? []
        self.documents = outcome.plan?.documents ?? []
    }
}
