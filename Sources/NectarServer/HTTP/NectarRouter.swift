import BotRuntime
import Hummingbird
import Metrics
import Reconciler

/// Builds nectar's HTTP routes: health and metrics, the push webhook, the
/// chat API and its OpenAI-compatible twin, and the operator admin API,
/// each from its own folder.
public struct NectarRouter: Sendable {
    public var store: RuntimeStore
    public var loop: ReconcileLoop
    /// The push webhook; disabled when no secret is configured.
    public var webhook: GitWebhook
    /// The chat engine behind the chat and OpenAI-compatible routes.
    public var chat: ChatEngine
    /// Who may set `X-Forwarded-For`.
    public var proxies: TrustedProxies
    public var metrics: any MetricsFactory
    /// Renders every metric in Prometheus text format.
    public var renderMetrics: @Sendable () -> String
    /// Mark console cookies `Secure` (the public URL is HTTPS).
    public var secureCookies: Bool

    public init(store: RuntimeStore, loop: ReconcileLoop, webhook: GitWebhook, chat: ChatEngine, proxies: TrustedProxies,
                metrics: any MetricsFactory, renderMetrics: @escaping @Sendable () -> String, secureCookies: Bool = false) {
        self.store = store
        self.loop = loop
        self.webhook = webhook
        self.chat = chat
        self.proxies = proxies
        self.metrics = metrics
        self.renderMetrics = renderMetrics
        self.secureCookies = secureCookies
    }

    /// The router with every route.
    public func router() -> Router<NectarRequestContext> {
        let router = Router(context: NectarRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(factory: metrics))
        router.add(middleware: JSONErrorMiddleware())
        HealthRoutes(store: store, metrics: metrics, renderMetrics: renderMetrics).add(to: router)
        webhook.add(to: router, loop: loop)
        ChatRoutes(engine: chat, proxies: proxies).add(to: router)
        OpenAIRoutes(engine: chat, proxies: proxies).add(to: router)
        let admin = router.group("admin").add(middleware: OperatorAuthMiddleware(store: store))
        AdminAPI(store: store, loop: loop, desk: chat.handoffs).add(to: admin)
        HandoffRoutes(desk: chat.handoffs).add(to: admin)
        NotificationRoutes(store: store, desk: chat.handoffs).add(to: admin)
        DeliveryRoutes(store: store).add(to: admin)
        AnalyticsRoutes(store: store, desk: chat.handoffs, now: chat.now).add(to: admin)
        KeyRoutes(loop: loop, now: chat.now).add(to: admin)
        ConsoleRoutes(store: store, loop: loop, desk: chat.handoffs, now: chat.now, secureCookies: secureCookies).add(to: router)
        return router
    }
}
