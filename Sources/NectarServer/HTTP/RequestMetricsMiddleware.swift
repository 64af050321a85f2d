import BotRuntime
import Hummingbird
import Metrics

/// Counts requests by route, method and status, and times them.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let dimensions = [("route", context.endpointPath ?? "unmatched"), ("method", request.method.rawValue),
                          ("status", String(response.status.code))]
        Counter(label: "nectar_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Metrics.Timer(label: "nectar_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2)), factory: factory)
            .recordNanoseconds((ContinuousClock.now - start).inNanoseconds)
        return response
    }
}
