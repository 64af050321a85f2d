/// A failure of the runtime store, as one sentence.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database was written by a newer nectar whose schema this one does not know.
    case newerSchema(path: String, unknown: [String])
    /// SQLite refused an operation.
    case database(path: String, message: String)
    /// A stored value could not be read back.
    case corrupt(path: String, detail: String)
    /// Declared state changed between planning and applying.
    case conflict(path: String, expected: Int64, found: Int64)
    /// The request names something that is not there or not allowed (one sentence).
    case rejected(String)

    public var description: String {
        switch self {
        case .newerSchema(let path, let unknown):
            "the database \(path) was written by a newer nectar (schema \(unknown.joined(separator: ", "))); upgrade nectar or use another database"
        case .database(let path, let message):
            "the database \(path) failed: \(message)"
        case .corrupt(let path, let detail):
            "the database \(path) holds a value nectar cannot read: \(detail)"
        case .conflict(let path, let expected, let found):
            "the database \(path) changed while the plan was made (state version \(expected) became \(found)); nothing was applied and the next attempt plans again"
        case .rejected(let message):
            message
        }
    }
}
