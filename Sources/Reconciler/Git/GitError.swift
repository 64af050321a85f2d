internal import CGit2

/// A failure reported by the git layer, carrying libgit2's own message.
public struct GitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What nectar was trying to do, such as `resolve revision "main"`.
    public var operation: String
    /// libgit2's message for the failure (or nectar's, when libgit2 gave none).
    public var message: String
    /// libgit2's error code, such as -3 for "not found".
    public var code: Int32

    /// Creates an error.
    public init(operation: String, message: String, code: Int32 = -1) {
        self.operation = operation
        self.message = message
        self.code = code
    }

    /// One sentence: `cannot resolve revision "nope": revspec 'nope' not found`.
    public var description: String {
        "cannot \(operation): \(message)"
    }

    /// Builds an error from `git_error_last()`; call it in the same synchronous
    /// scope as the failing libgit2 call, before any other libgit2 call.
    static func last(_ operation: String, code: Int32) -> GitError {
        var message = "libgit2 error \(code)"
        if let last = git_error_last(), let text = last.pointee.message {
            message = String(cString: text).trimmingTrailingNewlines()
        }
        return GitError(operation: operation, message: message, code: code)
    }
}

/// Runs a libgit2 call and throws `GitError.last` when it returns a negative code.
@inline(__always)
func check(_ operation: @autoclosure () -> String, _ result: Int32) throws(GitError) {
    if result < 0 {
        throw GitError.last(operation(), code: result)
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" || last == "." { text.removeLast() }
        return String(text)
    }
}
