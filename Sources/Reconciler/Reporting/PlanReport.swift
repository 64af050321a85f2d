import BotRuntime
import Foundation

/// A plan with its context, rendered as text, JSON or Markdown.
/// The JSON form is documented in docs/ci.md and kept stable.
public struct PlanReport: Sendable, Encodable {
    /// What the plan is compared with.
    public struct Base: Sendable, Encodable {
        /// `revision` (plan --base) or `database` (plan --db).
        public var source: String
        /// The base revision, or the database's applied revision (null when nothing was applied).
        public var revision: String?
        /// The name the user gave (`origin/main`, a path).
        public var name: String

        public init(source: String, revision: String?, name: String) {
            self.source = source
            self.revision = revision
            self.name = name
        }

        enum CodingKeys: String, CodingKey { case source, revision, name }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(source, forKey: .source)
            try container.encode(revision, forKey: .revision)  // null when nothing was applied yet
            try container.encode(name, forKey: .name)
        }
    }

    public var revision: String?
    public var base: Base
    public var valid: Bool
    public var errors: [Diagnostic]
    public var plan: ReconcilePlan?
    /// Why `apply` would refuse this plan, if it would.
    public var refusal: String?
    /// Declaration errors of the base revision (plan --base): objects in
    /// broken files of the base show as created.
    public var baseErrors: [Diagnostic] = []

    public init(revision: String?, base: Base, errors: [Diagnostic], plan: ReconcilePlan?, refusal: String?) {
        self.revision = revision
        self.base = base
        self.valid = errors.isEmpty
        self.errors = errors
        self.plan = plan
        self.refusal = refusal
    }

    /// Whether applying would change anything.
    public var hasChanges: Bool { plan?.hasChanges ?? false }

    enum CodingKeys: String, CodingKey {
        case revision, base, valid, errors, baseErrors, summary, changes, documents, keys, refusal
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(revision, forKey: .revision)  // null for a work tree
        try container.encode(base, forKey: .base)
        try container.encode(valid, forKey: .valid)
        try container.encode(errors, forKey: .errors)
        try container.encode(baseErrors, forKey: .baseErrors)
        var summary: [String: Int] = [:]
        for action in ReconcilePlan.Action.allCases { summary[action.rawValue] = plan?.count(action) ?? 0 }
        summary["unchanged"] = plan?.unchanged.values.reduce(0, +) ?? 0
        summary["documents"] = plan?.documents.count ?? 0
        summary["keys"] = plan?.keys.count ?? 0
        try container.encode(summary, forKey: .summary)
        try container.encode(plan?.changes ?? [], forKey: .changes)
        try container.encode(plan?.documents ?? [], forKey: .documents)
        try container.encode(plan?.keys ?? [], forKey: .keys)
        try container.encode(refusal, forKey: .refusal)
    }

    /// Stable JSON: sorted keys, pretty-printed.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private var heading: String {
        let target = revision.map { String($0.prefix(7)) } ?? "work tree"
        let against = base.revision.map { "\(base.name) (\($0.prefix(7)))" }
            ?? (base.source == "database" ? "\(base.name) (nothing applied yet)" : base.name)
        return "\(target) against \(against)"
    }

    /// Readable text; `colour` adds ANSI colours (only for a terminal).
    public func text(colour: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var lines = ["Plan: \(heading)"]
        for error in errors { lines.append(paint("error: ", "31") + error.description) }
        if let plan {
            for change in plan.changes {
                let (mark, code): (String, String) = switch change.action {
                case .create: ("+", "32")
                case .update: ("~", "33")
                case .delete: ("-", "31")
                case .restore: ("+", "36")
                case .move: (">", "34")
                }
                lines.append("  " + paint("\(mark) \(change.action.rawValue) \(change.kind.rawValue) \(change.name)", code) + "  (\(change.source))")
                for field in change.fields { lines.append("      \(field)") }
            }
            for document in plan.documents {
                let mark = switch document.action { case .add: "+"; case .change: "~"; case .remove: "-" }
                lines.append("  \(mark) knowledge \(document.jar): \(document.path)")
            }
            for key in plan.keys { lines.append("  " + paint("* \(key.action.rawValue) key of bot \(key.bot)", "35") + " (\(key.reason))") }
            lines.append(plan.hasChanges ? "Summary: \(plan.summary)" : "No changes. \(plan.summary).")
        }
        if let refusal { lines.append(paint("apply would be refused: ", "31") + refusal) }
        if let warning = baseWarning { lines.append(paint("warning: ", "33") + warning) }
        return lines.joined(separator: "\n")
    }

    /// Markdown for a pull-request comment or a CI job summary.
    public func markdown() -> String {
        var lines = ["### nectar plan: \(MarkdownText.code(heading))", ""]
        if !errors.isEmpty {
            lines.append("**\(errors.count) validation \(errors.count == 1 ? "error" : "errors"): nothing would be applied.**")
            lines.append("")
            lines.append("| location | error |")
            lines.append("|---|---|")
            for error in errors {
                lines.append("| \(MarkdownText.code("\(error.path):\(error.line):\(error.column)")) | \(MarkdownText.cell(error.message)) |")
            }
            lines.append("")
        }
        guard let plan else { return lines.joined(separator: "\n") }
        lines.append(plan.hasChanges ? "**\(plan.summary)**" : "**No changes.** \(plan.summary).")
        lines.append("")
        if !plan.changes.isEmpty {
            lines.append("| object | action | field | from | to |")
            lines.append("|---|---|---|---|---|")
            for change in plan.changes {
                let object = "\(change.kind.rawValue) \(MarkdownText.code(change.name))"
                if change.fields.isEmpty {
                    lines.append("| \(object) | \(change.action.rawValue) | | | |")
                }
                for (index, field) in change.fields.enumerated() {
                    let first = index == 0
                    lines.append("| \(first ? object : "") | \(first ? change.action.rawValue : "") | \(MarkdownText.code(field.path)) | \(Self.value(field.from)) | \(Self.value(field.to)) |")
                }
            }
            lines.append("")
        }
        if !plan.documents.isEmpty {
            lines.append("<details><summary>Knowledge documents (\(plan.documents.count))</summary>")
            lines.append("")
            for document in plan.documents {
                lines.append("- \(document.action.rawValue) \(MarkdownText.code(document.path)) in \(MarkdownText.code(document.jar))")
            }
            lines.append("")
            lines.append("</details>")
            lines.append("")
        }
        if !plan.keys.isEmpty {
            lines.append("Keys:")
            lines.append("")
            for key in plan.keys { lines.append("- bot \(MarkdownText.code(key.bot)): \(key.action.rawValue) key (\(MarkdownText.cell(key.reason)))") }
            lines.append("")
        }
        if let refusal { lines.append("> **Apply would be refused:** \(MarkdownText.cell(refusal))") }
        if let warning = baseWarning { lines.append("> **Warning:** \(MarkdownText.cell(warning))") }
        return lines.joined(separator: "\n")
    }

    private var baseWarning: String? {
        guard !baseErrors.isEmpty else { return nil }
        return "the base revision has \(baseErrors.count) invalid \(baseErrors.count == 1 ? "declaration" : "declarations") (first: \(baseErrors[0])); objects declared there show as created"
    }

    private static func value(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        return MarkdownText.code(value.description)
    }

}
