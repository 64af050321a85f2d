/// Text from git or from operators (names, paths, values, reasons, commit
/// summaries) made safe for Markdown that CI posts in pull-request comments
/// and job summaries: it stays text. An `<!--`, a tag, a backtick or a link
/// in a file name or a spec value must not hide, forge or restyle the rest.
enum MarkdownText {
    /// Inline text (also a table cell): one line; pipes, backticks, brackets
    /// and HTML escaped; control characters dropped.
    static func cell(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "|": out += "\\|"
            case "`": out += "\\`"
            case "[": out += "\\["
            case "]": out += "\\]"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n", "\r", "\t": out += " "
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Inline code. A backtick span when the text is plain (HTML is not
    /// interpreted inside one); otherwise `<code>` with the text
    /// HTML-escaped, so a backtick cannot end it and a pipe cannot split a
    /// table row.
    static func code(_ text: String) -> String {
        if !text.isEmpty, text.unicodeScalars.allSatisfy({ $0 != "`" && $0 != "|" && $0.value >= 0x20 && $0.value != 0x7F }) {
            return "`" + text + "`"
        }
        var out = "<code>"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "|": out += "&#124;"
            case "\n", "\r", "\t": out += " "
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "</code>"
    }
}
