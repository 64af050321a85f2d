import BotRuntime
import Foundation
import Testing

/// The store on real SQLite files in a temporary directory.
struct RuntimeStoreTests {
    /// Runs `body` with the path of a new database file in a temporary
    /// directory, and removes the directory afterwards.
    static func withTemporaryDatabase(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory.appendingPathComponent("nectar.sqlite").path)
    }

    static func write(_ spec: BotSpec, path: String = "bots/x.yaml") -> ObjectWrite {
        let form = CanonicalSpec.encode(spec)
        return ObjectWrite(kind: .bot, name: spec.name, specJSON: form.json, specHash: form.hash, sourcePath: path, blobID: String(repeating: "a", count: 40))
    }

    static func run(_ outcome: ReconcileRun.Outcome = .applied, revision: String) -> ReconcileRun {
        ReconcileRun(revision: revision, startedAt: Date(), finishedAt: Date(), outcome: outcome, trigger: ReconcileTrigger(rawValue: "test"), summary: "{}", errors: [])
    }

    @Test func applyWritesObjectsRunAndAuditTogether() throws {
        try Self.withTemporaryDatabase { path in
            let store = try RuntimeStore.open(path: path)
            var changes = ChangeSet(revision: "r1")
            changes.creates = [Self.write(BotSpec(metadata: ObjectMeta(name: "one")))]
            changes.audit = [AuditEntry(at: Date(), actor: "git:r1", action: "create", objectKind: "Bot", objectName: "one", changes: "{}")]
            let applied = try store.apply(changes, run: Self.run(revision: "r1"))
            let live = try store.liveState()
            #expect(live[.bot]["one"]?.revision == "r1")
            #expect(live.appliedRevision == "r1")
            #expect(live.isUntouchedSinceApply)
            #expect(live.stateVersion == applied.stateVersion)
            let audit = try store.audit(kind: .bot, name: "one")
            #expect(audit.map(\.action) == ["create"])
            #expect(audit.first?.runID == applied.runID)
            #expect(try store.runs().first?.outcome == .applied)
        }
    }

    @Test func aWriteOutsideNectarIsNoticed() throws {
        try Self.withTemporaryDatabase { path in
            let store = try RuntimeStore.open(path: path)
            var changes = ChangeSet(revision: "r1")
            changes.creates = [Self.write(BotSpec(metadata: ObjectMeta(name: "one")))]
            try store.apply(changes, run: Self.run(revision: "r1"))
            #expect(try store.appliedMarker().untouched)
            // A second connection edits the table directly, as sqlite3 would.
            let other = try RuntimeStore.open(path: path)
            try other.debugExecute("UPDATE bot SET spec_hash = 'edited' WHERE name = 'one'")
            #expect(try store.appliedMarker().untouched == false)
        }
    }

    @Test func liveStateApplyingMirrorsTheStore() throws {
        try Self.withTemporaryDatabase { path in
            let store = try RuntimeStore.open(path: path)
            var first = ChangeSet(revision: "r1")
            first.creates = [Self.write(BotSpec(metadata: ObjectMeta(name: "a"))), Self.write(BotSpec(metadata: ObjectMeta(name: "b")))]
            first.documentWrites = [DocumentWrite(jar: "j", path: "k/a.md", blobID: "b1", title: "A", body: "alpha bees")]
            try store.apply(first, run: Self.run(revision: "r1"))
            let before = try store.liveState()
            var second = ChangeSet(revision: "r2")
            var changed = BotSpec(metadata: ObjectMeta(name: "a"))
            changed.rateLimits.perHour = 7
            second.updates = [Self.write(changed, path: "bots/y.yaml")]
            second.deletes = [(.bot, "b")]
            second.documentRemovals = [("j", "k/a.md")]
            let applied = try store.apply(second, run: Self.run(revision: "r2"))
            let predicted = before.applying(second, at: Date(), stateVersion: applied.stateVersion)
            let actual = try store.liveState()
            for kind in ObjectKind.allCases {
                for (name, object) in actual[kind] {
                    #expect(predicted[kind][name]?.specHash == object.specHash)
                    #expect(predicted[kind][name]?.sourcePath == object.sourcePath)
                    #expect(predicted[kind][name]?.isDeleted == object.isDeleted)
                }
                #expect(Set(predicted[kind].keys) == Set(actual[kind].keys))
            }
            #expect(predicted.documents.mapValues { $0.count }.filter { $0.value > 0 } == actual.documents.mapValues { $0.count })
            #expect(predicted.appliedRevision == actual.appliedRevision)
            #expect(predicted.activeCounts == actual.activeCounts)
            #expect(predicted.stateVersion == actual.stateVersion)
        }
    }

    @Test func knowledgeIsSearchableWithinTheGivenJarsOnly() throws {
        try Self.withTemporaryDatabase { path in
            let store = try RuntimeStore.open(path: path)
            var changes = ChangeSet(revision: "r1")
            changes.documentWrites = [
                DocumentWrite(jar: "shop", path: "k/shipping.md", blobID: "1", title: "Shipping", body: "Orders ship within two days."),
                DocumentWrite(jar: "bees", path: "k/hive.md", blobID: "2", title: "Hives", body: "Inspect the hive every week; orders of bees ship in spring."),
            ]
            try store.apply(changes, run: Self.run(revision: "r1"))
            let hits = try store.searchKnowledge("when do orders ship?", jars: ["shop"])
            #expect(hits.map(\.path) == ["k/shipping.md"])
            #expect(try store.searchKnowledge("hive", jars: ["shop"]).isEmpty)
            #expect(try store.searchKnowledge("hive", jars: ["bees"]).map(\.path) == ["k/hive.md"])
        }
    }
}

/// A failed run's stored errors are bounded in count and length.
@Suite struct StoredRunErrorTests {
    @Test func aRunWithThousandsOfLongErrorsIsStoredCapped() throws {
        let store = try RuntimeStore.inMemory()
        let errors = (0..<5_000).map { "bots/b\($0).yaml:1:1: " + String(repeating: "x", count: 10_000) }
        let id = try store.record(ReconcileRun(revision: "abc", startedAt: Date(), finishedAt: Date(), outcome: .failed,
                                               trigger: .poll, summary: "{}", errors: errors))
        let stored = try #require(try store.runs(limit: 1).first)
        #expect(stored.id == id)
        #expect(stored.errors.count == ReconcileRun.maxStoredErrors + 1)
        #expect(stored.errors.dropLast().allSatisfy { $0.count == ReconcileRun.maxStoredErrorLength })
        #expect(stored.errors.first?.hasPrefix("bots/b0.yaml:1:1: xxx") == true)
        #expect(stored.errors.last == "… and 4900 more errors, not stored")
    }

    @Test func aFewShortErrorsAreStoredAsTheyAre() throws {
        let store = try RuntimeStore.inMemory()
        let errors = ["bots/a.yaml:1:1: one", "bots/b.yaml:2:3: two"]
        try store.record(ReconcileRun(revision: nil, startedAt: Date(), finishedAt: Date(), outcome: .failed,
                                      trigger: .poll, summary: "{}", errors: errors))
        #expect(try store.runs(limit: 1).first?.errors == errors)
    }
}
