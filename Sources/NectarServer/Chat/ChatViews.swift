import BotRuntime
import Foundation

/// The answer of `POST /v1/bots/{name}/chat` and the public route.
struct ChatReplyView: Encodable {
    var reply: ChatReply

    enum CodingKeys: String, CodingKey { case conversationId, messageId, reply, confidence, sources, handoff }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reply.conversationID, forKey: .conversationId)
        try container.encode(reply.messageID, forKey: .messageId)
        try container.encode(reply.reply, forKey: .reply)
        try container.encode(reply.confidence, forKey: .confidence)
        try container.encode(reply.sources, forKey: .sources)
        try container.encodeNil(forKey: .handoff)
    }
}

extension ChatReplyView: CanonicalJSONEncodable {
    func writeCanonical(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.key("confidence"); writer.double(reply.confidence)
        writer.key("conversationId"); writer.string(reply.conversationID)
        writer.key("handoff"); writer.raw("null")
        writer.key("messageId"); writer.string(reply.messageID)
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
