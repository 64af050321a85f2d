import GRDB

extension StoreMigrations {
    /// v8: operator console sessions. A session is stored by the SHA-256 of
    /// its id (the cookie), never the id itself, and belongs to the operator
    /// token it was opened with: revoking the token ends its sessions.
    static func registerConsole(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-console-sessions") { db in
            try db.execute(sql: """
                CREATE TABLE console_session (
                    id_hash TEXT PRIMARY KEY NOT NULL,
                    token_id TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX console_session_expires ON console_session(expires_at);
                """)
        }
    }
}
