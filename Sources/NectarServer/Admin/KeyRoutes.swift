import BotRuntime
import Foundation
import Hummingbird
import Reconciler

/// `POST /admin/bots/{name}/keys/rotate` and `.../keys/{id}/revoke`: the
/// emergency key actions of `nectar keys rotate` and `revoke`, for admins,
/// with the same locking and delivery. The new key goes to the key
/// directory and to the bot's sealed recipients, never into the response.
struct KeyRoutes: Sendable {
    let loop: ReconcileLoop
    let now: @Sendable () -> Date

    struct RotateBody: Decodable {
        var revokeOld: Bool?
    }

    struct Rotated: Encodable {
        var bot: String
        var keyId: String
        var display: String
        var generation: Int
        var previous: String
    }

    func add(to group: RouterGroup<NectarRequestContext>) {
        let loop = self.loop, now = self.now
        group.post("bots/:name/keys/rotate") { request, context in
            let identity = try context.requireAdmin("rotating a key")
            let name = try context.parameters.require("name")
            let body = try await RequestJSON.optionalBody(RotateBody.self, request, example: #"{"revokeOld": true}"#)
            let rotation = try await Self.mapFailure {
                try await loop.rotateKey(bot: name, revokeOld: body?.revokeOld ?? false, actor: "operator:\(identity.name)", now: now)
            }
            return JSONBody.response(Rotated(bot: name, keyId: rotation.newKey.id, display: rotation.newKey.display,
                                             generation: rotation.newKey.generation, previous: rotation.previous), status: .created)
        }
        group.post("bots/:name/keys/:id/revoke") { _, context in
            let identity = try context.requireAdmin("revoking a key")
            let name = try context.parameters.require("name")
            let id = try context.parameters.require("id")
            try await Self.mapFailure { try await loop.revokeKey(bot: name, keyID: id, actor: "operator:\(identity.name)", now: now) }
            return JSONBody.response(["bot": name, "keyId": id, "state": "revoked"])
        }
    }

    /// An unknown bot or key is a 404, a refused action a 409, a key
    /// directory that cannot be written a 503; each one sentence.
    static func mapFailure<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EmergencyKeyError {
            if error.isNotFound { throw APIError.notFound(error.message) }
            throw APIError(.conflict, code: "conflict", message: error.message)
        } catch let error as KeyDirectoryError {
            throw APIError(.serviceUnavailable, code: "key_directory_unavailable", message: error.description)
        }
    }
}
