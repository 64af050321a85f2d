import BotRuntime
import Foundation
import Hummingbird
import Reconciler

/// `/admin/...`: reconcile status, history and trigger; bots with their live
/// spec, status and keys; pause and resume; the audit log; the state export.
/// Every route needs an operator token. An `admin` may do everything; an
/// `agent` reads only its own identity and the bots its teams own (others
/// are 404), and the installation-wide routes are 403 for it. An `auditor`
/// reads everything and changes nothing.
struct AdminAPI: Sendable {
    let store: RuntimeStore
    let loop: ReconcileLoop
    let desk: HandoffDesk

    func add(to group: RouterGroup<NectarRequestContext>) {
        let store = self.store, loop = self.loop, desk = self.desk
        group.get("me") { _, context in
            let identity = try context.requireOperator()
            let tokens = try await store.operatorTokensAsync(operator: identity.name)
            return JSONBody.response(MeView(name: identity.name, role: identity.role.rawValue, teams: identity.teams,
                                            tokens: tokens.map(TokenView.init)))
        }
        group.get("operators") { _, context in
            _ = try context.requireReader("listing operators")
            return JSONBody.response(["operators": try await store.operatorSummaries()])
        }
        group.get("status") { _, context in
            _ = try context.requireReader("reading the reconcile status")
            return JSONBody.response(await loop.status())
        }
        group.get("reconciles") { request, context in
            _ = try context.requireReader("reading the reconcile history")
            let limit = try Query.integer(request, "limit", range: 1...500) ?? 20
            let before = try Query.integer(request, "before", range: 1...Int.max)
            let runs = try await store.runs(limit: limit + 1, before: before.map(Int64.init))
            let page = runs.prefix(limit).map(RunView.init)
            return JSONBody.response(RunsPage(runs: Array(page), nextBefore: runs.count > limit ? page.last?.id : nil))
        }
        group.post("reconcile") { _, context in
            let identity = try context.requireAdmin("triggering a reconcile")
            await loop.requestReconcile(trigger: .admin(identity.name))
            return JSONBody.response(["status": "reconcile requested"], status: .accepted)
        }
        group.get("bots") { _, context in
            let visible = try await desk.visibleBots(for: try context.requireOperator())
            let live = try await store.liveState()
            let bots = live[.bot].values.filter { !$0.isDeleted && visible?.contains($0.name) ?? true }.sorted { $0.name < $1.name }.map { object in
                BotSummary(name: object.name, status: object.runtimeStatus, revision: object.revision,
                           sourcePath: object.sourcePath, updatedAt: object.updatedAt, pausedAt: object.pausedAt, pausedBy: object.pausedBy,
                           activeKeys: live.keys[object.name]?.filter { $0.state == .active }.count ?? 0,
                           graceKeys: live.keys[object.name]?.filter { $0.state == .grace }.count ?? 0)
            }
            return JSONBody.response(["bots": bots])
        }
        group.get("bots/:name") { _, context in
            let name = try context.parameters.require("name")
            let visible = try await desk.visibleBots(for: try context.requireOperator())
            guard visible?.contains(name) ?? true, let detail = try await store.botDetail(name) else { throw APIError.notFound("there is no live bot named \(name)") }
            return JSONBody.response(try BotView(detail))
        }
        group.post("bots/:name/pause") { request, context in
            let identity = try context.requireAdmin("pausing a bot")
            let name = try context.parameters.require("name")
            let body = try await PauseRequest.decode(request)
            let changed = try await Self.mapRejection { () async throws(StoreError) in
                try await store.pause(bot: name, by: "operator:\(identity.name)", reason: body.reason)
            }
            guard let detail = try await store.botDetail(name) else { throw APIError.notFound("there is no live bot named \(name)") }
            return JSONBody.response(OverrideResult(bot: name, status: detail.status, changed: changed,
                                                    pausedAt: detail.object.pausedAt, pausedBy: detail.object.pausedBy,
                                                    reason: detail.object.pausedReason))
        }
        group.post("bots/:name/resume") { _, context in
            let identity = try context.requireAdmin("resuming a bot")
            let name = try context.parameters.require("name")
            let changed = try await Self.mapRejection { () async throws(StoreError) in
                try await store.resume(bot: name, by: "operator:\(identity.name)")
            }
            return JSONBody.response(OverrideResult(bot: name, status: .active, changed: changed, pausedAt: nil, pausedBy: nil, reason: nil))
        }
        group.get("audit") { request, context in
            _ = try context.requireReader("reading the audit log")
            let kinds = ObjectKind.allCases.map(\.rawValue) + ["Handoff"]
            let kind = try request.uri.queryParameters.get("kind").map { text in
                guard kinds.contains(text) else {
                    throw APIError.badRequest("kind must be one of \(kinds.joined(separator: ", "))")
                }
                return text
            }
            let entries = try await store.audit(kindNamed: kind, name: request.uri.queryParameters.get("name"),
                                          since: try Query.date(request, "since"), until: try Query.date(request, "until"),
                                          limit: try Query.integer(request, "limit", range: 1...1000) ?? 100, newestFirst: true)
            return JSONBody.response(["entries": entries.map(AuditView.init)])
        }
        group.get("state") { _, context in
            _ = try context.requireReader("reading the state export")
            return JSONBody.response(try await store.export())
        }
        group.get("drift") { _, context in
            _ = try context.requireReader("reading the drift report")
            switch await loop.driftReport() {
            case .success(let json):
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
            case .failure(let unavailable):
                throw APIError(.serviceUnavailable, code: "drift_unavailable", message: unavailable.message)
            }
        }
    }

    /// A store refusal (unknown bot) is a 404; other store errors stay as they are.
    static func mapRejection<T>(_ body: () async throws(StoreError) -> T) async throws -> T {
        do {
            return try await body()
        } catch .rejected(let message) {
            throw APIError.notFound(message)
        }
    }
}
