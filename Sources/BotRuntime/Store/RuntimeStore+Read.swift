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
            var byName: [String: LiveObject] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT \(LiveObject.selection(kind, spec: false)) FROM \(kind.table)")
            while let row = try rows.next() {
                let object = LiveObject(row: row, kind: kind)
                byName[object.name] = object
            }
            objects[kind] = byName
        }
        let marker = try appliedMarker(db)
        var state = LiveState(objects: objects, documents: try documentBlobs(db), appliedRevision: marker.revision,
                              stateVersion: marker.stateVersion, appliedStateVersion: marker.appliedStateVersion)
        let keys = try StoredKey.fetchCursor(db, sql: "\(StoredKey.selection) WHERE state != 'revoked'")
        while let key = try keys.next() {
            state.keys[key.bot, default: []].append(key)
        }
        state.recountActive()
        return state
    }

    /// Knowledge documents: jar -> path -> blob id.
    static func documentBlobs(_ db: Database) throws -> [String: [String: String]] {
        var documents: [String: [String: String]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT jar, path, blob_id FROM knowledge_document")
        while let row = try rows.next() {
            let jar: String = row["jar"], path: String = row["path"]
            documents[jar, default: [:]][path] = row["blob_id"]
        }
        return documents
    }

    /// The applied revision and whether nothing changed declared state since:
    /// the cheap check that lets a repeated apply be a no-op.
    public func appliedMarker() throws(StoreError) -> AppliedMarker {
        try read(Self.appliedMarker)
    }

    static func appliedMarker(_ db: Database) throws -> AppliedMarker {
        try AppliedMarker.fetchOne(db, sql: AppliedMarker.selection)
            ?? AppliedMarker(revision: nil, declarationsPath: nil, untouched: false, stateVersion: 0, appliedStateVersion: nil,
                             nextKeyEvent: nil)
    }

    /// The stored canonical JSON of some objects' specs, by name.
    public func specJSON(_ kind: ObjectKind, names: [String]) throws(StoreError) -> [String: String] {
        guard !names.isEmpty else { return [:] }
        return try read { db in
            var result: [String: String] = [:]
            for chunk in stride(from: 0, to: names.count, by: 500) {
                let slice = Array(names[chunk..<min(chunk + 500, names.count)])
                let marks = Self.placeholders(slice.count)
                let rows = try Row.fetchCursor(db, sql: "SELECT name, spec FROM \(kind.table) WHERE name IN (\(marks))",
                                               arguments: StatementArguments(slice))
                while let row = try rows.next() { result[row["name"]] = row["spec"] }
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
                let name: String = row["name"], json: String = row["spec"]
                do {
                    result[name] = try decoder.decode(Spec.self, from: Data(json.utf8))
                } catch {
                    throw StoreError.corrupt(path: path, detail: "the spec of \(kind.noun) \(name) does not decode: \(error)")
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
        try ReconcileRun.fetchAll(db, sql: "\(ReconcileRun.selection) WHERE id < ? ORDER BY id DESC LIMIT ?",
                                  arguments: [id ?? Int64.max, limit])
    }

    /// Audit entries, oldest first, optionally for one object.
    public func audit(kind: ObjectKind? = nil, name: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 1000,
                      newestFirst: Bool = false) throws(StoreError) -> [AuditEntry] {
        try read(Self.audit(kind: kind?.rawValue, name: name, since: since, until: until, limit: limit, newestFirst: newestFirst))
    }

    static func audit(kind: String?, name: String?, since: Date?, until: Date?, limit: Int,
                      newestFirst: Bool) -> @Sendable (Database) throws -> [AuditEntry] {
        { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let kind { conditions.append("object_kind = ?"); arguments.append(kind) }
            if let name { conditions.append("object_name = ?"); arguments.append(name) }
            if let since { conditions.append("at >= ?"); arguments.append(since.timeIntervalSince1970) }
            if let until { conditions.append("at < ?"); arguments.append(until.timeIntervalSince1970) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments.append(limit)
            return try AuditEntry.fetchAll(db, sql: "\(AuditEntry.selection) \(filter) ORDER BY id\(newestFirst ? " DESC" : "") LIMIT ?",
                                           arguments: StatementArguments(arguments))
        }
    }

    /// Live bots by status (`active`, `paused`) and keys by state, for gauges.
    public func statusCounts() throws(StoreError) -> StatusCounts {
        try read(Self.statusCounts)
    }

    static func statusCounts(_ db: Database) throws -> StatusCounts {
        let paused = try Int.fetchOne(db, sql: "SELECT count(*) FROM bot WHERE deleted_at IS NULL AND paused_at IS NOT NULL") ?? 0
        let live = try Int.fetchOne(db, sql: "SELECT count(*) FROM bot WHERE deleted_at IS NULL") ?? 0
        var keys: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM api_key GROUP BY state") { keys[row["state"]] = row["n"] }
        return StatusCounts(bots: [.active: live - paused, .paused: paused],
                            keys: Dictionary(uniqueKeysWithValues: StoredKey.State.allCases.map { ($0, keys[$0.rawValue] ?? 0) }))
    }

    /// Full-text search over a set of honey jars: the best passages first.
    public func searchKnowledge(_ query: String, jars: [String], limit: Int = 5) throws(StoreError) -> [KnowledgeHit] {
        let terms = query.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { "\"\($0)\"" }
        guard !terms.isEmpty, !jars.isEmpty else { return [] }
        let marks = Self.placeholders(jars.count)
        return try read { db in
            var arguments: [any DatabaseValueConvertible] = [terms.joined(separator: " OR ")]
            arguments += jars
            arguments.append(limit)
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.jar, d.path, d.title, snippet(knowledge_fts, 1, '', '', '…', 24) AS snippet, bm25(knowledge_fts) AS rank
                FROM knowledge_fts JOIN knowledge_document d ON d.id = knowledge_fts.rowid
                WHERE knowledge_fts MATCH ? AND d.jar IN (\(marks))
                ORDER BY bm25(knowledge_fts) LIMIT ?
                """, arguments: StatementArguments(arguments))
            return rows.map { KnowledgeHit(jar: $0["jar"], path: $0["path"], title: $0["title"], snippet: $0["snippet"],
                                           score: -($0["rank"] as Double)) }
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
    /// The state version right after that apply.
    public var appliedStateVersion: Int64?
    /// When the next time-based key action falls due, if any.
    public var nextKeyEvent: Date?
}

/// Live bots by runtime status and keys by state, for gauges.
public struct StatusCounts: Sendable, Hashable {
    public var bots: [RuntimeStatus: Int]
    public var keys: [StoredKey.State: Int]
}
