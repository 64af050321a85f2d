import BotRuntime
import Foundation
import Hummingbird

/// `/admin/handoffs`: the operators' inbox. An admin sees and works every
/// handoff; an agent only those of bots its teams own, and anything else
/// is a 404 (never a hint that it exists).
struct HandoffRoutes: Sendable {
    let desk: HandoffDesk

    func add(to group: RouterGroup<NectarRequestContext>) {
        let desk = self.desk
        group.get("handoffs") { request, context in
            let identity = try context.requireOperator()
            let query = try Self.query(request, identity: identity)
            let page = try await desk.list(query, as: identity)
            let shown = page.prefix(query.limit - 1)
            return JSONBody.response(HandoffPage(handoffs: shown.map(HandoffView.init),
                                                 nextCursor: page.count >= query.limit ? shown.last.map { String($0.number) } : nil))
        }
        group.get("handoffs/:id") { _, context in
            let identity = try context.requireOperator()
            let id = try context.parameters.require("id")
            guard let detail = try await desk.detail(id, as: identity) else { throw Self.missing(id) }
            return JSONBody.response(HandoffDetailView(detail))
        }
        group.post("handoffs/:id/assign") { request, context in
            let identity = try context.requireWorker("assigning a handoff")
            let id = try context.parameters.require("id")
            let body = try await RequestJSON.optionalBody(AssignBody.self, request, example: #"{"to": "bob"}"#)
            for name in [body?.to, body?.from].compactMap({ $0 }) where name.isEmpty || name.count > 63 {
                throw APIError.badRequest("an operator name is 1 to 63 characters long")
            }
            return try Self.respond(try await desk.assign(id, to: body?.to, from: body?.from, as: identity), id: id)
        }
        group.post("handoffs/:id/reply") { request, context in
            let identity = try context.requireWorker("replying to a handoff")
            let id = try context.parameters.require("id")
            let body = try await RequestJSON.decode(ReplyBody.self, from: request, limit: 64 * 1024)
            let text = try RequestJSON.message(body.message, field: "message")
            let (result, message) = try await desk.reply(id, text: text, as: identity)
            guard case .changed(let handoff) = result else { return try Self.respond(result, id: id) }
            return JSONBody.response(ReplyResult(handoff: HandoffView(handoff), message: message))
        }
        group.post("handoffs/:id/resolve") { request, context in
            let identity = try context.requireWorker("resolving a handoff")
            let id = try context.parameters.require("id")
            let body = try await RequestJSON.optionalBody(ResolveBody.self, request, example: #"{"note": "refund issued"}"#)
            if let note = body?.note, note.utf8.count > 4096 { throw APIError.badRequest("note must be at most 4096 bytes") }
            return try Self.respond(try await desk.resolve(id, note: body?.note, as: identity), id: id)
        }
        group.post("handoffs/:id/reopen") { _, context in
            let identity = try context.requireWorker("reopening a handoff")
            let id = try context.parameters.require("id")
            return try Self.respond(try await desk.reopen(id, as: identity), id: id)
        }
    }

    /// The filters of `GET /admin/handoffs`, one 400 per bad value. The
    /// query's limit is one more than the page, to know whether more follow.
    static func query(_ request: Request, identity: OperatorIdentity) throws -> HandoffQuery {
        let parameters = request.uri.queryParameters
        var query = HandoffQuery()
        if let text = parameters.get("status") {
            for word in text.split(separator: ",") {
                if word == "open" {
                    query.statuses.formUnion([.pending, .assigned])
                } else if let status = Handoff.Status(rawValue: String(word)) {
                    query.statuses.insert(status)
                } else {
                    throw APIError.badRequest("status must be open, pending, assigned or resolved (several separated by commas)")
                }
            }
        }
        if let text = parameters.get("urgency") {
            guard let urgency = Urgency(rawValue: text) else {
                throw APIError.badRequest("urgency must be one of critical, high, medium, low")
            }
            query.urgency = urgency
        }
        query.bot = parameters.get("bot")
        if let assignee = parameters.get("assignee") { query.assignee = assignee == "me" ? identity.name : assignee }
        query.limit = (try Query.integer(request, "limit", range: 1...200) ?? 50) + 1
        if let cursor = parameters.get("cursor") {
            guard let number = Int64(cursor), number > 0 else {
                throw APIError.badRequest("cursor must be the nextCursor of a previous page")
            }
            query.before = number
        }
        return query
    }

    static func respond(_ result: HandoffChangeResult, id: String) throws -> Response {
        switch result {
        case .changed(let handoff): return JSONBody.response(HandoffView(handoff))
        case .notFound: throw missing(id)
        case .conflict(let message): throw APIError(.conflict, code: "conflict", message: message)
        case .invalid(let message): throw APIError.badRequest(message)
        }
    }

    static func missing(_ id: String) -> APIError {
        APIError.notFound("there is no handoff \(id)")
    }

    struct AssignBody: Decodable {
        var to: String?
        var from: String?
    }

    struct ReplyBody: Decodable {
        var message: String
    }

    struct ResolveBody: Decodable {
        var note: String?
    }
}

extension NectarRequestContext {
    /// The authenticated operator, of any role.
    func requireOperator() throws -> OperatorIdentity {
        guard let identity else { throw APIError.unauthorized("an operator token is required") }
        return identity
    }
}
