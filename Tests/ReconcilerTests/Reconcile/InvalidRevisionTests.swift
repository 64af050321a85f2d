import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// An invalid or unreadable revision applies nothing and records why.
@Suite struct ReconcileInvalidRevisionTests {
    static func validFiles() -> [String: String] {
        [
            "bots/alpha.yaml": ReconcileYAML.bot("alpha", honeyJars: ["faq"]),
            "bots/beta.yaml": ReconcileYAML.bot("beta"),
            "bots/jars.yaml": ReconcileYAML.honeyJar("faq", sources: ["knowledge/*.md"]),
            "bots/operators.yaml": ReconcileYAML.operator("alice"),
            "knowledge/a.md": "# A\n\nParcels ship in two days.\n",
        ]
    }

    @Test func invalidCommitAppliesNothingAndRecordsTheFailure() throws {
        try withReconcileScenario { scenario in
            var files = Self.validFiles()
            let first = try scenario.commit(files)
            #expect(try scenario.apply(first).run.outcome == .applied)
            let before = try scenario.snapshot()

            // Valid changes next to two invalid declarations.
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", perHour: 500, honeyJars: ["faq"])
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta").replacingOccurrences(of: "rateLimits:", with: "rateLimit:")
            files["bots/gamma.yaml"] = ReconcileYAML.bot("gamma", honeyJars: ["fqa"])
            files["bots/operators.yaml"] = nil
            files["knowledge/a.md"] = "# A\n\nParcels ship tomorrow.\n"
            let second = try scenario.commit(files, message: "broken")

            let outcome = try scenario.apply(second)
            #expect(outcome.run.outcome == .failed)
            #expect(outcome.failure == .stalled)
            #expect(!outcome.succeeded)
            #expect(outcome.plan == nil)
            #expect(outcome.commit?.id == second.id)
            let diagnostics = outcome.diagnostics.map(\.description)
            #expect(diagnostics.count == 2)
            #expect(diagnostics.first?.hasPrefix("bots/beta.yaml:13:3: ") == true, "\(diagnostics)")
            #expect(diagnostics.first?.contains("rateLimit") == true)
            #expect(diagnostics.last?.hasPrefix("bots/gamma.yaml:") == true, "\(diagnostics)")
            #expect(diagnostics.last?.contains("\"fqa\"") == true)
            #expect(diagnostics.last?.contains("did you mean \"faq\"") == true)
            let error = try #require(outcome.error)
            #expect(error.hasPrefix("revision \(second.id.short) has 2 invalid declarations; nothing was applied (first: bots/beta.yaml:13:3:"))

            // The live state is exactly what it was.
            let after = try scenario.snapshot()
            #expect(after == before)
            #expect(after.appliedRevision == first.id.hex)
            #expect(try scenario.store.liveState().isUntouchedSinceApply)
            #expect(try scenario.store.searchKnowledge("two days", jars: ["faq"]).map(\.path) == ["knowledge/a.md"])

            // The failure is recorded with its errors.
            let runs = try scenario.store.runs()
            #expect(runs.map(\.outcome) == [.failed, .applied])
            let failed = runs[0]
            #expect(failed.id == outcome.run.id)
            #expect(failed.revision == second.id.hex)
            #expect(failed.errors == diagnostics)
            #expect(failed.summary == "{}")
            #expect(failed.trigger.rawValue == "test")

            // plan says the same and writes nothing.
            let report = try scenario.planAgainstStore(second)
            #expect(!report.valid)
            #expect(report.plan == nil)
            #expect(report.errors.map(\.description) == diagnostics)
            #expect(try scenario.planBetween(first, second).errors.map(\.description) == diagnostics)
            #expect(try scenario.snapshot() == before)

            // Retrying the same broken revision fails again without touching anything.
            #expect(try scenario.apply(second).run.outcome == .failed)
            #expect(try scenario.snapshot() == before)

            // Fixed: the next revision applies everything at once.
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta")
            files["bots/gamma.yaml"] = ReconcileYAML.bot("gamma", honeyJars: ["faq"])
            let third = try scenario.commit(files, message: "fixed")
            // It removes the only operator, which the mass-delete guard holds back until allowed.
            #expect(try scenario.apply(third).run.outcome == .refused)
            let fixed = try scenario.apply(third, policy: ApplyPolicy(allowMassDelete: true))
            #expect(fixed.run.outcome == .applied)
            #expect(try #require(fixed.plan).reconcileLines == ["delete Operator alice", "update Bot alpha", "create Bot gamma"])
            #expect(try scenario.store.liveState().appliedRevision == third.id.hex)
            #expect(try scenario.store.searchKnowledge("tomorrow", jars: ["faq"]).map(\.path) == ["knowledge/a.md"])
        }
    }

    @Test(arguments: [
        ("syntax", "apiVersion: nectar/v1\nkind: Bot\nmetadata: {name: broken\nspec: {}\n"),
        ("type", ReconcileYAML.bot("broken").replacingOccurrences(of: "perHour: 100", with: "perHour: lots")),
        ("limits", ReconcileYAML.bot("broken", perHour: 2000, perDay: 10)),
        ("duplicate", ReconcileYAML.bot("beta")),
        ("kind", "apiVersion: nectar/v1\nkind: Robot\nmetadata: {name: broken}\nspec: {}\n"),
        ("name", ReconcileYAML.bot("Not_A_Name")),
    ])
    func everyKindOfInvalidDeclarationAppliesNothing(label: String, yaml: String) throws {
        try withReconcileScenario { scenario in
            var files = Self.validFiles()
            try scenario.apply(try scenario.commit(files))
            let before = try scenario.snapshot()
            files["bots/alpha.yaml"] = nil   // would be a delete
            files["bots/zz-broken.yaml"] = yaml
            let broken = try scenario.commit(files)
            let outcome = try scenario.apply(broken)
            #expect(outcome.run.outcome == .failed, "\(label)")
            #expect(!outcome.diagnostics.isEmpty, "\(label)")
            #expect(outcome.diagnostics.allSatisfy { $0.path == "bots/zz-broken.yaml" }, "\(label): \(outcome.diagnostics)")
            #expect(try scenario.snapshot() == before, "\(label)")
            #expect(try scenario.store.runs(limit: 1).first?.errors == outcome.diagnostics.map(\.description))
        }
    }

    @Test func unreadableRevisionIsNeverAnEmptyState() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(Self.validFiles())
            try scenario.apply(first)
            let before = try scenario.snapshot()
            let outcome = try scenario.apply("no-such-branch")
            #expect(outcome.run.outcome == .failed)
            #expect(outcome.failure == .transient)
            #expect(outcome.commit == nil)
            #expect(outcome.error?.contains("no-such-branch") == true, "\(outcome.error ?? "")")
            #expect(try scenario.snapshot() == before)
            let run = try #require(try scenario.store.runs(limit: 1).first)
            #expect(run.outcome == .failed)
            #expect(run.revision == nil)
            #expect(run.errors == [outcome.error!])
        }
    }

    @Test func missingRepositoryIsATransientFailure() throws {
        try withReconcileScenario { scenario in
            try scenario.apply(try scenario.commit(Self.validFiles()))
            let before = try scenario.snapshot()
            let reconciler = RevisionReconciler(repositoryPath: scenario.directory + "/nowhere", store: try scenario.store)
            let outcome = reconciler.reconcile(revision: "main")
            #expect(outcome.run.outcome == .failed)
            #expect(outcome.failure == .transient)
            #expect(try scenario.snapshot() == before)
        }
    }
}
