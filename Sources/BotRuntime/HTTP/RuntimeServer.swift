import Crypto
import Foundation
import Hummingbird
import Logging
import Metrics

/// Builds nectar's HTTP routes: health, metrics, the push webhook and the
/// operator admin API. The reconcile loop is reached only through
/// `ReconcileControl`, so nothing here knows about git.
public struct RuntimeServer: Sendable {
    public var store: RuntimeStore
    public var control: any ReconcileControl
    /// The webhook's HMAC secret; nil disables `POST /hooks/git`.
    var webhookSecret: [UInt8]?
    /// Whether `POST /hooks/git` accepts pushes.
    public var webhookEnabled: Bool { webhookSecret != nil }
    public var metrics: any MetricsFactory
    /// Renders every metric in Prometheus text format.
    public var renderMetrics: @Sendable () -> String

    public init(store: RuntimeStore, control: any ReconcileControl, webhookSecret: String?, metrics: any MetricsFactory,
                renderMetrics: @escaping @Sendable () -> String) {
        self.store = store
        self.control = control
        self.webhookSecret = webhookSecret.map { Array($0.utf8) }
        self.metrics = metrics
        self.renderMetrics = renderMetrics
    }

    /// The router with every route.
    public func router() -> Router<RuntimeRequestContext> {
        let router = Router(context: RuntimeRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(factory: metrics))
        router.add(middleware: JSONErrorMiddleware())
        addHealth(to: router)
        addWebhook(to: router)
        AdminAPI(store: store, control: control).add(to: router.group("admin").add(middleware: OperatorAuthMiddleware(store: store)))
        return router
    }

    private func addHealth(to router: Router<RuntimeRequestContext>) {
        router.get("healthz") { _, _ in
            JSONBody.response(["status": "ok"])
        }
        let store = self.store
        router.get("readyz") { _, _ in
            let marker: AppliedMarker
            do {
                marker = try store.appliedMarker()
            } catch {
                throw APIError(.serviceUnavailable, code: "database_unavailable", message: String(describing: error))
            }
            guard let revision = marker.revision else {
                throw APIError(.serviceUnavailable, code: "not_ready", message: "no revision has been applied to the database yet")
            }
            return JSONBody.response(["status": "ready", "revision": revision])
        }
        let metrics = self.metrics, render = self.renderMetrics
        router.get("metrics") { _, _ in
            let counts = try store.statusCounts()
            for (status, count) in counts.bots {
                Gauge(label: "nectar_bots", dimensions: [("status", status)], factory: metrics).record(count)
            }
            for (state, count) in counts.keys {
                Gauge(label: "nectar_api_keys", dimensions: [("state", state)], factory: metrics).record(count)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: render())))
        }
    }

    private func addWebhook(to router: Router<RuntimeRequestContext>) {
        let secret = webhookSecret, control = self.control
        router.post("hooks/git") { request, context in
            guard let secret else {
                throw APIError(.notFound, code: "webhook_disabled", message: "the git webhook is disabled: no webhook secret is configured")
            }
            let body = try await request.collectWholeBody(upTo: 25 << 20)  // GitHub caps payloads at 25 MB
            guard let header = request.header(named: "X-Hub-Signature-256") else {
                throw APIError.unauthorized("the X-Hub-Signature-256 header is missing")
            }
            guard WebhookSignature.isValid(header: header, body: body.readableBytesView, secret: SymmetricKey(data: secret)) else {
                context.logger.warning("webhook signature mismatch")
                throw APIError.unauthorized("the X-Hub-Signature-256 signature does not match the body")
            }
            let event = request.header(named: "X-GitHub-Event") ?? "push"
            if event == "ping" {
                return JSONBody.response(["event": event, "status": "ok"])
            }
            await control.requestReconcile(trigger: "webhook")
            return JSONBody.response(["event": event, "status": "reconcile requested"], status: .accepted)
        }
    }
}

extension Request {
    /// The whole body, or a 413 when it is larger than `limit` bytes.
    func collectWholeBody(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the request body is larger than \(limit) bytes")
        }
    }

    /// A header's value by its name, case-insensitively.
    func header(named name: String) -> String? {
        headers.first { $0.name.canonicalName == name.lowercased() }?.value
    }
}

/// GitHub's webhook signature: `sha256=` + hex HMAC-SHA256 of the raw body.
public enum WebhookSignature {
    /// Whether `header` signs `body` with `secret`; compares in constant time.
    public static func isValid(header: String, body: some Collection<UInt8>, secret: SymmetricKey) -> Bool {
        let prefix = "sha256="
        guard header.hasPrefix(prefix), let mac = hexBytes(header.dropFirst(prefix.count)), mac.count == SHA256.byteCount else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(body), using: secret)
    }

    /// The header value for a body (for clients and tests).
    public static func header(body: some Collection<UInt8>, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Counts requests by route, method and status, and times them.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let dimensions = [("route", context.endpointPath ?? "unmatched"), ("method", request.method.rawValue),
                          ("status", String(response.status.code))]
        Counter(label: "nectar_http_requests_total", dimensions: dimensions, factory: factory).increment()
        let elapsed = ContinuousClock.now - start
        Metrics.Timer(label: "nectar_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2)), factory: factory)
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        return response
    }
}
