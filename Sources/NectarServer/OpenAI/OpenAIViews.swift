import BotRuntime
import Foundation

/// `chat.completion`: the answer of a non-streaming request.
struct ChatCompletionView: Encodable {
    var reply: ChatReply
    var model: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode("chatcmpl-" + reply.messageID, forKey: "id")
        try container.encode("chat.completion", forKey: "object")
        try container.encode(Int(reply.createdAt.timeIntervalSince1970), forKey: "created")
        try container.encode(model, forKey: "model")
        try container.encode([Choice(index: 0, message: .init(role: "assistant", content: reply.reply), finishReason: "stop")],
                             forKey: "choices")
        try container.encode(Usage(reply), forKey: "usage")
        try container.encode(NectarView(reply), forKey: "nectar")
    }

    struct Choice: Encodable {
        var index: Int
        var message: Message
        var finishReason: String

        struct Message: Encodable {
            var role: String
            var content: String
        }

        enum CodingKeys: String, CodingKey {
            case index, message, logprobs
            case finishReason = "finish_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(message, forKey: .message)
            try container.encodeNil(forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }
}

extension ChatCompletionView: CanonicalJSONEncodable {
    /// The same bytes as `encode(to:)` under `JSONBody.encoder()` (a test
    /// compares them), written directly: this is every OpenAI-shaped answer.
    func writeCanonical(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.key("choices")
        writer.raw("[")
        writer.beginObject()
        writer.key("finish_reason"); writer.string("stop")
        writer.key("index"); writer.int(0)
        writer.key("logprobs"); writer.raw("null")
        writer.key("message")
        writer.beginObject()
        writer.key("content"); writer.string(reply.reply)
        writer.key("role"); writer.string("assistant")
        writer.endObject()
        writer.endObject()
        writer.raw("]")
        writer.key("created"); writer.int(Int(reply.createdAt.timeIntervalSince1970))
        writer.key("id"); writer.string("chatcmpl-" + reply.messageID)
        writer.key("model"); writer.string(model)
        writer.key("nectar"); writer.value(NectarView(reply))
        writer.key("object"); writer.string("chat.completion")
        writer.key("usage")
        writer.beginObject()
        writer.key("completion_tokens"); writer.int(reply.completionTokens)
        writer.key("prompt_tokens"); writer.int(reply.promptTokens)
        writer.key("total_tokens"); writer.int(reply.promptTokens + reply.completionTokens)
        writer.endObject()
        writer.endObject()
    }
}

/// `chat.completion.chunk`: one server-sent event of a streaming answer.
struct ChatCompletionChunkView: Encodable {
    var id: String
    var created: Int
    var model: String
    /// The text delta; nil for the last chunk.
    var content: String?
    var role: String?
    var finishReason: String?
    /// The `nectar` object, on the last chunk.
    var nectar: NectarView?
    /// Only for the usage chunk (`stream_options.include_usage`): no choices.
    var usage: Usage?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(id, forKey: "id")
        try container.encode("chat.completion.chunk", forKey: "object")
        try container.encode(created, forKey: "created")
        try container.encode(model, forKey: "model")
        if let usage {
            try container.encode([String](), forKey: "choices")
            try container.encode(usage, forKey: "usage")
            return
        }
        try container.encode([Choice(delta: Delta(role: role, content: content), finishReason: finishReason)], forKey: "choices")
        if let nectar { try container.encode(nectar, forKey: "nectar") }
    }

    struct Delta: Encodable {
        var role: String?
        var content: String?
    }

    struct Choice: Encodable {
        var delta: Delta
        var finishReason: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(0, forKey: "index")
            try container.encode(delta, forKey: "delta")
            try container.encodeNil(forKey: "logprobs")
            try container.encode(finishReason, forKey: "finish_reason")
        }
    }
}

/// Token counts, as OpenAI reports them.
struct Usage: Encodable {
    var promptTokens: Int
    var completionTokens: Int

    init(_ reply: ChatReply) {
        promptTokens = reply.promptTokens
        completionTokens = reply.completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(promptTokens + completionTokens, forKey: .totalTokens)
    }
}

/// nectar's additions to an OpenAI answer.
struct NectarView: Encodable {
    var conversationId: String
    var confidence: Double
    var sources: [ChatSource]
    var handoff: HandoffSummary?
    var operatorMessages: [ChatMessage]

    init(_ reply: ChatReply) {
        conversationId = reply.conversationID
        confidence = reply.confidence
        sources = reply.sources
        handoff = reply.handoff
        operatorMessages = reply.operatorMessages
    }

    enum CodingKeys: String, CodingKey { case conversationId, confidence, sources, handoff, operatorMessages }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(conversationId, forKey: .conversationId)
        try container.encode(confidence, forKey: .confidence)
        try container.encode(sources, forKey: .sources)
        try container.encode(handoff.map(HandoffSummaryView.init), forKey: .handoff)
        try container.encode(operatorMessages.map(OperatorMessageView.init), forKey: .operatorMessages)
    }
}

extension NectarView: CanonicalJSONEncodable {
    func writeCanonical(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.key("confidence"); writer.double(confidence)
        writer.key("conversationId"); writer.string(conversationId)
        writer.key("handoff"); writer.handoff(handoff)
        writer.key("operatorMessages"); writer.operatorMessages(operatorMessages)
        writer.key("sources"); writer.sources(sources)
        writer.endObject()
    }
}

/// `GET /v1/models`.
struct ModelListView: Encodable {
    struct Model: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy: String

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }

    var object = "list"
    var data: [Model]
}

/// A coding key from a string literal.
struct Key: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    init(stringLiteral value: String) { stringValue = value }
}
