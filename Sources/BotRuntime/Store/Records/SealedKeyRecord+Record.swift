import Foundation
import GRDB

/// A row of `sealed_key`.
extension SealedKeyRecord: FetchableRecord {
    enum Columns {
        static let keyID = Column("key_id")
        static let recipient = Column("recipient")
        static let encapsulated = Column("encapsulated")
        static let ciphertext = Column("ciphertext")
        static let createdAt = Column("created_at")
    }

    static let selection = "SELECT key_id, recipient, encapsulated, ciphertext, created_at FROM sealed_key"

    public init(row: Row) {
        self.init(keyID: row[Columns.keyID], recipient: row[Columns.recipient], encapsulated: row[Columns.encapsulated],
                  ciphertext: row[Columns.ciphertext], createdAt: row.date(Columns.createdAt))
    }
}
