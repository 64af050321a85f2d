import BotRuntime
import Hummingbird
import Metrics
import Reconciler

/// Builds nectar's HTTP routes: health and metrics, the push webhook and
/// the operator admin API (later: chat, OpenAI-compatible, handoffs,
/// console, each in its own folder).
public struct NectarRouter: Sendable {
    public var store: RuntimeStore
    public var loop: ReconcileLoop
    /// The push webhook; disabled when no secret is configured.
    public var webhook: GitWebhook
    public var metrics: any MetricsFactory
    /// Renders every metric in Prometheus text format.
    public var renderMetrics: @Sendable () -> String

    public init(store: RuntimeStore, loop: ReconcileLoop, webhook: GitWebhook, metrics: any MetricsFactory,
                renderMetrics: @escaping @Sendable () -> String) {
        self.store = store
        self.loop = loop
        self.webhook = webhook
        self.metrics = metrics
        self.renderMetrics = renderMetrics
    }

    /// The router with every route.
    public func router() -> Router<NectarRequestContext> {
        let router = Router(context: NectarRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(factory: metrics))
        router.add(middleware: JSONErrorMiddleware())
        HealthRoutes(store: store, metrics: metrics, renderMetrics: renderMetrics).add(to: router)
        webhook.add(to: router, loop: loop)
        AdminAPI(store: store, loop: loop).add(to: router.group("admin").add(middleware: OperatorAuthMiddleware(store: store)))
        return router
    }
}
