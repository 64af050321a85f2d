import Crypto
import Foundation
import Hummingbird
import Reconciler

/// `POST /hooks/git`: a GitHub push webhook, verified with
/// `X-Hub-Signature-256`, that asks the reconcile loop for a run now.
///
/// Nothing of an unauthenticated request is held: a missing or malformed
/// signature header is refused before the body is read, the body is hashed
/// as it streams (never buffered) and capped at `maxBodyBytes`, and a
/// delivery id seen before is refused as a replay.
public struct GitWebhook: Sendable {
    /// The largest body accepted. nectar needs only the signature, not the
    /// payload; a larger push is picked up by the next poll instead.
    public static let maxBodyBytes = 1 << 20

    /// The HMAC secret; nil disables the route (404).
    let secret: [UInt8]?
    let deliveries: DeliveryLog

    public init(secret: String?, replayWindow: TimeInterval = 24 * 3600) {
        self.secret = secret.map { Array($0.utf8) }
        deliveries = DeliveryLog(window: replayWindow)
    }

    /// Whether the webhook accepts pushes.
    public var isEnabled: Bool { secret != nil }

    func add(to router: Router<NectarRequestContext>, loop: ReconcileLoop) {
        router.post("hooks/git") { request, context in
            let event = try await verify(request, context: context)
            if event == "ping" {
                return JSONBody.response(["event": event, "status": "ok"])
            }
            await loop.requestReconcile(trigger: .webhook)
            return JSONBody.response(["event": event, "status": "reconcile requested"], status: .accepted)
        }
    }

    /// Checks the headers, then the body's signature, then the delivery id;
    /// returns the event name.
    private func verify(_ request: Request, context: NectarRequestContext) async throws -> String {
        guard let secret else {
            throw APIError(.notFound, code: "webhook_disabled", message: "the git webhook is disabled: no webhook secret is configured")
        }
        guard let header = request.header(named: "X-Hub-Signature-256") else {
            throw APIError.unauthorized("the X-Hub-Signature-256 header is missing")
        }
        guard let expected = WebhookSignature.parse(header: header) else {
            throw APIError.unauthorized("the X-Hub-Signature-256 header must be sha256= followed by 64 hex digits")
        }
        guard let delivery = request.header(named: "X-GitHub-Delivery"), !delivery.isEmpty, delivery.utf8.count <= 100 else {
            throw APIError.badRequest("the X-GitHub-Delivery header is missing; nectar needs it to refuse replayed deliveries")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxBodyBytes {
            throw Self.tooLarge
        }
        var mac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        var received = 0
        for try await buffer in request.body {
            received += buffer.readableBytes
            guard received <= Self.maxBodyBytes else { throw Self.tooLarge }
            buffer.withUnsafeReadableBytes { mac.update(data: $0) }
        }
        guard mac.finalize() == expected else {
            context.logger.warning("webhook signature mismatch")
            throw APIError.unauthorized("the X-Hub-Signature-256 signature does not match the body")
        }
        guard deliveries.firstSighting(of: delivery) else {
            context.logger.warning("webhook delivery replayed", metadata: ["delivery": "\(delivery)"])
            throw APIError(.conflict, code: "replayed_delivery", message: "delivery \(delivery) was already received; a replay triggers nothing")
        }
        return request.header(named: "X-GitHub-Event") ?? "push"
    }

    private static var tooLarge: APIError {
        APIError(.contentTooLarge, code: "body_too_large",
                 message: "the webhook body is larger than \(maxBodyBytes) bytes; the push is picked up by the next poll")
    }
}
