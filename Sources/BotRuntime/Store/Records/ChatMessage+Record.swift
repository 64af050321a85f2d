import Foundation
import GRDB

/// A row of `message`.
extension ChatMessage: FetchableRecord {
    enum Columns {
        static let id = Column("id")
        static let conversationID = Column("conversation_id")
        static let seq = Column("seq")
        static let role = Column("role")
        static let text = Column("text")
        static let at = Column("at")
        static let confidence = Column("confidence")
        /// JSON array of `ChatSource`, or NULL.
        static let sources = Column("sources")
        static let author = Column("author")
    }

    static let selection = "SELECT id, seq, role, text, at, confidence, sources, author FROM message"

    public init(row: Row) {
        let sources = (row[Columns.sources] as String?)
            .flatMap { try? JSONDecoder().decode([ChatSource].self, from: Data($0.utf8)) } ?? []
        self.init(id: row[Columns.id], role: Role(rawValue: row[Columns.role]) ?? .system, text: row[Columns.text],
                  at: row.date(Columns.at), confidence: row[Columns.confidence], sources: sources, author: row[Columns.author])
    }
}
