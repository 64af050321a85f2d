import GRDB

extension StoreMigrations {
    /// v6: the notification outbox, written in the transaction of the change
    /// that causes each event, and what each operator has read.
    static func registerNotifications(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-notification-outbox") { db in
            try db.execute(sql: """
                CREATE TABLE outbox_event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    bot TEXT,
                    handoff_id TEXT,
                    at REAL NOT NULL,
                    payload TEXT NOT NULL
                );
                CREATE INDEX outbox_event_bot ON outbox_event(bot, id);
                CREATE INDEX outbox_event_handoff ON outbox_event(handoff_id, id);

                CREATE TABLE notification_read (
                    operator TEXT NOT NULL,
                    event INTEGER NOT NULL,
                    at REAL NOT NULL,
                    PRIMARY KEY (operator, event)
                ) WITHOUT ROWID;
                """)
        }
    }
}
