import BotRuntime
import Foundation
import Hummingbird

/// Authenticates `/admin` requests with an operator bearer token: none or an
/// unknown one is 401; the identity is put in the context for role checks.
struct OperatorAuthMiddleware: RouterMiddleware {
    typealias Context = NectarRequestContext
    let store: RuntimeStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("an operator token is required (Authorization: Bearer nop_…; issue one with nectar operators token NAME)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("the Authorization header must be Bearer followed by an operator token")
        }
        guard let identity = try await store.operatorIdentity(presenting: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw APIError.unauthorized("the operator token is not valid (unknown, revoked, or its operator is no longer declared)")
        }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "operator"] = .string(identity.name)
        return try await next(request, context)
    }
}

extension NectarRequestContext {
    /// The authenticated operator, who must be an admin (403 otherwise).
    func requireAdmin(_ action: String) throws -> OperatorIdentity {
        guard let identity else { throw APIError.unauthorized("an operator token is required") }
        guard identity.role == .admin else {
            throw APIError.forbidden("operator \(identity.name) has role \(identity.role.rawValue); \(action) needs role admin")
        }
        return identity
    }

    /// The authenticated operator, who must be an admin or an auditor
    /// (installation-wide reads; 403 for an agent).
    func requireReader(_ action: String) throws -> OperatorIdentity {
        guard let identity else { throw APIError.unauthorized("an operator token is required") }
        guard identity.role != .agent else {
            throw APIError.forbidden("operator \(identity.name) has role agent; \(action) needs role admin or auditor")
        }
        return identity
    }

    /// The authenticated operator, who may work handoffs (admin or agent; 403 for an auditor).
    func requireWorker(_ action: String) throws -> OperatorIdentity {
        guard let identity else { throw APIError.unauthorized("an operator token is required") }
        guard identity.role != .auditor else {
            throw APIError.forbidden("operator \(identity.name) has role auditor, which reads only; \(action) needs role admin or agent")
        }
        return identity
    }
}
