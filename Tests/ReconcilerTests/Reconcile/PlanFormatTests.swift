import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// The json and markdown renderings of a plan, field by field.
@Suite struct ReconcilePlanFormatTests {
    static let a1 = "# A\n\nFirst answer.\n"
    static let a2 = "# A\n\nFirst answer, revised.\n"
    static let b = "# B\n\nSecond answer.\n"
    static let c = "# C\n\nThird answer.\n"

    static func blob(_ text: String) -> String { ObjectID.forBlob(Array(text.utf8)).hex }

    /// Two revisions with an update (changed, removed and added fields), a
    /// create, a delete and three document changes.
    static func revisions(_ scenario: ReconcileScenario) throws -> (first: CommitInfo, second: CommitInfo) {
        var files: [String: String] = [
            "bots/alpha.yaml": ReconcileYAML.bot("alpha", perHour: 100, tier: "silver", honeyJars: ["faq"]),
            "bots/beta.yaml": ReconcileYAML.bot("beta"),
            "bots/jars.yaml": ReconcileYAML.honeyJar("faq", sources: ["knowledge/*.md"]),
            "knowledge/a.md": a1,
            "knowledge/c.md": c,
        ]
        let first = try scenario.commit(files)
        files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", perHour: 250, tier: "gold", honeyJars: ["faq"], owner: nil)
        files["bots/beta.yaml"] = nil
        files["bots/gamma.yaml"] = ReconcileYAML.bot("gamma")
        files["knowledge/a.md"] = a2
        files["knowledge/b.md"] = b
        files["knowledge/c.md"] = nil
        let second = try scenario.commit(files)
        return (first, second)
    }

    static func report(_ scenario: ReconcileScenario, policy: ApplyPolicy = ApplyPolicy()) throws -> PlanReport {
        try RevisionPlanning.plan(repository: scenario.repoPath, declarationsPath: "bots", revision: "main",
                                  base: "main~1", policy: policy)
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func jsonFieldByField() throws {
        try withReconcileScenario { scenario in
            let (first, second) = try Self.revisions(scenario)
            let json = try Self.object(try Self.report(scenario).json())

            #expect(Set(json.keys) == ["revision", "base", "valid", "errors", "baseErrors", "summary", "changes", "documents", "keys", "refusal"])
            #expect((json["baseErrors"] as? [Any])?.isEmpty == true)
            #expect(json["revision"] as? String == second.id.hex)
            #expect(json["valid"] as? Bool == true)
            #expect((json["errors"] as? [Any])?.isEmpty == true)
            #expect(json["refusal"] is NSNull)

            let base = try #require(json["base"] as? [String: Any])
            #expect(Set(base.keys) == ["source", "revision", "name"])
            #expect(base["source"] as? String == "revision")
            #expect(base["revision"] as? String == first.id.hex)
            #expect(base["name"] as? String == "main~1")

            let summary = try #require(json["summary"] as? [String: Int])
            #expect(summary == ["create": 1, "update": 1, "delete": 1, "restore": 0, "move": 0,
                                "unchanged": 1, "documents": 3, "keys": 2])

            // Key actions between two revisions: the deleted bot's key is
            // revoked, the created bot gets one; alpha's update does not rotate.
            let keys = try #require(json["keys"] as? [[String: Any]])
            #expect(keys.count == 2)
            for key in keys { #expect(Set(key.keys) == ["bot", "action", "reason"]) }
            #expect(keys.map { $0["bot"] as? String } == ["beta", "gamma"])
            #expect(keys.map { $0["action"] as? String } == ["revoke", "issue"])
            #expect(keys.map { $0["reason"] as? String } == ["bot deleted", "bot created"])

            let changes = try #require(json["changes"] as? [[String: Any]])
            #expect(changes.count == 3)
            for change in changes { #expect(Set(change.keys) == ["kind", "name", "action", "source", "fields"]) }

            let alpha = changes[0]
            #expect(alpha["kind"] as? String == "Bot")
            #expect(alpha["name"] as? String == "alpha")
            #expect(alpha["action"] as? String == "update")
            #expect(alpha["source"] as? String == "bots/alpha.yaml")
            let fields = try #require(alpha["fields"] as? [[String: Any]])
            #expect(fields.count == 3)
            // A changed string.
            #expect(Set(fields[0].keys) == ["path", "from", "to"])
            #expect(fields[0]["path"] as? String == "metadata.labels.tier")
            #expect(fields[0]["from"] as? String == "silver")
            #expect(fields[0]["to"] as? String == "gold")
            // A removed field has no `to`.
            #expect(Set(fields[1].keys) == ["path", "from"])
            #expect(fields[1]["path"] as? String == "metadata.owner")
            #expect(fields[1]["from"] as? String == "team-support")
            // A changed number, as a JSON integer.
            #expect(fields[2]["path"] as? String == "spec.rateLimits.perHour")
            #expect((fields[2]["from"] as? NSNumber)?.intValue == 100)
            #expect((fields[2]["to"] as? NSNumber)?.intValue == 250)
            #expect(try Self.report(scenario).json().contains("\"to\" : 250"))

            let gamma = changes[2]
            #expect(gamma["kind"] as? String == "Bot")
            #expect(gamma["name"] as? String == "gamma")
            #expect(gamma["action"] as? String == "create")
            #expect(gamma["source"] as? String == "bots/gamma.yaml")
            #expect((gamma["fields"] as? [Any])?.isEmpty == true)

            let beta = changes[1]
            #expect(beta["name"] as? String == "beta")
            #expect(beta["action"] as? String == "delete")
            #expect(beta["source"] as? String == "bots/beta.yaml")
            #expect((beta["fields"] as? [Any])?.isEmpty == true)

            let documents = try #require(json["documents"] as? [[String: Any]])
            #expect(documents.count == 3)
            #expect(documents[0]["jar"] as? String == "faq")
            #expect(documents[0]["path"] as? String == "knowledge/a.md")
            #expect(documents[0]["action"] as? String == "change")
            #expect(documents[0]["blobID"] as? String == Self.blob(Self.a2))
            #expect(documents[1]["path"] as? String == "knowledge/b.md")
            #expect(documents[1]["action"] as? String == "add")
            #expect(documents[1]["blobID"] as? String == Self.blob(Self.b))
            #expect(documents[2]["path"] as? String == "knowledge/c.md")
            #expect(documents[2]["action"] as? String == "remove")
            #expect(Set(documents[2].keys) == ["jar", "path", "action"], "a removal has no blob")

            // Stable: the same plan renders the same bytes.
            #expect(try Self.report(scenario).json() == (try Self.report(scenario).json()))
        }
    }

    @Test func jsonOfAPlanAgainstADatabase() throws {
        try withReconcileScenario { scenario in
            let (first, second) = try Self.revisions(scenario)
            let fresh = try Self.object(try scenario.planAgainstStore(first).json())
            let base = try #require(fresh["base"] as? [String: Any])
            #expect(base["source"] as? String == "database")
            #expect(base["revision"] == nil || base["revision"] is NSNull)
            #expect(base["name"] as? String == scenario.dbPath)
            #expect((fresh["summary"] as? [String: Int])?["create"] == 3)
            // Both new bots would get a key.
            #expect((fresh["summary"] as? [String: Int])?["keys"] == 2)
            let freshKeys = try #require(fresh["keys"] as? [[String: Any]])
            #expect(freshKeys.map { "\($0["action"] as? String ?? "?") \($0["bot"] as? String ?? "?") (\($0["reason"] as? String ?? "?"))" }
                    == ["issue alpha (bot created)", "issue beta (bot created)"])

            try scenario.apply(first)
            let json = try Self.object(try scenario.planAgainstStore(second).json())
            #expect((json["base"] as? [String: Any])?["revision"] as? String == first.id.hex)
            #expect((json["changes"] as? [[String: Any]])?.map { $0["name"] as? String } == ["alpha", "beta", "gamma"])
            #expect((json["summary"] as? [String: Int])?["keys"] == 2)
            let keys = try #require(json["keys"] as? [[String: Any]])
            #expect(keys.map { "\($0["action"] as? String ?? "?") \($0["bot"] as? String ?? "?") (\($0["reason"] as? String ?? "?"))" }
                    == ["revoke beta (bot deleted)", "issue gamma (bot created)"])  // by bot name
            // The revocation names the live key it revokes.
            let betaKey = try #require(try scenario.store.keys(bot: "beta").first)
            #expect(keys.first?["keyID"] as? String == betaKey.id)
        }
    }

    /// PlanReport.Base documents `revision` as "null when nothing was applied";
    /// a stable JSON document keeps the key.
    @Test
    func jsonBaseRevisionIsNullWhenNothingWasApplied() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha")])
            let json = try Self.object(try scenario.planAgainstStore(first).json())
            let base = try #require(json["base"] as? [String: Any])
            #expect(Set(base.keys) == ["source", "revision", "name"])
            #expect(base["revision"] is NSNull)
        }
    }

    @Test func jsonOfAnInvalidRevision() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha")])
            let second = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha").replacingOccurrences(of: "perDay", with: "perDya")])
            let report = try scenario.planBetween(first, second)
            let json = try Self.object(try report.json())
            #expect(json["valid"] as? Bool == false)
            #expect(json["revision"] as? String == second.id.hex)
            let errors = try #require(json["errors"] as? [[String: Any]])
            #expect(errors.count == 1)
            #expect(Set(errors[0].keys) == ["path", "line", "column", "message"])
            #expect(errors[0]["path"] as? String == "bots/alpha.yaml")
            #expect(errors[0]["line"] as? Int == 15)
            #expect(errors[0]["column"] as? Int == 5)
            #expect((errors[0]["message"] as? String)?.contains("perDya") == true)
            #expect((errors[0]["message"] as? String)?.contains("did you mean \"perDay\"") == true)
            #expect((json["changes"] as? [Any])?.isEmpty == true)
            #expect((json["documents"] as? [Any])?.isEmpty == true)
            #expect(json["summary"] as? [String: Int] == ["create": 0, "update": 0, "delete": 0, "restore": 0, "move": 0,
                                                          "unchanged": 0, "documents": 0, "keys": 0])
            #expect(json["refusal"] is NSNull)
        }
    }

    @Test func jsonAndMarkdownOfARefusal() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(ReconcileYAML.botFiles(["alpha", "beta"]).merging(["bots/people.yaml": ReconcileYAML.operator("alice")]) { $1 })
            let second = try scenario.commit(["bots/people.yaml": ReconcileYAML.operator("alice")])
            let report = try scenario.planBetween(first, second)
            let sentence = "revision \(second.id.short) would delete every bot (2); pass --allow-mass-delete if that is intended"
            #expect(try Self.object(try report.json())["refusal"] as? String == sentence)
            let lines = report.markdown().components(separatedBy: "\n")
            #expect(lines.last == "> **Apply would be refused:** \(sentence)")
            #expect(lines.contains("**0 to create, 0 to update, 2 to delete, 1 unchanged; 2 key actions**"))
            // Both deleted bots lose their keys.
            let keys = try #require(lines.firstIndex(of: "Keys:"))
            #expect(Array(lines[keys...].prefix(5)) == [
                "Keys:",
                "",
                "- bot `alpha`: revoke key (bot deleted)",
                "- bot `beta`: revoke key (bot deleted)",
                "",
            ])
            let allowed = try scenario.planBetween(first, second, policy: ApplyPolicy(allowMassDelete: true))
            #expect(try Self.object(try allowed.json())["refusal"] is NSNull)
            #expect(!allowed.markdown().contains("refused"))
        }
    }

    @Test func markdownSummaryLineAndTableRowsAreExact() throws {
        try withReconcileScenario { scenario in
            let (first, second) = try Self.revisions(scenario)
            let markdown = try Self.report(scenario).markdown()
            let expected = """
                ### nectar plan: `\(second.id.short) against main~1 (\(first.id.short))`

                **1 to create, 1 to update, 1 to delete, 1 unchanged; 3 knowledge documents changed; 2 key actions**

                | object | action | field | from | to |
                |---|---|---|---|---|
                | Bot `alpha` | update | `metadata.labels.tier` | `"silver"` | `"gold"` |
                |  |  | `metadata.owner` | `"team-support"` |  |
                |  |  | `spec.rateLimits.perHour` | `100` | `250` |
                | Bot `beta` | delete | | | |
                | Bot `gamma` | create | | | |

                <details><summary>Knowledge documents (3)</summary>

                - change `knowledge/a.md` in `faq`
                - add `knowledge/b.md` in `faq`
                - remove `knowledge/c.md` in `faq`

                </details>

                Keys:

                - bot `beta`: revoke key (bot deleted)
                - bot `gamma`: issue key (bot created)

                """
            let got = markdown.components(separatedBy: "\n")
            let want = expected.components(separatedBy: "\n")
            #expect(got.count == want.count)
            for (index, (line, wanted)) in zip(got, want).enumerated() {
                #expect(line == wanted, "line \(index + 1)")
            }
            // Every table row has the header's five cells.
            for row in got where row.hasPrefix("| ") && !row.hasPrefix("| object") {
                #expect(Self.cells(row).count == 5, "\(row)")
            }
        }
    }

    @Test func markdownEscapesPipesAndBackticksInValues() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha")])
            let second = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha", description: "orders | `shipping`")])
            let markdown = try scenario.planBetween(first, second).markdown()
            let row = try #require(markdown.components(separatedBy: "\n").first { $0.contains("spec.description") })
            // A value with a backtick or a pipe becomes <code> with both kept as text.
            #expect(row == "| Bot `alpha` | update | `spec.description` | `\"Answers questions for alpha.\"` | <code>\"orders &#124; `shipping`\"</code> |")
            #expect(Self.cells(row).count == 5, "\(row)")
        }
    }

    @Test func markdownKeepsHostilePathsAndValuesAsText() throws {
        try withReconcileScenario { scenario in
            let jar = Snippet.honeyJar("docs", sources: "[\"knowledge/*.md\"]")
            let first = try scenario.commit(["bots/jar.yaml": jar, "knowledge/a.md": "# A\n"])
            let hostile = "knowledge/x` <img src=x onerror=alert(1)> <!-- `.md"
            let second = try scenario.commit(["bots/jar.yaml": jar, "knowledge/a.md": "# A\n", hostile: "# X\n"])
            let markdown = try scenario.planBetween(first, second).markdown()
            #expect(!markdown.contains("<img"), "\(markdown)")
            #expect(!markdown.contains("<!--"), "\(markdown)")
            #expect(markdown.contains("<code>knowledge/x` &lt;img src=x onerror=alert(1)&gt; &lt;!-- `.md</code>"), "\(markdown)")
        }
    }

    @Test func longValuesAreShortenedInMarkdownButWholeInJSON() throws {
        try withReconcileScenario { scenario in
            let long = String(repeating: "Be kind to every beekeeper. ", count: 4).trimmingCharacters(in: .whitespaces)
            let first = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha")])
            let second = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha", description: long)])
            let report = try scenario.planBetween(first, second)
            let json = try Self.object(try report.json())
            let field = try #require(((json["changes"] as? [[String: Any]])?.first?["fields"] as? [[String: Any]])?.first)
            #expect(field["path"] as? String == "spec.description")
            #expect(field["to"] as? String == long)
            let row = try #require(report.markdown().components(separatedBy: "\n").first { $0.contains("spec.description") })
            #expect(row.hasSuffix("| `\"\(long.prefix(57))…\"` |"), "\(row)")
        }
    }

    @Test func markdownOfAnInvalidRevisionListsTheErrors() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha")])
            let second = try scenario.commit([
                "bots/alpha.yaml": ReconcileYAML.bot("alpha").replacingOccurrences(of: "perDay", with: "perDya"),
                "bots/beta.yaml": ReconcileYAML.bot("beta", honeyJars: ["missing"]),
            ])
            let report = try scenario.planBetween(first, second)
            #expect(report.errors.count == 2)
            let lines = report.markdown().components(separatedBy: "\n")
            #expect(lines[0] == "### nectar plan: `\(second.id.short) against \(first.id.hex) (\(first.id.short))`")
            #expect(lines[1] == "")
            #expect(lines[2] == "**2 validation errors: nothing would be applied.**")
            #expect(lines[3] == "")
            #expect(lines[4] == "| location | error |")
            #expect(lines[5] == "|---|---|")
            let first0 = report.errors[0], second0 = report.errors[1]
            #expect(lines[6] == "| `bots/alpha.yaml:15:5` | \(first0.message) |")
            #expect(lines[7] == "| `bots/beta.yaml:\(second0.line):\(second0.column)` | \(second0.message) |")
            #expect(second0.message.contains("\"missing\""))
            #expect(lines.count == 9)
            #expect(lines[8] == "")
            #expect(!lines.contains { $0.contains("| object |") })
        }
    }

    @Test func markdownAndTextOfNoChanges() throws {
        try withReconcileScenario { scenario in
            let first = try scenario.commit(["bots/alpha.yaml": ReconcileYAML.bot("alpha")])
            let second = try scenario.commit(["bots/alpha.yaml": "# a comment\n" + ReconcileYAML.bot("alpha")])
            let report = try scenario.planBetween(first, second)
            #expect(report.markdown() == "### nectar plan: `\(second.id.short) against \(first.id.hex) (\(first.id.short))`\n\n**No changes.** 0 to create, 0 to update, 0 to delete, 1 unchanged.\n")
            #expect(report.text(colour: false) == "Plan: \(second.id.short) against \(first.id.hex) (\(first.id.short))\nNo changes. 0 to create, 0 to update, 0 to delete, 1 unchanged.")
        }
    }

    @Test func textShowsEveryChangeAndColoursOnlyWhenAsked() throws {
        try withReconcileScenario { scenario in
            let (first, second) = try Self.revisions(scenario)
            let report = try Self.report(scenario)
            let text = report.text(colour: false)
            #expect(text.components(separatedBy: "\n") == [
                "Plan: \(second.id.short) against main~1 (\(first.id.short))",
                "  ~ update Bot alpha  (bots/alpha.yaml)",
                "      metadata.labels.tier: \"silver\" -> \"gold\"",
                "      metadata.owner: \"team-support\" -> (none)",
                "      spec.rateLimits.perHour: 100 -> 250",
                "  - delete Bot beta  (bots/beta.yaml)",
                "  + create Bot gamma  (bots/gamma.yaml)",
                "  ~ knowledge faq: knowledge/a.md",
                "  + knowledge faq: knowledge/b.md",
                "  - knowledge faq: knowledge/c.md",
                "  * revoke key of bot beta (bot deleted)",
                "  * issue key of bot gamma (bot created)",
                "Summary: 1 to create, 1 to update, 1 to delete, 1 unchanged; 3 knowledge documents changed; 2 key actions",
            ])
            #expect(!text.contains("\u{1B}["))
            #expect(report.text(colour: true).contains("\u{1B}[33m~ update Bot alpha\u{1B}[0m"))
            #expect(report.text(colour: true).contains("  \u{1B}[35m* issue key of bot gamma\u{1B}[0m (bot created)"))
        }
    }

    /// The cells of a Markdown table row, honouring `\|` escapes.
    static func cells(_ row: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var previous: Character?
        for character in row.dropFirst().dropLast() {
            if character == "|" && previous != "\\" {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        cells.append(current.trimmingCharacters(in: .whitespaces))
        return cells
    }
}
