import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// Honey-jar documents follow git by blob id and stay searchable.
@Suite struct ReconcileKnowledgeTests {
    static let shipping = "# Shipping times\n\nParcels leave the warehouse within two working days.\n"
    static let returns = "# Returns\n\nUnopened jars of honey can be returned within thirty days.\n"
    static let wax = "Beeswax candles are hand poured in small batches.\n"
    static let elsewhere = "# Elsewhere\n\nThis file is outside the shop jar: zeppelin.\n"

    static func blob(_ text: String) -> String { ObjectID.forBlob(Array(text.utf8)).hex }

    @Test func documentsFollowTheirBlobsAndAreSearchable() throws {
        try withReconcileScenario { scenario in
            var files: [String: String] = [
                "bots/alpha.yaml": ReconcileYAML.bot("alpha", honeyJars: ["shop"]),
                "bots/jars.yaml": ReconcileYAML.documents(
                    ReconcileYAML.honeyJar("shop", sources: ["knowledge/shop/**/*.md"]),
                    ReconcileYAML.honeyJar("everything", sources: ["knowledge/**/*.md"])),
                "knowledge/shop/shipping.md": Self.shipping,
                "knowledge/shop/returns.md": Self.returns,
                "knowledge/shop/deep/wax.md": Self.wax,
                "knowledge/other/elsewhere.md": Self.elsewhere,
                "knowledge/shop/notes.txt": "not markdown: quokka\n",
            ]
            let first = try scenario.commit(files)
            let created = try scenario.apply(first)
            #expect(created.run.outcome == .applied)
            #expect(created.plan?.documents.filter { $0.jar == "shop" }.map { "\($0.action.rawValue) \($0.path)" } == [
                "add knowledge/shop/deep/wax.md", "add knowledge/shop/returns.md", "add knowledge/shop/shipping.md",
            ])
            let live = try scenario.store.liveState()
            #expect(live.documents["shop"] == [
                "knowledge/shop/shipping.md": Self.blob(Self.shipping),
                "knowledge/shop/returns.md": Self.blob(Self.returns),
                "knowledge/shop/deep/wax.md": Self.blob(Self.wax),
            ])
            #expect(live.documents["everything"]?.count == 4)

            let parcels = try scenario.store.searchKnowledge("parcel warehouse", jars: ["shop"])
            #expect(parcels.map(\.path) == ["knowledge/shop/shipping.md"])
            #expect(parcels.first?.title == "Shipping times")
            #expect(parcels.first?.jar == "shop")
            #expect(parcels.first?.snippet.contains("warehouse") == true)
            // No heading: the title is the file name.
            #expect(try scenario.store.searchKnowledge("candles", jars: ["shop"]).map(\.title) == ["wax"])
            // Search is scoped to the jars asked for; only selected files are indexed.
            #expect(try scenario.store.searchKnowledge("zeppelin", jars: ["shop"]).isEmpty)
            #expect(try scenario.store.searchKnowledge("zeppelin", jars: ["everything"]).map(\.path) == ["knowledge/other/elsewhere.md"])
            #expect(try scenario.store.searchKnowledge("quokka", jars: ["shop", "everything"]).isEmpty)

            // Second revision: one changed, one removed, one added, one untouched.
            files["knowledge/shop/shipping.md"] = "# Shipping times\n\nParcels now go by courier within one day.\n"
            files["knowledge/shop/returns.md"] = nil
            files["knowledge/shop/faq/gifts.md"] = "# Gift wrapping\n\nEvery order can be gift wrapped for free.\n"
            let second = try scenario.commit(files)
            let planned = try #require(try scenario.planBetween(first, second).plan)
            let changed = try scenario.apply(second)
            #expect(changed.run.outcome == .applied)
            let plan = try #require(changed.plan)
            #expect(plan.changes.isEmpty)
            #expect(plan.documents == planned.documents)
            #expect(plan.documents.filter { $0.jar == "shop" }.map { "\($0.action.rawValue) \($0.path) \($0.blobID ?? "-")" } == [
                "add knowledge/shop/faq/gifts.md \(Self.blob(files["knowledge/shop/faq/gifts.md"]!))",
                "remove knowledge/shop/returns.md -",
                "change knowledge/shop/shipping.md \(Self.blob(files["knowledge/shop/shipping.md"]!))",
            ])
            #expect(plan.summary == "0 to create, 0 to update, 0 to delete, 3 unchanged; 6 knowledge documents changed")
            #expect(try reconcileSummary(try #require(try scenario.store.runs(limit: 1).first))["documents"] == 6)

            let after = try scenario.store.liveState()
            #expect(after.documents["shop"] == [
                "knowledge/shop/shipping.md": Self.blob(files["knowledge/shop/shipping.md"]!),
                "knowledge/shop/faq/gifts.md": Self.blob(files["knowledge/shop/faq/gifts.md"]!),
                "knowledge/shop/deep/wax.md": Self.blob(Self.wax),
            ])
            // The index follows: new words found, old words gone.
            #expect(try scenario.store.searchKnowledge("courier", jars: ["shop"]).map(\.path) == ["knowledge/shop/shipping.md"])
            #expect(try scenario.store.searchKnowledge("warehouse", jars: ["shop", "everything"]).isEmpty)
            #expect(try scenario.store.searchKnowledge("returned thirty", jars: ["shop", "everything"]).isEmpty)
            #expect(try scenario.store.searchKnowledge("gift", jars: ["shop"]).map(\.title) == ["Gift wrapping"])
            #expect(try scenario.store.searchKnowledge("candles", jars: ["shop"]).map(\.path) == ["knowledge/shop/deep/wax.md"])

            // Third revision: the shop jar is removed; its documents go with it.
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha")
            files["bots/jars.yaml"] = ReconcileYAML.honeyJar("everything", sources: ["knowledge/**/*.md"])
            let third = try scenario.commit(files)
            let removed = try scenario.apply(third)
            #expect(removed.run.outcome == .applied)
            #expect(removed.plan?.reconcileLines == ["delete HoneyJar shop", "update Bot alpha"])
            let final = try scenario.store.liveState()
            #expect(final.documents["shop"] == nil)
            #expect(final.documents["everything"]?.count == 4)
            #expect(try scenario.store.searchKnowledge("courier", jars: ["shop"]).isEmpty)
            #expect(try scenario.store.searchKnowledge("courier", jars: ["everything"]).map(\.path) == ["knowledge/shop/shipping.md"])
        }
    }

    @Test func aRestoredHoneyJarGetsItsDocumentsBack() throws {
        try withReconcileScenario { scenario in
            var files: [String: String] = [
                "bots/jars.yaml": ReconcileYAML.documents(
                    ReconcileYAML.honeyJar("shop", sources: ["knowledge/*.md"]),
                    ReconcileYAML.honeyJar("other", sources: ["knowledge/*.md"])),
                "bots/alpha.yaml": ReconcileYAML.bot("alpha", honeyJars: ["shop"]),
                "knowledge/a.md": Self.shipping,
            ]
            try scenario.apply(try scenario.commit(files))
            let jars = files["bots/jars.yaml"]
            files["bots/jars.yaml"] = ReconcileYAML.honeyJar("other", sources: ["knowledge/*.md"])
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha")
            #expect(try scenario.apply(try scenario.commit(files)).plan?.reconcileLines == ["delete HoneyJar shop", "update Bot alpha"])
            #expect(try scenario.store.searchKnowledge("parcels", jars: ["shop"]).isEmpty)
            files["bots/jars.yaml"] = jars
            let restored = try scenario.apply(try scenario.commit(files))
            #expect(restored.plan?.reconcileLines == ["restore HoneyJar shop"])
            #expect(restored.plan?.documents.map { "\($0.action.rawValue) \($0.jar) \($0.path)" } == ["add shop knowledge/a.md"])
            #expect(try scenario.store.searchKnowledge("parcels", jars: ["shop"]).map(\.path) == ["knowledge/a.md"])
            #expect(try scenario.store.liveState().documents["shop"] == ["knowledge/a.md": Self.blob(Self.shipping)])
        }
    }

    @Test func documentsOfAnInvalidRevisionAreNotIndexed() throws {
        try withReconcileScenario { scenario in
            var files: [String: String] = [
                "bots/jars.yaml": ReconcileYAML.honeyJar("shop", sources: ["knowledge/*.md"]),
                "bots/alpha.yaml": ReconcileYAML.bot("alpha", honeyJars: ["shop"]),
                "knowledge/a.md": Self.shipping,
            ]
            try scenario.apply(try scenario.commit(files))
            files["knowledge/b.md"] = Self.returns
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", honeyJars: ["nope"])
            #expect(try scenario.apply(try scenario.commit(files)).run.outcome == .failed)
            #expect(try scenario.store.searchKnowledge("returned", jars: ["shop"]).isEmpty)
            #expect(try scenario.store.liveState().documents["shop"]?.keys.sorted() == ["knowledge/a.md"])
        }
    }
}
