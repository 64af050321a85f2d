import Foundation
import GRDB

/// The store's reads and writes for request handlers: the same operations
/// as the synchronous API, run on GRDB's queues so that no handler blocks
/// Swift's cooperative thread pool (reads never wait for a reconcile's
/// write transaction, thanks to WAL).
extension RuntimeStore {
    public func appliedMarker() async throws(StoreError) -> AppliedMarker { try await read(Self.appliedMarker) }
    public func liveState() async throws(StoreError) -> LiveState { try await read(Self.liveState) }
    public func statusCounts() async throws(StoreError) -> StatusCounts { try await read(Self.statusCounts) }
    public func export() async throws(StoreError) -> StateExport { try await read(Self.export) }
    public func botDetail(_ name: String) async throws(StoreError) -> BotDetail? { try await read(Self.botDetail(name)) }

    public func runs(limit: Int = 20, before id: Int64? = nil) async throws(StoreError) -> [ReconcileRun] {
        try await read { db in try Self.runs(limit: limit, before: id, db) }
    }

    public func audit(kind: ObjectKind? = nil, name: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 1000,
                      newestFirst: Bool = false) async throws(StoreError) -> [AuditEntry] {
        try await read(Self.audit(kind: kind?.rawValue, name: name, since: since, until: until, limit: limit, newestFirst: newestFirst))
    }

    /// The same, by the kind's name as the audit log stores it (`Bot`, `Handoff`, ...).
    public func audit(kindNamed kind: String?, name: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 1000,
                      newestFirst: Bool = false) async throws(StoreError) -> [AuditEntry] {
        try await read(Self.audit(kind: kind, name: name, since: since, until: until, limit: limit, newestFirst: newestFirst))
    }

    @discardableResult
    public func pause(bot name: String, by actor: String, reason: String?, at now: Date = Date()) async throws(StoreError) -> Bool {
        defer { changes.notify() }
        return try await write(Self.pause(bot: name, by: actor, reason: reason, at: now))
    }

    @discardableResult
    public func resume(bot name: String, by actor: String, at now: Date = Date()) async throws(StoreError) -> Bool {
        defer { changes.notify() }
        return try await write(Self.resume(bot: name, by: actor, at: now))
    }
}
