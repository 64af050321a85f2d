import GRDB

/// The schema, as named migrations. A migration is never edited once it has
/// landed; changes come as new migrations appended here.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-declared-objects") { db in
            for kind in ObjectKind.allCases {
                let extra = kind == .bot ? """
                    , paused_at REAL, paused_by TEXT, paused_reason TEXT
                    """ : ""
                // Rowid tables: rows hold whole specs (a kilobyte or more),
                // which WITHOUT ROWID tables store poorly.
                try db.execute(sql: """
                    CREATE TABLE \(kind.table) (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        spec TEXT NOT NULL,
                        spec_hash TEXT NOT NULL,
                        source_path TEXT NOT NULL,
                        blob_id TEXT NOT NULL,
                        revision TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        deleted_at REAL\(extra)
                    )
                    """)
            }
            try db.execute(sql: """
                CREATE TABLE knowledge_document (
                    id INTEGER PRIMARY KEY,
                    jar TEXT NOT NULL,
                    path TEXT NOT NULL,
                    blob_id TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    UNIQUE (jar, path)
                );
                CREATE VIRTUAL TABLE knowledge_fts USING fts5(
                    title, body, content='knowledge_document', content_rowid='id', tokenize='porter unicode61'
                );
                CREATE TRIGGER knowledge_document_ai AFTER INSERT ON knowledge_document BEGIN
                    INSERT INTO knowledge_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
                END;
                CREATE TRIGGER knowledge_document_ad AFTER DELETE ON knowledge_document BEGIN
                    INSERT INTO knowledge_fts(knowledge_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
                END;
                CREATE TRIGGER knowledge_document_au AFTER UPDATE ON knowledge_document BEGIN
                    INSERT INTO knowledge_fts(knowledge_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
                    INSERT INTO knowledge_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
                END;

                CREATE TABLE reconcile_run (
                    id INTEGER PRIMARY KEY,
                    revision TEXT,
                    started_at REAL NOT NULL,
                    finished_at REAL NOT NULL,
                    outcome TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    summary TEXT NOT NULL,
                    errors TEXT NOT NULL
                );
                CREATE INDEX reconcile_run_outcome ON reconcile_run(outcome, id);

                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    run_id INTEGER REFERENCES reconcile_run(id),
                    action TEXT NOT NULL,
                    object_kind TEXT NOT NULL,
                    object_name TEXT NOT NULL,
                    changes TEXT NOT NULL
                );
                CREATE INDEX audit_log_object ON audit_log(object_kind, object_name, at);
                CREATE INDEX audit_log_at ON audit_log(at);

                -- A counter that every change to declared state bumps, through
                -- triggers, so that edits made outside nectar are noticed too.
                CREATE TABLE store_meta (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    state_version INTEGER NOT NULL,
                    applied_state_version INTEGER,
                    applied_revision TEXT,
                    applied_path TEXT
                );
                INSERT INTO store_meta (id, state_version) VALUES (1, 0);
                """)
            for table in ObjectKind.allCases.map(\.table) + ["knowledge_document"] {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_version_\(event.lowercased()) AFTER \(event) ON \(table)
                        BEGIN UPDATE store_meta SET state_version = state_version + 1 WHERE id = 1; END
                        """)
                }
            }
        }
        migrator.registerMigration("v2-api-keys") { db in
            try db.execute(sql: """
                CREATE TABLE api_key (
                    id TEXT PRIMARY KEY NOT NULL,
                    bot TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    secret_hash TEXT NOT NULL UNIQUE,
                    display TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('active', 'grace', 'revoked')),
                    origin TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    rotated_at REAL,
                    expires_at REAL,
                    revoked_at REAL,
                    revoked_reason TEXT,
                    last_used_at REAL
                );
                CREATE INDEX api_key_bot ON api_key(bot, state);
                CREATE TABLE sealed_key (
                    key_id TEXT NOT NULL REFERENCES api_key(id),
                    recipient TEXT NOT NULL,
                    encapsulated BLOB NOT NULL,
                    ciphertext BLOB NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (key_id, recipient)
                );
                ALTER TABLE store_meta ADD COLUMN next_key_event REAL;
                """)
            // Not on every update: recording a key's use (last_used_at) must
            // not invalidate caches or conflict with a reconcile.
            for event in ["INSERT", "UPDATE OF bot, generation, secret_hash, state, rotated_at, expires_at, revoked_at", "DELETE"] {
                try db.execute(sql: """
                    CREATE TRIGGER api_key_version_\(event.split(separator: " ")[0].lowercased()) AFTER \(event) ON api_key
                    BEGIN UPDATE store_meta SET state_version = state_version + 1 WHERE id = 1; END
                    """)
            }
        }
        migrator.registerMigration("v3-operator-tokens") { db in
            // Runtime state, not declared state: no state_version triggers.
            try db.execute(sql: """
                CREATE TABLE operator_token (
                    id TEXT PRIMARY KEY NOT NULL,
                    operator TEXT NOT NULL,
                    secret_hash TEXT NOT NULL UNIQUE,
                    display TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    revoked_at REAL,
                    last_used_at REAL
                );
                CREATE INDEX operator_token_operator ON operator_token(operator);
                -- An operator removed from git loses its tokens for good:
                -- declaring the name again later does not revive them.
                CREATE TRIGGER operator_token_revoke AFTER UPDATE OF deleted_at ON operator
                WHEN new.deleted_at IS NOT NULL BEGIN
                    UPDATE operator_token SET revoked_at = new.deleted_at WHERE operator = new.name AND revoked_at IS NULL;
                END;
                """)
            // A spec edited outside nectar with its hash left alone would
            // otherwise look unchanged to every plan: mark the hash stale so
            // the next reconcile restores the declared spec (and drift, which
            // hashes stored specs itself, reports it either way).
            for table in ObjectKind.allCases.map(\.table) {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_spec_edited AFTER UPDATE OF spec ON \(table)
                    WHEN new.spec IS NOT old.spec AND new.spec_hash IS old.spec_hash BEGIN
                        UPDATE \(table) SET spec_hash = 'edited-outside-nectar' WHERE id = new.id;
                    END
                    """)
            }
        }
        registerRuntime(&migrator)
        registerHandoffs(&migrator)
        registerNotifications(&migrator)
        registerAnalytics(&migrator)
        registerConsole(&migrator)
        return migrator
    }
}
