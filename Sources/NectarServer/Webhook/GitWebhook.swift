import Crypto
import Foundation
import Hummingbird
import Reconciler

/// `POST /hooks/git`: a GitHub push webhook, verified with
/// `X-Hub-Signature-256`, that asks the reconcile loop for a run now.
public struct GitWebhook: Sendable {
    /// The HMAC secret; nil disables the route (404).
    let secret: [UInt8]?

    public init(secret: String?) {
        self.secret = secret.map { Array($0.utf8) }
    }

    /// Whether the webhook accepts pushes.
    public var isEnabled: Bool { secret != nil }

    func add(to router: Router<NectarRequestContext>, loop: ReconcileLoop) {
        let secret = self.secret
        router.post("hooks/git") { request, context in
            guard let secret else {
                throw APIError(.notFound, code: "webhook_disabled", message: "the git webhook is disabled: no webhook secret is configured")
            }
            let body = try await request.collectWholeBody(upTo: 25 << 20)  // GitHub caps payloads at 25 MB
            guard let header = request.header(named: "X-Hub-Signature-256") else {
                throw APIError.unauthorized("the X-Hub-Signature-256 header is missing")
            }
            guard WebhookSignature.isValid(header: header, body: body.readableBytesView, secret: SymmetricKey(data: secret)) else {
                context.logger.warning("webhook signature mismatch")
                throw APIError.unauthorized("the X-Hub-Signature-256 signature does not match the body")
            }
            let event = request.header(named: "X-GitHub-Event") ?? "push"
            if event == "ping" {
                return JSONBody.response(["event": event, "status": "ok"])
            }
            await loop.requestReconcile(trigger: .webhook)
            return JSONBody.response(["event": event, "status": "reconcile requested"], status: .accepted)
        }
    }
}
