import Hummingbird

extension Request {
    /// The whole body, or a 413 when it is larger than `limit` bytes.
    func collectWholeBody(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the request body is larger than \(limit) bytes")
        }
    }

    /// A header's value by its name, case-insensitively.
    func header(named name: String) -> String? {
        headers.first { $0.name.canonicalName == name.lowercased() }?.value
    }
}
