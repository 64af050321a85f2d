import BotRuntime
import Foundation

/// `POST /v1/chat/completions` as OpenAI defines it (the fields nectar
/// reads; others, such as `temperature`, are accepted and ignored).
struct OpenAIChatRequest: Decodable {
    var model: String
    var messages: [Message]
    var stream: Bool?
    var streamOptions: StreamOptions?
    /// nectar's extension: the conversation to continue (also accepted as
    /// the `X-Nectar-Conversation-Id` header).
    var nectar: Extension?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, nectar
        case streamOptions = "stream_options"
    }

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    struct Extension: Decodable {
        var conversationId: String?
    }

    struct Message: Decodable {
        var role: String
        var content: Content?

        /// A string, or an array of content parts of which the text ones count.
        enum Content: Decodable {
            case text(String)
            case parts([Part])

            struct Part: Decodable {
                var type: String
                var text: String?
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self = .text(text)
                } else {
                    self = .parts(try container.decode([Part].self))
                }
            }

            var text: String {
                switch self {
                case .text(let text): text
                case .parts(let parts): parts.compactMap { $0.type == "text" ? $0.text : nil }.joined(separator: "\n")
                }
            }
        }
    }

    /// The last user message (the question) and the messages before it
    /// (the history, oldest first). System messages are not history: the
    /// bot's own system prompt applies.
    func conversation() throws -> (question: String, history: [ChatMessage]) {
        guard !messages.isEmpty else { throw APIError.badRequest("field messages must hold at least one message") }
        guard let last = messages.lastIndex(where: { $0.role == "user" }) else {
            throw APIError.badRequest("field messages has no message with role user")
        }
        for (index, message) in messages.enumerated() {
            guard ["system", "developer", "user", "assistant", "tool"].contains(message.role) else {
                throw APIError.badRequest("field messages[\(index)].role must be system, developer, user, assistant or tool")
            }
            if (message.content?.text.utf8.count ?? 0) > RequestJSON.maxMessageBytes {
                throw APIError.badRequest("field messages[\(index)].content is longer than \(RequestJSON.maxMessageBytes) bytes")
            }
        }
        let question = try RequestJSON.message(messages[last].content?.text ?? "", field: "messages[\(last)].content")
        let epoch = Date(timeIntervalSince1970: 0)
        let history = messages[..<last].compactMap { message -> ChatMessage? in
            guard let role = ChatMessage.Role(rawValue: message.role), role == .user || role == .assistant,
                  let text = message.content?.text, !text.isEmpty else { return nil }
            return ChatMessage(id: "", role: role, text: text, at: epoch)
        }
        return (question, history)
    }
}
