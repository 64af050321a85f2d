import Foundation

/// What an analytics request asks for: a time range (whole UTC hours), the
/// series' bucket, and which bots (nil: every bot).
public struct AnalyticsQuery: Sendable, Hashable {
    public enum Bucket: String, Sendable, Hashable, CaseIterable {
        case hour, day

        var hours: Int64 { self == .hour ? 1 : 24 }
    }

    /// First hour counted (hours since 1970).
    public var fromHour: Int64
    /// First hour not counted.
    public var toHour: Int64
    public var bucket: Bucket
    public var bots: Set<String>?
    /// How many unanswered question groups to list.
    public var topQuestions = 10

    /// `from` is rounded down and `to` up to whole hours, or with daily
    /// buckets to whole UTC days (so that a report reads daily rollups only).
    public init(from: Date, to: Date, bucket: Bucket, bots: Set<String>?) {
        let hours = (from: UsageRollup.hour(of: from), to: Int64((to.timeIntervalSince1970 / 3600).rounded(.up)))
        fromHour = bucket == .day ? hours.from / 24 * 24 : hours.from
        toHour = max(bucket == .day ? (hours.to + 23) / 24 * 24 : hours.to, fromHour + bucket.hours)
        self.bucket = bucket
        self.bots = bots
    }

    /// The last `days` UTC days, today included, by day.
    public static func lastDays(_ days: Int, endingAt now: Date, bots: Set<String>?) -> AnalyticsQuery {
        AnalyticsQuery(from: now.addingTimeInterval(-Double(max(days, 1) - 1) * 86_400), to: now, bucket: .day, bots: bots)
    }

    /// The whole UTC days inside the range, as hours (empty when from == to).
    var wholeDays: (from: Int64, to: Int64) {
        let from = (fromHour + 23) / 24 * 24, to = toHour / 24 * 24
        return from < to ? (from, to) : (toHour, toHour)
    }

    /// The first hour of the series bucket `hour` falls in: the hour, or its UTC day.
    func bucketStart(_ hour: Int64) -> Int64 { bucket == .day ? hour / 24 * 24 : hour }

    public var from: Date { Date(timeIntervalSince1970: Double(fromHour) * 3600) }
    public var to: Date { Date(timeIntervalSince1970: Double(toHour) * 3600) }
}

public struct Percentiles: Sendable, Hashable, Codable {
    public var p50: Double?
    public var p95: Double?
    public var p99: Double?

    init(_ histogram: LogHistogram, p99 withP99: Bool = true) {
        p50 = histogram.percentile(0.50).map(Self.round)
        p95 = histogram.percentile(0.95).map(Self.round)
        p99 = withP99 ? histogram.percentile(0.99).map(Self.round) : nil
    }

    /// Three significant digits: the histogram is no more precise, and a
    /// fixed number of decimals would flatten short times.
    static func round(_ value: Double) -> Double { Double(String(format: "%.3g", value)) ?? value }
}

public struct ConfidenceBucket: Sendable, Hashable, Codable {
    public var from: Double
    public var to: Double
    public var count: Int
}

/// Traffic figures of a range (the totals, and each point of the series).
public struct UsageFigures: Sendable, Hashable, Codable {
    public var conversations: Int
    public var messages: Int
    /// Exact up to 255 clients per bot and hour or day, else estimated (HyperLogLog, about 3%).
    public var uniqueClients: Int
    public var answered: Int
    public var lowConfidence: Int
    public var rateLimited: Int
    public var handedOff: Int
    public var errors: Int
    public var averageConfidence: Double?
    public var confidenceDistribution: [ConfidenceBucket]
    /// Of the exchanges the bot answered itself (answered or low-confidence),
    /// the share that quoted its knowledge.
    public var knowledgeHitRate: Double?
    public var latencyMs: Percentiles
    public var promptTokens: Int
    public var completionTokens: Int

    init(_ rollup: UsageRollup) {
        conversations = rollup.conversations
        messages = rollup.messages
        uniqueClients = rollup.clients.estimate
        answered = rollup.answered
        lowConfidence = rollup.lowConfidence
        rateLimited = rollup.rateLimited
        handedOff = rollup.handedOff
        errors = rollup.errors
        averageConfidence = rollup.confidenceCount > 0 ? Self.ratio(rollup.confidenceSum, Double(rollup.confidenceCount)) : nil
        confidenceDistribution = rollup.confidenceBuckets.enumerated().map { index, count in
            ConfidenceBucket(from: Double(index) / 10, to: Double(index + 1) / 10, count: count)
        }
        let selfAnswered = rollup.answered + rollup.lowConfidence
        knowledgeHitRate = selfAnswered > 0 ? Self.ratio(Double(rollup.knowledgeHits), Double(selfAnswered)) : nil
        latencyMs = Percentiles(rollup.latency)
        promptTokens = rollup.promptTokens
        completionTokens = rollup.completionTokens
    }

    static func ratio(_ part: Double, _ whole: Double) -> Double { (part / whole * 10_000).rounded() / 10_000 }
}

public struct SLAFigure: Sendable, Hashable, Codable {
    public var met: Int
    public var missed: Int
    /// met / (met + missed); nil before any round was decided.
    public var attainment: Double?
}

public struct HandoffFigures: Sendable, Hashable, Codable {
    public var count: Int
    /// Handoffs per new conversation.
    public var rate: Double?
    public var reopened: Int
    public var byReason: [String: Int]
    public var byUrgency: [String: Int]
    public var timeToAssignmentSeconds: Percentiles
    public var timeToResolutionSeconds: Percentiles
    /// Per opening urgency.
    public var sla: [String: SLAFigure]

    init(_ rows: [HandoffRollup], conversations: Int) {
        var assignment = LogHistogram(), resolution = LogHistogram()
        var byReason = Dictionary(uniqueKeysWithValues: Handoff.Reason.allCases.map { ($0.rawValue, 0) })
        var byUrgency = Dictionary(uniqueKeysWithValues: Urgency.allCases.map { ($0.rawValue, 0) })
        var met: [String: Int] = [:], missed: [String: Int] = [:]
        var count = 0, reopened = 0
        for row in rows {
            count += row.created
            reopened += row.reopened
            byReason[row.reason, default: 0] += row.created
            byUrgency[row.urgency, default: 0] += row.created
            assignment.merge(row.assignment)
            resolution.merge(row.resolution)
            met[row.urgency, default: 0] += row.slaMet
            missed[row.urgency, default: 0] += row.slaMissed
        }
        self.count = count
        self.reopened = reopened
        rate = conversations > 0 ? UsageFigures.ratio(Double(count), Double(conversations)) : nil
        self.byReason = byReason
        self.byUrgency = byUrgency
        timeToAssignmentSeconds = Percentiles(assignment, p99: false)
        timeToResolutionSeconds = Percentiles(resolution, p99: false)
        sla = Dictionary(uniqueKeysWithValues: Urgency.allCases.map { urgency in
            let met = met[urgency.rawValue] ?? 0, missed = missed[urgency.rawValue] ?? 0
            return (urgency.rawValue, SLAFigure(met: met, missed: missed,
                                                attainment: met + missed > 0 ? UsageFigures.ratio(Double(met), Double(met + missed)) : nil))
        })
    }
}

public struct SeriesPoint: Sendable, Hashable, Codable {
    public var start: Date
    public var usage: UsageFigures
    public var handoffs: Int
}

public struct UnansweredQuestion: Sendable, Hashable, Codable {
    /// The most recent wording of the group.
    public var question: String
    public var count: Int
    public var lastAskedAt: Date
}

/// The analytics of a range, computed from the hourly rollups only.
public struct AnalyticsReport: Sendable, Hashable, Codable {
    public var from: Date
    public var to: Date
    public var bucket: String
    /// The bots counted (every bot with traffic in the range when not filtered).
    public var bots: [String]
    public var totals: UsageFigures
    public var handoffs: HandoffFigures
    public var series: [SeriesPoint]
    public var topUnanswered: [UnansweredQuestion]

    /// Sums rollups as they are read into the figures of a report.
    public struct Builder {
        let query: AnalyticsQuery
        var total: UsageRollup
        var points: [Int64: UsageRollup] = [:]
        var handoffs: [String: HandoffRollup] = [:]
        var handoffPoints: [Int64: Int] = [:]
        var bots = Set<String>()

        public init(query: AnalyticsQuery) {
            self.query = query
            total = UsageRollup(bot: "", hour: query.fromHour)
        }

        public mutating func add(_ row: UsageRollup) {
            // The totals are the merge of the points, made once at the end.
            let start = query.bucketStart(row.hour)
            points[start, default: UsageRollup(bot: "", hour: start)].merge(row)
            bots.insert(row.bot)
        }

        public mutating func add(_ row: HandoffRollup) {
            // Per reason and urgency: what the figures break down by.
            handoffs["\(row.reason) \(row.urgency)", default: HandoffRollup(bot: "", hour: 0, reason: row.reason, urgency: row.urgency)]
                .merge(row)
            handoffPoints[query.bucketStart(row.hour), default: 0] += row.created
            bots.insert(row.bot)
        }

        public func report(questions: [UnansweredQuestion]) -> AnalyticsReport {
            var builder = self
            for point in points.values { builder.total.merge(point) }
            return AnalyticsReport(builder: builder, questions: questions)
        }
    }

    init(builder: Builder, questions: [UnansweredQuestion]) {
        let query = builder.query
        from = query.from
        to = query.to
        bucket = query.bucket.rawValue
        bots = query.bots.map { Array($0).sorted() } ?? builder.bots.sorted()
        totals = UsageFigures(builder.total)
        handoffs = HandoffFigures(Array(builder.handoffs.values), conversations: builder.total.conversations)
        // Series points are whole hours or UTC days; the first and last day may be partly in the range.
        series = stride(from: query.bucketStart(query.fromHour), to: query.toHour, by: Int(query.bucket.hours)).map { hour in
            SeriesPoint(start: Date(timeIntervalSince1970: Double(hour) * 3600),
                        usage: UsageFigures(builder.points[hour] ?? UsageRollup(bot: "", hour: hour)),
                        handoffs: builder.handoffPoints[hour] ?? 0)
        }
        topUnanswered = questions
    }

    /// The series as CSV: one line per bucket, a header first.
    public var seriesCSV: String {
        var lines = ["start,conversations,messages,unique_clients,answered,low_confidence,rate_limited,handed_off,errors,"
            + "average_confidence,knowledge_hit_rate,latency_p50_ms,latency_p95_ms,latency_p99_ms,handoffs"]
        let formatter = ISO8601DateFormatter()
        func number(_ value: Double?) -> String { value.map { String($0) } ?? "" }
        for point in series {
            let usage = point.usage
            lines.append([formatter.string(from: point.start), String(usage.conversations), String(usage.messages),
                          String(usage.uniqueClients), String(usage.answered), String(usage.lowConfidence), String(usage.rateLimited),
                          String(usage.handedOff), String(usage.errors), number(usage.averageConfidence),
                          number(usage.knowledgeHitRate), number(usage.latencyMs.p50), number(usage.latencyMs.p95),
                          number(usage.latencyMs.p99), String(point.handoffs)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
