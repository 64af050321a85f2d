import Foundation
import GRDB

/// The chat runtime's state in the same SQLite file as the declared state.
/// Reads run on GRDB's reader queues and writes on its writer queue, never
/// on Swift's cooperative pool.
extension RuntimeStore: RuntimeStateStore {
    public func declaredStateVersion() async throws(StoreError) -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT state_version FROM store_meta WHERE id = 1") ?? 0 }
    }

    public func liveBotRows() async throws(StoreError) -> [LiveBotRow] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT name, spec_hash, paused_at, paused_by, paused_reason FROM bot WHERE deleted_at IS NULL
                """).map { row in
                LiveBotRow(name: row[LiveObject.Columns.name], specHash: row[LiveObject.Columns.specHash],
                           pausedAt: row.optionalDate(LiveObject.Columns.pausedAt), pausedBy: row[LiveObject.Columns.pausedBy],
                           pausedReason: row[LiveObject.Columns.pausedReason])
            }
        }
    }

    public func botSpecJSON(_ names: [String]) async throws(StoreError) -> [String: String] {
        try await read { db in
            var result: [String: String] = [:]
            for chunk in stride(from: 0, to: names.count, by: 500) {
                let slice = Array(names[chunk..<min(chunk + 500, names.count)])
                let marks = Self.placeholders(slice.count)
                let rows = try Row.fetchCursor(db, sql: "SELECT name, spec FROM bot WHERE deleted_at IS NULL AND name IN (\(marks))",
                                               arguments: StatementArguments(slice))
                while let row = try rows.next() { result[row[LiveObject.Columns.name]] = row[LiveObject.Columns.spec] }
            }
            return result
        }
    }

    public func usableKeys() async throws(StoreError) -> [StoredKey] {
        try await read { db in try StoredKey.fetchAll(db, sql: "\(StoredKey.selection) WHERE state != 'revoked'") }
    }

    public func conversation(_ id: String) async throws(StoreError) -> ConversationRecord? {
        try await read { db in
            try ConversationRecord.fetchOne(db.cachedStatement(sql: "\(ConversationRecord.selection) WHERE id = ?"), arguments: [id])
        }
    }

    public func messages(of conversation: String, last limit: Int) async throws(StoreError) -> [ChatMessage] {
        try await read { db in
            try ChatMessage.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM (\(ChatMessage.selection) WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq
                """), arguments: [conversation, limit])
        }
    }

    public func searchPassages(_ words: [String], jars: [String], limit: Int) async throws(StoreError) -> [PassageHit] {
        guard let match = PassageIndex.match(words: words, jars: jars) else { return [] }
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT p.id, p.jar, p.path, p.title, p.heading, p.body, bm25(knowledge_passage_fts, 2.0, 1.0, 0.0) AS rank
                FROM knowledge_passage_fts JOIN knowledge_passage p ON p.id = knowledge_passage_fts.rowid
                WHERE knowledge_passage_fts MATCH ? ORDER BY rank LIMIT ?
                """), arguments: [match, limit]).map { row in
                PassageHit(id: row["id"], jar: row["jar"], path: row["path"], title: row["title"], heading: row["heading"],
                           body: row["body"], score: -(row["rank"] as Double))
            }
        }
    }

    public func passages() async throws(StoreError) -> [PassageRow] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, jar, path, title, heading, body FROM knowledge_passage ORDER BY id").map { row in
                PassageRow(id: row["id"], jar: row["jar"], path: row["path"], title: row["title"], heading: row["heading"],
                           body: row["body"])
            }
        }
    }

    public func knowledgeFingerprint() async throws(StoreError) -> KnowledgeFingerprint {
        try await read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, coalesce(max(id), 0) AS top FROM knowledge_passage")
            // The documents' git blob ids change with any edit, even one that keeps every length.
            let blobs = try String.fetchAll(db, sql: "SELECT jar || ':' || path || ':' || blob_id FROM knowledge_document ORDER BY id")
            return KnowledgeFingerprint(count: row?["n"] ?? 0, maxID: row?["top"] ?? 0,
                                        documents: CanonicalSpec.hash(Array(blobs.joined(separator: "\n").utf8)))
        }
    }

    public func rateCounts(since: Date) async throws(StoreError) -> [RateCount] {
        let hour = Int64((since.timeIntervalSince1970 / 3600).rounded(.down))
        let day = Int64((since.timeIntervalSince1970 / 86400).rounded(.down))
        return try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT scope, window, window_start, count FROM rate_counter
                WHERE (window = 'hour' AND window_start >= ?) OR (window = 'day' AND window_start >= ?)
                """, arguments: [hour, day]).compactMap { row in
                RateCount.Window(rawValue: row["window"]).map {
                    RateCount(scope: row["scope"], window: $0, index: row["window_start"], count: row["count"])
                }
            }
        }
    }

    public func write(_ batch: RuntimeWriteBatch) async throws(StoreError) {
        guard !batch.isEmpty else { return }
        try await write { db in try Self.write(batch, db) }
    }

    public func clientHashSalt() async throws(StoreError) -> String {
        try await write { db in
            if let salt = try String.fetchOne(db, sql: "SELECT value FROM runtime_meta WHERE key = 'client-hash-salt'") {
                return salt
            }
            var generator = SystemRandomNumberGenerator()
            let salt = String(decoding: Base62.random(count: 32, using: &generator), as: UTF8.self)
            try db.execute(sql: "INSERT INTO runtime_meta (key, value) VALUES ('client-hash-salt', ?)", arguments: [salt])
            return salt
        }
    }
}
