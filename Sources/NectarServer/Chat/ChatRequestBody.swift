import Foundation
import Hummingbird

/// Reading a JSON request body with one clear 400 per mistake: too large
/// (413), not UTF-8, not JSON, a missing field or one of the wrong type,
/// each named.
enum RequestJSON {
    /// The largest chat message, in bytes of UTF-8.
    static let maxMessageBytes = 8 * 1024

    /// An optional JSON object body (empty is nil), with a one-sentence 400 naming `example`.
    static func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request, example: String) async throws -> T? {
        let buffer = try await request.collectWholeBody(upTo: 16 * 1024)
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.badRequest(RequestJSON.sentence(error) + " (for example \(example))")
        } catch {
            throw APIError.badRequest("the body must be a JSON object such as \(example)")
        }
    }

    /// Decodes `T` from the whole body (at most `limit` bytes).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let buffer = try await request.collectWholeBody(upTo: limit)
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { throw APIError.badRequest("the request body is empty; send a JSON object") }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError.badRequest("the request body is not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIError.badRequest(sentence(error))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("the request body is not valid JSON")
        }
    }

    /// The field a decoding error is about, in one sentence.
    static func sentence(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "the request body must be a JSON object" }
            return "field \(path(context.codingPath)) must be \(expected(type))"
        case .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)) must be \(expected(type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the request body is not valid JSON" }
            return "field \(path(context.codingPath)) is invalid: \(context.debugDescription)"
        @unknown default:
            return "the request body is not valid"
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }

    /// A message field checked for emptiness and length.
    static func message(_ text: String, field: String) throws -> String {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("field \(field) must not be empty")
        }
        guard text.utf8.count <= maxMessageBytes else {
            throw APIError.badRequest("field \(field) is \(text.utf8.count) bytes long; a message may have at most \(maxMessageBytes)")
        }
        return text
    }
}

/// `{"message": "...", "conversationId": "..."}`.
struct ChatRequestBody: Decodable {
    var message: String
    var conversationId: String?
}
