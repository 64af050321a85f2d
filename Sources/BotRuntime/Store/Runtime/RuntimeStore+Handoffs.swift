import Foundation
import GRDB

/// Handoffs in SQLite. Each method is one write transaction on GRDB's
/// writer queue (serialised, off the cooperative pool) that reads the
/// state it changes, so a change is decided against the committed state.
extension RuntimeStore: HandoffStateStore {
    static let handoffSelection = """
        SELECT number, id, bot, conversation_id, status, urgency, initial_urgency, reason, reason_detail, confidence,
               trigger_message_id, assignee, escalated, sla_due_at, created_at, assigned_at, escalated_at, resolved_at,
               reopened_at, resolved_by, resolution_note, updated_at FROM handoff
        """

    public func observeHandoffCommits(_ observer: @escaping @Sendable (Handoff) -> Void) {
        handoffCommits.observe(observer)
    }

    /// Tells the observers about `handoffs` once the current transaction commits.
    func afterCommit(_ handoffs: [Handoff], _ db: Database) {
        guard !handoffs.isEmpty else { return }
        let commits = handoffCommits
        db.afterNextTransaction(onCommit: { _ in commits.notify(handoffs) })
    }

    public func openHandoff(_ opening: HandoffOpening) async throws(StoreError) -> HandoffOpened {
        try await write { db in
            var batch = RuntimeWriteBatch()
            if opening.isNewConversation { batch.conversations.append(opening.conversation) }
            batch.messages = opening.messages.map { (opening.conversation.id, 0, $0) }
            try Self.write(batch, db)
            let at = opening.at.timeIntervalSince1970
            let trigger = opening.trigger
            if var open = try Self.handoff(db, where: "conversation_id = ? AND status != 'resolved'", [opening.conversation.id]) {
                var detail = ["reason": trigger.reason.rawValue, "detail": trigger.detail,
                              "messageId": opening.messages.first?.id ?? ""]
                if opening.urgency.rank > open.urgency.rank {
                    detail["urgency"] = opening.urgency.rawValue
                    detail["previousUrgency"] = open.urgency.rawValue
                    open.urgency = opening.urgency
                    // A pending handoff is due by the sooner of the two targets.
                    if let due = open.slaDueAt {
                        open.slaDueAt = min(due, opening.at.addingTimeInterval(Double(opening.urgency.target(in: opening.sla).seconds)))
                    }
                }
                open.updatedAt = opening.at
                try db.execute(sql: "UPDATE handoff SET urgency = ?, sla_due_at = ?, updated_at = ? WHERE id = ?",
                               arguments: [open.urgency.rawValue, open.slaDueAt?.timeIntervalSince1970, at, open.id])
                try Self.event(open.id, at: opening.at, actor: "user", kind: .triggered, detail: detail, db)
                afterCommit([open], db)
                return HandoffOpened(handoff: open, created: false)
            }
            let due = opening.at.addingTimeInterval(Double(opening.urgency.target(in: opening.sla).seconds))
            try db.execute(sql: """
                INSERT INTO handoff (id, bot, conversation_id, status, urgency, initial_urgency, reason, reason_detail, confidence,
                                     trigger_message_id, sla_due_at, created_at, updated_at)
                VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [opening.newID, opening.conversation.bot, opening.conversation.id, opening.urgency.rawValue,
                                 opening.urgency.rawValue, trigger.reason.rawValue, trigger.detail, trigger.confidence,
                                 opening.messages.first?.id ?? "", due.timeIntervalSince1970, at, at])
            try Self.event(opening.newID, at: opening.at, actor: "user", kind: .created,
                           detail: ["reason": trigger.reason.rawValue, "detail": trigger.detail, "urgency": opening.urgency.rawValue],
                           db)
            guard let created = try Self.handoff(db, where: "id = ?", [opening.newID]) else {
                throw StoreError.corrupt(path: "", detail: "handoff \(opening.newID) vanished inside its transaction")
            }
            try Self.outbox(.created, handoff: created, actor: "user", detail: ["reason": trigger.reason.rawValue, "detail": trigger.detail],
                            at: opening.at, db)
            try Self.rollUp(.created, before: nil, after: created, at: opening.at, db)
            afterCommit([created], db)
            return HandoffOpened(handoff: created, created: true)
        }
    }

    public func openHandoffs() async throws(StoreError) -> [Handoff] {
        try await read { db in try Self.handoffs(db, where: "status != 'resolved'", [], limit: Int.max) }
    }

    public func handoffs(_ query: HandoffQuery) async throws(StoreError) -> [Handoff] {
        try await read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if !query.statuses.isEmpty {
                conditions.append("status IN (\(query.statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")))")
            }
            if let urgency = query.urgency { conditions.append("urgency = ?"); arguments.append(urgency.rawValue) }
            if let bot = query.bot { conditions.append("bot = ?"); arguments.append(bot) }
            if let assignee = query.assignee { conditions.append("assignee = ?"); arguments.append(assignee) }
            if let before = query.before { conditions.append("number < ?"); arguments.append(before) }
            if let visible = query.visibleBots {
                guard !visible.isEmpty else { return [] }
                conditions.append("bot IN (\(Self.placeholders(visible.count)))")
                arguments += visible.sorted()
            }
            return try Self.handoffs(db, where: conditions.isEmpty ? "1" : conditions.joined(separator: " AND "), arguments,
                                     limit: query.limit)
        }
    }

    public func handoffDetail(_ id: String, visibleBots: Set<String>?) async throws(StoreError) -> HandoffDetail? {
        try await read { db in
            guard let handoff = try Self.handoff(db, where: "id = ?", [id]), visibleBots?.contains(handoff.bot) ?? true else {
                return nil
            }
            let messages = try ChatMessage.fetchAll(db, sql: "\(ChatMessage.selection) WHERE conversation_id = ? ORDER BY seq",
                                                    arguments: [handoff.conversationID])
            let cut = (messages.firstIndex { $0.id == handoff.triggerMessageID } ?? (messages.count - 1)) + 1
            // The thread ends when the handoff was resolved: later messages are the bot's again.
            let end = handoff.status == .resolved ? handoff.resolvedAt ?? .distantFuture : .distantFuture
            let events = try Row.fetchAll(db, sql: "SELECT id, handoff_id, at, actor, kind, detail FROM handoff_event WHERE handoff_id = ? ORDER BY id",
                                          arguments: [id]).map(Self.event(row:))
            var references: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT target, ref FROM delivery_ref WHERE ordering_key = ?", arguments: [id]) {
                references[row["target"]] = row["ref"]
            }
            return HandoffDetail(handoff: handoff, transcript: Array(messages[..<cut]),
                                 thread: messages[cut...].filter { $0.at <= end }, events: events, references: references)
        }
    }

    public func changeHandoff(_ change: HandoffChange) async throws(StoreError) -> HandoffChangeResult {
        try await write { db in
            guard var handoff = try Self.handoff(db, where: "id = ?", [change.id]), change.visibleBots?.contains(handoff.bot) ?? true else {
                return .notFound
            }
            let before = handoff
            let at = change.at
            let actor = "operator:\(change.actor)"
            let audit: [String: String]
            var emitted: [(HandoffEvent.Kind, [String: String])] = []
            switch change.action {
            case .assign(let target, let from):
                guard handoff.status != .resolved else {
                    return .conflict("handoff \(handoff.id) is resolved; reopen it before assigning it")
                }
                if let current = handoff.assignee {
                    guard let from, from == current else {
                        return .conflict("handoff \(handoff.id) is already assigned to \(current)")
                    }
                } else if let from {
                    return .conflict("handoff \(handoff.id) is not assigned to \(from); it is waiting for an operator")
                }
                if let problem = try Self.assignable(target, bot: handoff.bot, db) { return .invalid(problem) }
                let previous = handoff.assignee
                handoff.status = .assigned
                handoff.assignee = target
                handoff.assignedAt = at
                handoff.slaDueAt = nil
                var detail = ["to": target]
                if let previous { detail["from"] = previous }
                emitted.append((.assigned, detail))
                audit = detail
            case .reply(let message):
                guard handoff.status.isOpen else {
                    return .conflict("handoff \(handoff.id) is resolved; the bot has the conversation again")
                }
                if handoff.status == .pending {
                    // Answering a waiting handoff takes it.
                    handoff.status = .assigned
                    handoff.assignee = change.actor
                    handoff.assignedAt = at
                    handoff.slaDueAt = nil
                    emitted.append((.assigned, ["to": change.actor]))
                }
                var batch = RuntimeWriteBatch()
                batch.messages = [(handoff.conversationID, 0, message)]
                try Self.write(batch, db)
                emitted.append((.replied, ["messageId": message.id, "text": message.text]))
                audit = ["messageId": message.id]
            case .resolve(let note):
                guard handoff.status.isOpen else {
                    return .conflict("handoff \(handoff.id) is already resolved")
                }
                handoff.status = .resolved
                handoff.resolvedAt = at
                handoff.resolvedBy = change.actor
                handoff.resolutionNote = note
                handoff.slaDueAt = nil
                emitted.append((.resolved, note.map { ["note": $0] } ?? [:]))
                audit = note.map { ["note": $0] } ?? [:]
            case .reopen(let slaByBot):
                let sla = slaByBot[handoff.bot] ?? SLATargets()
                guard handoff.status == .resolved else {
                    return .conflict("handoff \(handoff.id) is \(handoff.status.rawValue), not resolved; only a resolved handoff reopens")
                }
                if let other = try String.fetchOne(db, sql: "SELECT id FROM handoff WHERE conversation_id = ? AND status != 'resolved'",
                                                   arguments: [handoff.conversationID]) {
                    return .conflict("the conversation of handoff \(handoff.id) has another open handoff, \(other)")
                }
                // The previous round's resolution and escalation stay in
                // the events; the handoff starts a new round.
                let previous = ["resolvedAt": handoff.resolvedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "",
                                "resolvedBy": handoff.resolvedBy ?? "", "note": handoff.resolutionNote ?? ""]
                handoff.status = .pending
                handoff.assignee = nil
                handoff.assignedAt = nil
                handoff.resolvedAt = nil
                handoff.resolvedBy = nil
                handoff.resolutionNote = nil
                handoff.escalated = false
                handoff.escalatedAt = nil
                handoff.reopenedAt = at
                handoff.slaDueAt = at.addingTimeInterval(Double(handoff.urgency.target(in: sla).seconds))
                emitted.append((.reopened, previous.filter { !$0.value.isEmpty }))
                audit = [:]
            }
            handoff.updatedAt = at
            try Self.save(handoff, db)
            for (kind, detail) in emitted {
                try Self.event(handoff.id, at: at, actor: actor, kind: kind, detail: detail, db)
                try Self.outbox(kind, handoff: handoff, actor: actor, detail: detail, at: at, db)
                try Self.rollUp(kind, before: before, after: handoff, at: at, db)
            }
            afterCommit([handoff], db)
            try Self.insert(AuditEntry(at: at, actor: actor, action: "handoff-\(Self.verb(change.action))", objectKind: "Handoff",
                                       objectName: handoff.id, changes: Self.json(audit.merging(["bot": handoff.bot]) { a, _ in a })),
                            runID: nil, db)
            return .changed(handoff)
        }
    }

    public func escalateDueHandoffs(at: Date) async throws(StoreError) -> [Handoff] {
        try await write { db in
            // Clearing the due time in the transaction that escalates makes
            // each target fire once, whenever the daemon gets to it.
            var escalated: [Handoff] = []
            for var handoff in try Self.handoffs(db, where: "status = 'pending' AND sla_due_at IS NOT NULL AND sla_due_at <= ?",
                                                 [at.timeIntervalSince1970], limit: 1000) {
                let before = handoff
                let previous = handoff.urgency
                let due = handoff.slaDueAt ?? at
                handoff.urgency = previous.raised
                handoff.escalated = true
                handoff.escalatedAt = at
                handoff.slaDueAt = nil
                handoff.updatedAt = at
                try Self.save(handoff, db)
                let detail = ["from": previous.rawValue, "to": handoff.urgency.rawValue,
                              "dueAt": ISO8601DateFormatter().string(from: due)]
                try Self.event(handoff.id, at: at, actor: "nectar", kind: .escalated, detail: detail, db)
                try Self.outbox(.escalated, handoff: handoff, actor: "nectar", detail: detail, at: at, db)
                try Self.rollUp(.escalated, before: before, after: handoff, at: at, db)
                try Self.insert(AuditEntry(at: at, actor: "nectar", action: "handoff-escalate", objectKind: "Handoff",
                                           objectName: handoff.id, changes: Self.json(detail.merging(["bot": handoff.bot]) { a, _ in a })),
                                runID: nil, db)
                escalated.append(handoff)
            }
            afterCommit(escalated, db)
            return escalated
        }
    }

    public func nextHandoffDue() async throws(StoreError) -> Date? {
        try await read { db in
            try Double.fetchOne(db, sql: "SELECT min(sla_due_at) FROM handoff WHERE status = 'pending'")
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    // MARK: - Rows

    static func handoff(_ db: Database, where condition: String, _ arguments: [any DatabaseValueConvertible]) throws -> Handoff? {
        try handoffs(db, where: condition, arguments, limit: 1).first
    }

    static func handoffs(_ db: Database, where condition: String, _ arguments: [any DatabaseValueConvertible],
                         limit: Int) throws -> [Handoff] {
        try Row.fetchAll(db, sql: "\(handoffSelection) WHERE \(condition) ORDER BY number DESC LIMIT ?",
                         arguments: StatementArguments(arguments + [min(limit, Int(Int32.max))])).map(handoff(row:))
    }

    static func handoff(row: Row) -> Handoff {
        func date(_ name: String) -> Date? { (row[name] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return Handoff(id: row["id"], number: row["number"], bot: row["bot"], conversationID: row["conversation_id"],
                       status: Handoff.Status(rawValue: row["status"]) ?? .pending, urgency: Urgency(rawValue: row["urgency"]) ?? .medium,
                       initialUrgency: Urgency(rawValue: row["initial_urgency"]) ?? .medium,
                       reason: Handoff.Reason(rawValue: row["reason"]) ?? .keyword, reasonDetail: row["reason_detail"],
                       confidence: row["confidence"], triggerMessageID: row["trigger_message_id"], assignee: row["assignee"],
                       escalated: row["escalated"], slaDueAt: date("sla_due_at"), createdAt: date("created_at") ?? .distantPast,
                       assignedAt: date("assigned_at"), escalatedAt: date("escalated_at"), resolvedAt: date("resolved_at"),
                       reopenedAt: date("reopened_at"), resolvedBy: row["resolved_by"], resolutionNote: row["resolution_note"],
                       updatedAt: date("updated_at") ?? .distantPast)
    }

    static func save(_ handoff: Handoff, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE handoff SET status = ?, urgency = ?, assignee = ?, escalated = ?, sla_due_at = ?, assigned_at = ?,
                               escalated_at = ?, resolved_at = ?, reopened_at = ?, resolved_by = ?, resolution_note = ?, updated_at = ?
            WHERE id = ?
            """, arguments: [handoff.status.rawValue, handoff.urgency.rawValue, handoff.assignee, handoff.escalated,
                             handoff.slaDueAt?.timeIntervalSince1970, handoff.assignedAt?.timeIntervalSince1970,
                             handoff.escalatedAt?.timeIntervalSince1970, handoff.resolvedAt?.timeIntervalSince1970,
                             handoff.reopenedAt?.timeIntervalSince1970, handoff.resolvedBy, handoff.resolutionNote,
                             handoff.updatedAt.timeIntervalSince1970, handoff.id])
    }

    static func event(_ handoff: String, at: Date, actor: String, kind: HandoffEvent.Kind, detail: [String: String],
                      _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO handoff_event (handoff_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [handoff, at.timeIntervalSince1970, actor, kind.rawValue, json(detail)])
    }

    static func event(row: Row) -> HandoffEvent {
        HandoffEvent(id: row["id"], handoffID: row["handoff_id"], at: Date(timeIntervalSince1970: row["at"]), actor: row["actor"],
                     kind: HandoffEvent.Kind(rawValue: row["kind"]) ?? .triggered, detail: row["detail"])
    }

    /// Why `name` may not be given a handoff of `bot`, if it may not: it
    /// must be a declared operator who works handoffs, and an agent must be
    /// in the bot's team.
    static func assignable(_ name: String, bot: String, _ db: Database) throws -> String? {
        guard let json = try String.fetchOne(db, sql: "SELECT spec FROM operator WHERE name = ? AND deleted_at IS NULL", arguments: [name]),
              let spec = try? JSONDecoder().decode(OperatorSpec.self, from: Data(json.utf8)) else {
            return "there is no declared operator named \(name)"
        }
        if spec.role == .auditor { return "operator \(name) is an auditor, who reads only and works no handoffs" }
        guard spec.role == .agent else { return nil }
        let owner = try String.fetchOne(db, sql: "SELECT json_extract(spec, '$.metadata.owner') FROM bot WHERE name = ?", arguments: [bot])
        guard let owner, spec.teams.contains(owner) else {
            return "operator \(name) is an agent outside the team that owns bot \(bot)"
        }
        return nil
    }

    static func verb(_ action: HandoffChange.Action) -> String {
        switch action {
        case .assign: "assign"
        case .reply: "reply"
        case .resolve: "resolve"
        case .reopen: "reopen"
        }
    }

    static func json(_ object: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
