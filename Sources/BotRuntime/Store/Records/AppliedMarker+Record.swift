import Foundation
import GRDB

/// The one row of `store_meta`.
extension AppliedMarker: FetchableRecord {
    enum Columns {
        static let stateVersion = Column("state_version")
        static let appliedStateVersion = Column("applied_state_version")
        static let appliedRevision = Column("applied_revision")
        static let appliedPath = Column("applied_path")
        static let nextKeyEvent = Column("next_key_event")
    }

    static let selection = """
        SELECT state_version, applied_state_version, applied_revision, applied_path, next_key_event FROM store_meta WHERE id = 1
        """

    public init(row: Row) {
        let version: Int64 = row[Columns.stateVersion]
        let applied: Int64? = row[Columns.appliedStateVersion]
        self.init(revision: row[Columns.appliedRevision], declarationsPath: row[Columns.appliedPath],
                  untouched: version == applied, stateVersion: version, appliedStateVersion: applied,
                  nextKeyEvent: row.optionalDate(Columns.nextKeyEvent))
    }
}
