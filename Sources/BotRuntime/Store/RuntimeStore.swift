import Foundation
import GRDB

/// The runtime's SQLite database: declared objects as last applied, their
/// knowledge documents (indexed with FTS5), reconcile runs and the audit log.
///
/// One `RuntimeStore` per database file per process (it wraps one GRDB
/// `DatabasePool` in WAL mode). Everything the reconciler writes goes through
/// the narrow API in `RuntimeStore+Apply.swift`; no other module writes SQL.
public struct RuntimeStore: Sendable {
    let writer: any DatabaseWriter
    /// The database file, for messages.
    public let path: String
    /// Told after this process changes declared state (shared by every copy).
    public let changes = StoreChanges()
    /// Told after a transaction of this process changed handoffs, in commit order.
    public let handoffCommits = HandoffCommits()

    /// Opens the database at `path` (creating it unless `mustExist`) and
    /// migrates it. Refuses a database whose schema is newer than this build knows.
    public static func open(path: String, mustExist: Bool = false) throws(StoreError) -> RuntimeStore {
        if mustExist, !FileManager.default.fileExists(atPath: path) {
            throw StoreError.database(path: path, message: "no such file")
        }
        // The database holds key hashes and conversations: owner only, also
        // when it already exists. SQLite gives its -wal and -shm files the
        // database file's mode.
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if descriptor >= 0 { close(descriptor) }
        }
        for file in [path, path + "-wal", path + "-shm"] { _ = fchmodat(AT_FDCWD, file, 0o600, AT_SYMLINK_NOFOLLOW) }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                // WAL with synchronous=NORMAL: a commit survives a process
                // crash; only an OS crash may lose the last commits, and never
                // leaves a half-applied transaction.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // The writer keeps 16 MB of pages: what the chat path's
                // batches touch (their rows go to the end of time-ordered
                // indexes). An apply raises it for its transaction (see
                // `bulkWrite`). Reader connections (up to five) get 4 MB each.
                try db.execute(sql: db.configuration.readonly ? "PRAGMA cache_size = -4096" : "PRAGMA cache_size = \(Self.writerCacheKiB)")
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
            let pool = try DatabasePool(path: path, configuration: configuration)
            let store = RuntimeStore(writer: pool, path: path)
            try store.migrate()
            return store
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Opens an existing database for reading only (`plan --db`): nothing is
    /// created or migrated. A database that is not nectar's, or that needs
    /// migrating, is refused with a clear message.
    public static func openReadOnly(path: String) throws(StoreError) -> RuntimeStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.database(path: path, message: "no such file")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            let pool = try DatabasePool(path: path, configuration: configuration)
            let store = RuntimeStore(writer: pool, path: path)
            let migrator = StoreMigrations.migrator
            let (superseded, complete, applied) = try pool.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db), try migrator.appliedIdentifiers(db))
            }
            if superseded {
                throw StoreError.newerSchema(path: path, unknown: applied.subtracting(Set(migrator.migrations)).sorted())
            }
            if !complete {
                throw StoreError.database(path: path, message: applied.isEmpty
                    ? "it is not a nectar database (run nectar apply to create one)"
                    : "it needs migrating to this version of nectar (run nectar apply once)")
            }
            return store
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// An in-memory store, for tests of code that needs a store but not a file.
    public static func inMemory() throws(StoreError) -> RuntimeStore {
        do {
            let store = RuntimeStore(writer: try DatabaseQueue(), path: ":memory:")
            try store.migrate()
            return store
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: ":memory:", message: Self.message(error))
        }
    }

    private func migrate() throws {
        let migrator = StoreMigrations.migrator
        let (superseded, applied) = try writer.read { db in
            (try migrator.hasBeenSuperseded(db), try migrator.appliedIdentifiers(db))
        }
        if superseded {
            let known = Set(migrator.migrations)
            throw StoreError.newerSchema(path: path, unknown: applied.subtracting(known).sorted())
        }
        try migrator.migrate(writer)
    }

    /// Runs a read, turning GRDB errors into one-sentence `StoreError`s.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Runs a write transaction, turning GRDB errors into `StoreError`s.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// The writer connection's page cache, in KiB (negative: SQLite's unit).
    static let writerCacheKiB = -16_384

    /// A write transaction that may touch tens of megabytes (an apply of
    /// 10,000 bots): with a 16 MB (or SQLite's default 2 MB) page cache the
    /// dirty pages would spill to the WAL over and over, so the cache is
    /// raised to 64 MB for it, then set back and its memory released.
    func bulkWrite<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA cache_size = -65536")
                defer {
                    try? db.execute(sql: "PRAGMA cache_size = \(Self.writerCacheKiB)")
                    try? db.execute(sql: "PRAGMA shrink_memory")
                }
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw StoreError.database(path: path, message: "the transaction returned nothing") }
                return result
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Runs a read on GRDB's reader queues, off Swift's cooperative pool,
    /// so that request handlers never block it.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Runs a write transaction on GRDB's writer queue, off Swift's cooperative pool.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// `?,?,?`: the parameters of an `IN (...)` list of `count` values.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }

    static func message(_ error: any Error) -> String {
        if let database = error as? DatabaseError {
            return database.message ?? database.description
        }
        return String(describing: error)
    }
}
