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

                -- One row per event and channel target: the delivery id
                -- (X-Nectar-Delivery) stays the same across retries.
                CREATE TABLE delivery (
                    id TEXT PRIMARY KEY NOT NULL,
                    seq INTEGER NOT NULL,
                    event_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    target TEXT NOT NULL,
                    ordering_key TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'delivered', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    last_status INTEGER,
                    last_error TEXT,
                    created_at REAL NOT NULL,
                    -- The maximum age counts from here: the creation, or the last manual retry.
                    age_from REAL NOT NULL,
                    delivered_at REAL,
                    UNIQUE (seq, channel, target)
                );
                CREATE INDEX delivery_due ON delivery(status, next_attempt_at);
                CREATE INDEX delivery_order ON delivery(channel, target, ordering_key, seq);

                -- What a target's service made for a handoff (a Zendesk ticket id).
                CREATE TABLE delivery_ref (
                    channel TEXT NOT NULL,
                    target TEXT NOT NULL,
                    ordering_key TEXT NOT NULL,
                    ref TEXT NOT NULL,
                    PRIMARY KEY (channel, target, ordering_key)
                ) WITHOUT ROWID;

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
