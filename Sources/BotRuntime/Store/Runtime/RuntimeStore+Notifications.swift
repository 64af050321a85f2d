import Foundation
import GRDB

/// The outbox and the inboxes in SQLite.
extension RuntimeStore: NotificationStateStore {
    /// Writes the outbox event of a handoff change, inside its transaction.
    static func outbox(_ kind: HandoffEvent.Kind, handoff: Handoff, actor: String, detail: [String: String], at: Date,
                       _ db: Database) throws {
        guard let type = kind.notification else { return }
        let id = RuntimeID.make("evt_")
        let time = ISO8601DateFormatter().string(from: at)
        var summary: [String: Any] = [
            "id": handoff.id, "number": handoff.number, "conversationId": handoff.conversationID, "status": handoff.status.rawValue,
            "urgency": handoff.urgency.rawValue, "initialUrgency": handoff.initialUrgency.rawValue, "reason": handoff.reason.rawValue,
            "escalated": handoff.escalated, "createdAt": ISO8601DateFormatter().string(from: handoff.createdAt),
        ]
        if let detail = handoff.reasonDetail { summary["reasonDetail"] = detail }
        if let assignee = handoff.assignee { summary["assignee"] = assignee }
        if let due = handoff.slaDueAt { summary["slaDueAt"] = ISO8601DateFormatter().string(from: due) }
        let payload: [String: Any] = ["type": type.rawValue, "id": id, "time": time, "bot": handoff.bot, "actor": actor,
                                      "handoff": summary, "detail": detail]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes]),
                          as: UTF8.self)
        try db.cachedStatement(sql: """
            INSERT INTO outbox_event (event_id, type, bot, handoff_id, at, payload) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, type.rawValue, handoff.bot, handoff.id, at.timeIntervalSince1970, json])
    }

    public func recordReconcileEvent(_ kind: OutboxEvent.Kind, revision: String?, reason: String?, message: String,
                                     at: Date) async throws(StoreError) {
        try await write { db in
            let id = RuntimeID.make("evt_")
            var payload: [String: Any] = ["type": kind.rawValue, "id": id, "time": ISO8601DateFormatter().string(from: at),
                                          "actor": "nectar", "message": message]
            if let revision { payload["revision"] = revision }
            if let reason { payload["reason"] = reason }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes]),
                              as: UTF8.self)
            try db.execute(sql: "INSERT INTO outbox_event (event_id, type, bot, handoff_id, at, payload) VALUES (?, ?, NULL, NULL, ?, ?)",
                           arguments: [id, kind.rawValue, at.timeIntervalSince1970, json])
        }
    }

    public func declaredWebhooks() async throws(StoreError) -> [(bot: String, webhook: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT b.name AS bot, j.value AS webhook FROM bot b, json_each(b.spec, '$.handoff.notify.webhooks') j
                WHERE b.deleted_at IS NULL ORDER BY b.name, j.value
                """).map { (bot: $0["bot"] as String, webhook: $0["webhook"] as String) }
        }
    }

    /// Every model endpoint live bots name (`spec.model.endpoint`), with the bot.
    public func declaredModelEndpoints() async throws(StoreError) -> [(bot: String, endpoint: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT name AS bot, json_extract(spec, '$.model.endpoint') AS endpoint FROM bot
                WHERE deleted_at IS NULL AND json_extract(spec, '$.model.provider') = 'openai' ORDER BY name
                """).compactMap { row in (row["endpoint"] as String?).map { (bot: row["bot"] as String, endpoint: $0) } }
        }
    }

    public func inbox(operator name: String, visibleBots: Set<String>?, limit: Int,
                      cursor: InboxCursor?) async throws(StoreError) -> InboxPage {
        try await read { db in
            var scope = "1"
            var scopeArguments: [any DatabaseValueConvertible] = []
            if let visibleBots {
                guard !visibleBots.isEmpty else { return InboxPage(entries: [], nextCursor: nil, unread: 0) }
                scope = "e.bot IN (\(Self.placeholders(visibleBots.count)))"
                scopeArguments = visibleBots.sorted()
            }
            let isRead = "EXISTS (SELECT 1 FROM notification_read r WHERE r.operator = ? AND r.event = e.id)"
            // Bots that declare `notify.inApp: false` stay out of the inbox.
            var conditions = [scope, """
                NOT EXISTS (SELECT 1 FROM bot b WHERE b.name = e.bot AND b.deleted_at IS NULL
                            AND json_extract(b.spec, '$.handoff.notify.inApp') = 0)
                """]
            var arguments: [any DatabaseValueConvertible] = [name] + scopeArguments
            if let cursor {
                // Unread (0) before read (1); newest first within each.
                conditions.append("(\(isRead) > ? OR (\(isRead) = ? AND e.id < ?))")
                arguments += [name, cursor.read, name, cursor.read, cursor.sequence]
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.id, e.event_id, e.type, e.bot, e.handoff_id, e.at, e.payload, \(isRead) AS is_read
                FROM outbox_event e WHERE \(conditions.joined(separator: " AND "))
                ORDER BY is_read, e.id DESC LIMIT ?
                """, arguments: StatementArguments(arguments + [limit + 1]))
            let entries = rows.prefix(limit).map { row in
                InboxEntry(event: OutboxEvent(sequence: row["id"], id: row["event_id"], type: row["type"], bot: row["bot"],
                                              handoffID: row["handoff_id"], at: Date(timeIntervalSince1970: row["at"]),
                                              payload: row["payload"]),
                           read: row["is_read"])
            }
            let unread = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox_event e WHERE \(conditions[0]) AND \(conditions[1]) AND NOT \(isRead)",
                                          arguments: StatementArguments(scopeArguments + [name])) ?? 0
            let next = rows.count > limit ? entries.last.map { InboxCursor(read: $0.read, sequence: $0.event.sequence).text } : nil
            return InboxPage(entries: Array(entries), nextCursor: next, unread: unread)
        }
    }

    public func markRead(operator name: String, events: [String]?, visibleBots: Set<String>?, at: Date) async throws(StoreError) -> Int {
        try await write { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = [name, at.timeIntervalSince1970]
            if let visibleBots {
                guard !visibleBots.isEmpty else { return 0 }
                conditions.append("bot IN (\(Self.placeholders(visibleBots.count)))")
                arguments += visibleBots.sorted()
            }
            if let events {
                guard !events.isEmpty else { return 0 }
                conditions.append("event_id IN (\(Self.placeholders(events.count)))")
                arguments += events
            }
            try db.execute(sql: """
                INSERT OR IGNORE INTO notification_read (operator, event, at)
                SELECT ?, id, ? FROM outbox_event \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                """, arguments: StatementArguments(arguments))
            return db.changesCount
        }
    }

    public func outboxEvents(before sequence: Int64?, limit: Int) async throws(StoreError) -> [OutboxEvent] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, event_id, type, bot, handoff_id, at, payload FROM outbox_event WHERE id < ? ORDER BY id DESC LIMIT ?
                """, arguments: [sequence ?? Int64.max, limit]).map(Self.outboxEvent(row:))
        }
    }

    static func outboxEvent(row: Row) -> OutboxEvent {
        OutboxEvent(sequence: row["id"], id: row["event_id"], type: row["type"], bot: row["bot"], handoffID: row["handoff_id"],
                    at: Date(timeIntervalSince1970: row["at"]), payload: row["payload"])
    }

    public func outboxEvents(after sequence: Int64, limit: Int) async throws(StoreError) -> [OutboxEvent] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, event_id, type, bot, handoff_id, at, payload FROM outbox_event WHERE id > ? ORDER BY id LIMIT ?
                """, arguments: [sequence, limit]).map { row in
                OutboxEvent(sequence: row["id"], id: row["event_id"], type: row["type"], bot: row["bot"], handoffID: row["handoff_id"],
                            at: Date(timeIntervalSince1970: row["at"]), payload: row["payload"])
            }
        }
    }
}
