import BotRuntime
import Foundation
import Hummingbird

/// `/admin/analytics/overview` and `/admin/bots/{name}/analytics`: figures
/// of a time range read from the hourly rollups. Agents see only their
/// teams' bots (another bot's analytics is a 404, as its detail is).
struct AnalyticsRoutes: Sendable {
    let store: RuntimeStore
    let desk: HandoffDesk
    let now: @Sendable () -> Date

    /// The longest range one request covers, and the longest with hourly buckets.
    static let maxRange: TimeInterval = 400 * 86_400
    static let maxHourlyRange: TimeInterval = 31 * 86_400

    func add(to group: RouterGroup<NectarRequestContext>) {
        let store = self.store, desk = self.desk, now = self.now
        group.get("analytics/overview") { request, context in
            let visible = try await desk.visibleBots(for: try context.requireOperator())
            let query = try Self.query(request, bots: visible, now: now())
            return try Self.respond(try await store.analytics(query), format: request.uri.queryParameters.get("format"), name: "overview")
        }
        group.get("bots/:name/analytics") { request, context in
            let name = try context.parameters.require("name")
            let visible = try await desk.visibleBots(for: try context.requireOperator())
            guard visible?.contains(name) ?? true, try await store.botDetail(name) != nil else {
                throw APIError.notFound("there is no live bot named \(name)")
            }
            let query = try Self.query(request, bots: [name], now: now())
            return try Self.respond(try await store.analytics(query), format: request.uri.queryParameters.get("format"), name: name)
        }
    }

    /// `from`, `to` (default: the last 7 days), `bucket` (default: hour up
    /// to two days, else day); one 400 sentence per bad value.
    static func query(_ request: Request, bots: Set<String>?, now: Date) throws -> AnalyticsQuery {
        let to = try Query.date(request, "to") ?? now
        let from = try Query.date(request, "from") ?? to.addingTimeInterval(-7 * 86_400)
        guard from < to else { throw APIError.badRequest("from must be earlier than to") }
        let range = to.timeIntervalSince(from)
        guard range <= maxRange else { throw APIError.badRequest("a range covers at most 400 days") }
        let bucket: AnalyticsQuery.Bucket
        switch request.uri.queryParameters.get("bucket") {
        case nil: bucket = range <= 2 * 86_400 ? .hour : .day
        case "hour": bucket = .hour
        case "day": bucket = .day
        default: throw APIError.badRequest("bucket must be hour or day")
        }
        if bucket == .hour, range > maxHourlyRange {
            throw APIError.badRequest("hourly buckets cover at most 31 days; use bucket=day for a longer range")
        }
        return AnalyticsQuery(from: from, to: to, bucket: bucket, bots: bots)
    }

    /// JSON, or with `?format=csv` the series as CSV.
    static func respond(_ report: AnalyticsReport, format: String?, name: String) throws -> Response {
        switch format {
        case nil, "json":
            return JSONBody.response(report)
        case "csv":
            return Response(status: .ok,
                            headers: [.contentType: "text/csv; charset=utf-8",
                                      .contentDisposition: "attachment; filename=\"nectar-analytics-\(name).csv\""],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: report.seriesCSV)))
        default:
            throw APIError.badRequest("format must be json or csv")
        }
    }
}
