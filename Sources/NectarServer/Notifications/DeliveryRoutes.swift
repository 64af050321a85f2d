import BotRuntime
import Foundation
import Hummingbird

/// `/admin/deliveries`: what the outbox delivered, is retrying, or gave up on.
struct DeliveryRoutes: Sendable {
    let store: RuntimeStore

    func add(to group: RouterGroup<NectarRequestContext>) {
        let store = self.store
        group.get("deliveries") { request, context in
            _ = try context.requireReader("reading notification deliveries")
            var statuses = Set<Delivery.Status>()
            if let text = request.uri.queryParameters.get("status") {
                for word in text.split(separator: ",") {
                    guard let status = Delivery.Status(rawValue: String(word)) else {
                        throw APIError.badRequest("status must be pending, failed, delivered or dead (several separated by commas)")
                    }
                    statuses.insert(status)
                }
            }
            let limit = try Query.integer(request, "limit", range: 1...500) ?? 100
            let after = try request.uri.queryParameters.get("cursor").map { text -> (sequence: Int64, target: String) in
                let parts = text.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let sequence = Int64(parts[0]), sequence > 0 else {
                    throw APIError.badRequest("cursor must be the nextCursor of a previous page")
                }
                return (sequence, String(parts[1]))
            }
            let page = try await store.deliveries(statuses: statuses, limit: limit + 1, after: after)
            let shown = Array(page.prefix(limit))
            let next = page.count > limit ? shown.last.map { "\($0.sequence):\($0.target)" } : nil
            return JSONBody.response(DeliveryPage(deliveries: shown.map(DeliveryView.init), nextCursor: next))
        }
        group.post("deliveries/:id/retry") { _, context in
            _ = try context.requireAdmin("retrying a notification delivery")
            let id = try context.parameters.require("id")
            switch try await store.retryDelivery(id, at: Date()) {
            case nil: throw APIError.notFound("there is no delivery \(id)")
            case false?: throw APIError(.conflict, code: "conflict", message: "delivery \(id) is not failed or dead; only those are retried")
            case true?: return JSONBody.response(["id": id, "status": "pending"])
            }
        }
    }
}

struct DeliveryPage: Encodable {
    var deliveries: [DeliveryView]
    var nextCursor: String?
}

struct DeliveryView: Encodable {
    var id: String
    var event: String
    var channel: String
    var target: String
    var status: String
    var attempts: Int
    var nextAttemptAt: Date?
    var lastStatus: Int?
    var lastError: String?
    var createdAt: Date
    var deliveredAt: Date?

    init(_ delivery: Delivery) {
        id = delivery.id
        event = delivery.eventID
        channel = delivery.channel
        target = delivery.target
        status = delivery.status.rawValue
        attempts = delivery.attempts
        nextAttemptAt = delivery.status == .pending || delivery.status == .failed ? delivery.nextAttemptAt : nil
        lastStatus = delivery.lastStatus
        lastError = delivery.lastError
        createdAt = delivery.createdAt
        deliveredAt = delivery.deliveredAt
    }
}
