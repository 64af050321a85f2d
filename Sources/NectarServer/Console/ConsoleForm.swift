import BotRuntime
import Crypto
import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body (at most 64 KiB).
struct ConsoleForm {
    var fields: [String: String] = [:]

    static func read(_ request: Request) async throws -> ConsoleForm {
        let buffer = try await request.collectWholeBody(upTo: 64 * 1024)
        return ConsoleForm(encoded: String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    init(encoded: String) {
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
    }

    subscript(_ name: String) -> String? {
        fields[name].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
    }
}

/// A signed-in console session: its id (the cookie), its operator, and the
/// CSRF token its forms carry, derived from the id (so it is stored nowhere
/// and unknowable without the cookie).
struct ConsoleSession: Sendable {
    static let cookie = "nectar_session"

    var id: String
    var identity: OperatorIdentity

    var csrf: String {
        let digest = SHA256.hash(data: Data("nectar-console-csrf:\(id)".utf8))
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Whether a form's token is this session's, compared in constant time.
    func accepts(_ token: String?) -> Bool {
        guard let token else { return false }
        return ConstantTime.equals(token.utf8, csrf.utf8)
    }

    /// The session cookie of a request, if any.
    static func id(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == cookie { return String(pair[1]) }
            }
        }
        return nil
    }
}
