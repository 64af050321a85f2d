import Foundation
import GRDB

/// A row of a declared kind's table (`bot`, `honey_jar`, `key_rotation_policy`, `operator`).
extension LiveObject {
    enum Columns {
        static let name = Column("name")
        static let spec = Column("spec")
        static let specHash = Column("spec_hash")
        static let sourcePath = Column("source_path")
        static let blobID = Column("blob_id")
        static let revision = Column("revision")
        static let createdAt = Column("created_at")
        static let updatedAt = Column("updated_at")
        static let deletedAt = Column("deleted_at")
        /// Bots only; the other kinds select NULL under these names.
        static let pausedAt = Column("paused_at")
        static let pausedBy = Column("paused_by")
        static let pausedReason = Column("paused_reason")
    }

    /// The select list for a kind's table, with or without the spec text.
    static func selection(_ kind: ObjectKind, spec: Bool) -> String {
        let pause = kind == .bot ? "paused_at, paused_by, paused_reason"
            : "NULL AS paused_at, NULL AS paused_by, NULL AS paused_reason"
        return "name, spec_hash, source_path, blob_id, revision, created_at, updated_at, deleted_at, \(pause)"
            + (spec ? ", spec" : "")
    }

    /// Reads a row selected with `selection(_:spec:)`.
    init(row: Row, kind: ObjectKind) {
        self.init(kind: kind, name: row[Columns.name], specHash: row[Columns.specHash], sourcePath: row[Columns.sourcePath],
                  blobID: row[Columns.blobID], revision: row[Columns.revision], createdAt: row.date(Columns.createdAt),
                  updatedAt: row.date(Columns.updatedAt), deletedAt: row.optionalDate(Columns.deletedAt),
                  pausedAt: row.optionalDate(Columns.pausedAt), pausedBy: row[Columns.pausedBy],
                  pausedReason: row[Columns.pausedReason])
    }
}
