import Foundation
import GRDB

/// Operator tokens and runtime overrides: the writes an operator makes at
/// runtime, outside any reconcile. Each is one transaction with its audit entry.
extension RuntimeStore {
    /// Issues a token for a declared, live operator. The secret is returned
    /// once and stored only as its SHA-256.
    public func issueOperatorToken(operator name: String, actor: String = "cli", at now: Date = Date()) throws(StoreError) -> (record: OperatorTokenRecord, token: OperatorToken) {
        let token = OperatorToken.generate()
        var generator = SystemRandomNumberGenerator()
        let id = "tok_" + String(decoding: Base62.random(count: 12, using: &generator), as: UTF8.self)
        try write { db in
            guard try Self.liveOperatorSpec(name, db) != nil else {
                throw StoreError.rejected(try Self.unknownOperatorMessage(name, db))
            }
            try db.execute(sql: """
                INSERT INTO operator_token (id, operator, secret_hash, display, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [id, name, token.secretHash, token.display, now.timeIntervalSince1970])
            try Self.insert(AuditEntry(at: now, actor: actor, action: "token-issue", objectKind: ObjectKind.operator.rawValue,
                                  objectName: name, changes: #"{"token":"\#(id)"}"#), runID: nil, db)
        }
        return (OperatorTokenRecord(id: id, operatorName: name, display: token.display, createdAt: now), token)
    }

    /// The operator a presented token belongs to, if the token is valid: well
    /// formed, not revoked, and its operator still declared.
    ///
    /// A read, so that it never waits for a reconcile's write transaction;
    /// the token's `last_used_at` is recorded in the background, at most
    /// once a minute per token.
    public func operatorIdentity(presenting text: String, at now: Date = Date()) throws(StoreError) -> OperatorIdentity? {
        guard let token = OperatorToken(parsing: text) else { return nil }
        return recordUse(try read(Self.tokenIdentity(hash: token.secretHash)), at: now)
    }

    /// The same, read off Swift's cooperative pool (for request handlers).
    public func operatorIdentity(presenting text: String, at now: Date = Date()) async throws(StoreError) -> OperatorIdentity? {
        guard let token = OperatorToken(parsing: text) else { return nil }
        return recordUse(try await read(Self.tokenIdentity(hash: token.secretHash)), at: now)
    }

    /// The identity behind a token hash and when the token was last used.
    static func tokenIdentity(hash: String) -> @Sendable (Database) throws -> (OperatorIdentity, Double?)? {
        { db in
            typealias Columns = OperatorTokenRecord.Columns
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT id, operator, secret_hash, last_used_at FROM operator_token WHERE secret_hash = ? AND revoked_at IS NULL
                """), arguments: [hash]),
                ConstantTime.equals((row[Columns.secretHash] as String).utf8, hash.utf8),
                let spec = try Self.liveOperatorSpec(row[Columns.operatorName], db) else { return nil }
            return (OperatorIdentity(name: spec.name, role: spec.role, teams: spec.teams, tokenID: row[Columns.id]),
                    row[Columns.lastUsedAt])
        }
    }

    /// Records a token's use in the background, at most once a minute.
    private func recordUse(_ found: (OperatorIdentity, Double?)?, at now: Date) -> OperatorIdentity? {
        guard let (identity, lastUsed) = found else { return nil }
        if (lastUsed ?? 0) < now.timeIntervalSince1970 - 60 {
            let id = identity.tokenID, at = now.timeIntervalSince1970
            writer.asyncWriteWithoutTransaction { db in
                try? db.execute(sql: "UPDATE operator_token SET last_used_at = ? WHERE id = ?", arguments: [at, id])
            }
        }
        return identity
    }

    /// Token metadata, newest first, of one operator or all.
    public func operatorTokens(operator name: String? = nil) throws(StoreError) -> [OperatorTokenRecord] {
        try read { db in
            let filter = name == nil ? "" : "WHERE operator = ?"
            return try OperatorTokenRecord.fetchAll(db, sql: "\(OperatorTokenRecord.selection) \(filter) ORDER BY created_at DESC, id",
                                                    arguments: name.map { [$0] } ?? [])
        }
    }

    /// The same, read off Swift's cooperative pool (for request handlers).
    public func operatorTokensAsync(operator name: String) async throws(StoreError) -> [OperatorTokenRecord] {
        try await read { db in
            try OperatorTokenRecord.fetchAll(db, sql: "\(OperatorTokenRecord.selection) WHERE operator = ? ORDER BY created_at DESC, id",
                                             arguments: [name])
        }
    }

    /// The declared, live operators (for admins).
    public func operatorSummaries() async throws(StoreError) -> [OperatorSpec] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT spec FROM operator WHERE deleted_at IS NULL ORDER BY name").compactMap {
                try? JSONDecoder().decode(OperatorSpec.self, from: Data($0.utf8))
            }
        }
    }

    /// Revokes one token by id, or every token of an operator. Returns how many were revoked.
    @discardableResult
    public func revokeOperatorTokens(id: String? = nil, operator name: String? = nil, actor: String = "cli", at now: Date = Date()) throws(StoreError) -> Int {
        guard id != nil || name != nil else { throw .rejected("name a token id or an operator to revoke") }
        return try write { db in
            var conditions = ["revoked_at IS NULL"]
            var arguments: [any DatabaseValueConvertible] = []
            if let id { conditions.append("id = ?"); arguments.append(id) }
            if let name { conditions.append("operator = ?"); arguments.append(name) }
            let tokens = try OperatorTokenRecord.fetchAll(db, sql: "\(OperatorTokenRecord.selection) WHERE \(conditions.joined(separator: " AND "))",
                                                          arguments: StatementArguments(arguments))
            if tokens.isEmpty {
                throw StoreError.rejected(id.map { "there is no unrevoked operator token \($0)" } ?? "operator \(name ?? "") has no unrevoked tokens")
            }
            for token in tokens {
                try db.execute(sql: "UPDATE operator_token SET revoked_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, token.id])
                try Self.insert(AuditEntry(at: now, actor: actor, action: "token-revoke", objectKind: ObjectKind.operator.rawValue,
                                      objectName: token.operatorName, changes: #"{"token":"\#(token.id)"}"#), runID: nil, db)
            }
            return tokens.count
        }
    }

    /// Pauses a live bot at runtime (an override git does not declare). Pausing
    /// a paused bot changes nothing and returns false.
    @discardableResult
    public func pause(bot name: String, by actor: String, reason: String?, at now: Date = Date()) throws(StoreError) -> Bool {
        defer { changes.notify() }
        return try write(Self.pause(bot: name, by: actor, reason: reason, at: now))
    }

    static func pause(bot name: String, by actor: String, reason: String?, at now: Date) -> @Sendable (Database) throws -> Bool {
        { db in
            let paused = try Self.liveBotPausedAt(name, db)
            guard paused == nil else { return false }
            try db.execute(sql: "UPDATE bot SET paused_at = ?, paused_by = ?, paused_reason = ? WHERE name = ?",
                           arguments: [now.timeIntervalSince1970, actor, reason, name])
            let changes = String(decoding: try JSONEncoder().encode(["reason": reason]), as: UTF8.self)
            try Self.insert(AuditEntry(at: now, actor: actor, action: "pause", objectKind: ObjectKind.bot.rawValue, objectName: name,
                                  changes: changes), runID: nil, db)
            return true
        }
    }

    /// Resumes a paused bot. Resuming a running bot changes nothing and returns false.
    @discardableResult
    public func resume(bot name: String, by actor: String, at now: Date = Date()) throws(StoreError) -> Bool {
        defer { changes.notify() }
        return try write(Self.resume(bot: name, by: actor, at: now))
    }

    static func resume(bot name: String, by actor: String, at now: Date) -> @Sendable (Database) throws -> Bool {
        { db in
            guard try Self.liveBotPausedAt(name, db) != nil else { return false }
            try db.execute(sql: "UPDATE bot SET paused_at = NULL, paused_by = NULL, paused_reason = NULL WHERE name = ?", arguments: [name])
            try Self.insert(AuditEntry(at: now, actor: actor, action: "resume", objectKind: ObjectKind.bot.rawValue, objectName: name,
                                  changes: "{}"), runID: nil, db)
            return true
        }
    }

    /// The pause time of a live bot (nil when running); throws when there is no live bot of that name.
    private static func liveBotPausedAt(_ name: String, _ db: Database) throws -> Double? {
        guard let row = try Row.fetchOne(db, sql: "SELECT paused_at FROM bot WHERE name = ? AND deleted_at IS NULL", arguments: [name]) else {
            throw StoreError.rejected("there is no live bot named \(name)")
        }
        return row[LiveObject.Columns.pausedAt]
    }

    static func liveOperatorSpec(_ name: String, _ db: Database) throws -> OperatorSpec? {
        guard let json = try String.fetchOne(db, sql: "SELECT spec FROM operator WHERE name = ? AND deleted_at IS NULL", arguments: [name]) else {
            return nil
        }
        return try JSONDecoder().decode(OperatorSpec.self, from: Data(json.utf8))
    }

    private static func unknownOperatorMessage(_ name: String, _ db: Database) throws -> String {
        let names = try String.fetchAll(db, sql: "SELECT name FROM operator WHERE deleted_at IS NULL ORDER BY name")
        let known = names.isEmpty ? "no operators are declared (add an Operator declaration and apply it)" : "declared operators: \(names.joined(separator: ", "))"
        return "there is no declared operator named \(name); \(known)"
    }
}
