import BotRuntime
import Foundation
import GRDB
import Reconciler
import Testing

/// Behaviour added after review: the no-op fast path, read-only plans and
/// broken base revisions.
@Suite struct ReconcileReviewFixesTests {
    @Test func theSameRevisionFromAnotherDeclarationsPathIsNotANoOp() throws {
        try withReconcileScenario { scenario in
            let commit = try scenario.commit([
                "bots/alpha.yaml": ReconcileYAML.bot("alpha"),
                "other/beta.yaml": ReconcileYAML.bot("beta"),
            ])
            #expect(try scenario.apply(commit).run.outcome == .applied)
            #expect(try scenario.apply(commit).run.outcome == .noop)
            let store = try scenario.store
            let other = RevisionReconciler(repositoryPath: scenario.repoPath, declarationsPath: "other", store: store,
                                           policy: ApplyPolicy(allowMassDelete: true))
            let outcome = other.reconcile(revision: commit.id.hex)
            #expect(outcome.run.outcome == .applied)
            #expect(try #require(outcome.plan).changes.map { "\($0.action) \($0.name)" } == ["delete alpha", "create beta"])
        }
    }

    @Test func planAgainstADatabaseNeverWritesIt() throws {
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha")])
            // A SQLite file that is not nectar's stays exactly as it was.
            let foreign = scenario.directory + "/foreign.sqlite"
            try DatabaseQueue(path: foreign).write { try $0.execute(sql: "CREATE TABLE notes (body TEXT)") }
            let before = try Data(contentsOf: URL(fileURLWithPath: foreign))
            #expect(throws: StoreError.self) { try RuntimeStore.openReadOnly(path: foreign) }
            let run = try ReconcileCLI.run(["plan", "--repo", scenario.repoPath, "--ref", commit.id.hex, "--db", foreign])
            #expect(run.status == 1)
            #expect(run.stderr == "error: the database \(foreign) failed: it is not a nectar database (run nectar apply to create one)\n")
            #expect(try Data(contentsOf: URL(fileURLWithPath: foreign)) == before)
            #expect(try ReconcileSQL.strings(path: foreign, "SELECT name FROM sqlite_master") == ["notes"])

            // A nectar database is planned against without a write.
            try scenario.apply(commit)
            let version = try scenario.store.appliedMarker().stateVersion
            let report = try RevisionPlanning.plan(repository: scenario.repoPath, declarationsPath: "bots", revision: commit.id.hex,
                                                   store: try RuntimeStore.openReadOnly(path: scenario.dbPath))
            #expect(report.plan?.hasChanges == false)
            #expect(try scenario.store.appliedMarker().stateVersion == version)
            #expect(try scenario.store.runs().count == 1)
        }
    }

    @Test func aBrokenBaseRevisionIsReportedNotHidden() throws {
        try withReconcileScenario { scenario in
            let base = try scenario.commit([
                "bots/alpha.yaml": ReconcileYAML.bot("alpha"),
                "bots/beta.yaml": "apiVersion: nectar/v1\nkind: Bot\nmetadata: {name: beta}\nspec: {status: broken}\n",
            ])
            let head = try scenario.commit([
                "bots/alpha.yaml": ReconcileYAML.bot("alpha"),
                "bots/beta.yaml": ReconcileYAML.bot("beta"),
            ])
            let report = try scenario.planBetween(base, head)
            #expect(report.valid)
            #expect(report.baseErrors.map(\.description) == [
                "bots/beta.yaml:4:16: spec.status must be one of active, inactive, maintenance, found \"broken\"",
            ])
            #expect(report.plan?.changes.map { "\($0.action) \($0.name)" } == ["create beta"])
            #expect(report.text(colour: false).hasSuffix(
                "warning: the base revision has 1 invalid declaration (first: bots/beta.yaml:4:16: spec.status must be one of active, inactive, maintenance, found \"broken\"); objects declared there show as created"))
            #expect(report.markdown().contains("> **Warning:** the base revision has 1 invalid declaration"))
        }
    }
}
