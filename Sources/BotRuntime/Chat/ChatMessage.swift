import Foundation

/// One message of a conversation, as stored and as the transcript shows it.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who wrote a message.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// The application's user.
        case user
        /// The bot.
        case assistant
        /// A human operator answering through a handoff.
        case `operator`
        /// nectar itself (for example, that a person will answer).
        case system
    }

    /// `msg_` + 22 base62 characters.
    public var id: String
    public var role: Role
    public var text: String
    public var at: Date
    /// The bot's confidence in an assistant message.
    public var confidence: Double?
    /// The passages an assistant message quoted.
    public var sources: [ChatSource]
    /// The operator who wrote an operator message.
    public var author: String?

    public init(id: String, role: Role, text: String, at: Date, confidence: Double? = nil, sources: [ChatSource] = [],
                author: String? = nil) {
        self.id = id
        self.role = role
        self.text = text
        self.at = at
        self.confidence = confidence
        self.sources = sources
        self.author = author
    }
}

/// A passage an answer was taken from.
public struct ChatSource: Sendable, Hashable, Codable {
    public var honeyJar: String
    /// The document's path in the repository.
    public var path: String
    /// The document's title and the passage's heading.
    public var title: String
    /// The passage, shortened.
    public var excerpt: String
    /// Its relevance to the question, in [0, 1].
    public var score: Double

    public init(honeyJar: String, path: String, title: String, excerpt: String, score: Double) {
        self.honeyJar = honeyJar
        self.path = path
        self.title = title
        self.excerpt = excerpt
        self.score = score
    }

    /// Stored sources have no excerpt (see `storedJSON`): it reads as empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        honeyJar = try container.decode(String.self, forKey: .honeyJar)
        path = try container.decode(String.self, forKey: .path)
        title = try container.decode(String.self, forKey: .title)
        excerpt = try container.decodeIfPresent(String.self, forKey: .excerpt) ?? ""
        score = try container.decode(Double.self, forKey: .score)
    }
}

extension ChatSource: CanonicalJSONEncodable {
    public func writeCanonical(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.key("excerpt"); writer.string(excerpt)
        writer.key("honeyJar"); writer.string(honeyJar)
        writer.key("path"); writer.string(path)
        writer.key("score"); writer.double(score)
        writer.key("title"); writer.string(title)
        writer.endObject()
    }

    /// A list of sources as JSON, written without `JSONEncoder` (the chat
    /// path writes one per answer).
    public static func json(_ sources: [ChatSource]) -> String {
        var writer = CanonicalJSONWriter()
        writer.sources(sources)
        return String(decoding: writer.output, as: UTF8.self)
    }
}

extension ChatSource {
    /// A stored answer's sources: which passages (jar, path, title, score),
    /// without their excerpts. The reply already quotes the best passage,
    /// and the excerpts were most of an answer's row: leaving them out
    /// halves what the chat path writes.
    public static func storedJSON(_ sources: [ChatSource]) -> String {
        var writer = CanonicalJSONWriter()
        writer.array(sources) { writer, source in
            writer.beginObject()
            writer.key("honeyJar"); writer.string(source.honeyJar)
            writer.key("path"); writer.string(source.path)
            writer.key("score"); writer.double(source.score)
            writer.key("title"); writer.string(source.title)
            writer.endObject()
        }
        return String(decoding: writer.output, as: UTF8.self)
    }
}

extension CanonicalJSONWriter {
    public mutating func sources(_ sources: [ChatSource]) {
        array(sources) { writer, source in writer.value(source) }
    }
}
