import Foundation
import Hummingbird

/// Query parameters, with one-sentence 400s.
enum Query {
    static func integer(_ request: Request, _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// ISO 8601 (`2026-11-25T10:00:00Z`) or seconds since 1970.
    static func date(_ request: Request, _ name: String) throws -> Date? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        throw APIError.badRequest("\(name) must be an ISO 8601 time such as 2026-11-25T10:00:00Z, or seconds since 1970")
    }
}
