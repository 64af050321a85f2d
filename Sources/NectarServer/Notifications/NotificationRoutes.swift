import BotRuntime
import Foundation
import Hummingbird
import ServiceLifecycle

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
        group.get("notifications/stream") { request, context in
            _ = try context.requireOperator()
            let token = request.headers[.authorization].map { String($0.dropFirst("Bearer ".count)) } ?? ""
            // Resume after the last event a reconnecting client saw, else start at the newest.
            let resume = request.header(named: "Last-Event-ID").flatMap { Int64($0) }
            let newest = try await store.outboxEvents(before: nil, limit: 1).first?.sequence ?? 0
            let start = resume ?? newest
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                try await Self.stream(store: store, desk: desk, after: start, writer: &writer) {
                                    try await store.operatorIdentity(presenting: token)
                                }
                            })
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

    /// Writes each new outbox event the operator may see as a server-sent
    /// event (`id:` its sequence, `event:` its type, `data:` the payload),
    /// and a comment every 15 s so proxies keep the connection. What the
    /// operator may see is read again every 5 s (teams and owners change in
    /// git); the stream ends when the client goes away, the server shuts
    /// down, or `identity` (the token or console session, checked again
    /// every 5 s) stops being valid.
    /// `superseded` ends the stream early (the console keeps a few per session).
    static func stream(store: RuntimeStore, desk: HandoffDesk, after start: Int64, writer: inout any ResponseBodyWriter,
                       superseded: @Sendable () -> Bool = { false },
                       identity current: @Sendable () async throws -> OperatorIdentity?) async throws {
        var position = start
        var idle = 0
        var rounds = 0
        var visible: Set<String>?
        var muted = Set<String>()
        try await writer.write(ByteBuffer(string: ": nectar notifications\n\n"))
        while !Task.isCancelled && !Task.isShuttingDownGracefully && !superseded() {
            if rounds % 20 == 0 {
                guard let identity = try await current() else { break }
                visible = try await desk.visibleBots(for: identity)
                muted = try await desk.botsWithoutInApp()
            }
            rounds += 1
            let events = try await store.outboxEvents(after: position, limit: 100)
            for event in events {
                position = event.sequence
                if let bot = event.bot, muted.contains(bot) { continue }
                guard visible.map({ set in event.bot.map(set.contains) ?? false }) ?? true else { continue }
                try await writer.write(ByteBuffer(string: "id: \(event.sequence)\nevent: \(event.type)\ndata: \(event.payload)\n\n"))
            }
            if events.isEmpty {
                idle += 1
                if idle % 60 == 0 { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        try await writer.finish(nil)
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
