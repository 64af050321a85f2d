import Foundation
import GRDB

/// Analytics: hourly rollups written in the transactions that write usage
/// rows and handoff changes, and reports read from the rollups only, so a
/// report's cost follows the hours and bots it covers, not the traffic.
extension RuntimeStore {
    // MARK: - Writing

    /// Counts a batch's new conversations and exchanges into their hours' rollups.
    static func rollUp(_ batch: RuntimeWriteBatch, newConversations: [ConversationRecord], _ db: Database) throws {
        guard !batch.usage.isEmpty || !newConversations.isEmpty else { return }
        var rollups: [String: UsageRollup] = [:]
        func touch(_ bot: String, _ at: Date, _ change: (inout UsageRollup) -> Void) {
            let hour = UsageRollup.hour(of: at)
            change(&rollups["\(hour) \(bot)", default: UsageRollup(bot: bot, hour: hour)])
        }
        for conversation in newConversations { touch(conversation.bot, conversation.createdAt) { $0.conversations += 1 } }
        for usage in batch.usage {
            touch(usage.bot, usage.at) { $0.add(usage) }
            if let question = usage.question { try countQuestion(question, bot: usage.bot, at: usage.at, db) }
        }
        for rollup in rollups.values { try add(rollup, db) }
    }

    /// Merges `delta` into its stored row.
    static func add(_ delta: UsageRollup, _ db: Database) throws {
        var rollup = delta
        if let row = try Row.fetchOne(db.cachedStatement(sql: "\(usageRollupSelection) WHERE hour = ? AND bot = ?"),
                                      arguments: [delta.hour, delta.bot]) {
            rollup = usageRollup(row: row)
            rollup.merge(delta)
        }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO usage_rollup (hour, bot, messages, conversations, answered, low_confidence, rate_limited, handed_off,
                errors, confidence_sum, confidence_count, confidence_buckets, knowledge_hits, prompt_tokens, completion_tokens, latency, clients)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                rollup.hour, rollup.bot, rollup.messages, rollup.conversations, rollup.answered, rollup.lowConfidence,
                rollup.rateLimited, rollup.handedOff, rollup.errors, rollup.confidenceSum, rollup.confidenceCount,
                rollup.confidenceBuckets.map(String.init).joined(separator: ","), rollup.knowledgeHits, rollup.promptTokens,
                rollup.completionTokens, rollup.latency.text, Data(rollup.clients.bytes),
            ])
    }

    static func countQuestion(_ question: String, bot: String, at: Date, _ db: Database) throws {
        let grouping = QuestionGroup.key(question)
        guard !grouping.isEmpty else { return }
        try db.cachedStatement(sql: """
            INSERT INTO question_rollup (hour, bot, grouping, example, count, last_at) VALUES (?, ?, ?, ?, 1, ?)
            ON CONFLICT(hour, bot, grouping) DO UPDATE SET count = count + 1,
                example = CASE WHEN excluded.last_at >= last_at THEN excluded.example ELSE example END,
                last_at = max(last_at, excluded.last_at)
            """).execute(arguments: [UsageRollup.hour(of: at), bot, grouping, String(question.prefix(300)), at.timeIntervalSince1970])
    }

    /// Counts one step of a handoff into the rollup of the hour it opened.
    static func rollUp(_ kind: HandoffEvent.Kind, before: Handoff?, after: Handoff, at: Date, _ db: Database) throws {
        var delta = HandoffRollup.key(after)
        delta.count(kind, before: before, after: after, at: at)
        guard delta != HandoffRollup.key(after) else { return }
        try add(delta, db)
    }

    static func add(_ delta: HandoffRollup, _ db: Database) throws {
        var rollup = delta
        if let row = try Row.fetchOne(db.cachedStatement(sql: "\(handoffRollupSelection) WHERE hour = ? AND bot = ? AND reason = ? AND urgency = ?"),
                                      arguments: [delta.hour, delta.bot, delta.reason, delta.urgency]) {
            rollup = handoffRollup(row: row)
            rollup.merge(delta)
        }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO handoff_rollup (hour, bot, reason, urgency, created, reopened, assigned, assignment, resolved, resolution,
                                                   sla_met, sla_missed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [rollup.hour, rollup.bot, rollup.reason, rollup.urgency, rollup.created, rollup.reopened,
                                     rollup.assigned, rollup.assignment.text, rollup.resolved, rollup.resolution.text,
                                     rollup.slaMet, rollup.slaMissed])
    }

    // MARK: - Reading

    static let usageRollupSelection = """
        SELECT hour, bot, messages, conversations, answered, low_confidence, rate_limited, handed_off, errors, confidence_sum,
               confidence_count, confidence_buckets, knowledge_hits, prompt_tokens, completion_tokens, latency, clients FROM usage_rollup
        """
    static let handoffRollupSelection = """
        SELECT hour, bot, reason, urgency, created, reopened, assigned, assignment, resolved, resolution, sla_met, sla_missed FROM handoff_rollup
        """

    static func usageRollup(row: Row) -> UsageRollup {
        var rollup = UsageRollup(bot: row["bot"], hour: row["hour"])
        rollup.messages = row["messages"]
        rollup.conversations = row["conversations"]
        rollup.answered = row["answered"]
        rollup.lowConfidence = row["low_confidence"]
        rollup.rateLimited = row["rate_limited"]
        rollup.handedOff = row["handed_off"]
        rollup.errors = row["errors"]
        rollup.confidenceSum = row["confidence_sum"]
        rollup.confidenceCount = row["confidence_count"]
        let buckets = (row["confidence_buckets"] as String).split(separator: ",").compactMap { Int($0) }
        if buckets.count == rollup.confidenceBuckets.count { rollup.confidenceBuckets = buckets }
        rollup.knowledgeHits = row["knowledge_hits"]
        rollup.promptTokens = row["prompt_tokens"]
        rollup.completionTokens = row["completion_tokens"]
        rollup.latency = LogHistogram(text: row["latency"])
        rollup.clients = ClientSketch(bytes: (row["clients"] as Data?).map { [UInt8]($0) })
        return rollup
    }

    static func handoffRollup(row: Row) -> HandoffRollup {
        var rollup = HandoffRollup(bot: row["bot"], hour: row["hour"], reason: row["reason"], urgency: row["urgency"])
        rollup.created = row["created"]
        rollup.reopened = row["reopened"]
        rollup.assigned = row["assigned"]
        rollup.assignment = LogHistogram(text: row["assignment"])
        rollup.resolved = row["resolved"]
        rollup.resolution = LogHistogram(text: row["resolution"])
        rollup.slaMet = row["sla_met"]
        rollup.slaMissed = row["sla_missed"]
        return rollup
    }

    /// The report of `query`, from the rollups of its hours and bots.
    public func analytics(_ query: AnalyticsQuery) async throws(StoreError) -> AnalyticsReport {
        try await read { db in
            var condition = "hour >= ? AND hour < ?"
            var arguments: [any DatabaseValueConvertible] = [query.fromHour, query.toHour]
            if let bots = query.bots {
                guard !bots.isEmpty else { return AnalyticsReport(query: query, usage: [], handoffs: [], questions: []) }
                condition += " AND bot IN (\(Self.placeholders(bots.count)))"
                arguments += bots.sorted()
            }
            let args: StatementArguments = StatementArguments(arguments)
            let usage = try Row.fetchAll(db, sql: "\(Self.usageRollupSelection) WHERE \(condition)", arguments: args).map(Self.usageRollup(row:))
            let handoffs = try Row.fetchAll(db, sql: "\(Self.handoffRollupSelection) WHERE \(condition)", arguments: args)
                .map(Self.handoffRollup(row:))
            let questions = try Row.fetchAll(db, sql: """
                SELECT grouping, example, max(last_at) AS last_at, sum(count) AS total FROM question_rollup WHERE \(condition)
                GROUP BY grouping ORDER BY total DESC, last_at DESC LIMIT ?
                """, arguments: StatementArguments(arguments + [query.topQuestions])).map { row in
                UnansweredQuestion(question: row["example"], count: row["total"],
                                   lastAskedAt: Date(timeIntervalSince1970: row["last_at"]))
            }
            return AnalyticsReport(query: query, usage: usage, handoffs: handoffs, questions: questions)
        }
    }

    // MARK: - Retention

    /// Deletes up to `limit` usage rows older than `cutoff` (the rollups
    /// stay); returns how many it deleted. Small batches keep each write
    /// transaction short, so the chat path's flushes never wait long.
    public func pruneUsage(before cutoff: Date, limit: Int = 5000) async throws(StoreError) -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM usage_event WHERE id IN (SELECT id FROM usage_event WHERE at < ? ORDER BY at LIMIT ?)",
                           arguments: [cutoff.timeIntervalSince1970, limit])
            return db.changesCount
        }
    }

    // MARK: - Filling the rollups from stored rows

    /// Builds every rollup from the raw rows (the v7 migration, on a
    /// database that already holds traffic).
    static func backfillRollups(_ db: Database) throws {
        var batch = RuntimeWriteBatch()
        let usage = try Row.fetchCursor(db, sql: """
            SELECT at, bot, route, key_id, client_hash, conversation_id, outcome, latency_ms, confidence, knowledge_hit,
                   prompt_tokens, completion_tokens, question FROM usage_event ORDER BY id
            """)
        while let row = try usage.next() {
            batch.usage.append(UsageRecord(
                at: Date(timeIntervalSince1970: row["at"]), bot: row["bot"], route: row["route"], keyID: row["key_id"],
                clientHash: row["client_hash"], conversationID: row["conversation_id"],
                outcome: UsageRecord.Outcome(rawValue: row["outcome"]) ?? .error, latencyMilliseconds: row["latency_ms"],
                confidence: row["confidence"], knowledgeHit: row["knowledge_hit"], promptTokens: row["prompt_tokens"],
                completionTokens: row["completion_tokens"], question: row["question"]))
            if batch.usage.count == 10_000 {
                try rollUp(batch, newConversations: [], db)
                batch.usage.removeAll(keepingCapacity: true)
            }
        }
        let conversations = try ConversationRecord.fetchAll(db, sql: ConversationRecord.selection)
        try rollUp(batch, newConversations: conversations, db)
        // Handoffs: replay each one's events over its opening state.
        var states: [String: Handoff] = [:]
        for handoff in try handoffs(db, where: "1", [], limit: Int.max) {
            var opening = handoff
            opening.urgency = handoff.initialUrgency
            opening.assignedAt = nil
            opening.escalated = false
            opening.reopenedAt = nil
            states[handoff.id] = opening
        }
        let events = try Row.fetchCursor(db, sql: "SELECT handoff_id, at, kind FROM handoff_event ORDER BY id")
        while let row = try events.next() {
            guard let kind = HandoffEvent.Kind(rawValue: row["kind"]), let before = states[row["handoff_id"]] else { continue }
            let at = Date(timeIntervalSince1970: row["at"])
            var after = before
            switch kind {
            case .assigned: after.assignedAt = at
            case .escalated: after.escalated = true
            case .reopened:
                after.reopenedAt = at
                after.assignedAt = nil
                after.escalated = false
            case .created, .triggered, .replied, .resolved: break
            }
            try rollUp(kind, before: kind == .created ? nil : before, after: after, at: at, db)
            states[before.id] = after
        }
    }
}
