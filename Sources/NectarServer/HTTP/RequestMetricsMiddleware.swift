import BotRuntime
import Hummingbird
import Metrics
import Synchronization

/// Counts requests by route, method and status, and times them. The
/// handles of each (route, method, status) are made on its first request
/// and kept: a request looks them up in a small dictionary, never in the
/// metrics registry.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let handles: RequestMetricHandles

    init(factory: any MetricsFactory) {
        handles = RequestMetricHandles(factory: factory)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        handles.record(route: context.endpointPath ?? "unmatched", method: request.method, status: response.status.code,
                       nanoseconds: (ContinuousClock.now - start).inNanoseconds)
        return response
    }
}

/// The kept handles of `RequestMetricsMiddleware`.
final class RequestMetricHandles: Sendable {
    private struct Key: Hashable {
        var route: String
        var method: HTTPRequest.Method
        var status: Int
    }

    private struct Handles {
        var requests: Counter
        var duration: Metrics.Timer
    }

    private let factory: any MetricsFactory
    private let handles = Mutex<[Key: Handles]>([:])
    /// Routes are a fixed set, statuses a small one; the bound only guards against surprises.
    private static let limit = 4096

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func record(route: String, method: HTTPRequest.Method, status: Int, nanoseconds: Int64) {
        let key = Key(route: route, method: method, status: status)
        let found = handles.withLock { $0[key] } ?? make(key)
        found.requests.increment()
        found.duration.recordNanoseconds(nanoseconds)
    }

    private func make(_ key: Key) -> Handles {
        let dimensions = [("route", key.route), ("method", key.method.rawValue), ("status", String(key.status))]
        let made = Handles(requests: Counter(label: "nectar_http_requests_total", dimensions: dimensions, factory: factory),
                           duration: Metrics.Timer(label: "nectar_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2)),
                                                   factory: factory))
        handles.withLock { handles in
            if handles.count < Self.limit { handles[key] = made }
        }
        return made
    }
}
