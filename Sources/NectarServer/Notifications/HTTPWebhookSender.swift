import AsyncHTTPClient
import BotRuntime
import Foundation
import NIOCore

/// Webhook POSTs through one shared async-http-client (its connection
/// pool), redirects not followed (a signed body is for the URL configured).
/// Failures are described without the URL: a Slack webhook's URL is itself
/// a secret.
final class HTTPWebhookSender: WebhookSender {
    let client: HTTPClient

    init() {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func send(_ request: WebhookRequest) async -> WebhookResult {
        var http = HTTPClientRequest(url: request.url)
        http.method = request.method == "PUT" ? .PUT : .POST
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: request.body))
        let seconds = request.timeout.components.seconds
        do {
            let response = try await client.execute(http, timeout: .seconds(seconds))
            // Read at most 64 KiB of the answer (a ticket id), so the connection can be reused.
            let body = (try? await response.body.collect(upTo: 64 * 1024)).map { Array($0.readableBytesView) } ?? []
            return .status(Int(response.status.code), body: body)
        } catch {
            return .failure(Self.describe(error, timeout: seconds))
        }
    }

    static func describe(_ error: any Error, timeout: Int64) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "no answer within \(timeout) s"
            case .connectTimeout: return "the connection timed out"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: return "the request failed (\(client.shortDescription))"
            }
        }
        let text = String(describing: error).lowercased()
        if text.contains("refused") { return "the connection was refused" }
        if text.contains("timeout") || text.contains("timed out") { return "no answer within \(timeout) s" }
        return "the request failed (\(type(of: error)))"
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}

extension HTTPClientError {
    /// A name for the error without any URL in it.
    var shortDescription: String {
        String(String(describing: self).prefix { $0 != "(" && $0 != ":" })
    }
}
