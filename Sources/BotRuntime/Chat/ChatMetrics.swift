import Metrics
import Synchronization

/// The chat path's metrics, with every handle made once and kept: a
/// request touches its bot's handles directly, never the registry.
public final class ChatMetrics: Sendable {
    private let factory: any MetricsFactory
    private let bots = Mutex<[String: BotMetrics]>([:])
    /// Requests refused by a rate limit, all bots together.
    let rateLimited: Counter

    public init(factory: any MetricsFactory) {
        self.factory = factory
        rateLimited = Counter(label: "nectar_chat_rate_limited_total", factory: factory)
    }

    /// The handles of one bot, made on its first request and kept for the
    /// process's life (the directory's entry for the bot holds them in a
    /// `BotMetricsSlot`).
    func bot(_ name: String) -> BotMetrics {
        bots.withLock { bots in
            if let existing = bots[name] { return existing }
            let made = BotMetrics(bot: name, factory: factory)
            bots[name] = made
            return made
        }
    }
}

/// One bot's counters per outcome and its latency histogram.
final class BotMetrics: Sendable {
    private let requests: [Counter]
    private let latency: Metrics.Timer

    init(bot: String, factory: any MetricsFactory) {
        requests = UsageRecord.Outcome.allCases.map { outcome in
            Counter(label: "nectar_chat_requests_total", dimensions: [("bot", bot), ("outcome", outcome.rawValue)], factory: factory)
        }
        latency = Metrics.Timer(label: "nectar_chat_request_duration_seconds", dimensions: [("bot", bot)], factory: factory)
    }

    func record(_ outcome: UsageRecord.Outcome, nanoseconds: Int64) {
        requests[UsageRecord.Outcome.allCases.firstIndex(of: outcome) ?? 0].increment()
        latency.recordNanoseconds(nanoseconds)
    }
}

/// One bot's metric handles, made on first use and then kept; the slot
/// stays with the bot across directory refreshes.
final class BotMetricsSlot: Sendable {
    private let bot: String
    private let metrics: ChatMetrics
    private let handles = Mutex<BotMetrics?>(nil)

    init(bot: String, metrics: ChatMetrics) {
        self.bot = bot
        self.metrics = metrics
    }

    func record(_ outcome: UsageRecord.Outcome, nanoseconds: Int64) {
        let made = handles.withLock { handles in
            if let handles { return handles }
            let made = metrics.bot(bot)
            handles = made
            return made
        }
        made.record(outcome, nanoseconds: nanoseconds)
    }
}
