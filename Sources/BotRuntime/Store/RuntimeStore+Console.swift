import Foundation
import GRDB

/// Console sessions: opened by presenting an operator token, stored by
/// the hash of their id, ended by signing out, by expiry, or by revoking
/// the token they were opened with.
extension RuntimeStore {
    /// Opens a session for a valid operator token; nil for an invalid one.
    /// Returns the new session id (the cookie's value; shown nowhere else)
    /// and the operator. Expired sessions are removed on the way.
    public func openConsoleSession(presenting text: String, lifetime: TimeInterval,
                                   at now: Date = Date()) async throws(StoreError) -> (session: String, identity: OperatorIdentity)? {
        guard let token = OperatorToken(parsing: text) else { return nil }
        var generator = SystemRandomNumberGenerator()
        let session = "ncs_" + String(decoding: Base62.random(count: 32, using: &generator), as: UTF8.self)
        let hash = CanonicalSpec.hash(Array(session.utf8))
        let identity = try await write { db -> OperatorIdentity? in
            guard let (identity, _) = try Self.tokenIdentity(hash: token.secretHash)(db) else { return nil }
            try db.execute(sql: "DELETE FROM console_session WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO console_session (id_hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [hash, identity.tokenID, now.timeIntervalSince1970, now.timeIntervalSince1970 + lifetime])
            try Self.insert(AuditEntry(at: now, actor: "operator:\(identity.name)", action: "console-sign-in",
                                       objectKind: ObjectKind.operator.rawValue, objectName: identity.name,
                                       changes: #"{"token":"\#(identity.tokenID)"}"#), runID: nil, db)
            return identity
        }
        return identity.map { (session, $0) }
    }

    /// The operator of a live session: not expired, its token not revoked,
    /// its operator still declared.
    public func consoleIdentity(session: String, at now: Date = Date()) async throws(StoreError) -> OperatorIdentity? {
        guard session.hasPrefix("ncs_"), session.utf8.count == 36 else { return nil }
        let hash = CanonicalSpec.hash(Array(session.utf8))
        return try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT t.id, t.operator FROM console_session s JOIN operator_token t ON t.id = s.token_id
                WHERE s.id_hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL
                """), arguments: [hash, now.timeIntervalSince1970]),
                let spec = try Self.liveOperatorSpec(row[1], db) else { return nil }
            return OperatorIdentity(name: spec.name, role: spec.role, teams: spec.teams, tokenID: row[0])
        }
    }

    /// Ends a session (signing out).
    public func closeConsoleSession(_ session: String) async throws(StoreError) {
        let hash = CanonicalSpec.hash(Array(session.utf8))
        try await write { db in try db.execute(sql: "DELETE FROM console_session WHERE id_hash = ?", arguments: [hash]) }
    }

    /// A bot's most recently active conversations, with their size and last message.
    public func recentConversations(bot: String, limit: Int) async throws(StoreError) -> [ConversationSummary] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.channel, c.created_at, c.updated_at,
                       (SELECT count(*) FROM message m WHERE m.conversation_id = c.id) AS messages,
                       (SELECT text FROM message m WHERE m.conversation_id = c.id ORDER BY seq DESC LIMIT 1) AS last_text
                FROM conversation c WHERE c.bot = ? ORDER BY c.updated_at DESC LIMIT ?
                """, arguments: [bot, limit]).map { row in
                ConversationSummary(id: row["id"], channel: row["channel"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                                    updatedAt: Date(timeIntervalSince1970: row["updated_at"]), messages: row["messages"],
                                    lastMessage: row["last_text"])
            }
        }
    }
}

/// A conversation as the console lists it.
public struct ConversationSummary: Sendable, Hashable {
    public var id: String
    public var channel: String
    public var createdAt: Date
    public var updatedAt: Date
    public var messages: Int
    public var lastMessage: String?
}
