import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// The store refuses a database written by a newer schema.
@Suite struct ReconcileStoreSchemaTests {
    @Test func databaseFromANewerNectarIsRefused() throws {
        try withReconcileScenario { scenario in
            let path = scenario.directory + "/future.sqlite"
            do {
                let store = try RuntimeStore.open(path: path)
                #expect(try store.liveState().appliedRevision == nil)
            }
            let known = try ReconcileSQL.strings(path: path, "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            #expect(known.contains("v1-declared-objects"))
            try ReconcileSQL.execute(path: path, "INSERT INTO grdb_migrations (identifier) VALUES ('v999-future')")
            let tablesBefore = try ReconcileSQL.strings(path: path, "SELECT name FROM sqlite_master ORDER BY name")

            do throws(StoreError) {
                _ = try RuntimeStore.open(path: path)
                Issue.record("a database with an unknown migration was opened")
            } catch {
                #expect(error == .newerSchema(path: path, unknown: ["v999-future"]))
                #expect(error.description.contains("newer nectar"), "\(error)")
                #expect(error.description.contains("v999-future"))
                #expect(error.description.contains(path))
            }
            do throws(StoreError) {
                _ = try RuntimeStore.open(path: path, mustExist: true)
                Issue.record("a database with an unknown migration was opened")
            } catch {
                #expect(error.description.contains("newer nectar"))
            }
            // Refusing changed nothing.
            #expect(try ReconcileSQL.strings(path: path, "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                    == (known + ["v999-future"]).sorted())
            #expect(try ReconcileSQL.strings(path: path, "SELECT name FROM sqlite_master ORDER BY name") == tablesBefore)
        }
    }

    @Test func freshDatabaseHasTheDocumentedTables() throws {
        try withReconcileScenario { scenario in
            _ = try scenario.store
            let tables = Set(try ReconcileSQL.strings(path: scenario.dbPath, "SELECT name FROM sqlite_master WHERE type = 'table'"))
            for table in ["bot", "honey_jar", "key_rotation_policy", "operator", "knowledge_document", "knowledge_fts",
                          "reconcile_run", "audit_log", "store_meta", "grdb_migrations"] {
                #expect(tables.contains(table), "\(table)")
            }
            #expect(try ReconcileSQL.strings(path: scenario.dbPath, "PRAGMA journal_mode") == ["wal"])
            #expect(try ReconcileSQL.integrityCheck(path: scenario.dbPath) == "ok")
        }
    }

    @Test func mustExistDoesNotCreateADatabase() throws {
        try withReconcileScenario { scenario in
            let path = scenario.directory + "/absent.sqlite"
            #expect(throws: StoreError.self) { _ = try RuntimeStore.open(path: path, mustExist: true) }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}
