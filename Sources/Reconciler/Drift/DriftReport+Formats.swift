import Foundation

extension DriftReport {
    /// JSON: the report as encoded (ISO 8601 dates, sorted keys).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private var heading: String {
        "drift: revision \(revision.prefix(7)) against the \(live.source) \(live.name) (applied: \(appliedRevision.map { String($0.prefix(7)) } ?? "nothing"))"
    }

    /// Plain text: one block per finding. Text from git or from operators
    /// (values, reasons, commit summaries) is printed without control
    /// characters, so it cannot move the cursor or recolour a CI log.
    public func text() -> String {
        var lines = [heading]
        if findings.isEmpty {
            lines.append("no drift: \(bots.count) declared \(bots.count == 1 ? "bot matches" : "bots match") what runs")
            return lines.joined(separator: "\n")
        }
        lines.append("\(findings.count) \(findings.count == 1 ? "finding" : "findings"):")
        for finding in findings {
            lines.append("")
            var block = ["\(finding.kind.rawValue)  \(finding.subject)", "  expected: \(finding.expected)", "  actual:   \(finding.actual)"]
            block += finding.fields.prefix(20).map { "    \($0)" }
            block += finding.commits.prefix(20).map { "    \($0.id.prefix(7)) \($0.summary) (\($0.author))" }
            block += finding.errors.prefix(20).map { "    \($0)" }
            block.append("  resolve:  \(finding.resolution)")
            lines += block.map { MarkdownText.line($0) }
        }
        return lines.joined(separator: "\n")
    }

    /// Markdown for a job summary or a pull-request comment.
    public func markdown() -> String {
        var lines = ["### nectar drift", "",
                     "Revision `\(revision.prefix(7))` against the \(live.source) \(MarkdownText.code(live.name)) (applied: `\(appliedRevision.map { String($0.prefix(7)) } ?? "nothing")`).", ""]
        if findings.isEmpty {
            lines.append("**No drift**: \(bots.count) declared \(bots.count == 1 ? "bot matches" : "bots match") what runs.")
            return lines.joined(separator: "\n")
        }
        var counts: [DriftFinding.Kind: Int] = [:]
        for finding in findings { counts[finding.kind, default: 0] += 1 }
        lines.append("**\(findings.count) \(findings.count == 1 ? "finding" : "findings")**: "
                     + DriftFinding.Kind.allCases.compactMap { kind in counts[kind].map { "\($0) \(kind.rawValue)" } }.joined(separator: ", "))
        lines.append("")
        lines.append("| kind | object | expected | actual | resolve |")
        lines.append("|---|---|---|---|---|")
        for finding in findings {
            lines.append("| `\(finding.kind.rawValue)` | \(MarkdownText.cell(finding.subject)) | \(MarkdownText.cell(finding.expected)) | \(MarkdownText.cell(finding.actual)) | \(MarkdownText.cell(finding.resolution)) |")
        }
        let detailed = findings.filter { !$0.fields.isEmpty || !$0.commits.isEmpty || !$0.errors.isEmpty }
        if !detailed.isEmpty {
            lines.append("")
            lines.append("<details><summary>Details</summary>")
            lines.append("")
            for finding in detailed {
                lines.append("**\(finding.kind.rawValue)** \(MarkdownText.cell(finding.subject))")
                lines.append("")
                var block = finding.fields.prefix(50).map(\.description)
                block += finding.commits.prefix(50).map { "\($0.id.prefix(7)) \($0.summary) (\($0.author))" }
                block += finding.errors.prefix(50)
                // Commit summaries, spec values and file names come from git:
                // a fence longer than any run of backticks in them keeps them text.
                let fence = Self.fence(for: block)
                lines.append(fence)
                lines += block.map { MarkdownText.line($0) }
                lines.append(fence)
                lines.append("")
            }
            lines.append("</details>")
        }
        return lines.joined(separator: "\n")
    }

    /// JUnit XML: a test case for the revision and one per declared bot, with
    /// each finding as a failure; findings about other objects (honey jars,
    /// policies, operators, undeclared bots) get test cases of their own.
    public func junit() -> String {
        var cases: [(name: String, findings: [DriftFinding])] = [("revision", findings(for: nil, nil))]
        var covered = Set(cases[0].findings)
        for bot in bots {
            let own = findings(for: .bot, bot)
            cases.append(("Bot/\(bot)", own))
            covered.formUnion(own)
        }
        var others: [String: [DriftFinding]] = [:]
        for finding in findings where !covered.contains(finding) { others[finding.subject, default: []].append(finding) }
        for (subject, list) in others.sorted(by: { $0.key < $1.key }) { cases.append((subject, list)) }
        let failures = cases.filter { !$0.findings.isEmpty }.count
        var xml = [#"<?xml version="1.0" encoding="UTF-8"?>"#,
                   #"<testsuites name="nectar drift" tests="\#(cases.count)" failures="\#(failures)">"#,
                   #"  <testsuite name="drift \#(XMLText.escape(String(revision.prefix(7))))" tests="\#(cases.count)" failures="\#(failures)" errors="0" timestamp="\#(checkedAt.formatted(.iso8601))">"#]
        for testCase in cases {
            let name = XMLText.escape(testCase.name)
            if testCase.findings.isEmpty {
                xml.append(#"    <testcase classname="nectar.drift" name="\#(name)"/>"#)
                continue
            }
            xml.append(#"    <testcase classname="nectar.drift" name="\#(name)">"#)
            for finding in testCase.findings {
                var body = ["expected: \(finding.expected)", "actual: \(finding.actual)"]
                body += finding.fields.map(\.description) + finding.commits.map { "\($0.id.prefix(7)) \($0.summary)" } + finding.errors
                body.append("resolve: \(finding.resolution)")
                xml.append(#"      <failure type="\#(finding.kind.rawValue)" message="\#(XMLText.escape("\(finding.kind.rawValue): \(finding.actual)"))">\#(XMLText.escape(body.joined(separator: "\n")))</failure>"#)
            }
            xml.append("    </testcase>")
        }
        xml.append("  </testsuite>")
        xml.append("</testsuites>")
        return xml.joined(separator: "\n")
    }

    /// A code fence longer than any run of backticks in `lines` (at least three).
    static func fence(for lines: [String]) -> String {
        var longest = 0
        for line in lines {
            var run = 0
            for character in line.unicodeScalars {
                run = character == "`" ? run + 1 : 0
                longest = max(longest, run)
            }
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }
}
