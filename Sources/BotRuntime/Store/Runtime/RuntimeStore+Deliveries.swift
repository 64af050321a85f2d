import Foundation
import GRDB

/// Deliveries in SQLite.
extension RuntimeStore: DeliveryStateStore {
    static let deliverySelection = """
        SELECT id, seq, event_id, channel, target, status, attempts, next_attempt_at, last_status, last_error, created_at,
               age_from, delivered_at FROM delivery
        """

    public func planDeliveries(limit: Int, at: Date, reconcileTargets: [String], mail: MailPlan) async throws(StoreError) -> Int {
        try await write { db in
            let position = Int64(try String.fetchOne(db, sql: "SELECT value FROM runtime_meta WHERE key = 'outbox-dispatch-position'")
                ?? "0") ?? 0
            let events = try Row.fetchAll(db, sql: """
                SELECT e.id, e.event_id, e.handoff_id, e.bot, e.type,
                       (SELECT json_extract(b.spec, '$.handoff.notify.webhooks') FROM bot b WHERE b.name = e.bot AND b.deleted_at IS NULL)
                           AS webhooks,
                       (SELECT json_extract(b.spec, '$.handoff.notify.email') FROM bot b WHERE b.name = e.bot AND b.deleted_at IS NULL)
                           AS emails,
                       (SELECT json_extract(b.spec, '$.metadata.owner') FROM bot b WHERE b.name = e.bot AND b.deleted_at IS NULL)
                           AS owner
                FROM outbox_event e WHERE e.id > ? ORDER BY e.id LIMIT ?
                """, arguments: [position, limit])
            // Operators who get mail by role (read once per plan).
            let operators: [OperatorSpec] = mail.from == nil || mail.operatorRoles.isEmpty ? [] : try String.fetchAll(db, sql: """
                SELECT spec FROM operator WHERE deleted_at IS NULL ORDER BY name
                """).compactMap { try? JSONDecoder().decode(OperatorSpec.self, from: Data($0.utf8)) }
                .filter { mail.operatorRoles.contains($0.role.rawValue) }
            func list(_ json: String?) -> [String] {
                json.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
            }
            for event in events {
                let bot = event["bot"] as String?
                var deliveries: [(channel: String, target: String)] = (bot == nil ? reconcileTargets : list(event["webhooks"]))
                    .map { ("webhook", $0) }
                if mail.from != nil, mail.events.contains(event["type"] as String) {
                    let owner = event["owner"] as String?
                    var addresses = bot == nil ? [] : list(event["emails"])
                    // Admins and auditors are told about every bot; an agent about its teams' bots.
                    addresses += operators.filter { spec in
                        spec.role != .agent || (bot != nil && owner.map(spec.teams.contains) ?? false)
                    }.map(\.email)
                    var seen = Set<String>()
                    deliveries += addresses.filter { seen.insert($0.lowercased()).inserted }.map { ("email", $0) }
                }
                for (channel, target) in deliveries {
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO delivery (id, seq, event_id, channel, target, ordering_key, status, next_attempt_at,
                                                        created_at, age_from)
                        VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
                        """, arguments: [RuntimeID.make("dlv_"), event["id"] as Int64, event["event_id"] as String, channel, target,
                                         // Reconcile events keep their order too (a PagerDuty trigger before its resolve).
                                         (event["handoff_id"] as String?) ?? "reconcile", at.timeIntervalSince1970,
                                         at.timeIntervalSince1970, at.timeIntervalSince1970])
                }
            }
            if let last = events.last {
                try db.execute(sql: """
                    INSERT INTO runtime_meta (key, value) VALUES ('outbox-dispatch-position', ?)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """, arguments: [String(last["id"] as Int64)])
            }
            return events.count
        }
    }

    public func dueTargets(at: Date) async throws(StoreError) -> [(channel: String, target: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT DISTINCT channel, target FROM delivery WHERE status IN ('pending', 'failed') AND next_attempt_at <= ?
                """, arguments: [at.timeIntervalSince1970]).map { (channel: $0["channel"] as String, target: $0["target"] as String) }
        }
    }

    public func dueDeliveries(at: Date, limit: Int, channel: String, target: String) async throws(StoreError) -> [DueDelivery] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.id, d.seq, d.event_id, d.channel, d.target, d.status, d.attempts, d.next_attempt_at, d.last_status,
                       d.last_error, d.created_at, d.age_from, d.delivered_at, e.type, e.bot, e.handoff_id, e.at, e.payload
                FROM delivery d JOIN outbox_event e ON e.id = d.seq
                WHERE d.channel = ? AND d.target = ? AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM delivery p WHERE p.channel = d.channel AND p.target = d.target
                                  AND p.ordering_key = d.ordering_key AND p.seq < d.seq AND p.status IN ('pending', 'failed'))
                ORDER BY d.seq LIMIT ?
                """, arguments: [channel, target, at.timeIntervalSince1970, limit]).map { row in
                let delivery = Self.delivery(row: row)
                return DueDelivery(delivery: delivery, event: OutboxEvent(
                    sequence: delivery.sequence, id: delivery.eventID, type: row["type"], bot: row["bot"], handoffID: row["handoff_id"],
                    at: Date(timeIntervalSince1970: row["at"]), payload: row["payload"]))
            }
        }
    }

    @discardableResult
    public func recordDelivery(_ id: String, outcome: DeliveryOutcome, at: Date) async throws(StoreError) -> Bool {
        try await write { db in
            // Only an undelivered delivery changes: one abandoned meanwhile (410) stays dead.
            switch outcome {
            case .delivered(let status):
                try db.execute(sql: """
                    UPDATE delivery SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, delivered_at = ?
                    WHERE id = ? AND status IN ('pending', 'failed')
                    """, arguments: [status, at.timeIntervalSince1970, id])
            case .retry(let next, let status, let error):
                try db.execute(sql: """
                    UPDATE delivery SET status = 'failed', attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ?
                    WHERE id = ? AND status IN ('pending', 'failed')
                    """, arguments: [status, error, next.timeIntervalSince1970, id])
            case .skipped(let note):
                try db.execute(sql: """
                    UPDATE delivery SET status = 'delivered', last_error = ?, delivered_at = ? WHERE id = ? AND status IN ('pending', 'failed')
                    """, arguments: [note, at.timeIntervalSince1970, id])
            case .dead(let status, let error):
                try db.execute(sql: """
                    UPDATE delivery SET status = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?
                    WHERE id = ? AND status IN ('pending', 'failed')
                    """, arguments: [status, error, id])
            }
            return db.changesCount > 0
        }
    }

    public func abandonDeliveries(channel: String, target: String, error: String, at: Date) async throws(StoreError) -> Int {
        try await write { db in
            try db.execute(sql: """
                UPDATE delivery SET status = 'dead', last_error = ? WHERE channel = ? AND target = ? AND status IN ('pending', 'failed')
                """, arguments: [error, channel, target])
            return db.changesCount
        }
    }

    public func deliveries(statuses: Set<Delivery.Status>, limit: Int,
                           after: (sequence: Int64, target: String)?) async throws(StoreError) -> [Delivery] {
        try await read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if !statuses.isEmpty { conditions.append("status IN (\(statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")))") }
            if let after {
                conditions.append("(seq < ? OR (seq = ? AND target > ?))")
                arguments += [after.sequence, after.sequence, after.target]
            }
            arguments.append(limit)
            return try Row.fetchAll(db, sql: """
                \(Self.deliverySelection) \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY seq DESC, target LIMIT ?
                """, arguments: StatementArguments(arguments)).map(Self.delivery(row:))
        }
    }

    public func retryDelivery(_ id: String, at: Date) async throws(StoreError) -> Bool? {
        try await write { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM delivery WHERE id = ?", arguments: [id]) else { return nil }
            guard status == "failed" || status == "dead" else { return false }
            try db.execute(sql: "UPDATE delivery SET status = 'pending', next_attempt_at = ?, age_from = ? WHERE id = ?",
                           arguments: [at.timeIntervalSince1970, at.timeIntervalSince1970, id])
            return true
        }
    }

    public func deliveryReference(channel: String, target: String, key: String) async throws(StoreError) -> String? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT ref FROM delivery_ref WHERE channel = ? AND target = ? AND ordering_key = ?",
                                arguments: [channel, target, key])
        }
    }

    public func setDeliveryReference(channel: String, target: String, key: String, reference: String) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO delivery_ref (channel, target, ordering_key, ref) VALUES (?, ?, ?, ?)
                ON CONFLICT(channel, target, ordering_key) DO UPDATE SET ref = excluded.ref
                """, arguments: [channel, target, key, reference])
        }
    }

    public func deliveryBacklog() async throws(StoreError) -> (count: Int, oldest: Date?) {
        try await read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, min(created_at) AS oldest FROM delivery WHERE status IN ('pending', 'failed')")
            return (row?["n"] ?? 0, (row?["oldest"] as Double?).map(Date.init(timeIntervalSince1970:)))
        }
    }

    static func delivery(row: Row) -> Delivery {
        Delivery(id: row["id"], sequence: row["seq"], eventID: row["event_id"], channel: row["channel"], target: row["target"],
                 status: Delivery.Status(rawValue: row["status"]) ?? .pending, attempts: row["attempts"],
                 nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]), lastStatus: row["last_status"],
                 lastError: row["last_error"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                 ageFrom: Date(timeIntervalSince1970: row["age_from"]),
                 deliveredAt: (row["delivered_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
