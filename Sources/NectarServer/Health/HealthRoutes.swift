import BotRuntime
import Hummingbird
import Metrics

/// `/healthz` (the process answers), `/readyz` (a revision is applied) and
/// `/metrics` (Prometheus text).
struct HealthRoutes: Sendable {
    let store: RuntimeStore
    let metrics: any MetricsFactory
    let renderMetrics: @Sendable () -> String

    func add(to router: Router<NectarRequestContext>) {
        router.get("healthz") { _, _ in
            JSONBody.response(["status": "ok"])
        }
        let store = self.store
        router.get("readyz") { _, _ in
            let marker = try await store.appliedMarker()
            guard let revision = marker.revision else {
                throw APIError(.serviceUnavailable, code: "not_ready", message: "no revision has been applied to the database yet")
            }
            return JSONBody.response(["status": "ready", "revision": revision])
        }
        let metrics = self.metrics, render = self.renderMetrics
        router.get("metrics") { _, _ in
            let counts = try await store.statusCounts()
            for status in RuntimeStatus.allCases {
                Gauge(label: "nectar_bots", dimensions: [("status", status.rawValue)], factory: metrics).record(counts.bots[status] ?? 0)
            }
            for state in StoredKey.State.allCases {
                Gauge(label: "nectar_api_keys", dimensions: [("state", state.rawValue)], factory: metrics).record(counts.keys[state] ?? 0)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: render())))
        }
    }
}
