import ArgumentParser
import BotRuntime
import Foundation
import Reconciler
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What `plan` and `drift` compare a revision with: a database, or a
/// running nectar reached with an operator token.
struct LiveStateOptions: ParsableArguments {
    @Option(name: .long, help: "Compare with the live state in this database.")
    var db: String?

    @Option(name: .long, help: "Compare with a running nectar, such as http://127.0.0.1:8080.")
    var server: String?

    @Option(name: .long, help: "The environment variable holding an operator token for --server.")
    var tokenEnv: String = "NECTAR_TOKEN"
}

/// Reads a running nectar's state export (`GET /admin/state`) with an
/// operator token taken from an environment variable.
///
/// Redirects are not followed: URLSession would resend the `Authorization`
/// header to wherever the redirect points (another host, or plain http), so
/// a redirect is an error naming its target instead.
struct ServerClient {
    let server: String
    let tokenEnv: String
    /// Seconds without progress before the request fails.
    var timeout: TimeInterval = 30

    func stateExport() async throws -> StateExport {
        guard let base = URL(string: server), ["http", "https"].contains(base.scheme?.lowercased() ?? ""), base.host != nil else {
            throw CommandFailure(message: "--server must be an http or https URL such as http://127.0.0.1:8080 (got \(server))")
        }
        guard let token = ProcessInfo.processInfo.environment[tokenEnv], !token.isEmpty else {
            throw CommandFailure(message: "set \(tokenEnv) to an operator token (issue one with nectar operators token NAME), or name another variable with --token-env")
        }
        var request = URLRequest(url: base.appendingPathComponent("admin/state"), timeoutInterval: timeout)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        // The request's own timeout is not honoured by every URLSession
        // (Linux uses the session's); set both.
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = max(timeout * 10, 300)
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration, delegate: RefuseRedirects(), delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError {
            throw CommandFailure(message: "cannot reach the server at \(server): \(Self.describe(error, timeout: timeout))")
        } catch {
            throw CommandFailure(message: "cannot reach the server at \(server): \(error.localizedDescription)")
        }
        let http = response as? HTTPURLResponse
        let status = http?.statusCode ?? 0
        if (300..<400).contains(status) {
            let location = http?.value(forHTTPHeaderField: "Location").map { " to \(Self.oneLine($0))" } ?? ""
            throw CommandFailure(message: "the server at \(server) redirected GET /admin/state\(location) (\(status)); nectar does not follow redirects with a token, so pass the final URL as --server")
        }
        guard status == 200 else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data)).map { Self.oneLine($0.error.message) } ?? "no error message"
            if status == 401 || status == 403 {
                throw CommandFailure(message: "the server at \(server) refused the token in \(tokenEnv) (\(status)): \(message)")
            }
            throw CommandFailure(message: "the server at \(server) answered \(status) to GET /admin/state: \(message)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let export: StateExport
        do {
            export = try decoder.decode(StateExport.self, from: data)
        } catch {
            throw CommandFailure(message: "the server at \(server) did not answer with a nectar state export (is it a nectar server, and is --server its base URL?)")
        }
        guard export.format == StateExport.currentFormat else {
            throw CommandFailure(message: "the server at \(server) sends state export format \(export.format), which this nectar does not read (it reads format \(StateExport.currentFormat)); use the same nectar version as the server")
        }
        return export
    }

    /// A URLError as a clause, without Foundation's "The operation could not be completed." wrapper.
    static func describe(_ error: URLError, timeout: TimeInterval) -> String {
        switch error.code {
        case .timedOut: return "no answer within \(Int(timeout)) seconds"
        case .cannotConnectToHost: return "the connection was refused"
        case .cannotFindHost, .dnsLookupFailed: return "the host name does not resolve"
        case .networkConnectionLost: return "the connection was lost"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "the TLS connection failed (\(oneLine(error.localizedDescription)))"
        default: return oneLine(error.localizedDescription)
        }
    }

    static func oneLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String }
        var error: Detail
    }
}

/// Hands a redirect back as the response instead of following it.
private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
