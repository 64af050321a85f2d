import Foundation
import Reconciler
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads a running nectar's state export (`GET /admin/state`) with an
/// operator token taken from an environment variable.
struct ServerClient {
    let server: String
    let tokenEnv: String

    func stateExport() async throws -> StateExport {
        guard let base = URL(string: server), ["http", "https"].contains(base.scheme?.lowercased() ?? ""), base.host != nil else {
            throw CommandFailure(message: "--server must be an http or https URL such as http://127.0.0.1:8080 (got \(server))")
        }
        guard let token = ProcessInfo.processInfo.environment[tokenEnv], !token.isEmpty else {
            throw CommandFailure(message: "set \(tokenEnv) to an operator token (issue one with nectar operators token NAME), or name another variable with --token-env")
        }
        var request = URLRequest(url: base.appendingPathComponent("admin/state"), timeoutInterval: 30)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CommandFailure(message: "cannot reach the server at \(server): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message ?? "no error message"
            if status == 401 || status == 403 {
                throw CommandFailure(message: "the server at \(server) refused the token in \(tokenEnv) (\(status)): \(message)")
            }
            throw CommandFailure(message: "the server at \(server) answered \(status) to GET /admin/state: \(message)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(StateExport.self, from: data)
        } catch {
            throw CommandFailure(message: "the server at \(server) did not answer with a nectar state export (\(error.localizedDescription))")
        }
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String }
        var error: Detail
    }
}
