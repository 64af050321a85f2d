import Foundation
import Logging
import Metrics
import Synchronization

/// Delivers the outbox to webhooks: at least once, in order per handoff and
/// target, with retries (exponential backoff with jitter, a cap, a maximum
/// age after which a delivery is dead). Each target is worked by its own
/// task, so a slow or dead target holds up only itself, never the chat path
/// (which only writes outbox rows) or other targets.
public final class NotificationDispatcher: Sendable {
    /// How retries are spaced and when they stop.
    public struct RetryPolicy: Sendable {
        public var base: Duration
        public var cap: Duration
        public var maxAge: Duration

        public init(base: Duration = .seconds(5), cap: Duration = .seconds(3600), maxAge: Duration = .seconds(86_400)) {
            self.base = base
            self.cap = cap
            self.maxAge = maxAge
        }

        /// The wait before attempt `attempts + 1`: base·2^(attempts-1), at most
        /// the cap, times a random factor in [0.5, 1].
        func delay(afterAttempts attempts: Int) -> TimeInterval {
            let base = Double(self.base.components.seconds) + Double(self.base.components.attoseconds) / 1e18
            let cap = Double(self.cap.components.seconds)
            let exponential = min(cap, base * pow(2, Double(max(0, attempts - 1))))
            return exponential * Double.random(in: 0.5...1)
        }
    }

    let store: any RuntimeStateStore
    let sender: any WebhookSender
    /// The SMTP client, when a relay is configured.
    let mailer: (any MailSender)?
    let mail: MailPlan
    let targets: [String: WebhookTarget]
    let publicURL: String?
    /// Where `reconcile.*` events go.
    let reconcileTargets: [String]
    let policy: RetryPolicy
    /// Requests in flight to one target at most (each for another handoff).
    let perTarget = 8
    let logger: Logger
    let now: @Sendable () -> Date
    private let busy = Mutex<Set<String>>([])
    private let disabled = Mutex<Set<String>>([])
    private let counters = Mutex<[String: Counter]>([:])
    private let depth: Gauge
    private let oldestAge: Gauge

    public init(store: any RuntimeStateStore, sender: any WebhookSender, targets: [WebhookTarget], publicURL: String?,
                reconcileTargets: [String] = [], mailer: (any MailSender)? = nil, mail: MailPlan = MailPlan(from: nil),
                policy: RetryPolicy = RetryPolicy(), metrics: any MetricsFactory, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.sender = sender
        self.mailer = mailer
        self.mail = mailer == nil ? MailPlan(from: nil) : mail
        self.targets = Dictionary(targets.map { ($0.name, $0) }) { first, _ in first }
        self.publicURL = publicURL
        self.reconcileTargets = reconcileTargets
        self.policy = policy
        self.logger = logger
        self.now = now
        depth = Gauge(label: "nectar_notification_outbox_depth", factory: metrics)
        oldestAge = Gauge(label: "nectar_notification_outbox_oldest_age_seconds", factory: metrics)
        self.metricsFactory = metrics
    }

    private let metricsFactory: any MetricsFactory

    /// Plans and starts deliveries every `interval` until cancelled.
    public func run(every interval: Duration = .milliseconds(200)) async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                do throws(StoreError) {
                    for target in try await round() {
                        group.addTask { await self.work(target) }
                    }
                } catch {
                    // Cancelled at shutdown: GRDB refuses a cancelled task's
                    // access, which is not a failure worth an error line.
                    if Task.isCancelled { break }
                    logger.error("planning notification deliveries failed; retried", metadata: ["error": "\(error.description)"])
                }
                try? await Task.sleep(for: interval)
            }
            group.cancelAll()
        }
    }

    /// One round: new events become deliveries; returns the targets with
    /// due deliveries and no worker yet (marked busy).
    func round() async throws(StoreError) -> [String] {
        let at = now()
        while try await store.planDeliveries(limit: 500, at: at, reconcileTargets: reconcileTargets, mail: mail) == 500 {}
        let backlog = try await store.deliveryBacklog()
        depth.record(backlog.count)
        oldestAge.record(backlog.oldest.map { max(0, at.timeIntervalSince($0)) } ?? 0)
        let names = Set(try await store.dueTargets(at: at).map { "\($0.channel):\($0.target)" })
        return busy.withLock { busy in
            let free = names.subtracting(busy).sorted()
            busy.formUnion(free)
            return free
        }
    }

    /// Delivers a target's due deliveries, then frees it. Due deliveries
    /// belong to different handoffs (only the oldest undelivered one of a
    /// handoff is due), so up to `perTarget` go at once without reordering
    /// any handoff's events.
    func work(_ name: String) async {
        defer { _ = busy.withLock { $0.remove(name) } }
        do throws(StoreError) {
            while !Task.isCancelled {
                let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
                let due = try await store.dueDeliveries(at: now(), limit: 200, channel: parts[0], target: parts.count > 1 ? parts[1] : "")
                guard !due.isEmpty else { return }
                let failures = await withTaskGroup(of: StoreError?.self) { group -> [StoreError] in
                    var next = due.makeIterator()
                    for _ in 0..<perTarget {
                        guard let item = next.next() else { break }
                        group.addTask { await self.attempt(item) }
                    }
                    var failures: [StoreError] = []
                    for await failure in group {
                        if let failure { failures.append(failure) }
                        if !Task.isCancelled, let item = next.next() { group.addTask { await self.attempt(item) } }
                    }
                    return failures
                }
                if let failure = failures.first { throw failure }
            }
        } catch {
            logger.error("recording a notification delivery failed", metadata: ["target": "\(name)", "error": "\(error.description)"])
        }
    }

    private func attempt(_ item: DueDelivery) async -> StoreError? {
        do throws(StoreError) {
            try await deliver(item)
            return nil
        } catch {
            return error
        }
    }

    /// The worker a delivery belongs to: one per webhook, one per e-mail address.
    static func worker(_ delivery: Delivery) -> String { "\(delivery.channel):\(delivery.target)" }

    /// One attempt of one delivery.
    func deliver(_ item: DueDelivery) async throws(StoreError) {
        let delivery = item.delivery
        if delivery.channel == "email" { return try await deliverMail(item) }
        guard let target = targets[delivery.target] else {
            let error = "webhook \(delivery.target) is not defined in the daemon configuration (notifications.webhooks)"
            _ = try await store.abandonDeliveries(channel: delivery.channel, target: delivery.target, error: error, at: now())
            count(.dead)
            return
        }
        if disabled.withLock({ $0.contains(target.name) }) {
            if try await store.recordDelivery(delivery.id, outcome: .dead(status: 410, error: "webhook \(target.name) answered 410 Gone and is disabled until the daemon restarts"), at: now()) {
                count(.dead)
            }
            return
        }
        let handoffKey = item.event.handoffID ?? item.event.id
        let reference = target.format == .zendesk
            ? try await store.deliveryReference(channel: "webhook", target: target.name, key: handoffKey) : nil
        guard let request = WebhookSigning.request(event: item.event, delivery: delivery.id, target: target, publicURL: publicURL,
                                                   at: now(), reference: reference) else {
            if target.format == .zendesk, item.event.handoffID != nil, item.event.type != OutboxEvent.Kind.handoffCreated.rawValue {
                try await store.recordDelivery(delivery.id, outcome: .dead(status: nil,
                    error: "there is no Zendesk ticket for this handoff (its creation was not delivered)"), at: now())
                count(.dead)
            } else {
                try await store.recordDelivery(delivery.id, outcome: .skipped("format \(target.format.rawValue) sends nothing for \(item.event.type)"),
                                               at: now())
            }
            return
        }
        let result = await sender.send(request)
        let at = now()
        let tooOld = at.timeIntervalSince(delivery.ageFrom) >= Double(policy.maxAge.components.seconds)
        switch result {
        case .status(let status, let body) where (200..<300).contains(status):
            if target.format == .zendesk, reference == nil, let ticket = Self.zendeskTicketID(body) {
                try await store.setDeliveryReference(channel: "webhook", target: target.name, key: handoffKey, reference: ticket)
            }
            if try await store.recordDelivery(delivery.id, outcome: .delivered(status: status), at: at) { count(.delivered) }
        case .status(410, _):
            disabled.withLock { _ = $0.insert(target.name) }
            let recorded = try await store.recordDelivery(delivery.id, outcome: .dead(status: 410, error: "the receiver answered 410 Gone"), at: at)
            let abandoned = try await store.abandonDeliveries(channel: "webhook", target: target.name,
                                                              error: "webhook \(target.name) answered 410 Gone and is disabled", at: at)
            logger.warning("webhook answered 410 Gone; disabled until the daemon restarts",
                           metadata: ["target": "\(target.name)", "abandoned": "\(abandoned)"])
            count(.dead, by: (recorded ? 1 : 0) + abandoned)
        case .status(let status, _):
            try await retryOrGiveUp(delivery, status: status, error: "the receiver answered \(status)", tooOld: tooOld, at: at)
        case .failure(let error):
            try await retryOrGiveUp(delivery, status: nil, error: error, tooOld: tooOld, at: at)
        }
    }

    /// `ticket.id` of a Zendesk tickets API answer.
    static func zendeskTicketID(_ body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let ticket = object["ticket"] as? [String: Any] else { return nil }
        if let id = ticket["id"] as? Int { return String(id) }
        return ticket["id"] as? String
    }

    private func deliverMail(_ item: DueDelivery) async throws(StoreError) {
        let delivery = item.delivery
        guard let mailer, let from = mail.from else {
            try await store.recordDelivery(delivery.id, outcome: .dead(status: nil, error: "no SMTP relay is configured (notifications.smtp)"),
                                           at: now())
            count(.dead, channel: "email")
            return
        }
        let message = MailFormatter.message(event: item.event, delivery: delivery.id, from: from, to: delivery.target, publicURL: publicURL,
                                            at: now())
        let result = await mailer.send(Mail(from: from, to: delivery.target, message: message))
        let at = now()
        switch result {
        case .sent:
            try await store.recordDelivery(delivery.id, outcome: .delivered(status: 250), at: at)
            count(.delivered, channel: "email")
        case .permanent(let error):
            try await store.recordDelivery(delivery.id, outcome: .dead(status: nil, error: error), at: at)
            count(.dead, channel: "email")
        case .transient(let error):
            let tooOld = at.timeIntervalSince(delivery.ageFrom) >= Double(policy.maxAge.components.seconds)
            try await retryOrGiveUp(delivery, status: nil, error: error, tooOld: tooOld, at: at, channel: "email")
        }
    }

    private func retryOrGiveUp(_ delivery: Delivery, status: Int?, error: String, tooOld: Bool, at: Date,
                               channel: String = "webhook") async throws(StoreError) {
        if tooOld {
            if try await store.recordDelivery(delivery.id, outcome: .dead(status: status, error: "\(error); given up after the maximum age"), at: at) {
                count(.dead, channel: channel)
            }
            logger.warning("notification delivery given up", metadata: ["delivery": "\(delivery.id)", "target": "\(delivery.target)"])
        } else {
            let next = at.addingTimeInterval(policy.delay(afterAttempts: delivery.attempts + 1))
            if try await store.recordDelivery(delivery.id, outcome: .retry(at: next, status: status, error: error), at: at) {
                count(.failed, channel: channel)
            }
        }
    }

    private func count(_ outcome: Delivery.Status, by amount: Int = 1, channel: String = "webhook") {
        let counter = counters.withLock { counters in
            let key = "\(channel):\(outcome.rawValue)"
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "nectar_notification_deliveries_total",
                                  dimensions: [("channel", channel), ("outcome", outcome.rawValue)], factory: metricsFactory)
            counters[key] = counter
            return counter
        }
        counter.increment(by: amount)
    }
}
