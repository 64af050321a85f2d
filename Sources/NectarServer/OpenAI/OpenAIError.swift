import Hummingbird

/// An error in OpenAI's shape, `{"error": {"message", "type", "code",
/// "param"}}`, so that OpenAI SDKs raise their usual exceptions
/// (`AuthenticationError`, `RateLimitError`, ...).
struct OpenAIError: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var code: String?
    var headers: HTTPFields

    /// nectar's own error, reshaped.
    init(_ error: APIError) {
        status = error.status
        message = error.message
        headers = error.headers
        switch error.status.code {
        case 401: type = "invalid_request_error"; code = "invalid_api_key"
        case 403: type = "permission_error"; code = "permission_denied"
        case 404: type = "invalid_request_error"; code = error.code == "not_found" ? "model_not_found" : error.code
        case 413: type = "invalid_request_error"; code = "request_too_large"
        case 429: type = "requests"; code = "rate_limit_exceeded"
        case 400..<500: type = "invalid_request_error"; code = error.code
        default: type = "server_error"; code = error.code
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(Body(error: .init(message: message, type: type, code: code)), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var code: String?
            var param: String?

            enum CodingKeys: String, CodingKey { case message, type, code, param }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(code, forKey: .code)
                try container.encode(param, forKey: .param)
            }
        }
        var error: Detail
    }
}
