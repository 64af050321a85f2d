import GRDB

/// Keeps `knowledge_passage` (and its FTS5 index) in step with
/// `knowledge_document`: each document split into passages by
/// `PassageSplitter`, written in the transaction that writes the document.
enum PassageIndex {
    /// Writes the passages of one document (its old ones were deleted by a
    /// trigger when the document was inserted or rewritten).
    static func write(documentID: Int64, jar: String, path: String, title: String, body: String, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO knowledge_passage (document_id, jar, path, title, heading, ordinal, body, jar_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let key = jarKey(jar)
        for passage in PassageSplitter.passages(title: title, markdown: body) {
            try statement.execute(arguments: [documentID, jar, path, title, passage.heading, passage.ordinal, passage.text, key])
        }
    }

    /// A jar's name as one FTS5 token that no tokenizer step changes: `0`
    /// and three decimal digits per UTF-8 byte (`shop` -> `0115104111112`).
    /// Digits are token characters for unicode61, and the porter stemmer
    /// only strips letter suffixes, so the token is indexed as it is.
    static func jarKey(_ jar: String) -> String {
        var key = "0"
        for byte in jar.utf8 {
            key += String(byte / 100) + String(byte / 10 % 10) + String(byte % 10)
        }
        return key
    }

    /// The FTS5 expression that finds any of `words` in a passage's heading
    /// or body, within `jars`: every word and jar key is a quoted string,
    /// so nothing a user typed is read as FTS5 syntax.
    static func match(words: [String], jars: [String]) -> String? {
        let terms = words.compactMap { word -> String? in
            let clean = word.filter { $0.isLetter || $0.isNumber }
            return clean.isEmpty ? nil : "\"" + clean + "\""
        }
        guard !terms.isEmpty, !jars.isEmpty else { return nil }
        let keys = jars.map { "\"" + jarKey($0) + "\"" }
        return "{heading body} : (" + terms.joined(separator: " OR ") + ") AND jar_key : (" + keys.joined(separator: " OR ") + ")"
    }

    /// Splits every stored document again (the migration that introduced
    /// passages, and a repair).
    static func rebuild(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM knowledge_passage")
        let rows = try Row.fetchAll(db, sql: "SELECT id, jar, path, title, body FROM knowledge_document ORDER BY id")
        for row in rows {
            try write(documentID: row["id"], jar: row["jar"], path: row["path"], title: row["title"], body: row["body"], db)
        }
    }
}
