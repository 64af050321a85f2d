import BotRuntime
import Hummingbird

/// Turns every error into a JSON error body: HTTP errors keep their status,
/// store errors are 503 (the database is the one thing that can fail here)
/// with a generic message, the detail (file, SQLite's words) going to the
/// log only; anything else is logged and answered 500 without its details.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            let message = error.status == .notFound ? "no route for \(request.method) \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return try APIError(error.status, code: code, message: message, headers: error.headers).response(from: request, context: context)
        } catch StoreError.rejected(let message) {
            // A refusal in the caller's own terms (no path, no SQL).
            return try APIError(.conflict, code: "rejected", message: message).response(from: request, context: context)
        } catch let error as OpenAIError {
            // The OpenAI-compatible routes answer in OpenAI's error shape.
            return try error.response(from: request, context: context)
        } catch let error as StoreError {
            context.logger.error("request failed", metadata: ["error": "\(error.description)"])
            return try APIError.databaseUnavailable.response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(describing: type(of: error)))"])
            return try APIError(.internalServerError, code: "internal", message: "the request failed inside nectar; the server log has details")
                .response(from: request, context: context)
        }
    }
}
