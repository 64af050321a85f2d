import Foundation
import GRDB

/// Reads of the live state, runs and audit log.
extension RuntimeStore {
    /// The live state without spec bodies: enough to plan against.
    public func liveState() throws(StoreError) -> LiveState {
        try read(Self.liveState)
    }

    static func liveState(_ db: Database) throws -> LiveState {
        var objects: [ObjectKind: [String: LiveObject]] = [:]
        for kind in ObjectKind.allCases {
            let paused = kind == .bot ? ", paused_at, paused_by" : ", NULL, NULL"
            var byName: [String: LiveObject] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT name, spec_hash, source_path, blob_id, revision, created_at, updated_at, deleted_at\(paused)
                FROM \(kind.table)
                """)
            while let row = try rows.next() {
                let object = LiveObject(
                    kind: kind, name: row[0], specHash: row[1], sourcePath: row[2], blobID: row[3], revision: row[4],
                    createdAt: Date(timeIntervalSince1970: row[5]), updatedAt: Date(timeIntervalSince1970: row[6]),
                    deletedAt: (row[7] as Double?).map(Date.init(timeIntervalSince1970:)),
                    pausedAt: (row[8] as Double?).map(Date.init(timeIntervalSince1970:)), pausedBy: row[9])
                byName[object.name] = object
            }
            objects[kind] = byName
        }
        var documents: [String: [String: String]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT jar, path, blob_id FROM knowledge_document")
        while let row = try rows.next() {
            documents[row[0] as String, default: [:]][row[1] as String] = row[2] as String
        }
        let meta = try Row.fetchOne(db, sql: "SELECT state_version, applied_state_version, applied_revision FROM store_meta WHERE id = 1")
        var state = LiveState(objects: objects, documents: documents, appliedRevision: meta?[2],
                              stateVersion: meta?[0] ?? 0, appliedStateVersion: meta?[1])
        let keyRows = try Row.fetchCursor(db, sql: """
            SELECT id, bot, generation, secret_hash, display, state, origin, created_at, expires_at FROM api_key
            WHERE state != 'revoked'
            """)
        while let row = try keyRows.next() {
            let key = StoredKey(id: row[0], bot: row[1], generation: row[2], secretHash: row[3], display: row[4],
                                state: StoredKey.State(rawValue: row[5]) ?? .revoked, origin: row[6],
                                createdAt: Date(timeIntervalSince1970: row[7]),
                                expiresAt: (row[8] as Double?).map(Date.init(timeIntervalSince1970:)))
            state.keys[key.bot, default: []].append(key)
        }
        state.recountActive()
        return state
    }

    /// The applied revision and whether nothing changed declared state since:
    /// the cheap check that lets a repeated apply be a no-op.
    public func appliedMarker() throws(StoreError) -> AppliedMarker {
        try read(Self.appliedMarker)
    }

    static func appliedMarker(_ db: Database) throws -> AppliedMarker {
        let row = try Row.fetchOne(db, sql: """
            SELECT state_version, applied_state_version, applied_revision, applied_path, next_key_event FROM store_meta WHERE id = 1
            """)
        let version: Int64? = row?[0]
        let applied: Int64? = row?[1]
        return AppliedMarker(revision: row?[2], declarationsPath: row?[3],
                             untouched: version != nil && version == applied, stateVersion: version ?? 0,
                             nextKeyEvent: (row?[4] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    /// The stored canonical JSON of some objects' specs, by name.
    public func specJSON(_ kind: ObjectKind, names: [String]) throws(StoreError) -> [String: String] {
        guard !names.isEmpty else { return [:] }
        return try read { db in
            var result: [String: String] = [:]
            for chunk in stride(from: 0, to: names.count, by: 500) {
                let slice = Array(names[chunk..<min(chunk + 500, names.count)])
                let marks = Array(repeating: "?", count: slice.count).joined(separator: ",")
                let rows = try Row.fetchCursor(db, sql: "SELECT name, spec FROM \(kind.table) WHERE name IN (\(marks))",
                                               arguments: StatementArguments(slice))
                while let row = try rows.next() { result[row[0]] = row[1] }
            }
            return result
        }
    }

    /// The decoded specs of every live (not deleted) object of a kind.
    public func specs<Spec: Decodable>(_ kind: ObjectKind, as type: Spec.Type) throws(StoreError) -> [String: Spec] {
        let path = self.path
        return try read { db in
            var result: [String: Spec] = [:]
            let decoder = JSONDecoder()
            let rows = try Row.fetchCursor(db, sql: "SELECT name, spec FROM \(kind.table) WHERE deleted_at IS NULL")
            while let row = try rows.next() {
                let json: String = row[1]
                do {
                    result[row[0]] = try decoder.decode(Spec.self, from: Data(json.utf8))
                } catch {
                    throw StoreError.corrupt(path: path, detail: "the spec of \(kind.noun) \(row[0] as String) does not decode: \(error)")
                }
            }
            return result
        }
    }

    /// Recent reconcile runs, newest first.
    public func runs(limit: Int = 20, before id: Int64? = nil) throws(StoreError) -> [ReconcileRun] {
        try read { db in try Self.runs(limit: limit, before: id, db) }
    }

    static func runs(limit: Int, before id: Int64?, _ db: Database) throws -> [ReconcileRun] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, revision, started_at, finished_at, outcome, trigger, summary, errors FROM reconcile_run
            WHERE id < ? ORDER BY id DESC LIMIT ?
            """, arguments: [id ?? Int64.max, limit])
        return rows.map { row in
            let errors = (try? JSONDecoder().decode([String].self, from: Data((row[7] as String).utf8))) ?? []
            return ReconcileRun(id: row[0], revision: row[1], startedAt: Date(timeIntervalSince1970: row[2]),
                                finishedAt: Date(timeIntervalSince1970: row[3]),
                                outcome: ReconcileRun.Outcome(rawValue: row[4]) ?? .failed,
                                trigger: row[5], summary: row[6], errors: errors)
        }
    }

    /// Audit entries, oldest first, optionally for one object.
    public func audit(kind: ObjectKind? = nil, name: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 1000,
                      newestFirst: Bool = false) throws(StoreError) -> [AuditEntry] {
        try read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let kind { conditions.append("object_kind = ?"); arguments.append(kind.rawValue) }
            if let name { conditions.append("object_name = ?"); arguments.append(name) }
            if let since { conditions.append("at >= ?"); arguments.append(since.timeIntervalSince1970) }
            if let until { conditions.append("at < ?"); arguments.append(until.timeIntervalSince1970) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments.append(limit)
            let rows = try Row.fetchAll(db, sql: """
                SELECT at, actor, action, object_kind, object_name, changes, run_id FROM audit_log \(filter) ORDER BY id\(newestFirst ? " DESC" : "") LIMIT ?
                """, arguments: StatementArguments(arguments))
            return rows.map { row in
                AuditEntry(at: Date(timeIntervalSince1970: row[0]), actor: row[1], action: row[2], objectKind: row[3],
                           objectName: row[4], changes: row[5], runID: row[6])
            }
        }
    }

    /// Live bots by status (`active`, `paused`) and keys by state, for gauges.
    public func statusCounts() throws(StoreError) -> (bots: [(String, Int)], keys: [(String, Int)]) {
        try read { db in
            let paused = try Int.fetchOne(db, sql: "SELECT count(*) FROM bot WHERE deleted_at IS NULL AND paused_at IS NOT NULL") ?? 0
            let live = try Int.fetchOne(db, sql: "SELECT count(*) FROM bot WHERE deleted_at IS NULL") ?? 0
            var keys: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM api_key GROUP BY state") { keys[row[0]] = row[1] }
            return ([("active", live - paused), ("paused", paused)],
                    StoredKey.State.allCases.map { ($0.rawValue, keys[$0.rawValue] ?? 0) })
        }
    }

    /// Full-text search over a set of honey jars: the best passages first.
    public func searchKnowledge(_ query: String, jars: [String], limit: Int = 5) throws(StoreError) -> [KnowledgeHit] {
        let terms = query.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { "\"\($0)\"" }
        guard !terms.isEmpty, !jars.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: jars.count).joined(separator: ",")
        return try read { db in
            var arguments: [any DatabaseValueConvertible] = [terms.joined(separator: " OR ")]
            arguments += jars
            arguments.append(limit)
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.jar, d.path, d.title, snippet(knowledge_fts, 1, '', '', '…', 24), bm25(knowledge_fts)
                FROM knowledge_fts JOIN knowledge_document d ON d.id = knowledge_fts.rowid
                WHERE knowledge_fts MATCH ? AND d.jar IN (\(marks))
                ORDER BY bm25(knowledge_fts) LIMIT ?
                """, arguments: StatementArguments(arguments))
            return rows.map { KnowledgeHit(jar: $0[0], path: $0[1], title: $0[2], snippet: $0[3], score: -($0[4] as Double)) }
        }
    }
}

/// A passage found by knowledge search.
public struct KnowledgeHit: Sendable, Hashable, Codable {
    public var jar: String
    public var path: String
    public var title: String
    public var snippet: String
    /// BM25 relevance (higher is better).
    public var score: Double
}

extension RuntimeStore {
    /// Runs raw SQL, for tests that simulate edits made outside nectar
    /// (drift). Not for production code paths.
    public func debugExecute(_ sql: String) throws(StoreError) {
        try write { db in try db.execute(sql: sql) }
    }
}

/// What the last successful apply left, read cheaply before any planning.
public struct AppliedMarker: Sendable, Hashable {
    /// The applied revision, or nil before the first apply.
    public var revision: String?
    /// The declarations directory that revision was read from.
    public var declarationsPath: String?
    /// Whether nothing wrote declared state since that apply.
    public var untouched: Bool
    /// The current state version.
    public var stateVersion: Int64
    /// When the next time-based key action falls due, if any.
    public var nextKeyEvent: Date?
}
