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
        /// A Microsoft Teams incoming-webhook message with an Adaptive Card.
        case teams
        /// A PagerDuty Events API v2 event: trigger, acknowledge or resolve,
        /// deduplicated per handoff (the routing key from `routingKeyEnv`).
        case pagerduty
        /// A Zendesk ticket per handoff, created through the tickets API and
        /// updated by the handoff's later events (`url` is the account's
        /// base URL; API token from `apiTokenEnv`, for the agent `zendeskEmail`).
        case zendesk
    }

    public var name: String
    public var url: String
    /// The signing secret (from the environment variable the configuration names).
    public var secret: String
    public var format: Format
    public var timeout: Duration
    /// PagerDuty's integration (routing) key, for `pagerduty`.
    public var routingKey: String?
    /// For `zendesk`: the agent's e-mail and its API token.
    public var zendeskEmail: String?
    public var apiToken: String?

    public init(name: String, url: String, secret: String, format: Format, timeout: Duration, routingKey: String? = nil,
                zendeskEmail: String? = nil, apiToken: String? = nil) {
        self.name = name
        self.url = url
        self.secret = secret
        self.format = format
        self.timeout = timeout
        self.routingKey = routingKey
        self.zendeskEmail = zendeskEmail
        self.apiToken = apiToken
    }
}

/// One POST of an event to a webhook.
public struct WebhookRequest: Sendable {
    public var method = "POST"
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var timeout: Duration
}

/// What a webhook answered.
public enum WebhookResult: Sendable, Equatable {
    /// The HTTP status and (the first 64 KiB of) the answer's body.
    case status(Int, body: [UInt8] = [])
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
    /// Nil when the target's format sends nothing for this event (PagerDuty
    /// and an operator's reply; Zendesk and reconcile events). `reference`
    /// is what an earlier delivery of the handoff stored (a Zendesk ticket id).
    public static func request(event: OutboxEvent, delivery: String, target: WebhookTarget, publicURL: String?,
                               at: Date, reference: String? = nil) -> WebhookRequest? {
        let formatter = WebhookFormatter(event: event, publicURL: publicURL)
        if target.format == .zendesk {
            return formatter.zendesk(target: target, ticket: reference).map { method, url, body in
                var request = signed(body: body, event: event, delivery: delivery, target: target, at: at)
                request.method = method
                request.url = url
                let credentials = Data("\(target.zendeskEmail ?? "")/token:\(target.apiToken ?? "")".utf8).base64EncodedString()
                request.headers.append(("Authorization", "Basic \(credentials)"))
                return request
            }
        }
        guard let body = formatter.body(for: target) else { return nil }
        return signed(body: body, event: event, delivery: delivery, target: target, at: at)
    }

    static func signed(body: [UInt8], event: OutboxEvent, delivery: String, target: WebhookTarget, at: Date) -> WebhookRequest {
        let timestamp = String(Int(at.timeIntervalSince1970))
        return WebhookRequest(url: target.url, headers: [
            ("Content-Type", "application/json"), ("User-Agent", "nectar"), ("X-Nectar-Event", event.type),
            ("X-Nectar-Delivery", delivery), ("X-Nectar-Timestamp", timestamp),
            ("X-Nectar-Signature", signature(secret: target.secret, timestamp: timestamp, body: body)),
        ], body: body, timeout: target.timeout)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
