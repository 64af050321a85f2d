import Foundation
import GRDB

/// Everything that runs, as one JSON document: what `GET /admin/state`
/// returns and what drift checks and `plan --server` read. Specs are the
/// stored canonical JSON text, so their hashes can be checked exactly.
public struct StateExport: Sendable, Codable {
    /// The format this build writes and reads.
    public static let currentFormat = 1
    /// Bumped when the shape changes incompatibly (clients refuse another one).
    public var format: Int = StateExport.currentFormat
    public var appliedRevision: String?
    public var declarationsPath: String?
    public var stateVersion: Int64
    public var appliedStateVersion: Int64?
    public var nextKeyEvent: Date?
    /// Every declared object, deleted ones included (with `deletedAt`).
    public var objects: [Object]
    /// Knowledge documents by honey jar: path -> blob id.
    public var documents: [String: [String: String]]
    /// Keys that are not revoked (metadata only).
    public var keys: [StoredKey]
    /// The last attempted run and the last successful one.
    public var lastRun: ReconcileRun?
    public var lastSuccess: ReconcileRun?

    public struct Object: Sendable, Codable, Hashable {
        public var kind: ObjectKind
        public var name: String
        /// Canonical JSON of the spec, as stored.
        public var spec: String
        public var specHash: String
        public var sourcePath: String
        public var blobID: String
        public var revision: String
        public var createdAt: Date
        public var updatedAt: Date
        public var deletedAt: Date?
        public var pausedAt: Date?
        public var pausedBy: String?
        public var pausedReason: String?
    }

    /// The live state the planner compares against, rebuilt from the export.
    public var liveState: LiveState {
        var byKind: [ObjectKind: [String: LiveObject]] = [:]
        for kind in ObjectKind.allCases { byKind[kind] = [:] }
        for object in objects {
            byKind[object.kind, default: [:]][object.name] = LiveObject(
                kind: object.kind, name: object.name, specHash: object.specHash, sourcePath: object.sourcePath,
                blobID: object.blobID, revision: object.revision, createdAt: object.createdAt, updatedAt: object.updatedAt,
                deletedAt: object.deletedAt, pausedAt: object.pausedAt, pausedBy: object.pausedBy)
        }
        var state = LiveState(objects: byKind, documents: documents, appliedRevision: appliedRevision,
                              stateVersion: stateVersion, appliedStateVersion: appliedStateVersion)
        for key in keys { state.keys[key.bot, default: []].append(key) }
        state.recountActive()
        return state
    }

    /// The stored spec JSON of some objects, by name (for the planner's field diffs).
    public func specJSON(_ kind: ObjectKind, names: [String]) -> [String: String] {
        let wanted = Set(names)
        var result: [String: String] = [:]
        for object in objects where object.kind == kind && wanted.contains(object.name) { result[object.name] = object.spec }
        return result
    }
}

extension RuntimeStore {
    /// The whole live state in one read transaction, so that a reconcile
    /// committing meanwhile never mixes one state's revision with another's objects.
    public func export() throws(StoreError) -> StateExport {
        try read { db in
            let marker = try Self.appliedMarker(db)
            let live = try Self.liveState(db)
            let keys = live.keys.values.flatMap { $0 }.sorted { ($0.bot, $0.createdAt, $0.id) < ($1.bot, $1.createdAt, $1.id) }
            let runs = try Self.runs(limit: 1, before: nil, db)
            let success = try Self.lastSuccessfulRun(db)
            var objects: [StateExport.Object] = []
            for kind in ObjectKind.allCases { objects += try Self.objects(kind, db) }
            return StateExport(appliedRevision: marker.revision, declarationsPath: marker.declarationsPath,
                               stateVersion: live.stateVersion, appliedStateVersion: live.appliedStateVersion,
                               nextKeyEvent: marker.nextKeyEvent, objects: objects, documents: live.documents, keys: keys,
                               lastRun: runs.first, lastSuccess: success)
        }
    }

    /// The newest run that left the runtime at its revision (applied or no-op).
    public func lastSuccessfulRun() throws(StoreError) -> ReconcileRun? {
        try read(Self.lastSuccessfulRun)
    }

    static func lastSuccessfulRun(_ db: Database) throws -> ReconcileRun? {
        try Int64.fetchOne(db, sql: "SELECT id FROM reconcile_run WHERE outcome IN ('applied', 'noop') ORDER BY id DESC LIMIT 1")
            .flatMap { id in try runs(limit: 1, before: id + 1, db).first }
    }

    /// One live bot with its stored spec, pause state and keys, or nil (one read).
    public func botDetail(_ name: String) throws(StoreError) -> BotDetail? {
        try read { db in
            try Self.objects(.bot, db, liveNamed: name).first.map { BotDetail(object: $0, keys: try Self.keys(bot: name, db)) }
        }
    }

    /// The stored objects of a kind, by name (deleted ones included), or the
    /// live one named `liveNamed`.
    static func objects(_ kind: ObjectKind, _ db: Database, liveNamed name: String? = nil) throws -> [StateExport.Object] {
        let paused = kind == .bot ? "paused_at, paused_by, paused_reason" : "NULL, NULL, NULL"
        let filter = name == nil ? "" : "WHERE name = ? AND deleted_at IS NULL"
        let rows = try Row.fetchCursor(db, sql: """
            SELECT name, spec, spec_hash, source_path, blob_id, revision, created_at, updated_at, deleted_at, \(paused)
            FROM \(kind.table) \(filter) ORDER BY name
            """, arguments: name.map { [$0] } ?? [])
        var objects: [StateExport.Object] = []
        while let row = try rows.next() {
            objects.append(StateExport.Object(
                kind: kind, name: row[0], spec: row[1], specHash: row[2], sourcePath: row[3], blobID: row[4], revision: row[5],
                createdAt: Date(timeIntervalSince1970: row[6]), updatedAt: Date(timeIntervalSince1970: row[7]),
                deletedAt: (row[8] as Double?).map(Date.init(timeIntervalSince1970:)),
                pausedAt: (row[9] as Double?).map(Date.init(timeIntervalSince1970:)), pausedBy: row[10], pausedReason: row[11]))
        }
        return objects
    }
}

/// One live bot as the admin API shows it: its stored row and its keys.
public struct BotDetail: Sendable, Codable {
    public var object: StateExport.Object
    /// Every key, newest first (metadata only).
    public var keys: [StoredKey]

    public var status: String { object.pausedAt == nil ? "active" : "paused" }
}
