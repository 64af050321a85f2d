import Foundation
import GRDB

/// A row of `reconcile_run`.
extension ReconcileRun: FetchableRecord {
    enum Columns {
        static let id = Column("id")
        static let revision = Column("revision")
        static let startedAt = Column("started_at")
        static let finishedAt = Column("finished_at")
        static let outcome = Column("outcome")
        static let trigger = Column("trigger")
        static let summary = Column("summary")
        /// A JSON array of sentences.
        static let errors = Column("errors")
    }

    static let selection = "SELECT id, revision, started_at, finished_at, outcome, trigger, summary, errors FROM reconcile_run"

    public init(row: Row) {
        let errors = (try? JSONDecoder().decode([String].self, from: Data((row[Columns.errors] as String).utf8))) ?? []
        self.init(id: row[Columns.id], revision: row[Columns.revision], startedAt: row.date(Columns.startedAt),
                  finishedAt: row.date(Columns.finishedAt), outcome: Outcome(rawValue: row[Columns.outcome]) ?? .failed,
                  trigger: ReconcileTrigger(rawValue: row[Columns.trigger]), summary: row[Columns.summary], errors: errors)
    }
}
