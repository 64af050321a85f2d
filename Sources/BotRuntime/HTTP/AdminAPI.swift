import Foundation
import Hummingbird

/// `/admin/...`: reconcile status, history and trigger; bots with their live
/// spec, status and keys; pause and resume; the audit log; the state export.
/// Every route needs an operator token; writes need role `admin`.
struct AdminAPI: Sendable {
    let store: RuntimeStore
    let control: any ReconcileControl

    func add(to group: RouterGroup<RuntimeRequestContext>) {
        let store = self.store, control = self.control
        group.get("status") { _, _ in
            JSONBody.response(await control.status())
        }
        group.get("reconciles") { request, _ in
            let limit = try Query.integer(request, "limit", range: 1...500) ?? 20
            let before = try Query.integer(request, "before", range: 1...Int.max)
            let runs = try store.runs(limit: limit + 1, before: before.map(Int64.init))
            let page = runs.prefix(limit).map(RunView.init)
            return JSONBody.response(RunsPage(runs: Array(page), nextBefore: runs.count > limit ? page.last?.id : nil))
        }
        group.post("reconcile") { _, context in
            let identity = try context.requireAdmin("triggering a reconcile")
            await control.requestReconcile(trigger: "admin:\(identity.name)")
            return JSONBody.response(["status": "reconcile requested"], status: .accepted)
        }
        group.get("bots") { _, _ in
            let live = try store.liveState()
            let bots = live[.bot].values.filter { !$0.isDeleted }.sorted { $0.name < $1.name }.map { object in
                BotSummary(name: object.name, status: object.pausedAt == nil ? "active" : "paused", revision: object.revision,
                           sourcePath: object.sourcePath, updatedAt: object.updatedAt, pausedAt: object.pausedAt, pausedBy: object.pausedBy,
                           activeKeys: live.keys[object.name]?.filter { $0.state == .active }.count ?? 0,
                           graceKeys: live.keys[object.name]?.filter { $0.state == .grace }.count ?? 0)
            }
            return JSONBody.response(["bots": bots])
        }
        group.get("bots/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let detail = try store.botDetail(name) else { throw APIError.notFound("there is no live bot named \(name)") }
            return JSONBody.response(try BotView(detail))
        }
        group.post("bots/:name/pause") { request, context in
            let identity = try context.requireAdmin("pausing a bot")
            let name = try context.parameters.require("name")
            let body = try await PauseRequest.decode(request)
            let changed = try Self.mapRejection { () throws(StoreError) in
                try store.pause(bot: name, by: "operator:\(identity.name)", reason: body.reason)
            }
            guard let detail = try store.botDetail(name) else { throw APIError.notFound("there is no live bot named \(name)") }
            return JSONBody.response(OverrideResult(bot: name, status: detail.status, changed: changed,
                                                    pausedAt: detail.object.pausedAt, pausedBy: detail.object.pausedBy,
                                                    reason: detail.object.pausedReason))
        }
        group.post("bots/:name/resume") { _, context in
            let identity = try context.requireAdmin("resuming a bot")
            let name = try context.parameters.require("name")
            let changed = try Self.mapRejection { () throws(StoreError) in
                try store.resume(bot: name, by: "operator:\(identity.name)")
            }
            return JSONBody.response(OverrideResult(bot: name, status: "active", changed: changed, pausedAt: nil, pausedBy: nil, reason: nil))
        }
        group.get("audit") { request, _ in
            let kind = try request.uri.queryParameters.get("kind").map { text in
                guard let kind = ObjectKind(rawValue: text) else {
                    throw APIError.badRequest("kind must be one of \(ObjectKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            }
            let entries = try store.audit(kind: kind, name: request.uri.queryParameters.get("name"),
                                          since: try Query.date(request, "since"), until: try Query.date(request, "until"),
                                          limit: try Query.integer(request, "limit", range: 1...1000) ?? 100, newestFirst: true)
            return JSONBody.response(["entries": entries.map(AuditView.init)])
        }
        group.get("state") { _, _ in
            JSONBody.response(try store.export())
        }
        group.get("drift") { _, _ in
            switch await control.driftReport() {
            case .success(let json):
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
            case .failure(let unavailable):
                throw APIError(.serviceUnavailable, code: "drift_unavailable", message: unavailable.message)
            }
        }
    }

    /// A store refusal (unknown bot) is a 404; other store errors stay as they are.
    static func mapRejection<T>(_ body: () throws(StoreError) -> T) throws -> T {
        do {
            return try body()
        } catch .rejected(let message) {
            throw APIError.notFound(message)
        }
    }
}

/// Query parameters, with one-sentence 400s.
enum Query {
    static func integer(_ request: Request, _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// ISO 8601 (`2026-11-25T10:00:00Z`) or seconds since 1970.
    static func date(_ request: Request, _ name: String) throws -> Date? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        throw APIError.badRequest("\(name) must be an ISO 8601 time such as 2026-11-25T10:00:00Z, or seconds since 1970")
    }
}

struct PauseRequest: Decodable {
    var reason: String?

    static func decode(_ request: Request) async throws -> PauseRequest {
        let body = try await request.collectWholeBody(upTo: 16 * 1024)
        guard body.readableBytes > 0 else { return PauseRequest() }
        do {
            let value = try JSONDecoder().decode(PauseRequest.self, from: Data(body.readableBytesView))
            if let reason = value.reason, reason.count > 500 { throw APIError.badRequest("reason must be at most 500 characters") }
            return value
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest(#"the body must be a JSON object such as {"reason": "incident 42"}"#)
        }
    }

    init(reason: String? = nil) { self.reason = reason }
}

struct RunView: Encodable {
    var id: Int64?
    var revision: String?
    var startedAt: Date
    var finishedAt: Date
    var outcome: String
    var trigger: String
    var summary: [String: Int]
    var errors: [String]

    init(_ run: ReconcileRun) {
        id = run.id
        revision = run.revision
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        outcome = run.outcome.rawValue
        trigger = run.trigger
        summary = (try? JSONDecoder().decode([String: Int].self, from: Data(run.summary.utf8))) ?? [:]
        errors = run.errors
    }
}

struct RunsPage: Encodable {
    var runs: [RunView]
    /// Pass as `before` for the next (older) page; absent on the last page.
    var nextBefore: Int64?
}

struct BotSummary: Encodable {
    var name: String
    var status: String
    var revision: String
    var sourcePath: String
    var updatedAt: Date
    var pausedAt: Date?
    var pausedBy: String?
    var activeKeys: Int
    var graceKeys: Int
}

struct BotView: Encodable {
    var name: String
    var status: String
    var spec: BotSpec
    var specHash: String
    var sourcePath: String
    var revision: String
    var createdAt: Date
    var updatedAt: Date
    var pausedAt: Date?
    var pausedBy: String?
    var pausedReason: String?
    var keys: [StoredKey]

    init(_ detail: BotDetail) throws {
        let object = detail.object
        name = object.name
        status = detail.status
        spec = try JSONDecoder().decode(BotSpec.self, from: Data(object.spec.utf8))
        specHash = object.specHash
        sourcePath = object.sourcePath
        revision = object.revision
        createdAt = object.createdAt
        updatedAt = object.updatedAt
        pausedAt = object.pausedAt
        pausedBy = object.pausedBy
        pausedReason = object.pausedReason
        keys = detail.keys
    }
}

struct OverrideResult: Encodable {
    var bot: String
    var status: String
    /// False when the bot already was in that state.
    var changed: Bool
    var pausedAt: Date?
    var pausedBy: String?
    var reason: String?
}

struct AuditView: Encodable {
    var at: Date
    var actor: String
    var action: String
    var kind: String
    var name: String
    /// What changed, as JSON (field changes, key ids, a pause's reason).
    var changes: EmbeddedJSON
    var run: Int64?

    init(_ entry: AuditEntry) {
        at = entry.at
        actor = entry.actor
        action = entry.action
        kind = entry.objectKind
        name = entry.objectName
        changes = EmbeddedJSON(parsing: entry.changes)
        run = entry.runID
    }
}

/// A JSON value kept as parsed, so that JSON stored as text (audit changes,
/// run summaries) is embedded as JSON in responses, not as a string.
enum EmbeddedJSON: Encodable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([EmbeddedJSON])
    case object([String: EmbeddedJSON])

    /// Parses `text`; text that is not JSON is kept as a string.
    init(parsing text: String) {
        self = (try? JSONDecoder().decode(EmbeddedJSON.self, from: Data(text.utf8))) ?? .string(text)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([EmbeddedJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: EmbeddedJSON].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
