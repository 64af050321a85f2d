import Foundation
import Hummingbird

struct PauseRequest: Decodable {
    var reason: String?

    static func decode(_ request: Request) async throws -> PauseRequest {
        let body = try await request.collectWholeBody(upTo: 16 * 1024)
        guard body.readableBytes > 0 else { return PauseRequest() }
        do {
            let value = try JSONDecoder().decode(PauseRequest.self, from: Data(body.readableBytesView))
            if let reason = value.reason, reason.count > 500 { throw APIError.badRequest("reason must be at most 500 characters") }
            return value
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest(#"the body must be a JSON object such as {"reason": "incident 42"}"#)
        }
    }

    init(reason: String? = nil) { self.reason = reason }
}
