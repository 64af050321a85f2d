import BotRuntime
import Foundation

/// The answer of `POST /v1/bots/{name}/chat` and the public route.
struct ChatReplyView: Encodable {
    var reply: ChatReply

    enum CodingKeys: String, CodingKey { case conversationId, messageId, reply, confidence, sources, handoff, operatorMessages }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reply.conversationID, forKey: .conversationId)
        try container.encode(reply.messageID, forKey: .messageId)
        try container.encode(reply.reply, forKey: .reply)
        try container.encode(reply.confidence, forKey: .confidence)
        try container.encode(reply.sources, forKey: .sources)
        try container.encode(reply.handoff.map(HandoffSummaryView.init), forKey: .handoff)
        try container.encode(reply.operatorMessages.map(OperatorMessageView.init), forKey: .operatorMessages)
    }
}

extension ChatReplyView: CanonicalJSONEncodable {
    func writeCanonical(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.key("confidence"); writer.double(reply.confidence)
        writer.key("conversationId"); writer.string(reply.conversationID)
        writer.key("handoff"); writer.handoff(reply.handoff)
        writer.key("messageId"); writer.string(reply.messageID)
        writer.key("operatorMessages"); writer.operatorMessages(reply.operatorMessages)
        writer.key("reply"); writer.string(reply.reply)
        writer.key("sources"); writer.sources(reply.sources)
        writer.endObject()
    }
}

/// `GET /v1/conversations/{id}`: the transcript.
struct TranscriptView: Encodable {
    var conversationId: String
    var bot: String
    var createdAt: Date
    var messages: [ChatMessage]

    init(_ transcript: Transcript) {
        conversationId = transcript.conversation.id
        bot = transcript.conversation.bot
        createdAt = transcript.conversation.createdAt
        messages = transcript.messages
    }
}

/// `"handoff": {"id", "status", "urgency", "reason", "assignee"}` in a chat answer.
struct HandoffSummaryView: Encodable, CanonicalJSONEncodable {
    var summary: HandoffSummary

    init(_ summary: HandoffSummary) { self.summary = summary }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(summary.id, forKey: "id")
        try container.encode(summary.status.rawValue, forKey: "status")
        try container.encode(summary.urgency.rawValue, forKey: "urgency")
        try container.encode(summary.reason.rawValue, forKey: "reason")
        try container.encode(summary.assignee, forKey: "assignee")
    }

    func writeCanonical(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.key("assignee")
        if let assignee = summary.assignee { writer.string(assignee) } else { writer.raw("null") }
        writer.key("id"); writer.string(summary.id)
        writer.key("reason"); writer.string(summary.reason.rawValue)
        writer.key("status"); writer.string(summary.status.rawValue)
        writer.key("urgency"); writer.string(summary.urgency.rawValue)
        writer.endObject()
    }
}

/// An operator's reply handed to the client: `{"id", "author", "text", "at"}`.
struct OperatorMessageView: Encodable, CanonicalJSONEncodable {
    var message: ChatMessage

    init(_ message: ChatMessage) { self.message = message }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(message.id, forKey: "id")
        try container.encode(message.author, forKey: "author")
        try container.encode(message.text, forKey: "text")
        try container.encode(message.at, forKey: "at")
    }

    func writeCanonical(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.key("at"); writer.string(message.at.formatted(.iso8601))
        writer.key("author")
        if let author = message.author { writer.string(author) } else { writer.raw("null") }
        writer.key("id"); writer.string(message.id)
        writer.key("text"); writer.string(message.text)
        writer.endObject()
    }
}

extension CanonicalJSONWriter {
    mutating func handoff(_ summary: HandoffSummary?) {
        if let summary { value(HandoffSummaryView(summary)) } else { raw("null") }
    }

    mutating func operatorMessages(_ messages: [ChatMessage]) {
        array(messages) { writer, message in writer.value(OperatorMessageView(message)) }
    }
}
