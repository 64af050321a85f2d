/// Turns a knowledge file into a title and a body for the search index.
enum KnowledgeText {
    /// The first Markdown `# ` heading, or the file name without extension.
    static func document(path: String, bytes: [UInt8]) -> (title: String, body: String) {
        let body = String(decoding: bytes, as: UTF8.self)
        for line in body.split(separator: "\n", maxSplits: 50, omittingEmptySubsequences: true) {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("# ") {
                return (String(trimmed.dropFirst(2)).trimmingSpaces(), body)
            }
        }
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let title = file.split(separator: ".").dropLast().joined(separator: ".")
        return (title.isEmpty ? file : title, body)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text.removeLast() }
        return String(text)
    }
}
