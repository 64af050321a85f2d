import BotRuntime
import Foundation
import Hummingbird

/// The inbox and a handoff's page: open handoffs by urgency and age with
/// SLA countdowns, and assign / reply / resolve / reopen forms.
struct ConsoleHandoffPages: Sendable {
    let console: ConsoleRoutes

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Row {
        var id: String
        var number: Int64
        var urgency: String
        var escalated: Bool
        var bot: String
        var status: String
        var age: String
        var due: Int?
        var dueText: String
        var reason: String
        var assignee: String

        init(_ handoff: Handoff, now: Date) {
            id = handoff.id
            number = handoff.number
            urgency = handoff.urgency.rawValue
            escalated = handoff.escalated
            bot = handoff.bot
            status = handoff.status.rawValue
            age = ConsoleText.age(from: handoff.createdAt, to: now)
            due = handoff.slaDueAt.map { Int($0.timeIntervalSince1970) }
            dueText = handoff.slaDueAt.map { ConsoleText.due($0, now: now) }
                ?? (handoff.status == .resolved ? "resolved" : handoff.escalated && handoff.status == .pending ? "escalated" : "answered")
            reason = handoff.reason.rawValue.replacingOccurrences(of: "_", with: " ")
            assignee = handoff.assignee ?? "—"
        }
    }

    func add(to group: RouterGroup<NectarRequestContext>) {
        let console = self.console, desk = console.desk, store = console.store
        group.get("inbox") { request, _ in
            try await console.page(request) { session in
                let visible = try await desk.visibleBots(for: session.identity)
                let status = request.uri.queryParameters.get("status") ?? "open"
                let urgency = request.uri.queryParameters.get("urgency").flatMap(Urgency.init(rawValue:))
                let bot = request.uri.queryParameters.get("bot").flatMap { $0.isEmpty ? nil : $0 }
                var query = HandoffQuery()
                query.statuses = switch status {
                case "pending": [.pending]
                case "assigned": [.assigned]
                case "resolved": [.resolved]
                case "all": []
                default: [.pending, .assigned]
                }
                query.urgency = urgency
                query.bot = bot
                // The store lists newest first: take far more than a page, so that
                // the oldest and most urgent are among them, then sort.
                query.limit = 2000
                let now = console.now()
                let all = try await desk.list(query, as: session.identity)
                // Most urgent first, then the longest waiting.
                let handoffs = Array(all.sorted { ($0.urgency.rank, $1.createdAt) > ($1.urgency.rank, $0.createdAt) }.prefix(200))
                let list = ConsoleTemplates.render(["handoffs": handoffs.map { Row($0, now: now) }, "hasHandoffs": !handoffs.isEmpty],
                                                   "inbox-list")
                var bots = visible.map { Array($0) } ?? []
                if visible == nil { bots = try await store.liveBotRows().map(\.name) }
                bots.sort()
                let view: [String: Any] = [
                    "statuses": [("open", "Open"), ("pending", "Pending"), ("assigned", "Assigned"), ("resolved", "Resolved"), ("all", "All")]
                        .map { Option(value: $0.0, label: $0.1, selected: $0.0 == status) },
                    "urgencies": ([("", "Any")] + Urgency.allCases.map { ($0.rawValue, $0.rawValue.capitalized) })
                        .map { Option(value: $0.0, label: $0.1, selected: $0.0 == (urgency?.rawValue ?? "")) },
                    "bots": ([("", "Any")] + bots.map { ($0, $0) }).map { Option(value: $0.0, label: $0.1, selected: $0.0 == (bot ?? "")) },
                    "list": list, "csrf": session.csrf, "canMarkRead": true,
                ]
                return try await console.render(request, session, title: "Inbox", current: "Inbox",
                                                content: ConsoleTemplates.render(view, "inbox"), fragments: ["inbox-list": list])
            }
        }
        group.post("notifications/read") { request, _ in
            try await console.form(request) { session, _ in
                let visible = try await desk.visibleBots(for: session.identity)
                let marked = try await store.markRead(operator: session.identity.name, events: nil, visibleBots: visible, at: console.now())
                return ConsolePage.redirect("/console/inbox", notice: "\(marked) notification\(marked == 1 ? "" : "s") marked read.")
            }
        }
        group.get("handoffs/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await console.page(request) { session in
                guard let detail = try await desk.detail(id, as: session.identity) else {
                    return ConsolePage.missing("There is no handoff \(id) you may see.")
                }
                return try await self.handoffPage(request, session, detail)
            }
        }
        for action in ["assign", "reply", "resolve", "reopen"] {
            group.post("handoffs/:id/\(action)") { request, context in
                let id = try context.parameters.require("id")
                return try await console.form(request) { session, form in
                    guard session.identity.role != .auditor else {
                        return ConsolePage.redirect("/console/handoffs/\(id)", error: "Your role reads handoffs only.")
                    }
                    let result: HandoffChangeResult
                    let notice: String
                    switch action {
                    case "assign":
                        result = try await desk.assign(id, to: form["to"], from: form["from"], as: session.identity)
                        notice = "Assigned to \(form["to"] ?? session.identity.name)."
                    case "reply":
                        guard let text = form["message"], text.utf8.count <= RequestJSON.maxMessageBytes else {
                            return ConsolePage.redirect("/console/handoffs/\(id)", error: "A reply is 1 to 8192 bytes of text.")
                        }
                        result = try await desk.reply(id, text: text, as: session.identity).0
                        notice = "Reply sent to the user."
                    case "resolve":
                        if let note = form["note"], note.utf8.count > 4096 {
                            return ConsolePage.redirect("/console/handoffs/\(id)", error: "A note is at most 4096 bytes.")
                        }
                        result = try await desk.resolve(id, note: form["note"], as: session.identity)
                        notice = "Resolved: the bot has the conversation again."
                    default:
                        result = try await desk.reopen(id, as: session.identity)
                        notice = "Reopened."
                    }
                    switch result {
                    case .changed: return ConsolePage.redirect("/console/handoffs/\(id)", notice: notice)
                    case .notFound: return ConsolePage.missing("There is no handoff \(id) you may see.")
                    case .conflict(let message), .invalid(let message): return ConsolePage.redirect("/console/handoffs/\(id)", error: message)
                    }
                }
            }
        }
    }

    struct MessageView {
        var role: String
        var who: String
        var at: String
        var atText: String
        var text: String
        var confidence: String?

        init(_ message: ChatMessage) {
            role = message.role.rawValue
            who = switch message.role {
            case .user: "User"
            case .assistant: "Bot"
            case .operator: "Operator \(message.author ?? "")"
            case .system: "nectar"
            }
            at = ConsoleText.iso(message.at)
            atText = ConsoleText.time(message.at)
            text = message.text
            confidence = message.confidence.map { String(format: "%.2f", $0) }
        }
    }

    struct EventView {
        var at: String
        var atText: String
        var kind: String
        var actor: String
        var detail: String?
    }

    func handoffPage(_ request: Request, _ session: ConsoleSession, _ detail: HandoffDetail) async throws -> Response {
        let handoff = detail.handoff, now = console.now()
        let row = Row(handoff, now: now)
        var facts: [String: Any] = ["bot": row.bot, "status": row.status, "assigneeText": row.assignee, "reason": row.reason,
                                    "age": row.age, "dueText": row.dueText]
        if let due = row.due { facts["due"] = due }
        let factsHTML = ConsoleTemplates.render(facts, "handoff-facts")
        let thread = ConsoleTemplates.render(["messages": (detail.transcript + detail.thread).map(MessageView.init)], "messages")
        var assignees: [Option] = []
        if session.identity.role == .admin {
            assignees = try await console.store.operatorSummaries().filter { $0.role != .auditor }.map {
                Option(value: $0.name, label: $0.name, selected: $0.name == (handoff.assignee ?? session.identity.name))
            }
        }
        var view: [String: Any] = [
            "id": handoff.id, "number": handoff.number, "urgency": handoff.urgency.rawValue, "facts": factsHTML, "thread": thread,
            "csrf": session.csrf, "canWork": session.identity.role != .auditor, "open": handoff.status.isOpen,
            "assignees": assignees, "hasAssignees": !assignees.isEmpty,
            "assignLabel": session.identity.role == .admin ? "Assign" : handoff.assignee == nil ? "Take it" : "Take it over",
            "events": detail.events.map { event in
                let fields = (try? JSONDecoder().decode([String: String].self, from: Data(event.detail.utf8))) ?? [:]
                return EventView(at: ConsoleText.iso(event.at), atText: ConsoleText.time(event.at), kind: event.kind.rawValue,
                                 actor: event.actor,
                                 detail: fields.isEmpty ? nil : fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                                    .joined(separator: ", "))
            },
        ]
        if let assignee = handoff.assignee { view["assignee"] = assignee }
        return try await console.render(request, session, title: "Handoff #\(handoff.number)", current: "Inbox",
                                        content: ConsoleTemplates.render(view, "handoff"),
                                        fragments: ["handoff-thread": thread, "handoff-facts": factsHTML], handoffID: handoff.id)
    }
}

/// Times and durations as the console writes them.
enum ConsoleText {
    static func age(from start: Date, to now: Date) -> String { duration(now.timeIntervalSince(start)) }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(max(seconds, 0))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min" }
        if s < 86_400 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86_400) d \(s % 86_400 / 3600) h"
    }

    static func due(_ due: Date, now: Date) -> String {
        let left = due.timeIntervalSince(now)
        return left >= 0 ? "due in \(duration(left))" : "overdue by \(duration(-left))"
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}
