import Foundation

/// An e-mail to send through the configured SMTP relay.
public struct Mail: Sendable {
    public var from: String
    public var to: String
    /// The whole message: headers, a blank line, the body (CRLF line ends,
    /// not dot-stuffed: the client does that).
    public var message: String

    public init(from: String, to: String, message: String) {
        self.from = from
        self.to = to
        self.message = message
    }
}

/// What the relay said.
public enum MailResult: Sendable, Equatable {
    case sent
    /// A 4xx answer, or no answer: tried again later.
    case transient(String)
    /// A 5xx answer: not tried again.
    case permanent(String)
}

/// Sends mail: the daemon's SMTP client, an outside service the engine
/// reaches through this protocol.
public protocol MailSender: Sendable {
    func send(_ mail: Mail) async -> MailResult
}

/// Which events are mailed, and to whom besides `notify.email`.
public struct MailPlan: Sendable {
    /// The sender address; nil when no SMTP relay is configured (no e-mail).
    public var from: String?
    /// Operators of these roles who may see the bot get the mail too.
    public var operatorRoles: Set<String>
    /// The event types that are mailed.
    public var events: Set<String>

    public init(from: String?, operatorRoles: Set<String> = [], events: Set<String> = MailPlan.defaultEvents) {
        self.from = from
        self.operatorRoles = operatorRoles
        self.events = events
    }

    /// A new handoff, one that escalated or was reopened, a failed reconcile:
    /// what someone should act on (assignments and replies are not mailed).
    public static let defaultEvents: Set<String> = [OutboxEvent.Kind.handoffCreated.rawValue, OutboxEvent.Kind.handoffEscalated.rawValue,
                                                     OutboxEvent.Kind.handoffReopened.rawValue, OutboxEvent.Kind.reconcileFailed.rawValue]
}

/// The plain-text e-mail of an outbox event.
enum MailFormatter {
    static func message(event: OutboxEvent, delivery: String, from: String, to: String, publicURL: String?, at: Date) -> String {
        let formatter = WebhookFormatter(event: event, publicURL: publicURL)
        var lines: [String] = [formatter.headline, ""]
        if let handoff = formatter.handoff {
            if let bot = formatter.payload["bot"] as? String { lines.append("Bot:       \(bot)") }
            lines.append("Urgency:   \(formatter.urgency)")
            if let reason = handoff["reason"] as? String {
                lines.append("Reason:    \(reason)" + ((handoff["reasonDetail"] as? String).map { " (\($0))" } ?? ""))
            }
            if let status = handoff["status"] as? String { lines.append("Status:    \(status)") }
            if let assignee = handoff["assignee"] as? String { lines.append("Assignee:  \(assignee)") }
            if let created = handoff["createdAt"] as? String { lines.append("Opened:    \(created)") }
            if let due = handoff["slaDueAt"] as? String { lines.append("SLA due:   \(due)") }
        } else if let message = formatter.payload["message"] as? String {
            lines.append(message)
        }
        if let link = formatter.link { lines += ["", "Open: \(link)"] }
        lines += ["", "-- ", "nectar notification \(event.id) (\(event.type))"]
        let body = lines.joined(separator: "\r\n") + "\r\n"
        // 7bit only for ASCII lines of at most 998 bytes (RFC 5322); else base64.
        let ascii = body.utf8.allSatisfy { $0 < 0x80 } && !body.split(separator: "\r\n").contains { $0.utf8.count > 998 }
        var headers = [
            "From: nectar <\(from)>", "To: <\(to)>", "Subject: \(encodedHeader("[nectar] " + formatter.headline))",
            "Date: \(rfc2822(at))", "Message-ID: <\(delivery)@nectar>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "X-Nectar-Event: \(event.type)", "X-Nectar-Delivery: \(delivery)",
        ]
        headers.append("Content-Transfer-Encoding: \(ascii ? "7bit" : "base64")")
        let encodedBody = ascii ? body : base64Lines(Array(body.utf8))
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + encodedBody
    }

    /// RFC 2047 for a header with non-ASCII characters: encoded words of at
    /// most 75 characters (45 bytes of UTF-8 each, whole characters),
    /// folded onto continuation lines.
    static func encodedHeader(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard !clean.utf8.allSatisfy({ $0 < 0x80 }) else { return clean }
        var words: [String] = []
        var chunk = ""
        for character in clean {
            if chunk.utf8.count + String(character).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        let text = Data(bytes).base64EncodedString()
        var lines: [Substring] = []
        var index = text.startIndex
        while index < text.endIndex {
            let end = text.index(index, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(text[index..<end])
            index = end
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func rfc2822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
