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

    /// One stored object: its live row and its spec as stored. Encoded flat
    /// (the live fields and `spec` side by side), as format 1 has it.
    @dynamicMemberLookup
    public struct Object: Sendable, Codable, Hashable {
        public var live: LiveObject
        /// Canonical JSON of the spec, as stored.
        public var spec: String

        public init(live: LiveObject, spec: String) {
            self.live = live
            self.spec = spec
        }

        public subscript<T>(dynamicMember field: KeyPath<LiveObject, T>) -> T { live[keyPath: field] }

        enum CodingKeys: String, CodingKey { case spec }

        public init(from decoder: any Decoder) throws {
            live = try LiveObject(from: decoder)
            spec = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .spec)
        }

        public func encode(to encoder: any Encoder) throws {
            try live.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(spec, forKey: .spec)
        }
    }

    /// The live state the planner compares against, rebuilt from the export.
    public var liveState: LiveState {
        var byKind: [ObjectKind: [String: LiveObject]] = [:]
        for kind in ObjectKind.allCases { byKind[kind] = [:] }
        for object in objects {
            byKind[object.kind, default: [:]][object.name] = object.live
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
        try read(Self.export)
    }

    static func export(_ db: Database) throws -> StateExport {
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

    /// The newest run that left the runtime at its revision (applied or no-op).
    public func lastSuccessfulRun() throws(StoreError) -> ReconcileRun? {
        try read(Self.lastSuccessfulRun)
    }

    static func lastSuccessfulRun(_ db: Database) throws -> ReconcileRun? {
        try ReconcileRun.fetchOne(db, sql: "\(ReconcileRun.selection) WHERE outcome IN (?, ?) ORDER BY id DESC LIMIT 1",
                                  arguments: [ReconcileRun.Outcome.applied.rawValue, ReconcileRun.Outcome.noop.rawValue])
    }

    /// One live bot with its stored spec, pause state and keys, or nil (one read).
    public func botDetail(_ name: String) throws(StoreError) -> BotDetail? {
        try read(Self.botDetail(name))
    }

    static func botDetail(_ name: String) -> @Sendable (Database) throws -> BotDetail? {
        { db in try objects(.bot, db, liveNamed: name).first.map { BotDetail(object: $0, keys: try keys(bot: name, db)) } }
    }

    /// The stored objects of a kind, by name (deleted ones included), or the
    /// live one named `liveNamed`.
    static func objects(_ kind: ObjectKind, _ db: Database, liveNamed name: String? = nil) throws -> [StateExport.Object] {
        let filter = name == nil ? "" : "WHERE name = ? AND deleted_at IS NULL"
        let rows = try Row.fetchCursor(db, sql: "SELECT \(LiveObject.selection(kind, spec: true)) FROM \(kind.table) \(filter) ORDER BY name",
                                       arguments: name.map { [$0] } ?? [])
        var objects: [StateExport.Object] = []
        while let row = try rows.next() {
            objects.append(StateExport.Object(live: LiveObject(row: row, kind: kind), spec: row[LiveObject.Columns.spec]))
        }
        return objects
    }
}

/// One live bot as the admin API shows it: its stored row and its keys.
public struct BotDetail: Sendable, Codable {
    public var object: StateExport.Object
    /// Every key, newest first (metadata only).
    public var keys: [StoredKey]

    public var status: RuntimeStatus { object.runtimeStatus }
}
