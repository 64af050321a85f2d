import Foundation
import GRDB

/// A row of `conversation`.
extension ConversationRecord: FetchableRecord {
    enum Columns {
        static let id = Column("id")
        static let bot = Column("bot")
        static let channel = Column("channel")
        static let keyID = Column("key_id")
        static let clientHash = Column("client_hash")
        static let createdAt = Column("created_at")
    }

    static let selection = "SELECT id, bot, channel, key_id, client_hash, created_at FROM conversation"

    public init(row: Row) {
        self.init(id: row[Columns.id], bot: row[Columns.bot], channel: Channel(rawValue: row[Columns.channel]) ?? .key,
                  keyID: row[Columns.keyID], clientHash: row[Columns.clientHash], createdAt: row.date(Columns.createdAt))
    }
}
