import Foundation
import GRDB

/// A change of state of an existing key.
public struct KeyTransition: Sendable, Hashable {
    public var keyID: String
    public var state: StoredKey.State
    public var at: Date
    /// For grace: when it expires.
    public var expiresAt: Date?
    /// For revoked: why.
    public var reason: String?
    /// The key's bot, when known (lets a cached live state find it at once).
    public var bot: String?

    public init(keyID: String, state: StoredKey.State, at: Date, expiresAt: Date? = nil, reason: String? = nil, bot: String? = nil) {
        self.keyID = keyID
        self.state = state
        self.at = at
        self.expiresAt = expiresAt
        self.reason = reason
        self.bot = bot
    }
}

/// Key reads and writes.
extension RuntimeStore: KeyLookup {
    /// Keys, newest first, of one bot or of all.
    public func keys(bot: String? = nil) throws(StoreError) -> [StoredKey] {
        try read { db in try Self.keys(bot: bot, db) }
    }

    static func keys(bot: String?, _ db: Database) throws -> [StoredKey] {
        let filter = bot == nil ? "" : "WHERE bot = ?"
        return try StoredKey.fetchAll(db, sql: "\(StoredKey.selection) \(filter) ORDER BY created_at DESC, id", arguments: bot.map { [$0] } ?? [])
    }

    /// The key whose secret hashes to `secretHash`, if any.
    public func key(secretHash: String) throws(StoreError) -> StoredKey? {
        try read { db in
            try StoredKey.fetchOne(db.cachedStatement(sql: "\(StoredKey.selection) WHERE secret_hash = ?"), arguments: [secretHash])
        }
    }

    /// The sealed copies of a key.
    public func sealedKeys(keyID: String) throws(StoreError) -> [SealedKeyRecord] {
        try read { db in
            try SealedKeyRecord.fetchAll(db, sql: "\(SealedKeyRecord.selection) WHERE key_id = ? ORDER BY recipient", arguments: [keyID])
        }
    }

    /// The current state version: any change to declared state or keys,
    /// by any process, moves it. Key caches compare it before trusting an entry.
    public func stateVersion() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT state_version FROM store_meta WHERE id = 1")) ?? 0 }
    }

    /// Records that a key was used (best effort; at most once a minute per key).
    public func touch(keyID: String, at date: Date) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE api_key SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                           arguments: [date.timeIntervalSince1970, keyID, date.timeIntervalSince1970 - 60])
        }
    }

    /// Writes issued keys, sealed copies and transitions (inside an apply's transaction).
    func writeKeys(_ changes: ChangeSet, _ db: Database) throws {
        for issued in changes.keyIssues {
            let key = issued.key
            try db.cachedStatement(sql: """
                INSERT INTO api_key (id, bot, generation, secret_hash, display, state, origin, created_at, rotated_at,
                                     expires_at, revoked_at, revoked_reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [key.id, key.bot, key.generation, key.secretHash, key.display, key.state.rawValue,
                                         key.origin, key.createdAt.timeIntervalSince1970, key.rotatedAt?.timeIntervalSince1970,
                                         key.expiresAt?.timeIntervalSince1970, key.revokedAt?.timeIntervalSince1970,
                                         key.revokedReason])
            for sealed in issued.sealed {
                try db.cachedStatement(sql: """
                    INSERT INTO sealed_key (key_id, recipient, encapsulated, ciphertext, created_at) VALUES (?, ?, ?, ?, ?)
                    """).execute(arguments: [sealed.keyID, sealed.recipient, sealed.encapsulated, sealed.ciphertext,
                                             sealed.createdAt.timeIntervalSince1970])
            }
        }
        for transition in changes.keyTransitions {
            try Self.write(transition, db)
        }
    }

    static func write(_ transition: KeyTransition, _ db: Database) throws {
        let at = transition.at.timeIntervalSince1970
        switch transition.state {
        case .grace:
            try db.cachedStatement(sql: "UPDATE api_key SET state = 'grace', rotated_at = ?, expires_at = ? WHERE id = ? AND state = 'active'")
                .execute(arguments: [at, transition.expiresAt?.timeIntervalSince1970, transition.keyID])
        case .revoked:
            try db.cachedStatement(sql: """
                UPDATE api_key SET state = 'revoked', revoked_at = ?, revoked_reason = ?, rotated_at = COALESCE(rotated_at, ?)
                WHERE id = ? AND state != 'revoked'
                """).execute(arguments: [at, transition.reason, at, transition.keyID])
        case .active:
            break  // keys become active only when issued
        }
    }

    /// Applies key transitions outside a reconcile (emergency rotate/revoke),
    /// with their audit entries, in one transaction.
    public func applyKeyChanges(issues: [KeyIssue], transitions: [KeyTransition], audit: [AuditEntry],
                                expectingActive expected: (bot: String, keyID: String?)? = nil) throws(StoreError) {
        let path = self.path
        defer { self.changes.notify() }
        try bulkWrite { db in
            if let expected {
                // The active key read before must still be the active key:
                // a reconcile that rotated in between wins, nothing is written.
                let active = try String.fetchOne(db, sql: "SELECT id FROM api_key WHERE bot = ? AND state = 'active'",
                                                 arguments: [expected.bot])
                if active != expected.keyID {
                    throw StoreError.database(path: path, message: "the active key of bot \(expected.bot) changed meanwhile; nothing was written, try again")
                }
            }
            var changes = ChangeSet(revision: "")
            changes.keyIssues = issues
            changes.keyTransitions = transitions
            try writeKeys(changes, db)
            for entry in audit { try Self.insert(entry, runID: nil, db) }
        }
    }
}

/// A newly issued key as stored, with its sealed copies.
public struct KeyIssue: Sendable, Hashable {
    public var key: StoredKey
    public var sealed: [SealedKeyRecord]

    public init(key: StoredKey, sealed: [SealedKeyRecord]) {
        self.key = key
        self.sealed = sealed
    }
}
