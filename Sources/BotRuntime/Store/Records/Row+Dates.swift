import Foundation
import GRDB

/// Times are stored as REAL seconds since 1970.
extension Row {
    /// A non-null time column.
    func date(_ column: Column) -> Date {
        Date(timeIntervalSince1970: self[column])
    }

    /// A nullable time column.
    func optionalDate(_ column: Column) -> Date? {
        (self[column] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}
