import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// The push webhook holds nothing of an unauthenticated request, and every
/// connection has an idle and a request-read timeout. Raw TCP, so that a
/// head can promise a body it never sends.
@Suite struct WebhookDaemonTests {
    let secret = "webhook-secret-\(UUID().uuidString)"

    private func started(_ adjust: (inout ServeSettings) -> Void = { _ in }) async throws -> DaemonHarness {
        let harness = try DaemonHarness()
        try harness.commit(DaemonSnippet.files(bots: ["alpha"]))
        try await harness.start(harness.settings(adjust), environment: ["NECTAR_WEBHOOK_SECRET": secret])
        return harness
    }

    private func head(length: Int, signature: String?, delivery: String? = "d-1") -> String {
        var lines = ["POST /hooks/git HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", "Content-Length: \(length)"]
        if let signature { lines.append("X-Hub-Signature-256: \(signature)") }
        if let delivery { lines.append("X-GitHub-Delivery: \(delivery)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    @Test func anUnsignedRequestIsRefusedBeforeItsBodyIsSent() async throws {
        let harness = try await started()
        for signature in [nil, "sha256=nothex", "sha1=" + String(repeating: "a", count: 40)] {
            let connection = try RawHTTPConnection(port: harness.port)
            connection.send(head(length: 24 << 20, signature: signature))
            let answer = await connection.receive(timeout: 5)
            #expect(answer.text.hasPrefix("HTTP/1.1 401"), "refused at once, body unsent: \(answer.text.prefix(80))")
            #expect(answer.text.contains("X-Hub-Signature-256"))
        }
        try await harness.stop()
    }

    @Test func aBodyOverTheCapIsRefusedByItsLengthOrAsItStreams() async throws {
        let harness = try await started()
        let signature = WebhookSignature.header(body: [UInt8](), secret: secret)
        let declared = try RawHTTPConnection(port: harness.port)
        declared.send(head(length: GitWebhook.maxBodyBytes + 1, signature: signature))
        #expect(await declared.receive(timeout: 5).text.hasPrefix("HTTP/1.1 413"), "a declared length over the cap is refused unread")

        let chunked = try RawHTTPConnection(port: harness.port)
        chunked.send("POST /hooks/git HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Hub-Signature-256: \(signature)\r\n"
                     + "X-GitHub-Delivery: d-chunked\r\n\r\n")
        let chunk = 256 * 1024
        var refused = false
        for _ in 0..<8 where !refused {
            refused = !chunked.send(String(chunk, radix: 16) + "\r\n" + String(repeating: "a", count: chunk) + "\r\n")
            let answer = await chunked.receive(timeout: 0.2)
            if answer.text.hasPrefix("HTTP/1.1 413") { refused = true }
        }
        #expect(refused, "a chunked body is cut off once it passes \(GitWebhook.maxBodyBytes) bytes")
        try await harness.stop()
    }

    @Test func aLargeSignedBodyIsHashedAsItStreams() async throws {
        let harness = try await started()
        let body = Array(String(repeating: #"{"commits":["abc"]}"#, count: 40_000).utf8)  // ~760 KiB
        let response = try await harness.request("POST", "/hooks/git", body: Data(body),
                                                 headers: ["X-Hub-Signature-256": WebhookSignature.header(body: body, secret: secret),
                                                           "X-GitHub-Delivery": "d-large"])
        #expect(response.status == 202)
        try await harness.stop()
    }

    @Test func aReplayedDeliveryTriggersNothing() async throws {
        let harness = try await started()
        let body = Data(#"{"ref":"refs/heads/main"}"#.utf8)
        let headers = ["X-Hub-Signature-256": WebhookSignature.header(body: body, secret: secret), "X-GitHub-Delivery": "d-replay"]
        let first = try await harness.request("POST", "/hooks/git", body: body, headers: headers)
        #expect(first.status == 202)
        let again = try await harness.request("POST", "/hooks/git", body: body, headers: headers)
        #expect(again.status == 409)
        #expect(again.errorCode == "replayed_delivery")
        var missing = headers
        missing["X-GitHub-Delivery"] = nil
        let anonymous = try await harness.request("POST", "/hooks/git", body: body, headers: missing)
        #expect(anonymous.status == 400, "without a delivery id a replay could not be told apart")
        let forged = try await harness.request("POST", "/hooks/git", body: body,
                                               headers: ["X-Hub-Signature-256": WebhookSignature.header(body: body, secret: "other"),
                                                         "X-GitHub-Delivery": "d-fresh"])
        #expect(forged.status == 401)
        let fresh = try await harness.request("POST", "/hooks/git", body: body,
                                              headers: ["X-Hub-Signature-256": headers["X-Hub-Signature-256"]!, "X-GitHub-Delivery": "d-fresh"])
        #expect(fresh.status == 202, "a forged request does not burn the delivery id it named")
        try await harness.stop()
    }

    @Test func aSilentConnectionIsClosedAfterTheIdleTimeout() async throws {
        let harness = try await started { $0.idleTimeout = SpecDuration(seconds: 1) }
        let silent = try RawHTTPConnection(port: harness.port)
        #expect(await silent.isClosed(within: 8), "a connection that sends nothing is closed")
        let dripping = try RawHTTPConnection(port: harness.port)
        dripping.send("POST /hooks/git HTTP/1.1\r\n")
        #expect(await dripping.isClosed(within: 8), "a head that never completes is closed")
        try await harness.stop()
    }

    @Test func aTricklingBodyIsCutOffAfterTheRequestTimeout() async throws {
        let harness = try await started { $0.requestTimeout = SpecDuration(seconds: 1); $0.idleTimeout = SpecDuration(seconds: 30) }
        let body = Array(String(repeating: "x", count: 400).utf8)
        let connection = try RawHTTPConnection(port: harness.port)
        connection.send(head(length: body.count, signature: WebhookSignature.header(body: body, secret: secret)))
        var closed = false
        for offset in stride(from: 0, to: body.count, by: 10) where !closed {
            closed = !connection.send(Array(body[offset..<offset + 10]))
            if !closed { closed = await connection.receive(timeout: 0.25).closed }
        }
        #expect(closed, "a body that takes 10 s to arrive is cut off after 1 s")
        try await harness.stop()
    }
}
