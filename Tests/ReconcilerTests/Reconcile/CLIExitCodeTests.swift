import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// `nectar plan` and `nectar apply` as a CI job or an operator runs them:
/// the built binary, its exit codes and its output streams.
@Suite struct ReconcileCLIExitCodeTests {
    /// Three revisions: the base, a reformat of it, and a real change.
    static func repository(_ scenario: ReconcileScenario) throws -> (base: CommitInfo, reformat: CommitInfo, change: CommitInfo) {
        var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma"])
        let base = try scenario.commit(files)
        files["bots/alpha.yaml"] = "# reformatted\n" + ReconcileYAML.bot("alpha").replacingOccurrences(of: "  ", with: "  ")
            .replacingOccurrences(of: "keywords: [human, agent]", with: "keywords:\n      - human\n      - agent")
        let reformat = try scenario.commit(files)
        files["bots/beta.yaml"] = ReconcileYAML.bot("beta", perHour: 300)
        let change = try scenario.commit(files)
        return (base, reformat, change)
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    @Test func planDetailedExitCodes() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let (base, reformat, change) = try Self.repository(scenario)
            let repo = ["--repo", scenario.repoPath]

            let same = try ReconcileCLI.run(["plan"] + repo + ["--ref", reformat.id.hex, "--base", base.id.hex, "--detailed-exitcode"])
            #expect(same.status == 0, "\(same.stderr)")
            #expect(same.stdout.contains("No changes."))
            #expect(same.stderr.isEmpty)

            let changed = try ReconcileCLI.run(["plan"] + repo + ["--ref", change.id.hex, "--base", base.id.hex, "--detailed-exitcode"])
            #expect(changed.status == 2, "\(changed.stderr)")
            #expect(changed.stdout.contains("~ update Bot beta"))
            #expect(changed.stdout.contains("spec.rateLimits.perHour: 100 -> 300"))

            // Without --detailed-exitcode a plan with changes exits 0.
            let plain = try ReconcileCLI.run(["plan"] + repo + ["--ref", change.id.hex, "--base", base.id.hex])
            #expect(plain.status == 0)

            // Formats through the binary: the same documents the library renders.
            let json = try ReconcileCLI.run(["plan"] + repo + ["--ref", "main", "--base", "main~2", "--format", "json", "--detailed-exitcode"])
            #expect(json.status == 2)
            let report = try RevisionPlanning.plan(repository: scenario.repoPath, declarationsPath: "bots", revision: "main", base: "main~2")
            #expect(json.stdout == (try report.json()) + "\n")
            let markdown = try ReconcileCLI.run(["plan"] + repo + ["--ref", "main", "--base", "main~2", "--format", "markdown"])
            #expect(markdown.status == 0)
            #expect(markdown.stdout == report.markdown() + (report.markdown().hasSuffix("\n") ? "" : "\n"))
        }
    }

    @Test func planOfAnInvalidRevisionExitsOne() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let (base, _, _) = try Self.repository(scenario)
            var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma"])
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta").replacingOccurrences(of: "visibility: private", with: "visibility: secret")
            let broken = try scenario.commit(files)
            let repo = ["--repo", scenario.repoPath, "--ref", broken.id.hex]

            for extra in [[], ["--detailed-exitcode"]] {
                let text = try ReconcileCLI.run(["plan"] + repo + ["--base", base.id.hex] + extra)
                #expect(text.status == 1, "\(extra)")
                #expect(text.stdout.contains("bots/beta.yaml:12:15:"), "\(text.stdout)")
            }
            let json = try ReconcileCLI.run(["plan"] + repo + ["--base", base.id.hex, "--format", "json", "--detailed-exitcode"])
            #expect(json.status == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["valid"] as? Bool == false)
            #expect(Self.lines(json.stderr).count == 1)
            #expect(json.stderr.hasPrefix("bots/beta.yaml:12:15:"))

            // Against a database too.
            let db = scenario.directory + "/plan.sqlite"
            #expect(try ReconcileCLI.run(["apply", "--repo", scenario.repoPath, "--ref", base.id.hex, "--db", db]).status == 0)
            let againstDB = try ReconcileCLI.run(["plan"] + repo + ["--db", db, "--detailed-exitcode"])
            #expect(againstDB.status == 1)

            // A revision that does not exist: one sentence on stderr.
            let missing = try ReconcileCLI.run(["plan", "--repo", scenario.repoPath, "--ref", "no-such-ref", "--base", base.id.hex])
            #expect(missing.status == 1)
            #expect(Self.lines(missing.stderr).count == 1)
            #expect(missing.stderr.hasPrefix("error: "))
            #expect(missing.stderr.contains("no-such-ref"))
        }
    }

    @Test func planAgainstADatabaseDetailedExitCodes() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let (base, reformat, change) = try Self.repository(scenario)
            let db = scenario.directory + "/cli.sqlite"
            let repo = ["--repo", scenario.repoPath]

            // No such database: plan does not create one.
            let absent = try ReconcileCLI.run(["plan"] + repo + ["--ref", base.id.hex, "--db", db])
            #expect(absent.status == 1)
            #expect(absent.stderr.hasPrefix("error: "))
            #expect(Self.lines(absent.stderr).count == 1)
            #expect(!FileManager.default.fileExists(atPath: db))

            #expect(try ReconcileCLI.run(["apply"] + repo + ["--ref", base.id.hex, "--db", db]).status == 0)
            #expect(try ReconcileCLI.run(["plan"] + repo + ["--ref", reformat.id.hex, "--db", db, "--detailed-exitcode"]).status == 0)
            #expect(try ReconcileCLI.run(["plan"] + repo + ["--ref", change.id.hex, "--db", db, "--detailed-exitcode"]).status == 2)
        }
    }

    @Test func applyExitCodesAndOutput() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let (base, _, change) = try Self.repository(scenario)
            let db = scenario.directory + "/apply.sqlite"
            let repo = ["--repo", scenario.repoPath]

            let first = try ReconcileCLI.run(["apply"] + repo + ["--ref", base.id.hex, "--db", db])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stderr.isEmpty, "\(first.stderr)")
            #expect(Self.lines(first.stdout).last == "applied \(base.id.short) (run 1)")
            #expect(first.stdout.contains("+ create Bot alpha"))

            let again = try ReconcileCLI.run(["apply"] + repo + ["--ref", base.id.hex, "--db", db])
            #expect(again.status == 0)
            #expect(Self.lines(again.stdout) == ["no changes: \(base.id.short) is already applied (run 2)"])

            let json = try ReconcileCLI.run(["apply"] + repo + ["--ref", change.id.hex, "--db", db, "--format", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["outcome"] as? String == "applied")
            #expect(object["revision"] as? String == change.id.hex)
            #expect(object["run"] as? Int == 3)
            #expect(object["error"] == nil || object["error"] is NSNull)
            let changes = try #require(object["changes"] as? [[String: Any]])
            #expect(changes.map { "\($0["action"] as? String ?? "") \($0["name"] as? String ?? "")" } == ["update beta"])

            // The database holds what the binary said.
            let store = try RuntimeStore.open(path: db, mustExist: true)
            #expect(try store.liveState().appliedRevision == change.id.hex)
            #expect(try store.runs().map(\.outcome) == [.applied, .noop, .applied])
            #expect(try store.runs().allSatisfy { $0.trigger == .cli })
        }
    }

    @Test func applyFailuresExitOneWithOneErrorLine() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let (base, _, _) = try Self.repository(scenario)
            let db = scenario.directory + "/fail.sqlite"
            let repo = ["--repo", scenario.repoPath]
            #expect(try ReconcileCLI.run(["apply"] + repo + ["--ref", base.id.hex, "--db", db]).status == 0)

            // Invalid declarations: the diagnostics, then one `error:` sentence.
            var files = ReconcileYAML.botFiles(["alpha", "beta", "gamma"])
            files["bots/gamma.yaml"] = ReconcileYAML.bot("gamma").replacingOccurrences(of: "visibility: private", with: "visibility: secret")
            let broken = try scenario.commit(files)
            let invalid = try ReconcileCLI.run(["apply"] + repo + ["--ref", broken.id.hex, "--db", db])
            #expect(invalid.status == 1)
            let errorLines = Self.lines(invalid.stderr).filter { $0.hasPrefix("error:") }
            #expect(errorLines.count == 1, "\(invalid.stderr)")
            #expect(Self.lines(invalid.stderr).last == errorLines.first)
            #expect(errorLines.first?.hasPrefix("error: revision \(broken.id.short) has 1 invalid declaration; nothing was applied") == true)
            #expect(Self.lines(invalid.stderr).first?.hasPrefix("bots/gamma.yaml:12:15:") == true)
            #expect(invalid.stdout.isEmpty)

            // An unknown revision: exactly one line.
            let missing = try ReconcileCLI.run(["apply"] + repo + ["--ref", "no-such-ref", "--db", db])
            #expect(missing.status == 1)
            #expect(Self.lines(missing.stderr).count == 1, "\(missing.stderr)")
            #expect(missing.stderr.hasPrefix("error: "))

            // A refused mass delete, then allowed.
            let none = try scenario.commit(["bots/people.yaml": ReconcileYAML.operator("alice")])
            let refused = try ReconcileCLI.run(["apply"] + repo + ["--ref", none.id.hex, "--db", db])
            #expect(refused.status == 1)
            #expect(Self.lines(refused.stderr) == ["error: revision \(none.id.short) would delete every bot (3); pass --allow-mass-delete if that is intended"])
            let allowed = try ReconcileCLI.run(["apply"] + repo + ["--ref", none.id.hex, "--db", db, "--allow-mass-delete"])
            #expect(allowed.status == 0, "\(allowed.stderr)")

            // An empty revision needs --allow-empty.
            let empty = try scenario.commit(["README.md": "nothing\n"])
            let emptyRefused = try ReconcileCLI.run(["apply"] + repo + ["--ref", empty.id.hex, "--db", db])
            #expect(emptyRefused.status == 1)
            #expect(emptyRefused.stderr.contains("--allow-empty"))
            #expect(try ReconcileCLI.run(["apply"] + repo + ["--ref", empty.id.hex, "--db", db, "--allow-empty"]).status == 0)

            let store = try RuntimeStore.open(path: db, mustExist: true)
            #expect(try store.runs().map(\.outcome) == [.applied, .refused, .applied, .refused, .failed, .failed, .applied])
            #expect(try store.liveState().appliedRevision == empty.id.hex)
        }
    }

    @Test func maxDeletePercentFlag() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let names = (1...4).map { "bot-\($0)" }
            let first = try scenario.commit(ReconcileYAML.botFiles(names))
            let second = try scenario.commit(ReconcileYAML.botFiles(Array(names.prefix(2))))
            let db = scenario.directory + "/percent.sqlite"
            let repo = ["--repo", scenario.repoPath, "--db", db]
            #expect(try ReconcileCLI.run(["apply"] + repo + ["--ref", first.id.hex]).status == 0)
            let refused = try ReconcileCLI.run(["apply"] + repo + ["--ref", second.id.hex])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("would delete 2 of 4 bots (50%, more than the limit of 25%)"))
            // plan predicts the refusal too.
            let plan = try ReconcileCLI.run(["plan", "--repo", scenario.repoPath, "--ref", second.id.hex, "--db", db, "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
            #expect((object["refusal"] as? String)?.contains("2 of 4 bots") == true)
            #expect(try ReconcileCLI.run(["apply"] + repo + ["--ref", second.id.hex, "--max-delete-percent", "50"]).status == 0)
        }
    }

    @Test func newerDatabaseIsRefusedByTheCLI() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let (base, _, _) = try Self.repository(scenario)
            let db = scenario.directory + "/newer.sqlite"
            _ = try RuntimeStore.open(path: db)
            try ReconcileSQL.execute(path: db, "INSERT INTO grdb_migrations (identifier) VALUES ('v999-future')")
            for command in [["apply"], ["plan", "--detailed-exitcode"]] {
                let result = try ReconcileCLI.run(command + ["--repo", scenario.repoPath, "--ref", base.id.hex, "--db", db])
                #expect(result.status == 1, "\(command)")
                #expect(Self.lines(result.stderr).count == 1, "\(result.stderr)")
                #expect(result.stderr.hasPrefix("error: the database \(db) was written by a newer nectar"), "\(result.stderr)")
            }
            #expect(try ReconcileSQL.strings(path: db, "SELECT count(*) FROM reconcile_run") == ["0"])
        }
    }
}
