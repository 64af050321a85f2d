/// Text from git or from operators (names, paths, values, reasons, commit
/// summaries) made safe for Markdown that CI posts in pull-request comments
/// and job summaries: it stays text. An `<!--`, a tag, a backtick or a link
/// in a file name or a spec value must not hide, forge or restyle the rest.
enum MarkdownText {
    /// Inline text (also a table cell): one line; pipes, backticks, brackets
    /// and HTML escaped.
    static func cell(_ text: String) -> String {
        line(text) { scalar in
            switch scalar {
            case "|": "\\|"
            case "`": "\\`"
            case "[": "\\["
            case "]": "\\]"
            case "<": "&lt;"
            case ">": "&gt;"
            case "&": "&amp;"
            default: nil
            }
        }
    }

    /// Inline code. A backtick span when the text is plain (HTML is not
    /// interpreted inside one); otherwise `<code>` with the text
    /// HTML-escaped, so a backtick cannot end it and a pipe cannot split a
    /// table row.
    static func code(_ text: String) -> String {
        if !text.isEmpty, text.unicodeScalars.allSatisfy({ $0 != "`" && $0 != "|" && !isControl($0) }) {
            return "`" + text + "`"
        }
        let escaped = line(text) { scalar in
            switch scalar {
            case "<": "&lt;"
            case ">": "&gt;"
            case "&": "&amp;"
            case "|": "&#124;"
            default: nil
            }
        }
        return "<code>" + escaped + "</code>"
    }

    /// One line of text: tabs and line breaks become spaces, other control
    /// characters are dropped (nothing can move a cursor or recolour a log),
    /// and `escape` may replace any other character.
    static func line(_ text: String, escape: (Unicode.Scalar) -> String? = { _ in nil }) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" || scalar == "\t" {
                out += " "
            } else if isControl(scalar) {
                continue
            } else if let replacement = escape(scalar) {
                out += replacement
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }
}
