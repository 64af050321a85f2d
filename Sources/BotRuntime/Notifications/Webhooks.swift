import Crypto
import Foundation

/// A webhook defined in the daemon's configuration (never in git): where
/// events go, the secret that signs them, and the body's format.
public struct WebhookTarget: Sendable, Hashable {
    /// The body a receiver gets.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// nectar's event payload as it is (docs/notifications.md).
        case json
        /// A Slack incoming-webhook message: `text` plus blocks.
        case slack
    }

    public var name: String
    public var url: String
    /// The signing secret (from the environment variable the configuration names).
    public var secret: String
    public var format: Format
    public var timeout: Duration

    public init(name: String, url: String, secret: String, format: Format, timeout: Duration) {
        self.name = name
        self.url = url
        self.secret = secret
        self.format = format
        self.timeout = timeout
    }
}

/// One POST of an event to a webhook.
public struct WebhookRequest: Sendable {
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var timeout: Duration
}

/// What a webhook answered.
public enum WebhookResult: Sendable, Equatable {
    /// The HTTP status.
    case status(Int)
    /// No answer: refused, timed out, reset (one sentence, no secret).
    case failure(String)
}

/// Sends webhook requests: the daemon's HTTP client, an outside service the
/// engine reaches through this protocol.
public protocol WebhookSender: Sendable {
    func send(_ request: WebhookRequest) async -> WebhookResult
}

public enum WebhookSigning {
    /// `sha256=` + hex HMAC-SHA256 of `timestamp + "." + body` with the secret.
    public static func signature(secret: String, timestamp: String, body: [UInt8]) -> String {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The request of one delivery: the body in the target's format and the
    /// `X-Nectar-*` headers (the delivery id is the same on every retry).
    public static func request(event: OutboxEvent, delivery: String, target: WebhookTarget, publicURL: String?,
                               at: Date) -> WebhookRequest {
        let body = Self.body(event: event, format: target.format, publicURL: publicURL)
        let timestamp = String(Int(at.timeIntervalSince1970))
        return WebhookRequest(url: target.url, headers: [
            ("Content-Type", "application/json"), ("User-Agent", "nectar"), ("X-Nectar-Event", event.type),
            ("X-Nectar-Delivery", delivery), ("X-Nectar-Timestamp", timestamp),
            ("X-Nectar-Signature", signature(secret: target.secret, timestamp: timestamp, body: body)),
        ], body: body, timeout: target.timeout)
    }

    /// The payload, with a console link when the daemon knows its public URL.
    static func body(event: OutboxEvent, format: WebhookTarget.Format, publicURL: String?) -> [UInt8] {
        var payload = (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: Any] ?? [:]
        let handoff = payload["handoff"] as? [String: Any]
        let link = publicURL.map { base in
            base.trimmingSuffix("/") + ((handoff?["id"] as? String).map { "/console/handoffs/" + $0 } ?? "/console/reconcile")
        }
        if let link { payload["link"] = link }
        switch format {
        case .json:
            return Array((try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
        case .slack:
            let bot = payload["bot"] as? String ?? "a bot"
            let urgency = handoff?["urgency"] as? String ?? ""
            let number = (handoff?["number"] as? Int).map { "#\($0)" } ?? ""
            let what: String = switch event.type {
            case OutboxEvent.Kind.handoffCreated.rawValue: "New handoff \(number) on \(bot) (\(urgency))"
            case OutboxEvent.Kind.handoffAssigned.rawValue: "Handoff \(number) on \(bot) assigned to \(handoff?["assignee"] as? String ?? "someone")"
            case OutboxEvent.Kind.handoffReplied.rawValue: "Reply on handoff \(number) on \(bot)"
            case OutboxEvent.Kind.handoffResolved.rawValue: "Handoff \(number) on \(bot) resolved"
            case OutboxEvent.Kind.handoffReopened.rawValue: "Handoff \(number) on \(bot) reopened"
            case OutboxEvent.Kind.handoffEscalated.rawValue: "Handoff \(number) on \(bot) escalated to \(urgency): unassigned past its SLA"
            case OutboxEvent.Kind.reconcileFailed.rawValue: "Reconcile failed: \(payload["message"] as? String ?? "")"
            case OutboxEvent.Kind.reconcileRecovered.rawValue: "Reconcile recovered: \(payload["message"] as? String ?? "")"
            default: "\(event.type) on \(bot)"
            }
            let text = link.map { "\(what): <\($0)|open>" } ?? what
            var fields: [[String: Any]] = []
            if handoff != nil { fields.append(["type": "mrkdwn", "text": "*Urgency*\n\(urgency)"]) }
            if let reason = handoff?["reason"] as? String ?? payload["reason"] as? String {
                fields.append(["type": "mrkdwn", "text": "*Reason*\n\(reason)"])
            }
            var blocks: [[String: Any]] = [["type": "section", "text": ["type": "mrkdwn", "text": text]]]
            if !fields.isEmpty { blocks.append(["type": "section", "fields": fields]) }
            let message: [String: Any] = ["text": text, "blocks": blocks]
            return Array((try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
