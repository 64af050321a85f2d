import BotRuntime
import Foundation
import Hummingbird
import Reconciler

/// Bots: what runs, from which revision, with which keys and drift; pause
/// and resume, emergency key rotation and revocation (admins, behind a
/// confirmation page; the new key goes to the key directory and sealed
/// recipients, never to the page).
struct ConsoleBotPages: Sendable {
    let console: ConsoleRoutes

    struct BotRow {
        var name: String
        var owner: String
        var status: String
        var paused: Bool
        var revision: String
        var keys: String
        var drift: Bool
        var pauseForm: String
    }

    struct KeyRow {
        var id: String
        var bot: String
        var display: String
        var state: String
        var age: String
        var nextRotation: String
        var origin: String
        var revocable: Bool
    }

    struct ConversationRow {
        var id: String
        var channel: String
        var messages: Int
        var updated: String
        var last: String
    }

    func add(to group: RouterGroup<NectarRequestContext>) {
        let console = self.console, store = console.store
        group.get("bots") { request, _ in
            try await console.page(request) { session in
                let visible = try await console.desk.visibleBots(for: session.identity)
                let live = try await store.liveState()
                let objects = live[.bot].values.filter { !$0.isDeleted && visible?.contains($0.name) ?? true }.sorted { $0.name < $1.name }
                let specs = try await store.botSpecJSON(objects.map(\.name))
                let drifting = Set(await Self.drift(console.loop).filter { $0.objectKind == .bot }.compactMap(\.object))
                let isAdmin = session.identity.role == .admin
                let rows = objects.map { object in
                    let spec = specs[object.name].flatMap { try? JSONDecoder().decode(BotSpec.self, from: Data($0.utf8)) }
                    let keys = live.keys[object.name] ?? []
                    let active = keys.filter { $0.state == .active }.count, grace = keys.filter { $0.state == .grace }.count
                    return BotRow(name: object.name, owner: spec?.metadata.owner ?? "—",
                                  status: Self.status(object, spec), paused: object.pausedAt != nil, revision: String(object.revision.prefix(12)),
                                  keys: "\(active) active" + (grace > 0 ? ", \(grace) in grace" : ""), drift: drifting.contains(object.name),
                                  pauseForm: isAdmin ? Self.pauseForm(object.name, paused: object.pausedAt != nil, csrf: session.csrf) : "")
                }
                return try await console.render(request, session, title: "Bots", current: "Bots",
                                                content: ConsoleTemplates.render(["bots": rows, "isAdmin": isAdmin], "bots"))
            }
        }
        group.get("bots/:name") { request, context in
            let name = try context.parameters.require("name")
            return try await console.page(request) { session in
                guard let detail = try await Self.visibleBot(name, session, console) else {
                    return ConsolePage.missing("There is no live bot named \(name) you may see.")
                }
                return try await self.botPage(request, session, detail)
            }
        }
        for action in ["pause", "resume"] {
            group.post("bots/:name/\(action)") { request, context in
                let name = try context.parameters.require("name")
                return try await console.form(request) { session, form in
                    guard session.identity.role == .admin else { return ConsolePage.refused("Pausing and resuming bots needs role admin.") }
                    let back = form["back"] == "bot" ? "/console/bots/\(name)" : "/console/bots"
                    do throws(StoreError) {
                        let changed = action == "pause"
                            ? try await store.pause(bot: name, by: "operator:\(session.identity.name)", reason: form["reason"], at: console.now())
                            : try await store.resume(bot: name, by: "operator:\(session.identity.name)", at: console.now())
                        let done = action == "pause" ? "paused" : "resumed"
                        return ConsolePage.redirect(back, notice: changed ? "Bot \(name) \(done)." : "Bot \(name) was already \(done).")
                    } catch .rejected(let message) {
                        return ConsolePage.redirect(back, error: message)
                    }
                }
            }
        }
        group.get("bots/:name/keys/rotate") { request, context in
            let name = try context.parameters.require("name")
            return try await console.page(request) { session in
                guard session.identity.role == .admin else { return ConsolePage.refused("Rotating keys needs role admin.") }
                let view: [String: Any] = [
                    "heading": "Rotate the key of \(name)?",
                    "explanation": "A new key is issued now and written to the key directory and to the bot's sealed recipients; it is never shown here. "
                        + "The current key keeps working for the bot's grace period unless you revoke it at once. Git's drift report will flag the "
                        + "rotation until spec.apiKeys.generation is bumped.",
                    "action": "/console/bots/\(name)/keys/rotate", "csrf": session.csrf, "revokeOld": true, "button": "Rotate the key",
                    "back": "/console/bots/\(name)",
                ]
                return try await console.render(request, session, title: "Rotate key", current: "Bots",
                                                content: ConsoleTemplates.render(view, "confirm"))
            }
        }
        group.post("bots/:name/keys/rotate") { request, context in
            let name = try context.parameters.require("name")
            return try await console.form(request) { session, form in
                guard session.identity.role == .admin else { return ConsolePage.refused("Rotating keys needs role admin.") }
                do {
                    let rotation = try await KeyRoutes.mapFailure {
                        try await console.loop.rotateKey(bot: name, revokeOld: form["revokeOld"] == "true",
                                                         actor: "operator:\(session.identity.name)", now: console.now)
                    }
                    return ConsolePage.redirect("/console/bots/\(name)",
                                                notice: "New key \(rotation.newKey.id) (\(rotation.newKey.display)) issued; \(rotation.previous).")
                } catch let error as APIError {
                    return ConsolePage.redirect("/console/bots/\(name)", error: error.message)
                } catch StoreError.rejected(let message) {
                    // Another rotation or a reconcile changed the keys first.
                    return ConsolePage.redirect("/console/bots/\(name)", error: message)
                }
            }
        }
        group.get("bots/:name/keys/:id/revoke") { request, context in
            let name = try context.parameters.require("name"), id = try context.parameters.require("id")
            return try await console.page(request) { session in
                guard session.identity.role == .admin else { return ConsolePage.refused("Revoking keys needs role admin.") }
                let view: [String: Any] = [
                    "heading": "Revoke key \(id) of \(name)?",
                    "explanation": "Applications using this key get 401 from the next request on. This cannot be undone.",
                    "action": "/console/bots/\(name)/keys/\(id)/revoke", "csrf": session.csrf, "revokeOld": false, "button": "Revoke the key",
                    "back": "/console/bots/\(name)",
                ]
                return try await console.render(request, session, title: "Revoke key", current: "Bots",
                                                content: ConsoleTemplates.render(view, "confirm"))
            }
        }
        group.post("bots/:name/keys/:id/revoke") { request, context in
            let name = try context.parameters.require("name"), id = try context.parameters.require("id")
            return try await console.form(request) { session, _ in
                guard session.identity.role == .admin else { return ConsolePage.refused("Revoking keys needs role admin.") }
                do {
                    try await KeyRoutes.mapFailure {
                        try await console.loop.revokeKey(bot: name, keyID: id, actor: "operator:\(session.identity.name)", now: console.now)
                    }
                    return ConsolePage.redirect("/console/bots/\(name)", notice: "Key \(id) revoked.")
                } catch let error as APIError {
                    return ConsolePage.redirect("/console/bots/\(name)", error: error.message)
                } catch StoreError.rejected(let message) {
                    // Another rotation or a reconcile changed the keys first.
                    return ConsolePage.redirect("/console/bots/\(name)", error: message)
                }
            }
        }
    }

    static func visibleBot(_ name: String, _ session: ConsoleSession, _ console: ConsoleRoutes) async throws -> BotDetail? {
        let visible = try await console.desk.visibleBots(for: session.identity)
        guard visible?.contains(name) ?? true else { return nil }
        return try await console.store.botDetail(name)
    }

    /// Paused (an operator's override) wins over the declared status.
    static func status(_ object: LiveObject, _ spec: BotSpec?) -> String {
        object.pausedAt != nil ? "paused" : spec?.status.rawValue ?? "active"
    }

    static func pauseForm(_ name: String, paused: Bool, csrf: String, back: String? = nil) -> String {
        var view: [String: Any] = ["name": name, "paused": paused, "csrf": csrf]
        if let back { view["back"] = back }
        return ConsoleTemplates.render(view, "pause-form")
    }

    /// The drift report's findings, or none while it cannot be made.
    static func drift(_ loop: ReconcileLoop) async -> [DriftFinding] {
        guard case .success(let json) = await loop.driftReport() else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? decoder.decode(DriftReport.self, from: json))?.findings ?? []
    }

    func botPage(_ request: Request, _ session: ConsoleSession, _ detail: BotDetail) async throws -> Response {
        let object = detail.object.live, now = console.now()
        let spec = try? JSONDecoder().decode(BotSpec.self, from: Data(detail.object.spec.utf8))
        var rotation: EffectiveRotation?
        if let spec { rotation = try? await console.loop.rotationSchedule(for: spec) }
        let findings = await Self.drift(console.loop).filter { $0.objectKind == .bot && $0.object == object.name }
        let isAdmin = session.identity.role == .admin
        let keys = detail.keys.filter { $0.state != .revoked || ($0.revokedAt.map { now.timeIntervalSince($0) < 7 * 86_400 } ?? false) }
            .map { key in
                let next: String = switch key.state {
                case .active: rotation?.rotateEvery.map { ConsoleText.time(key.createdAt.addingTimeInterval(TimeInterval($0.seconds))) }
                    ?? "on a generation bump in git"
                case .grace: key.expiresAt.map { "stops \(ConsoleText.time($0))" } ?? "—"
                case .revoked: "revoked"
                }
                return KeyRow(id: key.id, bot: object.name, display: key.display, state: key.state.rawValue,
                              age: ConsoleText.age(from: key.createdAt, to: now), nextRotation: next, origin: key.origin,
                              revocable: key.state != .revoked)
            }
        let report = try await console.store.analytics(.lastDays(7, endingAt: now, bots: [object.name]))
        let conversations = try await console.store.recentConversations(bot: object.name, limit: 10).map {
            ConversationRow(id: $0.id, channel: $0.channel, messages: $0.messages, updated: ConsoleText.time($0.updatedAt),
                            last: String(($0.lastMessage ?? "").prefix(120)))
        }
        var view: [String: Any] = [
            "name": object.name, "status": Self.status(object, spec), "owner": spec?.metadata.owner ?? "—",
            "revision": String(object.revision.prefix(12)), "sourcePath": object.sourcePath, "isAdmin": isAdmin, "keys": keys,
            "pauseForm": isAdmin ? Self.pauseForm(object.name, paused: object.pausedAt != nil, csrf: session.csrf, back: "bot") : "",
            "analytics": ConsoleInsightPages.figures(report, id: "bot"), "conversations": conversations,
        ]
        if !findings.isEmpty { view["drift"] = Set(findings.map(\.kind.rawValue)).sorted().joined(separator: ", ") }
        return try await console.render(request, session, title: object.name, current: "Bots", content: ConsoleTemplates.render(view, "bot"))
    }
}
