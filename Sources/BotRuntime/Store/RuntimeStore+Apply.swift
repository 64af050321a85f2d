import Foundation
import GRDB

/// The narrow write API the reconciler uses.
extension RuntimeStore {
    /// Applies a change set and records its run and audit entries, all in one
    /// transaction: after a crash the database holds the old revision or the
    /// new one, never a mix. Returns the run's id and the state version after it.
    @discardableResult
    public func apply(_ changes: ChangeSet, run: ReconcileRun) throws(StoreError) -> AppliedRun {
        let path = self.path
        defer { self.changes.notify() }
        return try bulkWrite { db in
            if let expected = changes.basedOnStateVersion {
                let found = try Int64.fetchOne(db, sql: "SELECT state_version FROM store_meta WHERE id = 1") ?? 0
                if found != expected {
                    throw StoreError.conflict(path: path, expected: expected, found: found)
                }
            }
            let runID = try insert(run, db)
            let now = run.finishedAt.timeIntervalSince1970
            for write in changes.creates.sorted(by: { $0.kind < $1.kind }) {
                try db.cachedStatement(sql: """
                    INSERT INTO \(write.kind.table) (name, spec, spec_hash, source_path, blob_id, revision, created_at, updated_at, deleted_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
                    ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, spec_hash = excluded.spec_hash,
                        source_path = excluded.source_path, blob_id = excluded.blob_id, revision = excluded.revision,
                        updated_at = excluded.updated_at, deleted_at = NULL
                    """).execute(arguments: [write.name, write.specJSON, write.specHash, write.sourcePath,
                                             write.blobID, changes.revision, now, now])
            }
            for write in changes.updates {
                try db.cachedStatement(sql: """
                    UPDATE \(write.kind.table) SET spec = ?, spec_hash = ?, source_path = ?, blob_id = ?, revision = ?, updated_at = ?
                    WHERE name = ?
                    """).execute(arguments: [write.specJSON, write.specHash, write.sourcePath, write.blobID,
                                             changes.revision, now, write.name])
            }
            for write in changes.relocations {
                try db.cachedStatement(sql: "UPDATE \(write.kind.table) SET source_path = ?, blob_id = ? WHERE name = ?")
                    .execute(arguments: [write.sourcePath, write.blobID, write.name])
            }
            for (kind, name) in changes.deletes {
                try db.cachedStatement(sql: "UPDATE \(kind.table) SET deleted_at = ?, updated_at = ? WHERE name = ? AND deleted_at IS NULL")
                    .execute(arguments: [now, now, name])
                if kind == .honeyJar {
                    try db.cachedStatement(sql: "DELETE FROM knowledge_document WHERE jar = ?").execute(arguments: [name])
                }
            }
            for removal in changes.documentRemovals {
                try db.cachedStatement(sql: "DELETE FROM knowledge_document WHERE jar = ? AND path = ?")
                    .execute(arguments: [removal.jar, removal.path])
            }
            for document in changes.documentWrites {
                let id = try Int64.fetchOne(db.cachedStatement(sql: """
                    INSERT INTO knowledge_document (jar, path, blob_id, title, body) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(jar, path) DO UPDATE SET blob_id = excluded.blob_id, title = excluded.title, body = excluded.body
                    RETURNING id
                    """), arguments: [document.jar, document.path, document.blobID, document.title, document.body])
                if let id {
                    try PassageIndex.write(documentID: id, jar: document.jar, path: document.path, title: document.title,
                                           body: document.body, db)
                }
            }
            try writeKeys(changes, db)
            for entry in changes.audit {
                try Self.insert(entry, runID: runID, db)
            }
            try db.execute(sql: """
                UPDATE store_meta SET applied_revision = ?, applied_path = ?, next_key_event = ?,
                    applied_state_version = state_version WHERE id = 1
                """, arguments: [changes.revision, changes.declarationsPath, changes.nextKeyEvent?.timeIntervalSince1970])
            let version = try Int64.fetchOne(db, sql: "SELECT state_version FROM store_meta WHERE id = 1") ?? 0
            return AppliedRun(runID: runID, stateVersion: version)
        }
    }

    /// Records a run that changed nothing (failed, refused, or a no-op on the
    /// revision already applied). Returns the run's id.
    @discardableResult
    public func record(_ run: ReconcileRun) throws(StoreError) -> Int64 {
        try write { db in try insert(run, db) }
    }

    private func insert(_ run: ReconcileRun, _ db: Database) throws -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let errors = String(decoding: try encoder.encode(run.storedErrors), as: UTF8.self)
        try db.cachedStatement(sql: """
            INSERT INTO reconcile_run (revision, started_at, finished_at, outcome, trigger, summary, errors)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [run.revision, run.startedAt.timeIntervalSince1970, run.finishedAt.timeIntervalSince1970,
                                     run.outcome.rawValue, run.trigger.rawValue, run.summary, errors])
        return db.lastInsertedRowID
    }

    static func insert(_ entry: AuditEntry, runID: Int64?, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO audit_log (at, actor, run_id, action, object_kind, object_name, changes)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [entry.at.timeIntervalSince1970, entry.actor, runID ?? entry.runID, entry.action,
                                     entry.objectKind, entry.objectName, entry.changes])
    }
}

/// What `RuntimeStore.apply` reports: the run's id and the state version it left.
public struct AppliedRun: Sendable, Hashable {
    public var runID: Int64
    public var stateVersion: Int64
}
