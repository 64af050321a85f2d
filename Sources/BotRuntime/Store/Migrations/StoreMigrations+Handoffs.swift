import GRDB

extension StoreMigrations {
    /// v5: handoffs to human operators and their append-only events.
    /// Runtime state: no `state_version` triggers.
    static func registerHandoffs(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-handoffs") { db in
            try db.execute(sql: """
                CREATE TABLE handoff (
                    number INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    bot TEXT NOT NULL,
                    conversation_id TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'assigned', 'resolved')),
                    urgency TEXT NOT NULL CHECK (urgency IN ('critical', 'high', 'medium', 'low')),
                    initial_urgency TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    reason_detail TEXT,
                    confidence REAL,
                    trigger_message_id TEXT NOT NULL,
                    assignee TEXT,
                    escalated INTEGER NOT NULL DEFAULT 0,
                    sla_due_at REAL,
                    created_at REAL NOT NULL,
                    assigned_at REAL,
                    escalated_at REAL,
                    resolved_at REAL,
                    reopened_at REAL,
                    resolved_by TEXT,
                    resolution_note TEXT,
                    updated_at REAL NOT NULL
                );
                -- At most one open handoff per conversation, whatever races.
                CREATE UNIQUE INDEX handoff_open_conversation ON handoff(conversation_id) WHERE status != 'resolved';
                CREATE INDEX handoff_conversation ON handoff(conversation_id, number);
                CREATE INDEX handoff_status ON handoff(status, number);
                CREATE INDEX handoff_bot ON handoff(bot, number);
                CREATE INDEX handoff_sla_due ON handoff(sla_due_at) WHERE sla_due_at IS NOT NULL;

                CREATE TABLE handoff_event (
                    id INTEGER PRIMARY KEY,
                    handoff_id TEXT NOT NULL,
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX handoff_event_handoff ON handoff_event(handoff_id, id);
                -- Append-only: events are never edited or removed.
                CREATE TRIGGER handoff_event_no_update BEFORE UPDATE ON handoff_event BEGIN
                    SELECT RAISE(ABORT, 'handoff events are append-only');
                END;
                CREATE TRIGGER handoff_event_no_delete BEFORE DELETE ON handoff_event BEGIN
                    SELECT RAISE(ABORT, 'handoff events are append-only');
                END;
                """)
        }
    }
}
