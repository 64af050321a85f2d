import Foundation
import GRDB

/// A row of `api_key`.
extension StoredKey: FetchableRecord {
    enum Columns {
        static let id = Column("id")
        static let bot = Column("bot")
        static let generation = Column("generation")
        static let secretHash = Column("secret_hash")
        static let display = Column("display")
        static let state = Column("state")
        static let origin = Column("origin")
        static let createdAt = Column("created_at")
        static let rotatedAt = Column("rotated_at")
        static let expiresAt = Column("expires_at")
        static let revokedAt = Column("revoked_at")
        static let revokedReason = Column("revoked_reason")
        static let lastUsedAt = Column("last_used_at")
    }

    static let selection = """
        SELECT id, bot, generation, secret_hash, display, state, origin, created_at, rotated_at, expires_at,
               revoked_at, revoked_reason, last_used_at FROM api_key
        """

    public init(row: Row) {
        self.init(id: row[Columns.id], bot: row[Columns.bot], generation: row[Columns.generation],
                  secretHash: row[Columns.secretHash], display: row[Columns.display],
                  state: State(rawValue: row[Columns.state]) ?? .revoked, origin: row[Columns.origin],
                  createdAt: row.date(Columns.createdAt), rotatedAt: row.optionalDate(Columns.rotatedAt),
                  expiresAt: row.optionalDate(Columns.expiresAt), revokedAt: row.optionalDate(Columns.revokedAt),
                  revokedReason: row[Columns.revokedReason], lastUsedAt: row.optionalDate(Columns.lastUsedAt))
    }
}
