import Foundation
import GRDB

/// A row of `operator_token` (its secret hash is never read into this type).
extension OperatorTokenRecord: FetchableRecord {
    enum Columns {
        static let id = Column("id")
        static let operatorName = Column("operator")
        static let secretHash = Column("secret_hash")
        static let display = Column("display")
        static let createdAt = Column("created_at")
        static let revokedAt = Column("revoked_at")
        static let lastUsedAt = Column("last_used_at")
    }

    static let selection = "SELECT id, operator, display, created_at, revoked_at, last_used_at FROM operator_token"

    public init(row: Row) {
        self.init(id: row[Columns.id], operatorName: row[Columns.operatorName], display: row[Columns.display],
                  createdAt: row.date(Columns.createdAt), revokedAt: row.optionalDate(Columns.revokedAt),
                  lastUsedAt: row.optionalDate(Columns.lastUsedAt))
    }
}
