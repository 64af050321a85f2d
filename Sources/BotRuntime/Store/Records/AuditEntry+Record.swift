import Foundation
import GRDB

/// A row of `audit_log`.
extension AuditEntry: FetchableRecord {
    enum Columns {
        static let at = Column("at")
        static let actor = Column("actor")
        static let runID = Column("run_id")
        static let action = Column("action")
        static let objectKind = Column("object_kind")
        static let objectName = Column("object_name")
        static let changes = Column("changes")
    }

    static let selection = "SELECT at, actor, run_id, action, object_kind, object_name, changes FROM audit_log"

    public init(row: Row) {
        self.init(at: row.date(Columns.at), actor: row[Columns.actor], action: row[Columns.action],
                  objectKind: row[Columns.objectKind], objectName: row[Columns.objectName], changes: row[Columns.changes],
                  runID: row[Columns.runID])
    }
}
