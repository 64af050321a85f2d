import BotRuntime
import Foundation
import Hummingbird

/// `/admin/notifications`: the operators' in-app inbox of outbox events,
/// scoped like handoffs (an agent sees events of its teams' bots).
struct NotificationRoutes: Sendable {
    let store: RuntimeStore
    let desk: HandoffDesk

    func add(to group: RouterGroup<NectarRequestContext>) {
        let store = self.store, desk = self.desk
        group.get("notifications") { request, context in
            let identity = try context.requireOperator()
            let limit = try Query.integer(request, "limit", range: 1...200) ?? 50
            let cursor = try request.uri.queryParameters.get("cursor").map { text in
                guard let cursor = InboxCursor(parsing: text) else {
                    throw APIError.badRequest("cursor must be the nextCursor of a previous page")
                }
                return cursor
            }
            let page = try await store.inbox(operator: identity.name, visibleBots: try await desk.visibleBots(for: identity), limit: limit,
                                             cursor: cursor)
            return JSONBody.response(InboxView(page))
        }
        group.post("notifications/read") { request, context in
            let identity = try context.requireOperator()
            let body = try await RequestJSON.decode(MarkReadBody.self, from: request, limit: 64 * 1024)
            guard body.all == true || body.ids != nil else {
                throw APIError.badRequest(#"the body must name events, {"ids": ["evt_…"]}, or {"all": true}"#)
            }
            if let ids = body.ids, ids.count > 1000 { throw APIError.badRequest("at most 1000 ids at a time") }
            let visible = try await desk.visibleBots(for: identity)
            let marked = try await store.markRead(operator: identity.name, events: body.all == true ? nil : body.ids, visibleBots: visible,
                                                  at: Date())
            let unread = try await store.inbox(operator: identity.name, visibleBots: visible, limit: 1, cursor: nil).unread
            return JSONBody.response(["marked": marked, "unread": unread])
        }
    }

    struct MarkReadBody: Decodable {
        var ids: [String]?
        var all: Bool?
    }
}

/// `GET /admin/notifications`: `{"notifications": [...], "unread": N, "nextCursor"?}`.
struct InboxView: Encodable {
    var notifications: [Entry]
    var unread: Int
    var nextCursor: String?

    init(_ page: InboxPage) {
        notifications = page.entries.map(Entry.init)
        unread = page.unread
        nextCursor = page.nextCursor
    }

    /// An event with its read mark; `event` is the payload as webhooks get it.
    struct Entry: Encodable {
        var read: Bool
        var event: JSONValue

        init(_ entry: InboxEntry) {
            read = entry.read
            event = (try? JSONDecoder().decode(JSONValue.self, from: Data(entry.event.payload.utf8))) ?? .null
        }
    }
}
