/// Why a drift report could not be made (git unreadable, the database failing).
public struct DriftUnavailable: Error, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
}
