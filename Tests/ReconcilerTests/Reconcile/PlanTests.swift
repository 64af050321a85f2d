import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// Planning: canonical comparison, and `plan --base` agreeing with `apply`.
@Suite struct ReconcilePlanTests {
    static let supportBlock = """
        apiVersion: nectar/v1
        kind: HoneyJar
        metadata:
          name: shop-faq
        spec:
          description: Shop FAQ
          sources: ["knowledge/*.md"]
        ---
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: support
          owner: team-support
          labels:
            tier: gold
            region: eu
        spec:
          displayName: Support
          description: Answers questions about orders.
          systemPrompt: |
            You are a friendly assistant.
            Be brief.
          honeyJars: [shop-faq]
          rateLimits:
            perHour: 100
            perDay: 1000
          handoff:
            enabled: true
            keywords: [human, agent]
            sla: {critical: 15m, high: 1h}
          apiKeys:
            generation: 1
            rotateEvery: 30d

        """

    /// The same declarations: keys reordered, flow and block style swapped,
    /// other indentation, quoting, comments, documents in another order,
    /// equivalent scalars (`0x64`, `720h`, `60m`) and an explicit default.
    static let supportReformatted = """
        # Support bot, reformatted: nothing here changes its meaning.
        kind: Bot            # kind first now
        apiVersion: "nectar/v1"
        spec:
            apiKeys: {rotateEvery: 720h, generation: 1}
            handoff:
                sla:
                    high: 60m
                    critical: 15m
                keywords:
                    - human
                    - 'agent'
                enabled: true
            rateLimits: {perDay: 1000, perHour: 0x64}
            honeyJars:
                - shop-faq
            systemPrompt: "You are a friendly assistant.\\nBe brief.\\n"
            description: >-
                Answers questions
                about orders.
            displayName: 'Support'
            status: active   # the default, spelled out
        metadata: {labels: {region: eu, tier: gold}, owner: team-support, name: support}
        ...
        ---
        # The jar comes second now.
        apiVersion: nectar/v1
        kind: HoneyJar
        metadata:
           name: shop-faq
        spec: {sources: ['knowledge/*.md'], description: "Shop FAQ"}

        """

    static func baseFiles() -> [String: String] {
        [
            "bots/support.yaml": supportBlock,
            "bots/other.yaml": ReconcileYAML.bot("other"),
            "bots/people.yaml": ReconcileYAML.operator("alice"),
            "knowledge/faq.md": "# FAQ\n\nOrders ship in two days.\n",
        ]
    }

    @Test func reformatOnlyCommitIsANoop() throws {
        try withReconcileScenario { scenario in
            var files = Self.baseFiles()
            let first = try scenario.commit(files)
            #expect(try scenario.apply(first).run.outcome == .applied)
            let before = try scenario.snapshot()

            files["bots/support.yaml"] = Self.supportReformatted
            files["bots/people.yaml"] = "# People who work handoffs.\n" + ReconcileYAML.operator("alice")
                .replacingOccurrences(of: "spec: {email: alice@example.com, role: agent, teams: [team-support]}",
                                      with: "spec:\n  teams: [team-support]   # one team\n  role: agent\n  email: \"alice@example.com\"")
            let second = try scenario.commit(files, message: "reformat")

            // plan --base: nothing.
            let between = try scenario.planBetween(first, second)
            #expect(between.valid)
            let plan = try #require(between.plan)
            #expect(!plan.hasChanges)
            #expect(plan.changes.isEmpty)
            #expect(plan.documents.isEmpty)
            #expect(plan.unchanged == [.honeyJar: 1, .keyRotationPolicy: 0, .operator: 1, .bot: 2])
            #expect(plan.summary == "0 to create, 0 to update, 0 to delete, 4 unchanged")
            #expect(between.refusal == nil)
            // plan --db: nothing.
            #expect(try scenario.planAgainstStore(second).hasChanges == false)

            // apply: a recorded no-op that changes no spec and writes no audit entry.
            let outcome = try scenario.apply(second)
            #expect(outcome.run.outcome == .noop)
            #expect(outcome.error == nil)
            #expect(outcome.plan?.hasChanges == false)
            let after = try scenario.snapshot()
            #expect(after.specs == before.specs)
            #expect(after.auditCount == before.auditCount)
            #expect(after.appliedRevision == second.id.hex)
            for kind in ObjectKind.allCases {
                for (name, object) in before.objects[kind] ?? [:] {
                    let now = try #require(after.objects[kind]?[name])
                    #expect(now.specHash == object.specHash)
                    #expect(now.revision == object.revision, "the spec did not change, so neither does its revision")
                    #expect(now.createdAt == object.createdAt)
                    #expect(now.updatedAt == object.updatedAt)
                    #expect(now.deletedAt == nil)
                }
            }
            // The live state points at the new blobs, so the next plan stays empty.
            #expect(after.objects[.bot]?["support"]?.blobID == ObjectID.forBlob(Array(Self.supportReformatted.utf8)).hex)
            #expect(after.objects[.bot]?["other"]?.blobID == before.objects[.bot]?["other"]?.blobID)
            let runs = try scenario.store.runs()
            #expect(runs.map(\.outcome) == [.noop, .applied])
            #expect(runs[0].revision == second.id.hex)
            #expect(try reconcileSummary(runs[0]) == [
                "create": 0, "update": 0, "delete": 0, "restore": 0, "move": 0, "unchanged": 4, "documents": 0, "keys": 0,
            ])

            // Applying it again: a no-op again, nothing written but the run.
            let again = try scenario.apply(second)
            #expect(again.run.outcome == .noop)
            #expect(try scenario.snapshot() == after)
            #expect(try scenario.store.runs().map(\.outcome) == [.noop, .noop, .applied])
        }
    }

    @Test func aRealChangeNextToReformattingIsTheOnlyChange() throws {
        try withReconcileScenario { scenario in
            var files = Self.baseFiles()
            let first = try scenario.commit(files)
            try scenario.apply(first)
            files["bots/support.yaml"] = Self.supportReformatted.replacingOccurrences(of: "perHour: 0x64", with: "perHour: 150")
            let second = try scenario.commit(files)
            let plan = try #require(try scenario.planBetween(first, second).plan)
            #expect(plan.reconcileLines == ["update Bot support"])
            #expect(plan.reconcileFields("support") == ["spec.rateLimits.perHour: 100 -> 150"])
            let outcome = try scenario.apply(second)
            #expect(outcome.run.outcome == .applied)
            #expect(outcome.plan?.changes == plan.changes)
        }
    }

    /// Files for the agreement test: every kind of change between two revisions.
    static func agreementRevisions() -> (first: [String: String], second: [String: String]) {
        var first: [String: String] = [
            "bots/jars.yaml": ReconcileYAML.documents(
                ReconcileYAML.honeyJar("faq", sources: ["knowledge/faq/*.md"]),
                ReconcileYAML.honeyJar("guides", sources: ["knowledge/guides/*.md"])),
            "bots/operators.yaml": ReconcileYAML.documents(ReconcileYAML.operator("alice"), ReconcileYAML.operator("bob")),
            "knowledge/faq/a.md": "# A\n\nAlpha answers.\n",
            "knowledge/faq/b.md": "# B\n\nBeta answers.\n",
            "knowledge/faq/c.md": "# C\n\nGamma answers.\n",
            "knowledge/guides/g.md": "# Guide\n\nHives.\n",
        ]
        for name in ["alpha", "beta", "delta", "eta"] { first["bots/\(name).yaml"] = ReconcileYAML.bot(name) }
        var second = first
        second["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", perHour: 150, honeyJars: ["faq"])
        second["bots/beta.yaml"] = nil
        second["bots/team/delta.yaml"] = second.removeValue(forKey: "bots/delta.yaml")
        second["bots/zeta.yaml"] = ReconcileYAML.bot("zeta", tier: "gold")
        second["bots/jars.yaml"] = ReconcileYAML.honeyJar("faq", sources: ["knowledge/faq/*.md"])
            .replacingOccurrences(of: "Knowledge for faq", with: "Frequently asked questions")
        second["bots/operators.yaml"] = ReconcileYAML.operator("alice")
        second["knowledge/faq/a.md"] = "# A\n\nAlpha answers, revised.\n"
        second["knowledge/faq/b.md"] = nil
        second["knowledge/faq/d.md"] = "# D\n\nDelta answers.\n"
        return (first, second)
    }

    @Test func planBaseAgreesWithWhatApplyDoes() throws {
        try withReconcileScenario { scenario in
            let (firstFiles, secondFiles) = Self.agreementRevisions()
            let first = try scenario.commit(firstFiles)
            #expect(try scenario.apply(first).run.outcome == .applied)
            let second = try scenario.commit(secondFiles)

            let predicted = try #require(try scenario.planBetween(first, second).plan)
            #expect(predicted.reconcileLines == [
                "update HoneyJar faq", "delete HoneyJar guides",
                "delete Operator bob",
                "update Bot alpha", "delete Bot beta", "move Bot delta", "create Bot zeta",
            ])
            #expect(predicted.reconcileFields("alpha") == [
                "spec.honeyJars: [] -> [\"faq\"]", "spec.rateLimits.perHour: 100 -> 150",
            ])
            #expect(predicted.reconcileFields("faq", kind: .honeyJar) == [
                "spec.description: \"Knowledge for faq\" -> \"Frequently asked questions\"",
            ])
            #expect(predicted.reconcileFields("delta") == ["source: \"bots/delta.yaml\" -> \"bots/team/delta.yaml\""])
            #expect(predicted.documents.map { "\($0.action.rawValue) \($0.jar) \($0.path)" } == [
                "change faq knowledge/faq/a.md", "remove faq knowledge/faq/b.md", "add faq knowledge/faq/d.md",
                "remove guides knowledge/guides/g.md",
            ])
            // The deleted bot loses its key, the new one gets one; the
            // updated and the moved bot keep theirs.
            func keyLines(_ plan: ReconcilePlan) -> [String] { plan.keys.map { "\($0.action) \($0.bot) (\($0.reason))" } }
            #expect(keyLines(predicted) == ["revoke beta (bot deleted)", "issue zeta (bot created)"])
            #expect(predicted.summary == "1 to create, 2 to update, 3 to delete, 1 moved, 2 unchanged; 4 knowledge documents changed; 2 key actions")
            // plan --db says the same before the apply. (Key actions are
            // compared regardless of order: plan --base lists them in change
            // order, plan --db and apply list declared bots first.)
            let againstStore = try #require(try scenario.planAgainstStore(second).plan)
            #expect(againstStore.changes == predicted.changes)
            #expect(againstStore.documents == predicted.documents)
            #expect(againstStore.unchanged == predicted.unchanged)
            #expect(keyLines(againstStore).sorted() == keyLines(predicted).sorted())

            let outcome = try scenario.apply(second)
            #expect(outcome.run.outcome == .applied)
            let applied = try #require(outcome.plan)
            #expect(applied.changes == predicted.changes)
            #expect(applied.documents == predicted.documents)
            #expect(applied.unchanged == predicted.unchanged)
            #expect(keyLines(applied).sorted() == keyLines(predicted).sorted())
            #expect(applied.summary == predicted.summary)

            // What was recorded is what was predicted, change for change.
            let audited = try scenario.store.audit().filter { $0.runID == outcome.run.id }
            let recorded = audited.filter { !$0.action.hasPrefix("document-") && !$0.action.hasPrefix("key-") }
            #expect(recorded.map { "\($0.action) \($0.objectKind) \($0.objectName)" } == predicted.reconcileLines)
            // Key actions are audited too, one entry per action, in the order applied.
            let keyEntries = audited.filter { $0.action.hasPrefix("key-") }
            #expect(keyEntries.map { "\($0.action) \($0.objectKind) \($0.objectName)" }
                    == applied.keys.map { "key-\($0.action.rawValue) Bot \($0.bot)" })
            #expect(keyEntries.map { "\($0.action) \($0.objectName)" }.sorted() == ["key-issue zeta", "key-revoke beta"])
            // Knowledge documents are audited too, one entry per document change.
            let documentEntries = audited.filter { $0.action.hasPrefix("document-") }
            #expect(documentEntries.map { "\($0.action) \($0.objectName)" }
                    == predicted.documents.map { "document-\($0.action.rawValue) \($0.jar)" })
            for (entry, change) in zip(recorded, predicted.changes) {
                let details = try ReconcileAuditChanges(entry)
                #expect(details.source == change.source)
                #expect((details.fields ?? []).map(\.path) == change.fields.map(\.path))
                #expect((details.fields ?? []).map(\.to) == change.fields.map { $0.to ?? .null })
            }
            // And the live state is the second revision.
            let live = try scenario.store.liveState()
            #expect(live.documents == ["faq": [
                "knowledge/faq/a.md": ObjectID.forBlob(Array(secondFiles["knowledge/faq/a.md"]!.utf8)).hex,
                "knowledge/faq/c.md": ObjectID.forBlob(Array(secondFiles["knowledge/faq/c.md"]!.utf8)).hex,
                "knowledge/faq/d.md": ObjectID.forBlob(Array(secondFiles["knowledge/faq/d.md"]!.utf8)).hex,
            ]])
            #expect(live[.bot].filter { !$0.value.isDeleted }.keys.sorted() == ["alpha", "delta", "eta", "zeta"])
            #expect(live[.honeyJar].filter { !$0.value.isDeleted }.keys.sorted() == ["faq"])
            #expect(live[.operator].filter { !$0.value.isDeleted }.keys.sorted() == ["alice"])
            // Nothing left to do.
            #expect(try scenario.planAgainstStore(second).hasChanges == false)
            #expect(try scenario.apply(second).run.outcome == .noop)
        }
    }

    @Test func planAgainstANewDatabaseCreatesEverything() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(Self.baseFiles())
            let report = try scenario.planAgainstStore(first)
            #expect(report.base.source == "database")
            #expect(report.base.revision == nil)
            #expect(report.base.name == scenario.dbPath)
            let plan = try #require(report.plan)
            #expect(plan.reconcileLines == ["create HoneyJar shop-faq", "create Operator alice", "create Bot other", "create Bot support"])
            #expect(plan.documents.map(\.path) == ["knowledge/faq.md"])
            #expect(plan.keys.map { "\($0.action) \($0.bot) (\($0.reason))" } == ["issue other (bot created)", "issue support (bot created)"])
            // Planning writes nothing.
            #expect(try scenario.store.runs().isEmpty)
            #expect(try scenario.store.liveState().appliedRevision == nil)
            let outcome = try scenario.apply(first)
            #expect(outcome.plan?.changes == plan.changes)
            #expect(outcome.plan?.keys.map { "\($0.action) \($0.bot)" } == ["issue other", "issue support"])
        }
    }
}
