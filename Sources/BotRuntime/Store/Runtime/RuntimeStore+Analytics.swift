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
        // A batch's unanswered questions are grouped first, so a group asked
        // many times in one batch costs one update.
        var questions: [QuestionTally.Key: QuestionTally] = [:]
        for usage in batch.usage {
            touch(usage.bot, usage.at) { $0.add(usage) }
            guard let question = usage.question else { continue }
            let grouping = QuestionGroup.key(question)
            guard !grouping.isEmpty else { continue }
            let key = QuestionTally.Key(day: UsageRollup.hour(of: usage.at) / 24 * 24, bot: usage.bot, grouping: grouping)
            questions[key, default: QuestionTally(example: question, at: usage.at)].add(question, at: usage.at)
        }
        for (key, tally) in questions.sorted(by: { $0.value.at < $1.value.at }) { try countQuestion(key, tally, db) }
        var days: [String: UsageRollup] = [:]
        for rollup in rollups.values {
            try add(rollup, table: "usage_rollup", db)
            let day = rollup.hour / 24 * 24
            days["\(day) \(rollup.bot)", default: UsageRollup(bot: rollup.bot, hour: day)].merge(rollup)
        }
        for rollup in days.values { try add(rollup, table: "usage_rollup_day", db) }
    }

    /// Merges `delta` into its stored row of `table` (`usage_rollup` or `usage_rollup_day`).
    static func add(_ delta: UsageRollup, table: String, _ db: Database) throws {
        var rollup = delta
        if let row = try Row.fetchOne(db.cachedStatement(sql: "\(usageRollupSelection(table)) WHERE hour = ? AND bot = ?"),
                                      arguments: [delta.hour, delta.bot]) {
            rollup = try usageRollup(row: row)
            rollup.merge(delta)
        }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO \(table) (hour, bot, messages, conversations, answered, low_confidence, rate_limited, handed_off,
                errors, confidence_sum, confidence_count, confidence_buckets, knowledge_hits, prompt_tokens, completion_tokens, latency, clients)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                rollup.hour, rollup.bot, rollup.messages, rollup.conversations, rollup.answered, rollup.lowConfidence,
                rollup.rateLimited, rollup.handedOff, rollup.errors, rollup.confidenceSum, rollup.confidenceCount,
                Data(rollup.confidenceBuckets.flatMap { count in (0..<4).map { UInt8(truncatingIfNeeded: count >> ($0 * 8)) } }),
                rollup.knowledgeHits, rollup.promptTokens, rollup.completionTokens, Data(rollup.latency.bytes), Data(rollup.clients.bytes),
            ])
    }

    /// Question groups kept per bot and UTC day.
    static let questionGroupsPerDay = 10

    /// Counts a low-confidence question into its bot's day, keeping the
    /// day's most frequent groups with the Space-Saving algorithm: a new
    /// group beyond the limit takes the place of the least frequent one and
    /// starts at its count plus one. A group asked more often than a tenth
    /// of the day's unanswered questions is always kept, and the rows stay
    /// bounded however many different questions users ask.
    static func countQuestion(_ key: QuestionTally.Key, _ tally: QuestionTally, _ db: Database) throws {
        let (day, bot, grouping) = (key.day, key.bot, key.grouping)
        let example = String(tally.example.prefix(300)), time = tally.at.timeIntervalSince1970
        try db.cachedStatement(sql: """
            UPDATE question_rollup SET count = count + ?, example = CASE WHEN ? >= last_at THEN ? ELSE example END,
                last_at = max(last_at, ?) WHERE hour = ? AND bot = ? AND grouping = ?
            """).execute(arguments: [tally.count, time, example, time, day, bot, grouping])
        guard db.changesCount == 0 else { return }
        var count = tally.count
        let kept = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM question_rollup WHERE hour = ? AND bot = ?"),
                                    arguments: [day, bot]) ?? 0
        if kept >= questionGroupsPerDay,
           let least = try Row.fetchOne(db.cachedStatement(sql: """
               SELECT grouping, count FROM question_rollup WHERE hour = ? AND bot = ? ORDER BY count, last_at LIMIT 1
               """), arguments: [day, bot]) {
            try db.cachedStatement(sql: "DELETE FROM question_rollup WHERE hour = ? AND bot = ? AND grouping = ?")
                .execute(arguments: [day, bot, least[0] as String])
            count += least[1] as Int
        }
        try db.cachedStatement(sql: """
            INSERT INTO question_rollup (hour, bot, grouping, example, count, last_at) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [day, bot, grouping, example, count, time])
    }

    /// One question group's count in a batch, with its latest example.
    struct QuestionTally {
        struct Key: Hashable {
            var day: Int64
            var bot: String
            var grouping: String
        }

        var example: String
        var at: Date
        var count = 0

        mutating func add(_ question: String, at time: Date) {
            count += 1
            if time >= at { example = question; at = time }
        }
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
            rollup = try handoffRollup(row: row)
            rollup.merge(delta)
        }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO handoff_rollup (hour, bot, reason, urgency, created, reopened, assigned, assignment, resolved, resolution,
                                                   sla_met, sla_missed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [rollup.hour, rollup.bot, rollup.reason, rollup.urgency, rollup.created, rollup.reopened,
                                     rollup.assigned, Data(rollup.assignment.bytes), rollup.resolved, Data(rollup.resolution.bytes),
                                     rollup.slaMet, rollup.slaMissed])
    }

    // MARK: - Reading

    static func usageRollupSelection(_ table: String) -> String {
        """
        SELECT hour, bot, messages, conversations, answered, low_confidence, rate_limited, handed_off, errors, confidence_sum,
               confidence_count, confidence_buckets, knowledge_hits, prompt_tokens, completion_tokens, latency, clients FROM \(table)
        """
    }
    static let handoffRollupSelection = """
        SELECT hour, bot, reason, urgency, created, reopened, assigned, assignment, resolved, resolution, sla_met, sla_missed FROM handoff_rollup
        """

    /// A `usageRollupSelection` row (columns by position: this runs for every row of a report).
    static func usageRollup(row: Row) throws -> UsageRollup {
        var rollup = UsageRollup(bot: row[1], hour: row[0])
        rollup.messages = row[2]
        rollup.conversations = row[3]
        rollup.answered = row[4]
        rollup.lowConfidence = row[5]
        rollup.rateLimited = row[6]
        rollup.handedOff = row[7]
        rollup.errors = row[8]
        rollup.confidenceSum = row[9]
        rollup.confidenceCount = row[10]
        try row.withUnsafeData(atIndex: 11) { data in
            guard let data, data.count == rollup.confidenceBuckets.count * 4 else { return }
            let bytes = [UInt8](data)
            for index in rollup.confidenceBuckets.indices {
                rollup.confidenceBuckets[index] = (0..<4).reduce(0) { $0 | Int(bytes[index * 4 + $1]) << ($1 * 8) }
            }
        }
        rollup.knowledgeHits = row[12]
        rollup.promptTokens = row[13]
        rollup.completionTokens = row[14]
        try row.withUnsafeData(atIndex: 15) { data in rollup.latency = LogHistogram(bytes: data ?? Data()) }
        try row.withUnsafeData(atIndex: 16) { data in rollup.clients = ClientSketch(bytes: data.map { [UInt8]($0) }) }
        return rollup
    }

    static func handoffRollup(row: Row) throws -> HandoffRollup {
        var rollup = HandoffRollup(bot: row[1], hour: row[0], reason: row[2], urgency: row[3])
        rollup.created = row[4]
        rollup.reopened = row[5]
        rollup.assigned = row[6]
        try row.withUnsafeData(atIndex: 7) { data in rollup.assignment = LogHistogram(bytes: data ?? Data()) }
        rollup.resolved = row[8]
        try row.withUnsafeData(atIndex: 9) { data in rollup.resolution = LogHistogram(bytes: data ?? Data()) }
        rollup.slaMet = row[10]
        rollup.slaMissed = row[11]
        return rollup
    }

    /// The report of `query`, read row by row into the report's sums (never
    /// all in memory at once): with daily buckets, the range's whole UTC
    /// days from the daily rollups and its edges from the hourly ones, so
    /// a 30-day overview reads about 30 rows per bot.
    public func analytics(_ query: AnalyticsQuery) async throws(StoreError) -> AnalyticsReport {
        try await read { db in
            var report = AnalyticsReport.Builder(query: query)
            var bots = ""
            var botArguments: [any DatabaseValueConvertible] = []
            if let visible = query.bots {
                guard !visible.isEmpty else { return report.report(questions: []) }
                bots = " AND bot IN (\(Self.placeholders(visible.count)))"
                botArguments = visible.sorted()
            }
            func rows(_ table: String, _ condition: String, _ hours: [Int64], _ add: (Row) throws -> Void) throws {
                let cursor = try Row.fetchCursor(db, sql: "\(table) WHERE \(condition)\(bots)",
                                                 arguments: StatementArguments(hours as [any DatabaseValueConvertible] + botArguments))
                while let row = try cursor.next() { try add(row) }
            }
            let (wholeFrom, wholeTo) = query.bucket == .day ? query.wholeDays : (query.toHour, query.toHour)
            if wholeFrom < wholeTo {
                try rows(Self.usageRollupSelection("usage_rollup_day"), "hour >= ? AND hour < ?", [wholeFrom, wholeTo]) {
                    report.add(try Self.usageRollup(row: $0))
                }
                try rows(Self.usageRollupSelection("usage_rollup"), "((hour >= ? AND hour < ?) OR (hour >= ? AND hour < ?))",
                         [query.fromHour, wholeFrom, wholeTo, query.toHour]) { report.add(try Self.usageRollup(row: $0)) }
            } else {
                try rows(Self.usageRollupSelection("usage_rollup"), "hour >= ? AND hour < ?", [query.fromHour, query.toHour]) {
                    report.add(try Self.usageRollup(row: $0))
                }
            }
            try rows(Self.handoffRollupSelection, "hour >= ? AND hour < ?", [query.fromHour, query.toHour]) {
                report.add(try Self.handoffRollup(row: $0))
            }
            let questions = try Row.fetchAll(db, sql: """
                SELECT grouping, example, max(last_at) AS last_at, sum(count) AS total FROM question_rollup
                WHERE hour >= ? AND hour < ?\(bots) GROUP BY grouping ORDER BY total DESC, last_at DESC LIMIT ?
                """, arguments: StatementArguments([query.fromHour / 24 * 24, query.toHour] + botArguments + [query.topQuestions])).map { row in
                UnansweredQuestion(question: row["example"], count: row["total"],
                                   lastAskedAt: Date(timeIntervalSince1970: row["last_at"]))
            }
            return report.report(questions: questions)
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
