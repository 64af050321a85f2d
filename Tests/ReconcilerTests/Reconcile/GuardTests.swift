import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// The mass-delete and empty-state guards.
@Suite struct ReconcileGuardTests {
    static func names(_ count: Int) -> [String] { (1...count).map { "bot-\($0)" } }

    static func files(bots: [String]) -> [String: String] {
        var files = ReconcileYAML.botFiles(bots)
        files["bots/operators.yaml"] = ReconcileYAML.operator("alice")
        return files
    }

    /// Applies `bots`, then tries a revision with only `remaining`; checks a
    /// refusal left everything as it was. Returns the refused outcome and commit.
    static func refused(_ scenario: ReconcileScenario, bots: [String], remaining: [String],
                        policy: ApplyPolicy = ApplyPolicy()) throws -> (ReconcileOutcome, CommitInfo) {
        try scenario.apply(try scenario.commit(files(bots: bots)))
        let before = try scenario.snapshot()
        let next = try scenario.commit(files(bots: remaining), message: "delete some")
        let outcome = try scenario.apply(next, policy: policy)
        #expect(outcome.run.outcome == .refused)
        #expect(outcome.failure == .stalled)
        #expect(!outcome.succeeded)
        #expect(try scenario.snapshot() == before)
        let run = try #require(try scenario.store.runs(limit: 1).first)
        #expect(run.outcome == .refused)
        #expect(run.revision == next.id.hex)
        #expect(run.errors == [outcome.error ?? "?"])
        // The summary of what would have happened is kept with the refusal.
        #expect(try reconcileSummary(run)["delete"] == bots.count - remaining.count)
        return (outcome, next)
    }

    @Test func deletingEveryBotIsRefused() throws {
        try withReconcileScenario { scenario in
            let (outcome, next) = try Self.refused(scenario, bots: Self.names(3), remaining: [])
            #expect(outcome.error == "revision \(next.id.short) would delete every bot (3); pass --allow-mass-delete if that is intended")
            // plan predicts the refusal with the same sentence.
            #expect(try scenario.planAgainstStore(next).refusal == outcome.error)
            #expect(try scenario.planBetween(try scenario.repository.resolve("main~1"), next).refusal == outcome.error)

            let allowed = try scenario.apply(next, policy: ApplyPolicy(allowMassDelete: true))
            #expect(allowed.run.outcome == .applied)
            #expect(try #require(allowed.plan).count(.delete, kind: .bot) == 3)
            let live = try scenario.store.liveState()
            #expect(live[.bot].values.allSatisfy { $0.isDeleted })
            #expect(live[.operator]["alice"]?.isDeleted == false)
            #expect(live.appliedRevision == next.id.hex)
            #expect(try scenario.store.specs(.bot, as: BotSpec.self).isEmpty)
        }
    }

    @Test func deletingTheOnlyBotIsDeletingEveryBot() throws {
        try withReconcileScenario { scenario in
            let (outcome, _) = try Self.refused(scenario, bots: ["solo"], remaining: [])
            #expect(outcome.error?.contains("would delete every bot (1)") == true)
        }
    }

    @Test func deletingMoreThanAQuarterIsRefused() throws {
        try withReconcileScenario { scenario in
            let all = Self.names(8)
            let (outcome, next) = try Self.refused(scenario, bots: all, remaining: Array(all.prefix(5)))
            #expect(outcome.error == "revision \(next.id.short) would delete 3 of 8 bots (38%, more than the limit of 25%); pass --allow-mass-delete if that is intended")
            #expect(try scenario.planAgainstStore(next).refusal == outcome.error)
            // A higher limit lets it through.
            let allowed = try scenario.apply(next, policy: ApplyPolicy(maxDeletePercent: 40))
            #expect(allowed.run.outcome == .applied)
            #expect(try scenario.store.liveState()[.bot].values.filter(\.isDeleted).count == 3)
        }
    }

    @Test func allowMassDeleteLiftsThePercentageGuard() throws {
        try withReconcileScenario { scenario in
            let all = Self.names(8)
            let (_, next) = try Self.refused(scenario, bots: all, remaining: Array(all.prefix(2)))
            let allowed = try scenario.apply(next, policy: ApplyPolicy(allowMassDelete: true))
            #expect(allowed.run.outcome == .applied)
            #expect(try #require(allowed.plan).count(.delete) == 6)
        }
    }

    @Test func deletingExactlyTheLimitIsAllowed() throws {
        try withReconcileScenario { scenario in
            let all = Self.names(8)
            try scenario.apply(try scenario.commit(Self.files(bots: all)))
            let outcome = try scenario.apply(try scenario.commit(Self.files(bots: Array(all.prefix(6)))))
            #expect(outcome.run.outcome == .applied, "2 of 8 is 25%, not more than 25%")
            #expect(outcome.plan?.count(.delete) == 2)
        }
    }

    @Test func deletingOneOfThreeIsAllowed() throws {
        try withReconcileScenario { scenario in
            let all = Self.names(3)
            try scenario.apply(try scenario.commit(Self.files(bots: all)))
            // One of three is 33%, but a single delete never trips the percentage guard.
            let outcome = try scenario.apply(try scenario.commit(Self.files(bots: Array(all.prefix(2)))))
            #expect(outcome.run.outcome == .applied)
            #expect(outcome.error == nil)
            #expect(try #require(outcome.plan).reconcileLines == ["delete Bot bot-3"])
            #expect(try scenario.store.liveState()[.bot]["bot-3"]?.isDeleted == true)
        }
    }

    @Test func theShareIsOfLiveBotsNotOfEveryBotEverSeen() throws {
        try withReconcileScenario { scenario in
            let all = Self.names(8)
            try scenario.apply(try scenario.commit(Self.files(bots: all)))
            // 2 of 8: allowed; 6 remain live.
            #expect(try scenario.apply(try scenario.commit(Self.files(bots: Array(all.prefix(6))))).run.outcome == .applied)
            // 2 of the 6 live ones is 33%: refused, although it is 2 of 8 rows.
            let next = try scenario.commit(Self.files(bots: Array(all.prefix(4))))
            let outcome = try scenario.apply(next)
            #expect(outcome.run.outcome == .refused)
            #expect(outcome.error?.contains("would delete 2 of 6 bots (33%") == true, "\(outcome.error ?? "")")
        }
    }

    @Test func emptyRevisionIsRefused() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(Self.files(bots: Self.names(2)))
            try scenario.apply(first)
            let before = try scenario.snapshot()
            // No declaration file at all: only a README left.
            let empty = try scenario.commit(["README.md": "# nothing declared\n"], message: "empty")

            let refused = try scenario.apply(empty)
            #expect(refused.run.outcome == .refused)
            #expect(refused.error == "revision \(empty.id.short) declares nothing, which would delete all 3 live objects; pass --allow-empty if that is intended")
            #expect(try scenario.snapshot() == before)
            #expect(try scenario.planAgainstStore(empty).refusal == refused.error)
            #expect(try scenario.planBetween(first, empty).refusal == refused.error)

            // --allow-empty is the one consent an empty revision needs: it
            // deletes everything, bots included, without --allow-mass-delete.
            let applied = try scenario.apply(empty, policy: ApplyPolicy(allowEmpty: true))
            #expect(applied.run.outcome == .applied)
            #expect(try #require(applied.plan).count(.delete) == 3)
            let live = try scenario.store.liveState()
            #expect(live.objects.values.flatMap(\.values).allSatisfy { $0.isDeleted })
            #expect(live.appliedRevision == empty.id.hex)
            #expect(try scenario.store.runs().map(\.outcome) == [.applied, .refused, .applied])
        }
    }

    @Test func emptyDeclarationsDirectoryIsAnEmptyRevisionToo() throws {
        try withReconcileScenario { scenario in
            try scenario.apply(try scenario.commit(Self.files(bots: Self.names(2))))
            // bots/ holds only files that are not declarations.
            let empty = try scenario.commit(["bots/README.md": "see docs\n", "bots/notes.txt": "x\n"])
            let outcome = try scenario.apply(empty)
            #expect(outcome.run.outcome == .refused)
            #expect(outcome.error?.contains("declares nothing") == true)
        }
    }

    @Test func emptyRevisionOnAnEmptyDatabaseIsANoop() throws {
        try withReconcileScenario { scenario in
            let empty = try scenario.commit(["README.md": "nothing yet\n"])
            let outcome = try scenario.apply(empty)
            #expect(outcome.run.outcome == .noop)
            #expect(try scenario.store.liveState().appliedRevision == empty.id.hex)
        }
    }

    @Test func deletingOnlyNonBotsIsNotGuarded() throws {
        try withReconcileScenario { scenario in
            var files = Self.files(bots: Self.names(2))
            files["bots/operators.yaml"] = ReconcileYAML.documents(
                ReconcileYAML.operator("alice"), ReconcileYAML.operator("bob"), ReconcileYAML.operator("carol"))
            try scenario.apply(try scenario.commit(files))
            // Two of three operators go; removing every operator is guarded (ReconcileOperatorGuardTests).
            files["bots/operators.yaml"] = ReconcileYAML.operator("carol")
            let outcome = try scenario.apply(try scenario.commit(files))
            #expect(outcome.run.outcome == .applied)
            #expect(outcome.plan?.count(.delete, kind: .operator) == 2)
        }
    }
}
