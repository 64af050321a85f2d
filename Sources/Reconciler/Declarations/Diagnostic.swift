/// One problem in a declaration, located at `path:line:column`.
public struct Diagnostic: Error, Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// Repository-relative path of the file.
    public var path: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int
    /// One sentence saying what is wrong and, where possible, how to fix it.
    public var message: String

    /// Creates a diagnostic.
    public init(path: String, line: Int, column: Int, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    /// Creates a diagnostic at a position.
    public init(path: String, at position: SourcePosition, _ message: String) {
        self.init(path: path, line: position.line, column: position.column, message: message)
    }

    /// `bots/support.yaml:12:5: message`, the form editors and CI annotate.
    public var description: String { "\(path):\(line):\(column): \(message)" }

    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.path, lhs.line, lhs.column, lhs.message) < (rhs.path, rhs.line, rhs.column, rhs.message)
    }
}
