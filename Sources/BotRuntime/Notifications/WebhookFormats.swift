import Foundation

/// An outbox event as each webhook format's body.
struct WebhookFormatter {
    let event: OutboxEvent
    let payload: [String: Any]
    let handoff: [String: Any]?
    let link: String?

    init(event: OutboxEvent, publicURL: String?) {
        self.event = event
        var payload = (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: Any] ?? [:]
        let handoff = payload["handoff"] as? [String: Any]
        let link = publicURL.map { base in
            base.trimmingSuffix("/") + ((handoff?["id"] as? String).map { "/console/handoffs/" + $0 } ?? "/console/reconcile")
        }
        if let link { payload["link"] = link }
        self.payload = payload
        self.handoff = handoff
        self.link = link
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    func body(for target: WebhookTarget) -> [UInt8]? {
        switch target.format {
        case .json: Self.json(payload)
        case .slack: Self.json(slack)
        case .teams: Self.json(teams)
        case .pagerduty: pagerDuty(routingKey: target.routingKey ?? "").map(Self.json)
        case .zendesk: nil
        }
    }

    var urgency: String { handoff?["urgency"] as? String ?? "" }

    /// One line saying what happened.
    var headline: String {
        let bot = payload["bot"] as? String ?? "a bot"
        let number = (handoff?["number"] as? Int).map { "#\($0)" } ?? ""
        return switch OutboxEvent.Kind(rawValue: event.type) {
        case .handoffCreated: "New handoff \(number) on \(bot) (\(urgency))"
        case .handoffAssigned: "Handoff \(number) on \(bot) assigned to \(handoff?["assignee"] as? String ?? "someone")"
        case .handoffReplied: "Reply on handoff \(number) on \(bot)"
        case .handoffResolved: "Handoff \(number) on \(bot) resolved"
        case .handoffReopened: "Handoff \(number) on \(bot) reopened"
        case .handoffEscalated: "Handoff \(number) on \(bot) escalated to \(urgency): unassigned past its SLA"
        case .reconcileFailed: "Reconcile failed: \(payload["message"] as? String ?? "")"
        case .reconcileRecovered: "Reconcile recovered: \(payload["message"] as? String ?? "")"
        case nil: "\(event.type) on \(bot)"
        }
    }

    var reason: String? { handoff?["reason"] as? String ?? payload["reason"] as? String }

    /// Slack incoming webhook: `text` (the notification's fallback) and blocks.
    var slack: [String: Any] {
        let text = link.map { "\(headline): <\($0)|open>" } ?? headline
        var fields: [[String: Any]] = []
        if handoff != nil { fields.append(["type": "mrkdwn", "text": "*Urgency*\n\(urgency)"]) }
        if let reason { fields.append(["type": "mrkdwn", "text": "*Reason*\n\(reason)"]) }
        var blocks: [[String: Any]] = [["type": "section", "text": ["type": "mrkdwn", "text": text]]]
        if !fields.isEmpty { blocks.append(["type": "section", "fields": fields]) }
        return ["text": text, "blocks": blocks]
    }

    /// Teams incoming webhook: a message with one Adaptive Card attachment.
    var teams: [String: Any] {
        var facts: [[String: String]] = []
        if handoff != nil { facts.append(["title": "Urgency", "value": urgency]) }
        if let reason { facts.append(["title": "Reason", "value": reason]) }
        if let assignee = handoff?["assignee"] as? String { facts.append(["title": "Assignee", "value": assignee]) }
        var card: [String: Any] = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": [["type": "TextBlock", "text": headline, "weight": "Bolder", "size": "Medium", "wrap": true],
                     ["type": "FactSet", "facts": facts]] as [[String: Any]],
        ]
        if let link { card["actions"] = [["type": "Action.OpenUrl", "title": "Open in nectar", "url": link]] }
        return ["type": "message", "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": NSNull(),
                                                    "content": card] as [String: Any]]]
    }

    /// Zendesk: a new handoff creates a ticket (`POST /api/v2/tickets.json`,
    /// with the handoff id as `external_id`); its later events add an
    /// internal note to that ticket and set its status (`PUT
    /// /api/v2/tickets/{id}.json`): assigned and reopened `open`, resolved
    /// `solved`. Nil for reconcile events, and for a later event whose
    /// ticket does not exist (`ticket` nil).
    func zendesk(target: WebhookTarget, ticket: String?) -> (method: String, url: String, body: [UInt8])? {
        guard let handoff, let kind = OutboxEvent.Kind(rawValue: event.type) else { return nil }
        let base = target.url.trimmingSuffix("/")
        var lines = [headline]
        if let reason = handoff["reason"] as? String {
            lines.append("Reason: \(reason)" + ((handoff["reasonDetail"] as? String).map { " (\($0))" } ?? ""))
        }
        if kind == .handoffReplied, let text = (payload["detail"] as? [String: Any])?["text"] as? String {
            lines.append("Operator's reply: \(text)")
        }
        if let link { lines.append("Open in nectar: \(link)") }
        let comment = lines.joined(separator: "\n")
        if kind == .handoffCreated {
            let priority = switch urgency {
            case "critical": "urgent"
            case "high": "high"
            case "low": "low"
            default: "normal"
            }
            let ticket: [String: Any] = [
                "subject": headline, "comment": ["body": comment], "priority": priority,
                "external_id": handoff["id"] as? String ?? "", "tags": ["nectar", "nectar-\(payload["bot"] as? String ?? "bot")"],
            ]
            return ("POST", base + "/api/v2/tickets.json", Self.json(["ticket": ticket]))
        }
        guard let ticket else { return nil }
        var update: [String: Any] = ["comment": ["body": comment, "public": false]]
        switch kind {
        case .handoffAssigned, .handoffReopened, .handoffEscalated: update["status"] = "open"
        case .handoffResolved: update["status"] = "solved"
        default: break
        }
        if kind == .handoffEscalated { update["priority"] = urgency == "critical" ? "urgent" : "high" }
        return ("PUT", base + "/api/v2/tickets/\(ticket).json", Self.json(["ticket": update]))
    }

    /// PagerDuty Events API v2: created, reopened, escalated and a failed
    /// reconcile trigger; an assignment acknowledges; a resolution (or a
    /// recovery) resolves. The dedup key is per handoff (or the reconcile
    /// loop), so a resolved handoff resolves its incident. Replies send nothing.
    func pagerDuty(routingKey: String) -> [String: Any]? {
        let action: String
        switch OutboxEvent.Kind(rawValue: event.type) {
        case .handoffCreated, .handoffReopened, .handoffEscalated, .reconcileFailed: action = "trigger"
        case .handoffAssigned: action = "acknowledge"
        case .handoffResolved, .reconcileRecovered: action = "resolve"
        case .handoffReplied, nil: return nil
        }
        let dedup = (handoff?["id"] as? String).map { "nectar-handoff-\($0)" } ?? "nectar-reconcile"
        var body: [String: Any] = ["routing_key": routingKey, "event_action": action, "dedup_key": dedup]
        if action == "trigger" {
            let severity = switch urgency {
            case "critical": "critical"
            case "high": "error"
            case "low": "info"
            default: handoff == nil ? "critical" : "warning"
            }
            var details: [String: Any] = ["event": event.type, "eventId": event.id]
            if let handoff { details["handoff"] = handoff }
            body["payload"] = ["summary": headline, "source": payload["bot"] as? String ?? "nectar", "severity": severity,
                               "component": "nectar", "custom_details": details] as [String: Any]
            if let link { body["links"] = [["href": link, "text": "Open in nectar"]] }
        }
        return body
    }
}
