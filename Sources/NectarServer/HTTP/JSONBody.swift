import BotRuntime
import Foundation
import Hummingbird

/// JSON responses: sorted keys, ISO 8601 dates, no escaped slashes.
enum JSONBody {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        if let fast = value as? any CanonicalJSONEncodable {
            // Hot answers (chat) write their JSON directly: same bytes, a fraction of the cost.
            var writer = CanonicalJSONWriter()
            fast.writeCanonical(to: &writer)
            return Response(status: status, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.output)))
        }
        let data = (try? encoder().encode(value)) ?? Data(#"{"error":{"code":"internal","message":"the response could not be encoded"}}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
