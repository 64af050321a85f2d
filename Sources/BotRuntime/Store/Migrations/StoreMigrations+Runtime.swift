import GRDB

extension StoreMigrations {
    /// v4: the chat runtime's state. Runtime state, not declared state: none
    /// of these tables has `state_version` triggers, so serving chat never
    /// invalidates a cache or forces a re-plan.
    static func registerRuntime(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-chat-runtime") { db in
            try db.execute(sql: """
                -- Knowledge split into passages (by heading, then paragraphs),
                -- which retrieval ranks; derived from knowledge_document, and
                -- rewritten with it.
                CREATE TABLE knowledge_passage (
                    id INTEGER PRIMARY KEY,
                    document_id INTEGER NOT NULL,
                    jar TEXT NOT NULL,
                    path TEXT NOT NULL,
                    title TEXT NOT NULL,
                    heading TEXT NOT NULL,
                    ordinal INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    -- The jar as one digits-only token (see PassageIndex.jarKey),
                    -- so retrieval filters by jar inside the FTS5 index.
                    jar_key TEXT NOT NULL
                );
                CREATE INDEX knowledge_passage_document ON knowledge_passage(document_id);
                CREATE INDEX knowledge_passage_jar ON knowledge_passage(jar);
                CREATE VIRTUAL TABLE knowledge_passage_fts USING fts5(
                    heading, body, jar_key, content='knowledge_passage', content_rowid='id', tokenize='porter unicode61'
                );
                CREATE TRIGGER knowledge_passage_ai AFTER INSERT ON knowledge_passage BEGIN
                    INSERT INTO knowledge_passage_fts(rowid, heading, body, jar_key) VALUES (new.id, new.heading, new.body, new.jar_key);
                END;
                CREATE TRIGGER knowledge_passage_ad AFTER DELETE ON knowledge_passage BEGIN
                    INSERT INTO knowledge_passage_fts(knowledge_passage_fts, rowid, heading, body, jar_key)
                    VALUES ('delete', old.id, old.heading, old.body, old.jar_key);
                END;
                -- A document removed or rewritten loses its passages; the store
                -- writes the new ones in the same transaction.
                CREATE TRIGGER knowledge_document_passages_ad AFTER DELETE ON knowledge_document BEGIN
                    DELETE FROM knowledge_passage WHERE document_id = old.id;
                END;
                CREATE TRIGGER knowledge_document_passages_au AFTER UPDATE OF body, title ON knowledge_document BEGIN
                    DELETE FROM knowledge_passage WHERE document_id = old.id;
                END;

                CREATE TABLE conversation (
                    id TEXT PRIMARY KEY NOT NULL,
                    bot TEXT NOT NULL,
                    channel TEXT NOT NULL CHECK (channel IN ('key', 'public')),
                    key_id TEXT,
                    client_hash TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX conversation_bot ON conversation(bot, updated_at);

                CREATE TABLE message (
                    id TEXT PRIMARY KEY NOT NULL,
                    conversation_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    text TEXT NOT NULL,
                    at REAL NOT NULL,
                    confidence REAL,
                    sources TEXT,
                    author TEXT
                );
                CREATE UNIQUE INDEX message_conversation ON message(conversation_id, seq);

                CREATE TABLE usage_event (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    bot TEXT NOT NULL,
                    route TEXT NOT NULL,
                    key_id TEXT,
                    client_hash TEXT,
                    conversation_id TEXT,
                    outcome TEXT NOT NULL,
                    latency_ms REAL NOT NULL,
                    confidence REAL,
                    knowledge_hit INTEGER NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    question TEXT
                );
                CREATE INDEX usage_event_bot_at ON usage_event(bot, at);
                CREATE INDEX usage_event_at ON usage_event(at);

                -- Rate-limit counts per scope and calendar window (UTC),
                -- stored as increments so that several writers could add up.
                CREATE TABLE rate_counter (
                    scope TEXT NOT NULL,
                    window TEXT NOT NULL CHECK (window IN ('hour', 'day')),
                    window_start INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (scope, window, window_start)
                ) WITHOUT ROWID;

                -- Values the runtime keeps for itself (the salt of client
                -- address hashes).
                CREATE TABLE runtime_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
            try PassageIndex.rebuild(db)
        }
    }
}
