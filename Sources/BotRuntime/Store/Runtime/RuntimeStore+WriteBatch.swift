import Foundation
import GRDB

extension RuntimeStore {
    /// Writes a batch of the chat path's rows (inside one transaction).
    static func write(_ batch: RuntimeWriteBatch, _ db: Database) throws {
        // A conversation's updated_at is its last message's time: a new
        // one is inserted with it, an existing one updated once per batch.
        var touched: [String: Double] = [:]
        for (conversation, _, message) in batch.messages {
            touched[conversation] = max(touched[conversation] ?? 0, message.at.timeIntervalSince1970)
        }
        var newConversations: [ConversationRecord] = []
        for conversation in batch.conversations {
            let created = conversation.createdAt.timeIntervalSince1970
            try db.cachedStatement(sql: """
                INSERT INTO conversation (id, bot, channel, key_id, client_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO NOTHING
                """).execute(arguments: [conversation.id, conversation.bot, conversation.channel.rawValue, conversation.keyID,
                                         conversation.clientHash, created, max(created, touched[conversation.id] ?? created)])
            if db.changesCount > 0 {
                newConversations.append(conversation)
                touched[conversation.id] = nil
            }
        }
        for (conversation, _, message) in batch.messages {
            let sources = message.sources.isEmpty ? nil : ChatSource.storedJSON(message.sources)
            // The position is taken here, in the writing transaction, so that
            // messages keep the order they were written in whatever a cache knew.
            try db.cachedStatement(sql: """
                INSERT INTO message (id, conversation_id, seq, role, text, at, confidence, sources, author)
                VALUES (?, ?, (SELECT coalesce(max(seq), -1) + 1 FROM message WHERE conversation_id = ?), ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO NOTHING
                """).execute(arguments: [message.id, conversation, conversation, message.role.rawValue, message.text,
                                         message.at.timeIntervalSince1970, message.confidence, sources, message.author])
        }
        for (conversation, at) in touched {
            try db.cachedStatement(sql: "UPDATE conversation SET updated_at = max(updated_at, ?) WHERE id = ?")
                .execute(arguments: [at, conversation])
        }
        for usage in batch.usage {
            try db.cachedStatement(sql: """
                INSERT INTO usage_event (at, bot, route, key_id, client_hash, conversation_id, outcome, latency_ms, confidence,
                                         knowledge_hit, prompt_tokens, completion_tokens, question)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [usage.at.timeIntervalSince1970, usage.bot, usage.route, usage.keyID, usage.clientHash,
                                         usage.conversationID, usage.outcome.rawValue, usage.latencyMilliseconds, usage.confidence,
                                         usage.knowledgeHit, usage.promptTokens, usage.completionTokens, usage.question])
        }
        try rollUp(batch, newConversations: newConversations, db)
        for count in batch.rateIncrements {
            try db.cachedStatement(sql: """
                INSERT INTO rate_counter (scope, window, window_start, count) VALUES (?, ?, ?, ?)
                ON CONFLICT(scope, window, window_start) DO UPDATE SET count = count + excluded.count
                """).execute(arguments: [count.scope, count.window.rawValue, count.index, count.count])
        }
        for (keyID, at) in batch.keyUses {
            // Not a state_version column: recording use invalidates no cache.
            try db.cachedStatement(sql: "UPDATE api_key SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
                .execute(arguments: [at.timeIntervalSince1970, keyID, at.timeIntervalSince1970])
        }
    }
}
