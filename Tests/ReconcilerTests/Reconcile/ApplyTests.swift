import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// Applying revisions of a real repository to a real SQLite database.
@Suite struct ReconcileApplyTests {
    @Test func createUpdateAndDeleteAcrossCommits() throws {
        try withReconcileScenario { scenario in
            var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma", "delta"])
            files["bots/operators.yaml"] = ReconcileYAML.operator("alice")
            let first = try scenario.commit(files, message: "four bots")

            // 1. Create.
            let created = try scenario.apply(first)
            let createdRun = try #require(try scenario.store.runs(limit: 1).first)
            #expect(created.run.outcome == .applied)
            #expect(created.error == nil)
            #expect(created.succeeded)
            #expect(try #require(created.plan).reconcileLines == [
                "create Operator alice", "create Bot alpha", "create Bot beta", "create Bot delta", "create Bot gamma",
            ])
            // Every new bot gets its first key; operators have none.
            #expect(try #require(created.plan).keys.map { "\($0.action) \($0.bot) (\($0.reason))" } == [
                "issue alpha (bot created)", "issue beta (bot created)", "issue delta (bot created)", "issue gamma (bot created)",
            ])
            let live1 = try scenario.store.liveState()
            #expect(live1.appliedRevision == first.id.hex)
            #expect(live1.isUntouchedSinceApply)
            #expect(Set(live1[.bot].keys) == ["alpha", "beta", "gamma", "delta"])
            #expect(Set(live1[.operator].keys) == ["alice"])
            for (name, bot) in live1[.bot] {
                #expect(bot.revision == first.id.hex)
                #expect(bot.sourcePath == "bots/\(name).yaml")
                #expect(bot.blobID == ObjectID.forBlob(Array(files["bots/\(name).yaml"]!.utf8)).hex)
                #expect(bot.deletedAt == nil)
                #expect(bot.createdAt == bot.updatedAt)
                #expect(bot.createdAt == createdRun.finishedAt)
            }
            for name in ["alpha", "beta", "gamma", "delta"] {
                let entries = try scenario.store.audit(kind: .bot, name: name)
                let audit = entries.filter { !$0.action.hasPrefix("key-") }
                #expect(audit.map(\.action) == ["create"])
                #expect(audit.first?.actor == "git:\(first.id.short)")
                #expect(audit.first?.runID == created.run.id)
                // And exactly one key issued for it, by the same run, after the create.
                let keyEntries = entries.filter { $0.action.hasPrefix("key-") }
                #expect(entries.map(\.action) == ["create", "key-issue"])
                #expect(keyEntries.first?.objectKind == "Bot")
                #expect(keyEntries.first?.actor == "git:\(first.id.short)")
                #expect(keyEntries.first?.runID == created.run.id)
                let issued = try keyAuditDetails(try #require(keyEntries.first))
                #expect(issued["reason"] as? String == "bot created")
                #expect(issued["source"] == nil)
                let stored = try scenario.store.keys(bot: name)
                #expect(stored.count == 1)
                #expect(stored.first?.state == .active)
                #expect(issued["keyID"] as? String == stored.first?.id)
                #expect(issued["display"] as? String == stored.first?.display)
            }
            #expect(try scenario.store.audit(kind: .operator, name: "alice").map(\.action) == ["create"])
            let createdAt = try #require(live1[.bot]["alpha"]).createdAt
            let deltaBefore = try #require(live1[.bot]["delta"])
            let deltaSpec = try scenario.store.specJSON(.bot, names: ["delta"])["delta"]

            // 2. Update alpha, add epsilon, remove delta.
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", perHour: 200, tier: "gold")
            files["bots/epsilon.yaml"] = ReconcileYAML.bot("epsilon")
            files["bots/delta.yaml"] = nil
            let second = try scenario.commit(files, message: "update, add, remove")
            let changed = try scenario.apply(second)
            let changedRun = try #require(try scenario.store.runs(limit: 1).first)
            #expect(changed.run.outcome == .applied)
            #expect(changed.error == nil)
            let plan = try #require(changed.plan)
            #expect(plan.reconcileLines == ["update Bot alpha", "delete Bot delta", "create Bot epsilon"])
            #expect(plan.reconcileFields("alpha") == [
                "metadata.labels.tier: \"silver\" -> \"gold\"",
                "spec.rateLimits.perHour: 100 -> 200",
            ])
            #expect(plan.unchanged[.bot] == 2)
            #expect(plan.unchanged[.operator] == 1)
            // epsilon gets a key, delta loses its key; alpha's update does not rotate.
            #expect(plan.keys.map { "\($0.action) \($0.bot) (\($0.reason))" } == [
                "revoke delta (bot deleted)", "issue epsilon (bot created)",  // ordered by bot name
            ])
            #expect(plan.summary == "1 to create, 1 to update, 1 to delete, 3 unchanged; 2 key actions")

            let live2 = try scenario.store.liveState()
            #expect(live2.appliedRevision == second.id.hex)
            let alpha = try #require(live2[.bot]["alpha"])
            #expect(alpha.revision == second.id.hex)
            #expect(alpha.createdAt == createdAt)
            #expect(alpha.updatedAt == changedRun.finishedAt)
            #expect(alpha.updatedAt > createdAt)
            #expect(alpha.specHash != live1[.bot]["alpha"]?.specHash)
            #expect(try #require(live2[.bot]["epsilon"]).revision == second.id.hex)
            // Untouched bots keep the revision that last changed them.
            #expect(live2[.bot]["beta"] == live1[.bot]["beta"])
            #expect(live2[.bot]["gamma"] == live1[.bot]["gamma"])
            // Soft deletion: no longer served, its data kept.
            let delta = try #require(live2[.bot]["delta"])
            #expect(delta.isDeleted)
            #expect(delta.deletedAt == changedRun.finishedAt)
            #expect(delta.specHash == deltaBefore.specHash)
            #expect(delta.createdAt == deltaBefore.createdAt)
            #expect(try scenario.store.specJSON(.bot, names: ["delta"])["delta"] == deltaSpec)
            let served = try scenario.store.specs(.bot, as: BotSpec.self)
            #expect(Set(served.keys) == ["alpha", "beta", "gamma", "epsilon"])
            #expect(served["alpha"]?.rateLimits.perHour == 200)
            #expect(served["alpha"]?.metadata.labels["tier"] == "gold")
            #expect(served["beta"]?.rateLimits.perHour == 100)

            // One audit entry per change, with field paths.
            let runAudit = try scenario.store.audit().filter { $0.runID == changed.run.id }
            #expect(runAudit.filter { !$0.action.hasPrefix("key-") }.map { "\($0.action) \($0.objectKind) \($0.objectName)" }
                    == plan.reconcileLines)
            // And one per key action, after the object changes, in plan order.
            #expect(runAudit.map { "\($0.action) \($0.objectKind) \($0.objectName)" } == plan.reconcileLines + [
                "key-revoke Bot delta", "key-issue Bot epsilon",
            ])
            #expect(runAudit.filter { $0.action.hasPrefix("key-") }.map { "\($0.action) \($0.objectName)" }
                    == plan.keys.map { "key-\($0.action.rawValue) \($0.bot)" })
            #expect(runAudit.allSatisfy { $0.actor == "git:\(second.id.short)" && $0.at == changedRun.finishedAt })
            let alphaEntries = try scenario.store.audit(kind: .bot, name: "alpha")
            #expect(alphaEntries.map(\.action) == ["create", "key-issue", "update"], "an update does not rotate the key")
            let alphaAudit = alphaEntries.filter { !$0.action.hasPrefix("key-") }
            #expect(alphaAudit.map(\.action) == ["create", "update"])
            let update = try ReconcileAuditChanges(alphaAudit[1])
            #expect(update.source == "bots/alpha.yaml")
            #expect(update.specHash == alpha.specHash)
            #expect(update.fields == [
                .init(path: "metadata.labels.tier", from: .string("silver"), to: .string("gold")),
                .init(path: "spec.rateLimits.perHour", from: .number(100), to: .number(200)),
            ])
            let deltaEntries = try scenario.store.audit(kind: .bot, name: "delta")
            let deltaAudit = deltaEntries.filter { !$0.action.hasPrefix("key-") }
            #expect(deltaAudit.map(\.action) == ["create", "delete"])
            #expect(try ReconcileAuditChanges(deltaAudit[1]).source == "bots/delta.yaml")
            // delta's key: issued when it was created, revoked with its deletion.
            let deltaKeyEntries = deltaEntries.filter { $0.action.hasPrefix("key-") }
            try #require(deltaKeyEntries.map(\.action) == ["key-issue", "key-revoke"])
            #expect(deltaKeyEntries.map(\.runID) == [created.run.id, changed.run.id])
            let deltaIssued = try keyAuditDetails(deltaKeyEntries[0])
            let deltaRevoked = try keyAuditDetails(deltaKeyEntries[1])
            #expect(deltaRevoked["reason"] as? String == "bot deleted")
            #expect(deltaRevoked["keyID"] as? String == deltaIssued["keyID"] as? String)
            #expect(deltaRevoked["source"] == nil)
            #expect(try scenario.store.keys(bot: "delta").map(\.state) == [.revoked])
            #expect(live2.keys["delta"] == nil)
            let epsilonEntries = try scenario.store.audit(kind: .bot, name: "epsilon")
            #expect(epsilonEntries.filter { !$0.action.hasPrefix("key-") }.map(\.action) == ["create"])
            #expect(epsilonEntries.filter { $0.action.hasPrefix("key-") }.map(\.action) == ["key-issue"])
            #expect(try keyAuditDetails(try #require(epsilonEntries.last))["reason"] as? String == "bot created")
            #expect(try scenario.store.keys(bot: "epsilon").map(\.state) == [.active])
            #expect(try scenario.store.audit(kind: .bot, name: "beta").map(\.action) == ["create", "key-issue"])

            // Runs, newest first, with their outcome and plan summary.
            let runs = try scenario.store.runs(limit: 10)
            #expect(runs.map(\.outcome) == [.applied, .applied])
            #expect(runs.map(\.revision) == [second.id.hex, first.id.hex])
            #expect(runs.map(\.id) == [changed.run.id, created.run.id])
            #expect(runs.allSatisfy { $0.trigger.rawValue == "test" && $0.errors.isEmpty })
            #expect(try reconcileSummary(runs[0]) == [
                "create": 1, "update": 1, "delete": 1, "restore": 0, "move": 0, "unchanged": 3, "documents": 0, "keys": 2,
            ])
            #expect(try reconcileSummary(runs[1])["create"] == 5)
            #expect(try reconcileSummary(runs[1])["keys"] == 4)
            #expect(runs[0].startedAt <= runs[0].finishedAt)

            // 3. Removing a bot that is already deleted changes nothing more.
            files["bots/gamma.yaml"] = ReconcileYAML.bot("gamma", perHour: 50)
            let third = try scenario.commit(files, message: "only gamma changes")
            let again = try scenario.apply(third)
            #expect(try #require(again.plan).reconcileLines == ["update Bot gamma"])
            #expect(again.plan?.keys.isEmpty == true, "no key is revoked twice, gamma's update does not rotate")
            #expect(try scenario.store.liveState()[.bot]["delta"]?.deletedAt == delta.deletedAt)
            #expect(try scenario.store.audit(kind: .bot, name: "delta").map(\.action) == ["create", "key-issue", "delete", "key-revoke"])
        }
    }

    @Test
    func outcomeRunIsTheRecordedRun() throws {
        try withReconcileScenario { scenario in
            let applied = try scenario.apply(try scenario.commit(ReconcileYAML.botFiles(["alpha"])))
            // ReconcileOutcome.run is documented as "the run as recorded in the store".
            #expect(try scenario.store.runs(limit: 1).first == applied.run)
        }
    }

    @Test func sameRevisionTwiceIsARecordedNoop() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(ReconcileYAML.botFiles(["alpha", "beta"]))
            #expect(try scenario.apply(first).run.outcome == .applied)
            let before = try scenario.snapshot()
            let again = try scenario.apply(first)
            #expect(again.run.outcome == .noop)
            #expect(again.succeeded)
            #expect(again.error == nil)
            #expect(again.plan?.hasChanges == false)
            #expect(try scenario.snapshot() == before)
            let runs = try scenario.store.runs()
            #expect(runs.map(\.outcome) == [.noop, .applied])
            #expect(runs[0].revision == first.id.hex)
            #expect(runs[0].id == again.run.id)
            #expect(runs[0].errors.isEmpty)
            // And a third time: still a no-op, still recorded.
            #expect(try scenario.apply("main").run.outcome == .noop)
            #expect(try scenario.store.runs().map(\.outcome) == [.noop, .noop, .applied])
            #expect(try scenario.snapshot() == before)
        }
    }

    @Test func reAddAfterDeleteRestoresTheSameBotWithItsHistory() throws {
        try withReconcileScenario { scenario in
            var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma"])
            let first = try scenario.commit(files)
            try scenario.apply(first)
            let original = try #require(try scenario.store.liveState()[.bot]["gamma"])

            files["bots/gamma.yaml"] = nil
            let removed = try scenario.commit(files, message: "remove gamma")
            let deletion = try scenario.apply(removed)
            #expect(try #require(deletion.plan).reconcileLines == ["delete Bot gamma"])
            #expect(try #require(deletion.plan).keys.map { "\($0.action) \($0.bot) (\($0.reason))" } == ["revoke gamma (bot deleted)"])
            #expect(try scenario.store.liveState()[.bot]["gamma"]?.isDeleted == true)

            // An unrelated commit while gamma is gone: it stays deleted, nothing is re-deleted.
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", perHour: 120)
            let unrelated = try scenario.commit(files, message: "alpha")
            let unrelatedPlan = try #require(try scenario.apply(unrelated).plan)
            #expect(unrelatedPlan.reconcileLines == ["update Bot alpha"])
            #expect(unrelatedPlan.keys.isEmpty, "a deleted bot gets no key")

            // Re-added, with a different limit and from another file.
            files["bots/team/gamma.yaml"] = ReconcileYAML.bot("gamma", perHour: 300)
            let readded = try scenario.commit(files, message: "gamma is back")
            let planned = try scenario.planAgainstStore(readded)
            #expect(try #require(planned.plan).reconcileLines == ["restore Bot gamma"])
            #expect(try #require(planned.plan).keys.map { "\($0.action) \($0.bot) (\($0.reason))" } == ["issue gamma (bot restored)"])
            let restore = try scenario.apply(readded)
            let restoreRun = try #require(try scenario.store.runs(limit: 1).first)
            #expect(restore.run.outcome == .applied)
            let plan = try #require(restore.plan)
            #expect(plan.reconcileLines == ["restore Bot gamma"])
            #expect(plan.changes.first?.source == "bots/team/gamma.yaml")
            #expect(plan.reconcileFields("gamma") == ["spec.rateLimits.perHour: 100 -> 300"])
            #expect(plan.keys.map { "\($0.action) \($0.bot) (\($0.reason))" } == ["issue gamma (bot restored)"])
            #expect(plan.summary == "0 to create, 0 to update, 0 to delete, 1 to restore, 2 unchanged; 1 key action")

            let gamma = try #require(try scenario.store.liveState()[.bot]["gamma"])
            #expect(gamma.createdAt == original.createdAt)
            #expect(gamma.deletedAt == nil)
            #expect(!gamma.isDeleted)
            #expect(gamma.revision == readded.id.hex)
            #expect(gamma.sourcePath == "bots/team/gamma.yaml")
            #expect(gamma.updatedAt == restoreRun.finishedAt)
            #expect(try scenario.store.specs(.bot, as: BotSpec.self)["gamma"]?.rateLimits.perHour == 300)

            let entries = try scenario.store.audit(kind: .bot, name: "gamma")
            let history = entries.filter { !$0.action.hasPrefix("key-") }
            #expect(history.map(\.action) == ["create", "delete", "restore"])
            #expect(history.map(\.actor) == ["git:\(first.id.short)", "git:\(removed.id.short)", "git:\(readded.id.short)"])
            // Its key: issued, revoked with the deletion, and a new one issued on restore.
            let keyHistory = entries.filter { $0.action.hasPrefix("key-") }
            try #require(keyHistory.map(\.action) == ["key-issue", "key-revoke", "key-issue"])
            #expect(keyHistory.map(\.actor) == ["git:\(first.id.short)", "git:\(removed.id.short)", "git:\(readded.id.short)"])
            let keys = try scenario.store.keys(bot: "gamma")
            #expect(keys.count == 2)
            #expect(keys.filter { $0.state == .active }.count == 1)
            #expect(keys.filter { $0.state == .revoked }.count == 1)
            let reissued = try keyAuditDetails(keyHistory[2])
            #expect(reissued["keyID"] as? String == keys.first { $0.state == .active }?.id)
            #expect(reissued["keyID"] as? String != (try keyAuditDetails(keyHistory[0])["keyID"] as? String))
            let restored = try ReconcileAuditChanges(history[2])
            #expect(restored.fields?.map(\.path) == ["spec.rateLimits.perHour"])
            #expect(restored.source == "bots/team/gamma.yaml")
        }
    }

    @Test func restoreWithTheSameSpecHasNoFieldChanges() throws {
        try withReconcileScenario { scenario in
            var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma"])
            try scenario.apply(try scenario.commit(files))
            let gamma = files.removeValue(forKey: "bots/gamma.yaml")
            try scenario.apply(try scenario.commit(files))
            files["bots/gamma.yaml"] = gamma
            let outcome = try scenario.apply(try scenario.commit(files))
            #expect(try #require(outcome.plan).reconcileLines == ["restore Bot gamma"])
            #expect(outcome.plan?.changes.first?.fields == [])
            #expect(try scenario.store.liveState()[.bot]["gamma"]?.isDeleted == false)
        }
    }

    @Test func movingADeclarationToAnotherFileIsAMove() throws {
        try withReconcileScenario { scenario in
            var files = ReconcileYAML.botFiles(["alpha", "beta"])
            try scenario.apply(try scenario.commit(files))
            let before = try #require(try scenario.store.liveState()[.bot]["beta"])
            files["bots/team/beta.yml"] = files.removeValue(forKey: "bots/beta.yaml")
            let moved = try scenario.commit(files)
            let outcome = try scenario.apply(moved)
            #expect(outcome.run.outcome == .applied)
            let plan = try #require(outcome.plan)
            #expect(plan.reconcileLines == ["move Bot beta"])
            #expect(plan.reconcileFields("beta") == ["source: \"bots/beta.yaml\" -> \"bots/team/beta.yml\""])
            let after = try #require(try scenario.store.liveState()[.bot]["beta"])
            #expect(after.sourcePath == "bots/team/beta.yml")
            #expect(after.specHash == before.specHash)
            // The spec did not change, so neither does the revision that last changed it.
            #expect(after.revision == before.revision)
            let betaAudit = try scenario.store.audit(kind: .bot, name: "beta")
            #expect(betaAudit.filter { !$0.action.hasPrefix("key-") }.map(\.action) == ["create", "move"])
            // A move neither issues nor rotates: beta keeps the key it got when created.
            #expect(plan.keys.isEmpty)
            #expect(betaAudit.filter { $0.action.hasPrefix("key-") }.map(\.action) == ["key-issue"])
        }
    }

    @Test func stateChangedOutsideNectarIsRepairedBySameRevision() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(ReconcileYAML.botFiles(["alpha", "beta"]))
            try scenario.apply(first)
            let good = try scenario.snapshot()
            // Someone edits the database by hand.
            try ReconcileSQL.execute(path: scenario.dbPath, "UPDATE bot SET spec_hash = 'tampered' WHERE name = 'beta'")
            try ReconcileSQL.execute(path: scenario.dbPath, "UPDATE bot SET deleted_at = 1 WHERE name = 'alpha'")
            #expect(try scenario.store.liveState().isUntouchedSinceApply == false)
            // The same revision is not skipped: it is planned and repairs the state.
            let repaired = try scenario.apply(first)
            #expect(repaired.run.outcome == .applied)
            #expect(try #require(repaired.plan).reconcileLines == ["restore Bot alpha", "update Bot beta"])
            let after = try scenario.snapshot()
            #expect(after.specs == good.specs)
            #expect(after.objects[.bot]?["beta"]?.specHash == good.objects[.bot]?["beta"]?.specHash)
            #expect(after.objects[.bot]?["alpha"]?.isDeleted == false)
            #expect(try scenario.store.liveState().isUntouchedSinceApply)
            #expect(try scenario.apply(first).run.outcome == .noop)
        }
    }

    @Test func unchangedBlobsAreNotParsedAgain() throws {
        try withReconcileScenario { scenario in
            var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma"])
            let first = try scenario.commit(files)
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta", perHour: 7)
            let second = try scenario.commit(files)
            let cache = DeclarationCache()
            let loader = RevisionLoader(declarationsPath: "bots", cache: cache)
            let one = try loader.load(GitRevisionFiles(repository: scenario.repository, revision: first.id.hex))
            #expect(one.filesRead == 3)
            #expect(one.filesFromCache == 0)
            let two = try loader.load(GitRevisionFiles(repository: scenario.repository, revision: second.id.hex))
            #expect(two.filesRead == 3)
            #expect(two.filesFromCache == 2)
            #expect(cache.count == 4)
        }
    }

    /// The live state is read for planning before the write transaction
    /// starts. A write landing in between (another `nectar apply`, a hand
    /// edit) must not be silently absorbed: afterwards the store must not
    /// claim to be exactly at the revision while it is not.
    @Test
    func writeBetweenPlanAndApplyIsNotSilentlyAbsorbed() throws {
        try withReconcileScenario { scenario in
            var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma"])
            try scenario.apply(try scenario.commit(files))
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", perHour: 321)
            let next = try scenario.commit(files)

            // The reconciler reads the clock once when it starts, once just
            // before it writes, and once to record the run: the second reading
            // is the moment between plan and apply.
            final class Interleaver: @unchecked Sendable {
                var calls = 0
                let path: String
                init(path: String) { self.path = path }
            }
            let interleaver = Interleaver(path: scenario.dbPath)
            let reconciler = RevisionReconciler(repositoryPath: scenario.repoPath, store: try scenario.store, now: {
                interleaver.calls += 1
                if interleaver.calls == 2 {
                    try? ReconcileSQL.execute(path: interleaver.path, "UPDATE bot SET deleted_at = 1 WHERE name = 'beta'")
                }
                return Date(timeIntervalSince1970: 1_900_000_000 + Double(interleaver.calls))
            })
            let outcome = reconciler.reconcile(revision: next.id.hex)
            #expect(interleaver.calls >= 2)
            let live = try scenario.store.liveState()
            let beta = try #require(live[.bot]["beta"])
            // The revision declares beta; either the apply noticed the concurrent
            // write, or the marker must not say the state is exactly the revision.
            let claimsRevision = outcome.run.outcome == .applied && live.appliedRevision == next.id.hex && live.isUntouchedSinceApply
            #expect(!(claimsRevision && beta.isDeleted), "beta is deleted but the store claims to be untouched at \(next.id.short)")
            // And re-applying the revision repairs it rather than skipping it.
            _ = try scenario.apply(next)
            #expect(try scenario.store.liveState()[.bot]["beta"]?.isDeleted == false)
        }
    }

    @Test func aKnowledgeFileTooLargeToIndexAppliesNothing() throws {
        try withReconcileScenario { scenario in
            var files: [String: String] = [
                "bots/jars.yaml": ReconcileYAML.honeyJar("shop", sources: ["knowledge/*.md"]),
                "bots/alpha.yaml": ReconcileYAML.bot("alpha", honeyJars: ["shop"]),
                "knowledge/a.md": "# A\n\nsmall\n",
            ]
            try scenario.apply(try scenario.commit(files))
            let before = try scenario.snapshot()
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta")
            files["knowledge/huge.md"] = "# Huge\n\n" + String(repeating: "honey ", count: (5 << 20) / 6)
            let next = try scenario.commit(files)
            let outcome = try scenario.apply(next)
            #expect(outcome.run.outcome == .failed)
            #expect(outcome.error?.contains("knowledge/huge.md") == true, "\(outcome.error ?? "")")
            #expect(try scenario.snapshot() == before)
            #expect(try scenario.store.runs(limit: 1).first?.outcome == .failed)
        }
    }

    @Test
    func aKnowledgeFileTooLargeToIndexIsAStalledFailure() throws {
        try withReconcileScenario { scenario in
            let files: [String: String] = [
                "bots/jars.yaml": ReconcileYAML.honeyJar("shop", sources: ["knowledge/*.md"]),
                "knowledge/huge.md": "# Huge\n\n" + String(repeating: "honey ", count: (5 << 20) / 6),
            ]
            let outcome = try scenario.apply(try scenario.commit(files))
            #expect(outcome.run.outcome == .failed)
            #expect(outcome.failure == .stalled)
        }
    }
}

/// The `changes` JSON of a key audit entry (`key-issue`, `key-revoke`, ...):
/// `reason`, `keyID`, and for a new key `display` and `generation`.
private func keyAuditDetails(_ entry: AuditEntry) throws -> [String: Any] {
    #expect(entry.action.hasPrefix("key-"), "\(entry.action) is not a key entry")
    return try #require(try JSONSerialization.jsonObject(with: Data(entry.changes.utf8)) as? [String: Any])
}
