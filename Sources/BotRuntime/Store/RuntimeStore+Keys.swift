import Foundation
import GRDB

/// A key sealed with HPKE to one recipient: safe to store.
public struct SealedKeyRecord: Sendable, Hashable, Codable {
    public var keyID: String
    /// The recipient's base64 X25519 public key, as declared.
    public var recipient: String
    public var encapsulated: Data
    public var ciphertext: Data
    public var createdAt: Date

    public init(keyID: String, recipient: String, encapsulated: Data, ciphertext: Data, createdAt: Date) {
        self.keyID = keyID
        self.recipient = recipient
        self.encapsulated = encapsulated
        self.ciphertext = ciphertext
        self.createdAt = createdAt
    }
}

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
extension RuntimeStore {
    /// Keys, newest first, of one bot or of all.
    public func keys(bot: String? = nil) throws(StoreError) -> [StoredKey] {
        try read { db in try Self.keys(bot: bot, db) }
    }

    static func keys(bot: String?, _ db: Database) throws -> [StoredKey] {
        let filter = bot == nil ? "" : "WHERE bot = ?"
        return try Row.fetchAll(db, sql: "\(keyColumns) \(filter) ORDER BY created_at DESC, id", arguments: bot.map { [$0] } ?? [])
            .map(key)
    }

    /// The key whose secret hashes to `secretHash`, if any.
    public func key(secretHash: String) throws(StoreError) -> StoredKey? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "\(Self.keyColumns) WHERE secret_hash = ?"), arguments: [secretHash]).map(Self.key)
        }
    }

    /// The sealed copies of a key.
    public func sealedKeys(keyID: String) throws(StoreError) -> [SealedKeyRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT key_id, recipient, encapsulated, ciphertext, created_at FROM sealed_key WHERE key_id = ? ORDER BY recipient
                """, arguments: [keyID]).map {
                SealedKeyRecord(keyID: $0[0], recipient: $0[1], encapsulated: $0[2], ciphertext: $0[3],
                                createdAt: Date(timeIntervalSince1970: $0[4]))
            }
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
        try write { db in
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
            for entry in audit { try insert(entry, runID: nil, db) }
        }
    }

    private static let keyColumns = """
        SELECT id, bot, generation, secret_hash, display, state, origin, created_at, rotated_at, expires_at,
               revoked_at, revoked_reason, last_used_at FROM api_key
        """

    private static func key(_ row: Row) -> StoredKey {
        func date(_ index: Int) -> Date? { (row[index] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return StoredKey(id: row[0], bot: row[1], generation: row[2], secretHash: row[3], display: row[4],
                         state: StoredKey.State(rawValue: row[5]) ?? .revoked, origin: row[6],
                         createdAt: Date(timeIntervalSince1970: row[7]), rotatedAt: date(8), expiresAt: date(9),
                         revokedAt: date(10), revokedReason: row[11], lastUsedAt: date(12))
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
