import BotRuntime
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import Prometheus
import Reconciler
import ServiceLifecycle
import Synchronization

/// `nectar serve`: one service group holding the reconcile loop and the
/// HTTP server, over one database that no other reconciler may use.
///
/// SIGTERM and SIGINT (or `shutdown()`) shut it down gracefully: the loop
/// lets a reconcile in flight finish (its transaction commits or rolls back
/// as a whole), then the HTTP server stops.
public final class NectarDaemon: Sendable {
    public let settings: ServeSettings
    public let store: RuntimeStore
    public let loop: ReconcileLoop
    /// The chat runtime (directory, limiter, writer, engine).
    public let chat: ChatRuntime
    public let registry: PrometheusCollectorRegistry
    private let lock: ReconcilerLock
    private let group: ServiceGroup
    private let listening: ListeningAddress
    /// Ends the task that writes reconcile notifications.
    private let readyTransitions: AsyncStream<ReadyTransition>.Continuation

    /// Prepares everything that can fail before serving: the lock, the
    /// database, the source and its credentials, the listen address.
    public init(settings: ServeSettings, environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger, handleSignals: Bool = true, now: @escaping @Sendable () -> Date = { Date() },
                slaCheckInterval: Duration = .seconds(1),
                onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }) throws {
        self.settings = settings
        let (host, port) = try settings.listenAddress()
        let source = try settings.source(environment: environment)
        let targets = try settings.webhookTargets(environment: environment)
        let smtp = try settings.smtp(environment: environment)
        let modelEndpoints = try settings.resolvedModelEndpoints(environment: environment)
        let mailer: SMTPMailSender?
        do {
            mailer = try smtp.map { try SMTPMailSender(settings: $0.settings) }
        } catch {
            throw ServeConfigurationError(message: "cannot set up TLS for the SMTP relay: \(error)")
        }
        lock = try ReconcilerLock(databasePath: settings.database, purpose: "nectar serve")
        store = try RuntimeStore.open(path: settings.database)
        registry = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: registry)
        let reconciler = RevisionReconciler(repositoryPath: ".", declarationsPath: settings.path, store: store,
                                            keyDirectory: settings.keyDirectory.isEmpty ? nil : KeyDirectory(path: settings.keyDirectory),
                                            policy: settings.policy)
        var loopLogger = logger
        loopLogger[metadataKey: "component"] = "reconcile"
        loop = ReconcileLoop(source: source, reconciler: reconciler, timing: settings.timing, logger: loopLogger, metrics: metrics)
        let registry = self.registry
        let webhook = GitWebhook(secret: settings.webhookSecret(environment: environment))
        var chatLogger = logger
        chatLogger[metadataKey: "component"] = "chat"
        chat = ChatRuntime(store: store, metrics: metrics, logger: chatLogger, slaCheckInterval: slaCheckInterval,
                           modelEndpoints: modelEndpoints, usageRetention: settings.usageRetention.map { .seconds($0.seconds) }, now: now)
        var notifyLogger = logger
        notifyLogger[metadataKey: "component"] = "notifications"
        let sender = HTTPWebhookSender()
        let notifications = NotificationService(
            dispatcher: NotificationDispatcher(
                store: store, sender: sender, targets: targets, publicURL: settings.publicURL,
                reconcileTargets: settings.reconcileWebhooks, mailer: mailer,
                mail: MailPlan(from: smtp?.from, operatorRoles: Set(settings.smtpOperatorRoles)),
                policy: .init(base: .seconds(settings.notificationRetryBase.seconds), cap: .seconds(settings.notificationRetryCap.seconds),
                              maxAge: .seconds(settings.notificationMaxAge.seconds)),
                metrics: metrics, logger: notifyLogger, now: now),
            sender: sender)
        readyTransitions = Self.announceReadyChanges(loop: loop, store: store, configured: Set(targets.map(\.name)),
                                                     endpoints: Set(modelEndpoints.map(\.name)), logger: notifyLogger, now: now)
        let proxies = (try? TrustedProxies.parse(settings.trustedProxies).get()) ?? .none
        let server = NectarRouter(store: store, loop: loop, webhook: webhook, chat: chat.engine, proxies: proxies, metrics: metrics,
                                  renderMetrics: { registry.emitToString() },
                                  secureCookies: settings.publicURL?.lowercased().hasPrefix("https://") ?? false)
        var httpLogger = logger
        httpLogger[metadataKey: "component"] = "http"
        let listening = ListeningAddress()
        self.listening = listening
        let announcer = httpLogger
        let requestTimeout = TimeAmount.milliseconds(Int64(settings.requestTimeout.seconds * 1000))
        let http = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestReadTimeoutHandler(timeout: requestTimeout)],
                                              idleTimeout: .milliseconds(Int64(settings.idleTimeout.seconds * 1000)))
        let app = Application(router: server.router(), server: .http1(configuration: http),
                              configuration: .init(address: .hostname(host, port: port), serverName: "nectar"),
                              onServerRunning: { channel in
                                  let bound = channel.localAddress?.port ?? port
                                  listening.set(host: host, port: bound)
                                  announcer.info("listening", metadata: ["address": "\(host):\(bound)"])
                                  await onListening(host, bound)
                              },
                              logger: httpLogger)
        group = ServiceGroup(configuration: .init(
            // Shut down in reverse: the loop (a reconcile in flight finishes),
            // then HTTP (requests in flight finish), then the chat runtime
            // (its last rows are written).
            services: [.init(service: chat), .init(service: notifications), .init(service: app), .init(service: loop)],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        logger.info("starting", metadata: ["database": "\(settings.database)", "source": "\(source.displayName)",
                                           "revision": "\(source.revision)", "path": "\(source.path)",
                                           "webhook": "\(webhook.isEnabled ? "enabled" : "disabled")"])
    }

    /// Runs until shut down. A server that could not bind fails with one
    /// sentence (`cannot listen on 127.0.0.1:8080: Address already in use`).
    public func run() async throws {
        do {
            try await chat.prepare()
        } catch {
            throw ServeConfigurationError(message: "cannot prepare the chat runtime: \(error.description)")
        }
        defer { readyTransitions.finish() }
        do {
            try await group.run()
        } catch where listening.port == nil {
            throw ServeConfigurationError(message: "cannot listen on \(settings.listen): \(Self.reason(error))")
        }
    }

    /// The system's words for an error that carries an errno (NIO's `IOError`
    /// prints as `bind(...): ... (errno: 98)`), else its description.
    static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if let range = text.range(of: "(errno: "), let code = Int32(text[range.upperBound...].prefix { $0.isNumber }) {
            return String(cString: strerror(code))
        }
        return text
    }

    /// Writes `reconcile.failed` (the first failure) and `reconcile.recovered`
    /// to the outbox, and after each success notes in the Ready condition
    /// the webhooks bots name that the daemon does not define.
    static func announceReadyChanges(loop: ReconcileLoop, store: RuntimeStore, configured: Set<String>, endpoints: Set<String>, logger: Logger,
                                     now: @escaping @Sendable () -> Date) -> AsyncStream<ReadyTransition>.Continuation {
        // One task writes the transitions in the order the loop made them.
        let (transitions, continuation) = AsyncStream.makeStream(of: ReadyTransition.self)
        loop.readyObservers.observe { continuation.yield($0) }
        Task {
            for await transition in transitions {
                do throws(StoreError) {
                    switch transition {
                    case .failed(let revision, let reason, let message, let first):
                        if first {
                            try await store.recordReconcileEvent(.reconcileFailed, revision: revision, reason: reason, message: message,
                                                                 at: now())
                        }
                    case .succeeded(let revision, let message, let recovered):
                        if recovered {
                            try await store.recordReconcileEvent(.reconcileRecovered, revision: revision, reason: nil, message: message,
                                                                 at: now())
                        }
                        /// "WHAT named by bots but not defined in SETTING: name (bot b), ... and N more; CONSEQUENCE".
                        func note(_ missing: [(name: String, bot: String)], _ what: String, _ setting: String, _ consequence: String) -> String? {
                            guard !missing.isEmpty else { return nil }
                            return "\(what) named by bots but not defined in \(setting): "
                                + missing.prefix(5).map { "\($0.name) (bot \($0.bot))" }.joined(separator: ", ")
                                + (missing.count > 5 ? " and \(missing.count - 5) more" : "") + "; \(consequence)"
                        }
                        let webhooks = try await store.declaredWebhooks().filter { !configured.contains($0.webhook) }
                        let models = try await store.declaredModelEndpoints().filter { !endpoints.contains($0.endpoint) }
                        let notes = [
                            note(webhooks.map { ($0.webhook, $0.bot) }, "webhooks", "notifications.webhooks", "their other channels still deliver"),
                            note(models.map { ($0.endpoint, $0.bot) }, "model endpoints", "models.endpoints", "those bots answer 503"),
                        ].compactMap { $0 }
                        let note = notes.isEmpty ? nil : notes.joined(separator: "; ")
                        if let note { logger.warning("undefined notification webhooks or model endpoints", metadata: ["detail": "\(note)"]) }
                        await loop.setReadyNote(note, revision: revision)
                    }
                } catch {
                    logger.error("writing a reconcile notification failed", metadata: ["error": "\(error.description)"])
                }
            }
        }
        return continuation
    }

    /// Starts a graceful shutdown.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// The bound port, once the server listens.
    public var port: Int? { listening.port }
}

/// The address the server bound (port 0 picks a free one).
final class ListeningAddress: Sendable {
    private let value = Mutex<(String, Int)?>(nil)

    func set(host: String, port: Int) { value.withLock { $0 = (host, port) } }
    var port: Int? { value.withLock { $0?.1 } }
}
