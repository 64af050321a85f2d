import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// `nectar drift`: every kind of finding produced for real (git commits,
/// applies, direct database edits, emergency rotations, a daemon's admin
/// API, a moved clock), through the binary's exit codes and formats, and
/// through the library where only an injected clock can make time pass.
@Suite struct DriftTests {
    // MARK: Helpers

    /// `nectar drift` against a database: `--repo`, `--ref`, `--db` and any extra arguments.
    static func drift(_ scenario: ReconcileScenario, ref: CommitInfo, _ extra: [String] = []) throws -> ReconcileCLI.Result {
        try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--ref", ref.id.hex, "--db", scenario.dbPath] + extra)
    }

    /// The library's report at `now`, from the store's export, as `drift --db` builds it.
    static func report(_ scenario: ReconcileScenario, ref: CommitInfo, now: Date,
                       tolerance: SpecDuration = SpecDuration(seconds: 3600)) throws -> DriftReport {
        try DriftDetector(tolerance: tolerance, now: now)
            .report(repositoryPath: scenario.repoPath, declarationsPath: "bots", revision: ref.id.hex,
                    live: try scenario.store.export(), liveSource: .init(source: "database", name: scenario.dbPath))
    }

    /// The declaration errors of a revision, as `path:line:column: message`.
    static func diagnostics(_ scenario: ReconcileScenario, _ commit: CommitInfo) throws -> [String] {
        try RevisionLoader(declarationsPath: "bots")
            .load(GitRevisionFiles(repository: scenario.repository, revision: commit.id.hex)).diagnostics.map(\.description)
    }

    static let day: TimeInterval = 86_400
    static let hour: TimeInterval = 3_600

    // MARK: No drift

    @Test func aFreshlyAppliedRevisionHasNoDriftAndExitsZero() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]))
            try DriftCLI.apply(commit, repo: scenario.repoPath, db: scenario.dbPath)

            let text = try Self.drift(scenario, ref: commit)
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stderr.isEmpty)
            #expect(text.stdout == """
                drift: revision \(commit.id.short) against the database \(scenario.dbPath) (applied: \(commit.id.short))
                no drift: 2 declared bots match what runs

                """)

            let json = try Self.drift(scenario, ref: commit, ["--format", "json"])
            #expect(json.status == 0)
            let report = try json.driftReport()
            #expect(report.findings.isEmpty)
            #expect(report.bots == ["alpha", "beta"])
            #expect(report.revision == commit.id.hex)
            #expect(report.appliedRevision == commit.id.hex)
            #expect(report.live.source == "database")
            #expect(report.live.name == scenario.dbPath)

            // --output with no drift: the file, and a note on stderr.
            let file = scenario.directory + "/drift.md"
            let written = try Self.drift(scenario, ref: commit, ["--format", "markdown", "--output", file])
            #expect(written.status == 0)
            #expect(written.stdout.isEmpty)
            #expect(written.stderr == "no drift; report written to \(file)\n")
            let markdown = try String(contentsOfFile: file, encoding: .utf8)
            #expect(markdown.hasPrefix("### nectar drift\n"))
            #expect(markdown.contains("**No drift**: 2 declared bots match what runs."))
            #expect(!markdown.contains("| kind |"))
        }
    }

    // MARK: unapplied-revision

    @Test func commitsAheadOfTheAppliedRevisionAreAnUnappliedRevisionListingThemNewestFirst() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            var files = DriftYAML.files(bots: ["alpha"])
            let applied = try scenario.commit(files, message: "Start with alpha")
            #expect(try scenario.apply(applied).run.outcome == .applied)
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta")
            let add = try scenario.commit(files, message: "Add beta")
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha", perHour: 200)
            let raise = try scenario.commit(files, message: "Raise alpha's hourly limit")

            let json = try Self.drift(scenario, ref: raise, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            #expect(json.stderr.isEmpty)
            let report = try json.driftReport()
            #expect(report.findingLines.first == "unapplied-revision revision")
            #expect(report.findingLines.sorted() == ["missing Bot/beta", "spec-mismatch Bot/alpha", "unapplied-revision revision"])
            let finding = try #require(report.finding(.unappliedRevision))
            #expect(finding.objectKind == nil && finding.object == nil)
            #expect(finding.expected == "revision \(raise.id.short) applied")
            #expect(finding.actual == "applied \(applied.id.short), 2 commits behind")
            #expect(finding.commits.map(\.id) == [raise.id.hex, add.id.hex])
            #expect(finding.commits.map(\.summary) == ["Raise alpha's hourly limit", "Add beta"])
            #expect(finding.commits.map(\.author) == [raise.author, add.author])
            #expect(finding.resolution == "apply \(raise.id.short): wait for the daemon's next poll, POST /admin/reconcile, or run nectar apply")
            #expect(report.finding(.specMismatch, "Bot/alpha")?.fields.map(\.description) == ["spec.rateLimits.perHour: 100 -> 200"])

            // The text form lists the commits under the finding.
            let text = try Self.drift(scenario, ref: raise)
            #expect(text.status == 2)
            let lines = text.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("unapplied-revision  revision"))
            #expect(lines.contains("    \(raise.id.short) Raise alpha's hourly limit (\(raise.author))"))
            #expect(lines.contains("    \(add.id.short) Add beta (\(add.author))"))
            #expect(lines.contains("3 findings:"))

            // One commit ahead: one commit listed.
            let one = try Self.drift(scenario, ref: add, ["--format", "json"]).driftReport()
            #expect(one.finding(.unappliedRevision)?.actual == "applied \(applied.id.short), 1 commit behind")
            #expect(one.finding(.unappliedRevision)?.commits.map(\.id) == [add.id.hex])

            // Nothing applied yet: the whole history is behind.
            let empty = scenario.directory + "/empty.sqlite"
            _ = try RuntimeStore.open(path: empty)
            let fresh = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--ref", raise.id.hex, "--db", empty, "--format", "json"])
            #expect(fresh.status == 2)
            let nothing = try fresh.driftReport()
            #expect(nothing.appliedRevision == nil)
            #expect(nothing.finding(.unappliedRevision)?.actual == "nothing applied yet, 3 commits behind")
            #expect(nothing.findingLines.filter { $0.hasPrefix("missing ") }.sorted() == ["missing Bot/alpha", "missing Bot/beta", "missing Operator/alice"])
        }
    }

    @Test func aRefOlderThanTheAppliedRevisionIsNotAdvisedToBeAppliedAndAnUnknownAppliedRevisionIsNamed() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let old = try scenario.commit(DriftYAML.files(bots: ["alpha"]), message: "Start with alpha")
            let new = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]), message: "Add beta")
            #expect(try scenario.apply(new).run.outcome == .applied)

            // Checking an older ref (a stale checkout, the wrong branch) must not advise rolling back.
            let json = try Self.drift(scenario, ref: old, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines.sorted() == ["unapplied-revision revision", "unexpected Bot/beta"])
            let finding = try #require(report.finding(.unappliedRevision))
            #expect(finding.commits.isEmpty)
            #expect(finding.actual == "applied \(new.id.short), 1 commit ahead")
            #expect(!finding.resolution.hasPrefix("apply "), "\(finding.resolution)")
            #expect(finding.resolution.contains("--ref"))

            // An applied revision this clone does not have (a shallow or stale clone).
            let foreign = String(repeating: "ab", count: 20)
            try scenario.store.debugExecute("UPDATE store_meta SET applied_revision = '\(foreign)'")
            let unknown = try Self.drift(scenario, ref: new, ["--format", "json"])
            #expect(unknown.status == 2, "\(unknown.stderr)")
            let stranger = try #require(try unknown.driftReport().finding(.unappliedRevision))
            #expect(stranger.actual.hasPrefix("applied abababa (not in this repository"), "\(stranger.actual)")
            #expect(stranger.commits.isEmpty)
        }
    }

    @Test func anInvalidRevisionAtRefIsDriftCarryingItsDeclarationErrorsNotAnError() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            var files = DriftYAML.files(bots: ["alpha", "beta"])
            let applied = try scenario.commit(files)
            #expect(try scenario.apply(applied).run.outcome == .applied)
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta").replacingOccurrences(of: "rateLimits:", with: "rateLimit:")
            let broken = try scenario.commit(files, message: "Rename a field by mistake")
            let diagnostics = try Self.diagnostics(scenario, broken)
            #expect(diagnostics.count == 1)
            #expect(diagnostics.first?.hasPrefix("bots/beta.yaml:13:3: ") == true, "\(diagnostics)")

            let json = try Self.drift(scenario, ref: broken, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            #expect(json.stderr.isEmpty)
            let report = try json.driftReport()
            // Objects are not compared: only the revision finding, with the errors.
            #expect(report.findingLines == ["unapplied-revision revision"])
            let finding = try #require(report.finding(.unappliedRevision))
            #expect(finding.errors == diagnostics)
            #expect(finding.commits.map(\.id) == [broken.id.hex])
            #expect(finding.actual == "applied \(applied.id.short), 1 commit behind; \(broken.id.short) has 1 invalid declaration")
            #expect(finding.resolution.hasPrefix("fix the invalid declarations of \(broken.id.short) in a new commit"), "\(finding.resolution)")
            #expect(report.bots.isEmpty)

            let text = try Self.drift(scenario, ref: broken)
            #expect(text.status == 2)
            #expect(text.stdout.contains("\n    \(diagnostics[0])\n"))
        }
    }

    // MARK: apply-failed

    @Test func aBrokenCommitThatApplyTriedIsApplyFailedWithItsFileLineColumnErrors() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            var files = DriftYAML.files(bots: ["alpha", "beta"])
            let good = try scenario.commit(files)
            try DriftCLI.apply(good, repo: scenario.repoPath, db: scenario.dbPath)
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta").replacingOccurrences(of: "rateLimits:", with: "rateLimit:")
            files["bots/gamma.yaml"] = ReconcileYAML.bot("gamma").replacingOccurrences(of: "perHour: 100", with: "perHour: lots")
            let broken = try scenario.commit(files, message: "Break two bots")
            let diagnostics = try Self.diagnostics(scenario, broken)
            #expect(diagnostics.count == 2, "\(diagnostics)")

            let apply = try DriftCLI.run(["apply", "--repo", scenario.repoPath, "--ref", broken.id.hex, "--db", scenario.dbPath])
            #expect(apply.status == 1)
            let failedRun = try #require(try scenario.store.runs().first)
            #expect(failedRun.outcome == .failed)

            // At the applied (good) revision, the failed attempt is the one finding.
            let json = try Self.drift(scenario, ref: good, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines == ["apply-failed revision"])
            let finding = try #require(report.finding(.applyFailed))
            #expect(finding.errors == diagnostics)
            let location = /^bots\/(beta|gamma)\.yaml:\d+:\d+: .+$/
            #expect(finding.errors.allSatisfy { $0.wholeMatch(of: location) != nil }, "\(finding.errors)")
            #expect(finding.expected == "the last reconcile succeeded")
            #expect(finding.actual == "run \(failedRun.id ?? -1) at \(broken.id.short) failed: \(diagnostics[0])")
            #expect(finding.resolution == "fix the errors in a new commit (nectar validate lists them); the last applied revision keeps serving meanwhile")

            // At the broken revision: not applied, and its apply failed.
            let text = try Self.drift(scenario, ref: broken)
            #expect(text.status == 2)
            #expect(text.stdout.contains("\nunapplied-revision  revision\n"))
            #expect(text.stdout.contains("\napply-failed  revision\n"))
            for error in diagnostics { #expect(text.stdout.contains("\n    \(error)\n")) }

            // A successful apply of a fixed commit clears both.
            files["bots/beta.yaml"] = ReconcileYAML.bot("beta")
            files["bots/gamma.yaml"] = ReconcileYAML.bot("gamma")
            let fixed = try scenario.commit(files, message: "Fix them")
            try DriftCLI.apply(fixed, repo: scenario.repoPath, db: scenario.dbPath)
            #expect(try Self.drift(scenario, ref: fixed).status == 0)
        }
    }

    @Test func anApplyRefusedByTheMassDeleteGuardIsApplyFailedWithTheFlagThatLiftsIt() throws {
        try withReconcileScenario { scenario in
            let all = try scenario.commit(DriftYAML.files(bots: ["a", "b", "c", "d", "e"]))
            #expect(try scenario.apply(all).run.outcome == .applied)
            let fewer = try scenario.commit(DriftYAML.files(bots: ["a", "b", "c"]), message: "Drop two of five bots")
            let refused = try scenario.apply(fewer)
            #expect(refused.run.outcome == .refused)
            let refusal = try #require(refused.error)

            let report = try Self.report(scenario, ref: fewer, now: scenario.clock.last)
            #expect(report.findingLines.sorted() == ["apply-failed revision", "unapplied-revision revision",
                                                     "unexpected Bot/d", "unexpected Bot/e"])
            let finding = try #require(report.finding(.applyFailed))
            #expect(finding.errors == [refusal])
            #expect(finding.actual == "run \(refused.run.id ?? -1) at \(fewer.id.short) was refused: \(refusal)")
            #expect(finding.resolution.contains("--allow-mass-delete"))
        }
    }

    @Test func anApplyRefusedAsEmptyIsApplyFailedWithTheFlagThatLiftsIt() throws {
        try withReconcileScenario { scenario in
            let some = try scenario.commit(DriftYAML.files(bots: ["a", "b"]))
            #expect(try scenario.apply(some).run.outcome == .applied)
            let empty = try scenario.commit(["README.md": "declarations moved elsewhere\n"], message: "Empty the repository")
            let refused = try scenario.apply(empty)
            #expect(refused.run.outcome == .refused)
            #expect(refused.error?.contains("--allow-empty") == true, "\(refused.error ?? "")")

            let finding = try #require(try Self.report(scenario, ref: empty, now: scenario.clock.last).finding(.applyFailed))
            #expect(finding.actual.hasSuffix("was refused: \(refused.error ?? "")"))
            // Only --allow-empty lifts this guard; --allow-mass-delete does not.
            #expect(finding.resolution.contains("--allow-empty"), "\(finding.resolution)")
        }
    }

    /// The daemon records a failed fetch as a run without a revision, and
    /// records nothing for the no-op polls that succeed once git is back: that
    /// run stays the newest. At the applied revision it is not drift.
    @Test func aFailedFetchIsApplyFailedOnlyWhileTheRuntimeIsNotAtTheCheckedRevision() throws {
        try withReconcileScenario { scenario in
            let applied = try scenario.commit(DriftYAML.files(bots: ["alpha"]))
            #expect(try scenario.apply(applied).run.outcome == .applied)
            let at = scenario.clock.last
            _ = try scenario.store.record(ReconcileRun(revision: nil, startedAt: at, finishedAt: at, outcome: .failed, trigger: .poll,
                                                       summary: "{}", errors: ["cannot fetch origin: connection refused"]))

            #expect(try Self.report(scenario, ref: applied, now: at).findings.isEmpty)

            let next = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]), message: "Add beta")
            let behind = try Self.report(scenario, ref: next, now: at)
            #expect(behind.findingLines.sorted() == ["apply-failed revision", "missing Bot/beta", "unapplied-revision revision"])
            let finding = try #require(behind.finding(.applyFailed))
            #expect(finding.errors == ["cannot fetch origin: connection refused"])
            #expect(finding.resolution.hasPrefix("check the daemon's access to the git remote"), "\(finding.resolution)")
        }
    }

    // MARK: missing and unexpected

    @Test func aCommitThatRemovesOneBotAndAddsAnotherIsUnexpectedAndMissingUntilApplied() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let applied = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]))
            #expect(try scenario.apply(applied).run.outcome == .applied)
            let swap = try scenario.commit(DriftYAML.files(bots: ["alpha", "gamma"]), message: "Replace beta with gamma")

            let json = try Self.drift(scenario, ref: swap, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines.sorted() == ["missing Bot/gamma", "unapplied-revision revision", "unexpected Bot/beta"])
            #expect(report.bots == ["alpha", "gamma"])
            let missing = try #require(report.finding(.missing, "Bot/gamma"))
            #expect(missing.objectKind == .bot)
            #expect(missing.expected == "Bot gamma declared in bots/gamma.yaml")
            #expect(missing.actual == "not live")
            let unexpected = try #require(report.finding(.unexpected, "Bot/beta"))
            #expect(unexpected.expected == "no Bot beta declared")
            #expect(unexpected.actual == "live, from bots/beta.yaml")
            #expect(!unexpected.resolution.isEmpty && !missing.resolution.isEmpty)

            #expect(try scenario.apply(swap).run.outcome == .applied)
            #expect(try Self.drift(scenario, ref: swap).status == 0)

            // Declared again after an apply deleted it: missing until applied (a restore).
            let back = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]), message: "Bring beta back")
            let again = try Self.drift(scenario, ref: back, ["--format", "json"]).driftReport()
            #expect(again.findingLines.sorted() == ["missing Bot/beta", "unapplied-revision revision", "unexpected Bot/gamma"])
            #expect(try scenario.apply(back).run.outcome == .applied)
            #expect(try Self.drift(scenario, ref: back).status == 0)
        }
    }

    @Test func aBotSoftDeletedInTheDatabaseIsMissingAsDeletedAtRuntime() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]))
            #expect(try scenario.apply(commit).run.outcome == .applied)
            try scenario.store.debugExecute("UPDATE bot SET deleted_at = 1800000000 WHERE name = 'beta'")

            let json = try Self.drift(scenario, ref: commit, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines == ["missing Bot/beta"])
            #expect(report.findings.first?.actual == "deleted at runtime")
            #expect(report.findings.first?.expected == "Bot beta declared in bots/beta.yaml")

            // Applying the same revision restores it.
            #expect(try scenario.apply(commit).run.outcome == .applied)
            #expect(try Self.drift(scenario, ref: commit).status == 0)
        }
    }

    // MARK: spec-mismatch

    @Test func aSpecEditedInTheDatabaseIsASpecMismatchFieldByField() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]))
            #expect(try scenario.apply(commit).run.outcome == .applied)
            let spec = try #require(ReconcileSQL.strings(path: scenario.dbPath, "SELECT spec FROM bot WHERE name = 'alpha'").first)
            #expect(spec.contains(#""rateLimits":{"perDay":1000,"perHour":100}"#), "\(spec)")
            let hash = try ReconcileSQL.strings(path: scenario.dbPath, "SELECT spec_hash FROM bot WHERE name = 'alpha'")

            // Edited behind nectar's back. A trigger marks the hash column
            // stale; put the old hash back, as a careful editor might, so that
            // drift has to find the edit by hashing the stored spec itself.
            try scenario.store.debugExecute("UPDATE bot SET spec = json_set(spec, '$.rateLimits.perHour', 999) WHERE name = 'alpha'")
            #expect(try ReconcileSQL.strings(path: scenario.dbPath, "SELECT spec_hash FROM bot WHERE name = 'alpha'") == ["edited-outside-nectar"])
            try scenario.store.debugExecute("UPDATE bot SET spec_hash = '\(hash.first ?? "")' WHERE name = 'alpha'")
            #expect(try ReconcileSQL.strings(path: scenario.dbPath, "SELECT spec_hash FROM bot WHERE name = 'alpha'") == hash)

            let json = try Self.drift(scenario, ref: commit, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines == ["spec-mismatch Bot/alpha"])
            let finding = try #require(report.findings.first)
            #expect(finding.fields == [FieldChange(path: "spec.rateLimits.perHour", from: .number(999), to: .number(100))])
            #expect(finding.expected == "spec as declared in bots/alpha.yaml")
            #expect(finding.actual == "1 field differs: spec.rateLimits.perHour")

            let text = try Self.drift(scenario, ref: commit)
            #expect(text.status == 2)
            #expect(text.stdout.contains("\nspec-mismatch  Bot/alpha\n"))
            #expect(text.stdout.contains("\n    spec.rateLimits.perHour: 999 -> 100\n"))

            // One finding written to a file: the note counts it in the singular.
            let file = scenario.directory + "/drift.json"
            let written = try Self.drift(scenario, ref: commit, ["--format", "json", "--output", file])
            #expect(written.status == 2)
            #expect(written.stderr == "drift: 1 finding written to \(file)\n")
            #expect(try DriftJSON.decode(String(contentsOfFile: file, encoding: .utf8)).findingLines == ["spec-mismatch Bot/alpha"])
        }
    }

    @Test func applyingTheRevisionRestoresASpecEditedInTheDatabaseAsTheResolutionSays() throws {
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(DriftYAML.files(bots: ["alpha"]))
            #expect(try scenario.apply(commit).run.outcome == .applied)
            try scenario.store.debugExecute("UPDATE bot SET spec = json_set(spec, '$.rateLimits.perHour', 999) WHERE name = 'alpha'")
            let before = try Self.report(scenario, ref: commit, now: scenario.clock.last)
            #expect(before.findingLines == ["spec-mismatch Bot/alpha"])
            #expect(before.findings.first?.resolution.hasPrefix("apply the revision to restore the declared spec") == true)

            #expect(try scenario.apply(commit).run.outcome == .applied, "the stale hash makes the reconcile update the spec")
            // The edit left the hash column alone; a trigger marked it stale,
            // so the reconcile saw the difference and restored the declared spec.
            let after = try Self.report(scenario, ref: commit, now: scenario.clock.last)
            #expect(after.findings.isEmpty, "\(after.findingLines)")
            let spec = try ReconcileSQL.strings(path: scenario.dbPath, "SELECT spec FROM bot WHERE name = 'alpha'").first ?? ""
            #expect(spec.contains(#""perHour":100"#), "\(spec)")
        }
    }

    // MARK: key-file-mismatch

    @Test func aKeyFileThatDisagreesWithTheDatabaseIsDrift() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(DriftYAML.files(bots: ["alpha", "beta"]))
            let keys = scenario.dbPath + ".keys"
            let apply = try DriftCLI.run(["apply", "--repo", scenario.repoPath, "--ref", commit.id.hex, "--db", scenario.dbPath, "--key-dir", keys])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try Self.drift(scenario, ref: commit, ["--key-dir", keys]).status == 0)

            // alpha's file names a key the database does not know as active; beta's file is gone.
            let directory = KeyDirectory(path: keys)
            var alpha = try #require(directory.read(bot: "alpha"))
            let real = alpha.active.id
            alpha.active.id = "key_notInTheDb01"
            try directory.write(alpha)
            try FileManager.default.removeItem(atPath: keys + "/beta.json")

            let json = try Self.drift(scenario, ref: commit, ["--key-dir", keys, "--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines == ["key-file-mismatch Bot/alpha", "key-file-mismatch Bot/beta"])
            let alphaFinding = try #require(report.findings.first)
            #expect(alphaFinding.actual == "it lacks valid key \(real); its active key is key_notInTheDb01, the database's is \(real); it holds key_notInTheDb01, which the database does not know")
            #expect(alphaFinding.resolution.hasPrefix("run nectar keys rotate --bot alpha"))
            #expect(report.findings.last?.actual == "there is no file for its 1 valid key")
            // Without --key-dir the files are not looked at.
            #expect(try Self.drift(scenario, ref: commit).status == 0)
        }
    }

    // MARK: runtime-override: emergency rotation

    @Test func anEmergencyRotationIsARuntimeOverrideUntilGitBumpsTheGeneration() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            var files = DriftYAML.files(bots: ["alpha", "beta"])
            let commit = try scenario.commit(files)
            try DriftCLI.apply(commit, repo: scenario.repoPath, db: scenario.dbPath)
            let rotate = try DriftCLI.run(["keys", "rotate", "--bot", "alpha", "--db", scenario.dbPath,
                                           "--key-dir", scenario.dbPath + ".keys"])
            #expect(rotate.status == 0, "\(rotate.stderr)")
            let emergency = try #require(try scenario.store.keys(bot: "alpha").first { $0.state == .active })
            #expect(emergency.origin == "emergency")
            #expect(emergency.generation == 1)

            let json = try Self.drift(scenario, ref: commit, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines == ["runtime-override Bot/alpha"])
            let finding = try #require(report.findings.first)
            #expect(finding.expected == "keys issued from git (spec.apiKeys.generation 1)")
            #expect(finding.actual.hasPrefix("key \(emergency.id) (\(emergency.display)) rotated in an emergency at "))
            #expect(finding.actual.hasSuffix(", generation 1"))
            #expect(finding.resolution.hasPrefix("bump spec.apiKeys.generation to 2 in git"), "\(finding.resolution)")

            // Git catches up: generation 2, applied. The override is gone.
            files["bots/alpha.yaml"] = ReconcileYAML.bot("alpha") + "  apiKeys:\n    generation: 2\n"
            let bumped = try scenario.commit(files, message: "Catch up with the emergency rotation of alpha")
            try DriftCLI.apply(bumped, repo: scenario.repoPath, db: scenario.dbPath)
            let after = try Self.drift(scenario, ref: bumped)
            #expect(after.status == 0, "\(after.stdout)")
            let active = try #require(try scenario.store.keys(bot: "alpha").first { $0.state == .active })
            #expect(active.generation == 2)
            #expect(active.origin == "reconcile")
        }
    }

    // MARK: key-overdue

    @Test func anActiveKeyPastRotateEveryPlusTheToleranceIsOverdue() throws {
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(["bots/policy.yaml": DriftYAML.policy(rotateEvery: "30d", maxKeyAge: "90d"),
                                              "bots/support.yaml": DriftYAML.keyedBot("support")])
            #expect(try scenario.apply(commit).run.outcome == .applied)
            let key = try #require(try scenario.store.keys(bot: "support").first)
            #expect(key.createdAt > Date(timeIntervalSince1970: 1_800_000_000) && key.createdAt <= scenario.clock.last,
                    "the key was issued at the scenario's clock")
            let due = key.createdAt.addingTimeInterval(30 * Self.day + Self.hour)

            #expect(try Self.report(scenario, ref: commit, now: due).findings.isEmpty)
            let late = try Self.report(scenario, ref: commit, now: due.addingTimeInterval(1))
            #expect(late.findingLines == ["key-overdue Bot/support"])
            let finding = try #require(late.findings.first)
            #expect(finding.expected == "active key rotated every 30d (tolerance 1h)")
            #expect(finding.actual == "key \(key.id) (\(key.display)) is 30d old")
            #expect(finding.resolution.contains("nectar apply rotates it now"))

            // A larger tolerance covers the same age.
            #expect(try Self.report(scenario, ref: commit, now: due.addingTimeInterval(1),
                                    tolerance: SpecDuration(seconds: 2 * 86_400)).findings.isEmpty)

            // A reconcile at that time rotates the key: no longer overdue.
            let at = due.addingTimeInterval(1)
            let outcome = RevisionReconciler(repositoryPath: scenario.repoPath, store: try scenario.store, now: { at })
                .reconcile(revision: commit.id.hex)
            #expect(outcome.run.outcome == .applied)
            #expect(try Self.report(scenario, ref: commit, now: at).findings.isEmpty)
        }
    }

    /// maxKeyAge is a cap that holds whatever the tolerance: with a loose
    /// `--key-tolerance` the interval is not yet overdue, the cap is.
    @Test func anActiveKeyOlderThanThePolicysMaxKeyAgeIsOverdueEvenWithinTheTolerance() throws {
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(["bots/policy.yaml": DriftYAML.policy(rotateEvery: "30d", maxKeyAge: "45d"),
                                              "bots/support.yaml": DriftYAML.keyedBot("support")])
            let outcome = try scenario.apply(commit)
            #expect(outcome.run.outcome == .applied, "\(outcome.error ?? "")")
            let key = try #require(try scenario.store.keys(bot: "support").first)
            let loose = SpecDuration(seconds: 30 * 86_400)
            let limit = key.createdAt.addingTimeInterval(45 * Self.day)

            #expect(try Self.report(scenario, ref: commit, now: limit, tolerance: loose).findings.isEmpty)
            let old = try Self.report(scenario, ref: commit, now: limit.addingTimeInterval(1), tolerance: loose)
            #expect(old.findingLines == ["key-overdue Bot/support"])
            let finding = try #require(old.findings.first)
            #expect(finding.expected == "no active key older than maxKeyAge 45d (policy gold-tier)")
            #expect(finding.actual == "key \(key.id) (\(key.display)) is 45d old")
            #expect(finding.resolution.contains("nectar keys rotate support"))

            // Past the interval and its tolerance as well: one finding, about the interval.
            let both = try Self.report(scenario, ref: commit, now: key.createdAt.addingTimeInterval(61 * Self.day), tolerance: loose)
            #expect(both.findingLines == ["key-overdue Bot/support"])
            #expect(both.findings.first?.expected == "active key rotated every 30d (tolerance 30d)")
        }
    }

    @Test func aMaxKeyAgeEqualToTheIntervalIsOverdueBeforeTheToleranceRunsOut() throws {
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(["bots/policy.yaml": DriftYAML.policy(rotateEvery: "30d", maxKeyAge: "30d"),
                                              "bots/support.yaml": DriftYAML.keyedBot("support")])
            #expect(try scenario.apply(commit).run.outcome == .applied)
            let key = try #require(try scenario.store.keys(bot: "support").first)
            let report = try Self.report(scenario, ref: commit, now: key.createdAt.addingTimeInterval(30 * Self.day + 30 * 60))
            #expect(report.findingLines == ["key-overdue Bot/support"])
            #expect(report.findings.first?.expected == "no active key older than maxKeyAge 30d (policy gold-tier)")
        }
    }

    // MARK: grace-expired-key-active

    @Test func aGraceKeyPastItsExpiryWithoutAReconcileIsReportedUntilOneExpiresIt() throws {
        try withReconcileScenario { scenario in
            var files = ["bots/support.yaml": DriftYAML.keyedBot("support", keys: "\n    gracePeriod: 12h")]
            #expect(try scenario.apply(try scenario.commit(files)).run.outcome == .applied)
            let original = try #require(try scenario.store.keys(bot: "support").first)
            files["bots/support.yaml"] = DriftYAML.keyedBot("support", generation: 2, keys: "\n    gracePeriod: 12h")
            let bumped = try scenario.commit(files, message: "Rotate support's key")
            #expect(try scenario.apply(bumped).run.outcome == .applied)
            let grace = try #require(try scenario.store.keys(bot: "support").first { $0.id == original.id })
            #expect(grace.state == .grace)
            let expires = try #require(grace.expiresAt)
            #expect(expires.timeIntervalSince(scenario.clock.last) <= 12 * Self.hour)

            // The daemon expires it on its next tick: within the tolerance (1h) it is not reported.
            #expect(try Self.report(scenario, ref: bumped, now: expires.addingTimeInterval(-1)).findings.isEmpty)
            #expect(try Self.report(scenario, ref: bumped, now: expires.addingTimeInterval(Self.hour)).findings.isEmpty)
            let pastTolerance = try Self.report(scenario, ref: bumped, now: expires.addingTimeInterval(Self.hour + 1))
            #expect(pastTolerance.findingLines == ["grace-expired-key-active Bot/support"])
            #expect(try Self.report(scenario, ref: bumped, now: expires.addingTimeInterval(1),
                                    tolerance: SpecDuration(seconds: 0)).findingLines == ["grace-expired-key-active Bot/support"])
            let later = try Self.report(scenario, ref: bumped, now: expires.addingTimeInterval(2 * Self.hour))
            let finding = try #require(later.findings.first)
            #expect(later.findings.count == 1)
            #expect(finding.expected == "key \(original.id) expired at \(expires.formatted(.iso8601))")
            #expect(finding.actual == "still stored as valid (grace), 2h past its expiry")
            #expect(finding.resolution.hasPrefix("reconcile (the daemon's next tick, or nectar apply) to expire it"))

            // A reconcile at that time expires the key, and the finding goes.
            let at = expires.addingTimeInterval(2 * Self.hour)
            let outcome = RevisionReconciler(repositoryPath: scenario.repoPath, store: try scenario.store, now: { at })
                .reconcile(revision: bumped.id.hex)
            #expect(outcome.run.outcome == .applied)
            #expect(try scenario.store.keys(bot: "support").first { $0.id == original.id }?.state == .revoked)
            #expect(try Self.report(scenario, ref: bumped, now: at).findings.isEmpty)
        }
    }

    // MARK: Errors: exit 1, one sentence

    @Test func whatCannotBeReadIsAnErrorInOneSentenceWithExitOne() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let commit = try scenario.commit(DriftYAML.files(bots: ["alpha"]))
            #expect(try scenario.apply(commit).run.outcome == .applied)

            let noRepo = try DriftCLI.run(["drift", "--repo", scenario.directory + "/no-such-repo", "--db", scenario.dbPath])
            #expect(noRepo.isOneSentenceFailure, "\(noRepo)")
            #expect(noRepo.stderr.contains(scenario.directory + "/no-such-repo"))

            let noRef = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--ref", "no-such-branch", "--db", scenario.dbPath])
            #expect(noRef.isOneSentenceFailure, "\(noRef)")
            #expect(noRef.stderr.contains("no-such-branch"))

            let missing = scenario.directory + "/missing.sqlite"
            let noDB = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--db", missing])
            #expect(noDB.isOneSentenceFailure, "\(noDB)")
            #expect(noDB.stderr.contains(missing))
            #expect(!FileManager.default.fileExists(atPath: missing), "drift does not create a database")

            let notADatabase = scenario.directory + "/notes.txt"
            try "not sqlite".write(toFile: notADatabase, atomically: true, encoding: .utf8)
            let garbage = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--db", notADatabase])
            #expect(garbage.isOneSentenceFailure, "\(garbage)")

            // Declarations read from another directory than the runtime applies.
            try scenario.commit(DriftYAML.files(bots: ["alpha"]).reduce(into: [:]) { $0["elsewhere/" + $1.key.dropFirst(5)] = $1.value })
            let otherPath = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--path", "elsewhere", "--db", scenario.dbPath])
            #expect(otherPath.isOneSentenceFailure, "\(otherPath)")
            #expect(otherPath.stderr.contains("--path bots"), "\(otherPath.stderr)")

            let server = ["drift", "--repo", scenario.repoPath, "--server", "http://127.0.0.1:1"]
            let unreachable = try DriftCLI.run(server, environment: ["NECTAR_TOKEN": "nectar_op_whatever"])
            #expect(unreachable.isOneSentenceFailure, "\(unreachable)")
            #expect(unreachable.stderr.hasPrefix("error: cannot reach the server at http://127.0.0.1:1: "))

            // What no nectar answers: a redirect (not followed, so the token
            // goes nowhere else), an HTML page, an export of another format.
            let target = try CannedHTTPServer(status: "404 Not Found")
            defer { target.stop() }
            let redirector = try CannedHTTPServer(status: "302 Found", headers: ["Location: http://127.0.0.1:\(target.port)/admin/state"])
            defer { redirector.stop() }
            let redirected = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--server", "http://127.0.0.1:\(redirector.port)"],
                                              environment: ["NECTAR_TOKEN": "nectar_op_secret"])
            #expect(redirected.isOneSentenceFailure, "\(redirected)")
            #expect(redirected.stderr.hasPrefix("error: the server at http://127.0.0.1:\(redirector.port) redirected GET /admin/state to http://127.0.0.1:\(target.port)/admin/state (302)"), "\(redirected.stderr)")
            #expect(redirector.requests.count == 1 && redirector.requests[0].contains("Bearer nectar_op_secret"))
            #expect(target.requests.isEmpty, "the token was sent on: \(target.requests)")
            #expect(!redirected.stderr.contains("nectar_op_secret"))
            let html = try CannedHTTPServer(status: "200 OK", headers: ["Content-Type: text/html"], body: "<html>sign in</html>")
            defer { html.stop() }
            let notNectar = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--server", "http://127.0.0.1:\(html.port)"],
                                             environment: ["NECTAR_TOKEN": "set"])
            #expect(notNectar.isOneSentenceFailure, "\(notNectar)")
            #expect(notNectar.stderr.contains("did not answer with a nectar state export"))
            let future = try CannedHTTPServer(status: "200 OK", body: #"{"format": 2, "stateVersion": 1, "objects": [], "documents": {}, "keys": []}"#)
            defer { future.stop() }
            let newer = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--server", "http://127.0.0.1:\(future.port)"],
                                         environment: ["NECTAR_TOKEN": "set"])
            #expect(newer.isOneSentenceFailure, "\(newer)")
            #expect(newer.stderr.contains("sends state export format 2"), "\(newer.stderr)")

            let noToken = try DriftCLI.run(server)
            #expect(noToken.isOneSentenceFailure, "\(noToken)")
            #expect(noToken.stderr.hasPrefix("error: set NECTAR_TOKEN to an operator token"))

            let otherVariable = try DriftCLI.run(server + ["--token-env", "DRIFT_TEST_TOKEN"], environment: ["NECTAR_TOKEN": "set"])
            #expect(otherVariable.isOneSentenceFailure, "\(otherVariable)")
            #expect(otherVariable.stderr.hasPrefix("error: set DRIFT_TEST_TOKEN to an operator token"))

            let notHTTP = try DriftCLI.run(["drift", "--repo", scenario.repoPath, "--server", "ftp://127.0.0.1"],
                                           environment: ["NECTAR_TOKEN": "set"])
            #expect(notHTTP.isOneSentenceFailure, "\(notHTTP)")
            #expect(notHTTP.stderr.contains("--server must be an http or https URL"))

            // Usage mistakes are refused the same way, before anything is read.
            let usages: [([String], String)] = [
                (["--db", scenario.dbPath, "--server", "http://127.0.0.1:1"], "error: give exactly one of --db FILE or --server URL"),
                ([], "error: give exactly one of --db FILE or --server URL"),
                (["--db", scenario.dbPath, "--key-tolerance", "soon"], "error: --key-tolerance must be a duration such as 30m, 1h or 1d"),
                (["--db", scenario.dbPath, "--format", "xml"], "error: The value 'xml' is invalid for '--format <format>'"),
            ]
            for (arguments, message) in usages {
                let usage = try DriftCLI.run(["drift", "--repo", scenario.repoPath] + arguments)
                #expect(usage.isOneSentenceFailure, "\(arguments): \(usage)")
                #expect(usage.stderr.hasPrefix(message), "\(usage.stderr)")
                #expect(usage.stderr.hasSuffix(" (see nectar --help)\n"))
            }
        }
    }

    // MARK: Formats

    /// Six findings of five kinds at once, and a bot without drift: a bot
    /// edited in the database (alpha), one soft-deleted (beta), one paused
    /// (gamma), one added in an unapplied commit (delta) that also retires
    /// one (omega); epsilon is fine.
    static func severalDrifts(_ scenario: ReconcileScenario) throws -> CommitInfo {
        var files = DriftYAML.files(bots: ["alpha", "beta", "gamma", "epsilon", "omega"])
        #expect(try scenario.apply(try scenario.commit(files)).run.outcome == .applied)
        try scenario.store.debugExecute("UPDATE bot SET spec = json_set(spec, '$.rateLimits.perHour', 999) WHERE name = 'alpha'")
        try scenario.store.debugExecute("UPDATE bot SET deleted_at = 1800000000 WHERE name = 'beta'")
        #expect(try scenario.store.pause(bot: "gamma", by: "operator:alice", reason: "incident <42> & \"friends\""))
        files["bots/omega.yaml"] = nil
        files["bots/delta.yaml"] = ReconcileYAML.bot("delta")
        return try scenario.commit(files, message: "Add delta, retire omega")
    }

    static let severalDriftLines = [
        "missing Bot/beta", "missing Bot/delta", "runtime-override Bot/gamma", "spec-mismatch Bot/alpha",
        "unapplied-revision revision", "unexpected Bot/omega",
    ]

    @Test func junitHasARevisionCaseAndOneCasePerDeclaredBotWithAFailurePerFinding() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let commit = try Self.severalDrifts(scenario)
            let file = scenario.directory + "/drift.xml"
            let run = try Self.drift(scenario, ref: commit, ["--format", "junit", "--output", file])
            #expect(run.status == 2, "\(run.stderr)")
            #expect(run.stdout.isEmpty)
            #expect(run.stderr == "drift: 6 findings written to \(file)\n")

            let junit = try JUnitDocument(try String(contentsOfFile: file, encoding: .utf8))
            #expect(junit.suites["name"] == "nectar drift")
            #expect(junit.suites["tests"] == "7")
            #expect(junit.suites["failures"] == "6")
            #expect(junit.suite["name"] == "drift \(commit.id.short)")
            #expect(junit.suite["tests"] == "7")
            #expect(junit.suite["failures"] == "6")
            #expect(junit.suite["errors"] == "0")
            #expect(junit.suite["timestamp"].flatMap { try? Date($0, strategy: .iso8601) } != nil)
            #expect(junit.cases.map(\.name) == ["revision", "Bot/alpha", "Bot/beta", "Bot/delta", "Bot/epsilon", "Bot/gamma", "Bot/omega"])
            #expect(junit.cases.allSatisfy { $0.classname == "nectar.drift" })
            let types = Dictionary(uniqueKeysWithValues: junit.cases.map { ($0.name, $0.failures.map(\.type)) })
            #expect(types == [
                "revision": ["unapplied-revision"], "Bot/alpha": ["spec-mismatch"], "Bot/beta": ["missing"], "Bot/delta": ["missing"],
                "Bot/epsilon": [], "Bot/gamma": ["runtime-override"], "Bot/omega": ["unexpected"],
            ])

            let applied = try #require(try scenario.store.export().appliedRevision)
            let revision = try #require(junit.testCase("revision")?.failures.first)
            #expect(revision.message == "unapplied-revision: applied \(applied.prefix(7)), 1 commit behind")
            #expect(revision.body.contains("\(commit.id.short) Add delta, retire omega"))
            #expect(revision.body.hasPrefix("expected: revision \(commit.id.short) applied\n"))
            let alpha = try #require(junit.testCase("Bot/alpha")?.failures.first)
            #expect(alpha.message == "spec-mismatch: 1 field differs: spec.rateLimits.perHour")
            #expect(alpha.body.contains("\nspec.rateLimits.perHour: 999 -> 100\n"))
            #expect(alpha.body.hasSuffix("\nresolve: apply the revision to restore the declared spec; change git instead if the live value is the one you want"))
            // Markup in a pause reason arrives as text.
            let gamma = try #require(junit.testCase("Bot/gamma")?.failures.first)
            #expect(gamma.message.hasSuffix(#"(incident <42> & "friends")"#), "\(gamma.message)")
        }
    }

    /// Text from git (commit summaries, file names, spec values) and from
    /// operators (pause reasons) cannot add markup to a job summary or a
    /// comment, nor break the JUnit XML.
    @Test func hostileTextStaysTextInMarkdownAndJUnit() throws {
        let hostile = "a | b <!-- <img src=x onerror=alert(1)> &amp; \u{1B}[31m\r\n```\n::error::forged"
        let finding = DriftFinding(
            kind: .runtimeOverride, objectKind: .bot, object: "alpha",
            expected: "running, as git declares no pause", actual: "paused (\(hostile))", resolution: "resume it",
            fields: [FieldChange(path: "spec.description", from: .string("old"), to: .string(hostile))],
            commits: [.init(id: String(repeating: "a", count: 40), summary: "```` closes </details> " + hostile, author: "mallory <m@x>",
                            time: Date(timeIntervalSince1970: 1_800_000_000))],
            errors: ["```\n# Heading"])
        let report = DriftReport(revision: String(repeating: "b", count: 40), appliedRevision: nil,
                                 live: .init(source: "database", name: "nectar.sqlite"), checkedAt: Date(timeIntervalSince1970: 1_800_000_000),
                                 bots: ["alpha"], findings: [finding])

        let markdown = report.markdown()
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let row = try #require(lines.first { $0.hasPrefix("| `runtime-override` |") })
        #expect(row.split(separator: "|", omittingEmptySubsequences: false).count - 2 == 5 + 1, "one escaped pipe: \(row)")
        #expect(!row.contains("<") && !row.contains("\u{1B}") && row.contains("&lt;!--") && row.contains("&amp;amp;"), "\(row)")
        // The details block: one fence longer than any backtick run inside, opened and closed once.
        let fences = lines.indices.filter { lines[$0] == "`````" }
        #expect(fences.count == 2, "\(markdown)")
        if fences.count == 2 {
            #expect(Array(lines[(fences[0] + 1)..<fences[1]]).map { String($0.prefix(12)) }
                == ["spec.descrip", "aaaaaaa ````", "``` # Headin"], "\(markdown)")
        }
        #expect(!lines.contains { $0.hasPrefix("::") || $0.hasPrefix("# ") }, "\(markdown)")
        #expect(lines.last == "</details>")
        #expect(lines.filter { $0.contains("</details>") }.count == 2, "the summary's own, and the one inside the code fence")

        let junit = try JUnitDocument(report.junit())
        let failure = try #require(junit.testCase("Bot/alpha")?.failures.first)
        #expect(failure.message.contains("<!-- <img src=x onerror=alert(1)> &amp;"), "\(failure.message)")
        #expect(failure.message.contains("\r\n```"), "CR and LF survive attribute normalisation: \(failure.message.debugDescription)")
        #expect(!failure.message.contains("\u{1B}"))
        #expect(failure.body.contains("```` closes </details> a | b"))
    }

    @Test func jsonMarkdownAndTextDescribeTheSameFindings() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            let commit = try Self.severalDrifts(scenario)

            let json = try Self.drift(scenario, ref: commit, ["--format", "json"])
            #expect(json.status == 2, "\(json.stderr)")
            let report = try json.driftReport()
            #expect(report.findingLines.sorted() == Self.severalDriftLines)
            #expect(report.bots == ["alpha", "beta", "delta", "epsilon", "gamma"])
            for finding in report.findings {
                #expect(!finding.expected.isEmpty && !finding.actual.isEmpty && !finding.resolution.isEmpty, "\(finding)")
            }
            #expect(report.finding(.runtimeOverride, "Bot/gamma")?.actual.hasPrefix("paused by operator:alice at ") == true)
            // The wire names, as a CI script reads them.
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let findings = try #require(object["findings"] as? [[String: Any]])
            #expect(Set(findings.compactMap { $0["kind"] as? String })
                == ["unapplied-revision", "missing", "unexpected", "spec-mismatch", "runtime-override"])
            #expect(findings.first { $0["kind"] as? String == "spec-mismatch" }?["objectKind"] as? String == "Bot")
            #expect((object["live"] as? [String: Any])?["source"] as? String == "database")
            #expect((object["checkedAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) } != nil)

            let markdown = try Self.drift(scenario, ref: commit, ["--format", "markdown"])
            #expect(markdown.status == 2)
            let lines = markdown.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.first == "### nectar drift")
            #expect(lines.contains("**6 findings**: 1 unapplied-revision, 2 missing, 1 unexpected, 1 spec-mismatch, 1 runtime-override"))
            let header = try #require(lines.firstIndex(of: "| kind | object | expected | actual | resolve |"))
            #expect(lines[header + 1] == "|---|---|---|---|---|")
            let rows = Array(lines[(header + 2)...].prefix { $0.hasPrefix("| ") })
            #expect(rows.count == report.findings.count)
            for (row, finding) in zip(rows, report.findings) {
                #expect(row.hasPrefix("| `\(finding.kind.rawValue)` | \(finding.subject) | "), "\(row)")
                #expect(row.split(separator: "|", omittingEmptySubsequences: false).count - 2 == 5, "five cells: \(row)")
            }
            #expect(markdown.stdout.contains("<details><summary>Details</summary>"))
            #expect(markdown.stdout.contains("\nspec.rateLimits.perHour: 999 -> 100\n"))

            let text = try Self.drift(scenario, ref: commit)
            #expect(text.status == 2)
            let blocks = text.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") && $0.contains("  ") }.map(String.init)
            #expect(blocks.map { $0.replacingOccurrences(of: "  ", with: " ") } == report.findingLines)
            #expect(text.stdout.contains("\n6 findings:\n"))

            // --output writes the same text the command would print.
            let file = scenario.directory + "/drift.txt"
            let written = try Self.drift(scenario, ref: commit, ["--output", file])
            #expect(written.status == 2)
            #expect(written.stdout.isEmpty)
            #expect(written.stderr == "drift: 6 findings written to \(file)\n")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == text.stdout)

            let unwritable = try Self.drift(scenario, ref: commit, ["--output", scenario.directory + "/no/such/dir/drift.txt"])
            #expect(unwritable.isOneSentenceFailure, "\(unwritable)")
            #expect(unwritable.stderr.hasPrefix("error: cannot write the report to \(scenario.directory)/no/such/dir/drift.txt"))
        }
    }
}

// MARK: Against a running daemon

extension DriftTests {
    /// `drift --server` and `plan --server` against a real daemon. The name
    /// ends in `DaemonTests` so that `scripts/test` runs it in the daemon pass.
    @Suite(.serialized) struct ServerDaemonTests {
        /// The parts of findings that do not depend on where the state was read.
        static func comparable(_ report: DriftReport) -> [String] {
            report.findings.map { "\($0.kind.rawValue)|\($0.subject)|\($0.expected)|\($0.actual)|\($0.resolution)" }
        }

        @Test func aBotPausedThroughTheAdminAPIIsARuntimeOverrideOverTheServerAndInTheDatabase() async throws {
            try ReconcileCLI.requireBinary()
            let harness = try DaemonHarness()
            var files = DaemonSnippet.files(bots: ["alpha", "beta"])
            files["bots/operators.yaml"] = Snippet.documents(DaemonSnippet.operators, Snippet.operator("ci", role: "auditor"))
            let commit = try harness.commit(files)
            try await harness.start()
            let admin = try harness.token("alice")
            let url = "http://127.0.0.1:\(harness.port)"
            let overServer = ["drift", "--repo", harness.repoPath, "--ref", commit.id.hex, "--server", url, "--format", "json"]
            let overDatabase = ["drift", "--repo", harness.repoPath, "--ref", commit.id.hex, "--db", harness.dbPath, "--format", "json"]

            // Freshly applied by the daemon: no drift either way.
            let clean = try await DriftCLI.run(overServer, environment: ["NECTAR_TOKEN": admin])
            #expect(clean.status == 0, "\(clean.stderr)")
            #expect(try clean.driftReport().findings.isEmpty)
            #expect(try clean.driftReport().appliedRevision == commit.id.hex)

            let pause = try await harness.request("POST", "/admin/bots/alpha/pause", token: admin,
                                                  body: Data(#"{"reason": "incident 42"}"#.utf8))
            #expect(pause.status == 200, "\(pause.text)")

            let server = try await DriftCLI.run(overServer, environment: ["NECTAR_TOKEN": admin])
            #expect(server.status == 2, "\(server.stderr)")
            #expect(server.stderr.isEmpty)
            let fromServer = try server.driftReport()
            #expect(fromServer.findingLines == ["runtime-override Bot/alpha"])
            let finding = try #require(fromServer.findings.first)
            #expect(finding.expected == "running, as git declares no pause")
            let pausedAt = try #require(try await RuntimeStore.openReadOnly(path: harness.dbPath).botDetail("alpha")?.object.pausedAt)
            #expect(finding.actual == "paused by operator:alice at \(pausedAt.formatted(.iso8601)) (incident 42)")
            #expect(finding.resolution.hasPrefix("resume it (POST /admin/bots/alpha/resume) once the incident is over"))
            #expect(fromServer.live.source == "server")
            #expect(fromServer.live.name == url)

            // The daemon's database, read while it runs, says the same.
            let database = try await DriftCLI.run(overDatabase)
            #expect(database.status == 2, "\(database.stderr)")
            let fromDatabase = try database.driftReport()
            #expect(fromDatabase.live.source == "database")
            #expect(Self.comparable(fromDatabase) == Self.comparable(fromServer))

            // An auditor's token (the CI role: reads only) reads the state, from
            // a variable named by --token-env; an agent's does not.
            let auditor = try harness.token("ci")
            let byAuditor = try await DriftCLI.run(overServer + ["--token-env", "DRIFT_CI_TOKEN"], environment: ["DRIFT_CI_TOKEN": auditor])
            #expect(byAuditor.status == 2, "\(byAuditor.stderr)")
            #expect(Self.comparable(try byAuditor.driftReport()) == Self.comparable(fromServer))
            let byAgent = try await DriftCLI.run(overServer, environment: ["NECTAR_TOKEN": try harness.token("bob")])
            #expect(byAgent.isOneSentenceFailure, "\(byAgent)")
            #expect(byAgent.stderr.contains("(403)") && byAgent.stderr.contains("needs role admin or auditor"), "\(byAgent.stderr)")

            // A token the server does not know: exit 1, one sentence.
            let bogus = try await DriftCLI.run(overServer, environment: ["NECTAR_TOKEN": "nectar_op_not-a-real-token"])
            #expect(bogus.isOneSentenceFailure, "\(bogus)")
            #expect(bogus.stderr.hasPrefix("error: the server at \(url) refused the token in NECTAR_TOKEN (401): "), "\(bogus.stderr)")
            #expect(!bogus.stderr.contains("nectar_op_not-a-real-token"), "the token is not echoed")

            // Resumed: no drift again.
            let resume = try await harness.request("POST", "/admin/bots/alpha/resume", token: admin)
            #expect(resume.status == 200)
            let resumed = try await DriftCLI.run(overServer, environment: ["NECTAR_TOKEN": admin])
            #expect(resumed.status == 0, "\(resumed.stdout)")

            // Stopped: the port is closed, and the server cannot be reached.
            try await harness.stop()
            let gone = try await DriftCLI.run(overServer, environment: ["NECTAR_TOKEN": admin])
            #expect(gone.isOneSentenceFailure, "\(gone)")
            #expect(gone.stderr.hasPrefix("error: cannot reach the server at \(url): "), "\(gone.stderr)")
        }

        @Test func planOverTheServerReportsTheSameChangesAsPlanOverTheDatabase() async throws {
            try ReconcileCLI.requireBinary()
            let harness = try DaemonHarness()
            let applied = try harness.commit(DaemonSnippet.files(bots: ["alpha", "beta"]))
            try await harness.start()
            let admin = try harness.token("alice")
            let url = "http://127.0.0.1:\(harness.port)"
            var files = DaemonSnippet.files(bots: ["alpha", "gamma"])
            files["bots/omega.yaml"] = Snippet.bot("omega", labels: "{tier: gold}")
            files["bots/alpha.yaml"] = Snippet.bot("alpha", labels: "{tier: gold}")
            // The daemon polls every 60 s: this commit stays unapplied during the test.
            let next = try harness.commit(files, message: "Gold alpha, gamma and omega; no beta")

            let repo = ["--repo", harness.repoPath, "--ref", next.id.hex]
            let server = try await DriftCLI.run(["plan"] + repo + ["--server", url, "--format", "markdown"], environment: ["NECTAR_TOKEN": admin])
            #expect(server.status == 0, "\(server.stderr)")
            let database = try await DriftCLI.run(["plan"] + repo + ["--db", harness.dbPath, "--format", "markdown"])
            #expect(database.status == 0, "\(database.stderr)")
            let serverLines = server.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let databaseLines = database.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(serverLines.first == "### nectar plan: `\(next.id.short) against \(url) (\(applied.id.short))`")
            #expect(databaseLines.first == "### nectar plan: `\(next.id.short) against \(harness.dbPath) (\(applied.id.short))`")
            #expect(serverLines.dropFirst() == databaseLines.dropFirst())
            #expect(server.stdout.contains("| Bot `gamma` | create | | | |"))
            #expect(server.stdout.contains("| Bot `omega` | create | | | |"))
            #expect(server.stdout.contains("| Bot `beta` | delete | | | |"))
            #expect(server.stdout.contains("| Bot `alpha` | update | `metadata.labels.tier` |  | `\"gold\"` |"), "\(server.stdout)")

            // drift over the server: the same commit is the unapplied revision.
            let drift = try await DriftCLI.run(["drift"] + repo + ["--server", url, "--format", "json"], environment: ["NECTAR_TOKEN": admin])
            #expect(drift.status == 2, "\(drift.stderr)")
            let report = try drift.driftReport()
            #expect(report.finding(.unappliedRevision)?.commits.map(\.id) == [next.id.hex])
            #expect(report.findingLines.sorted() == ["missing Bot/gamma", "missing Bot/omega", "spec-mismatch Bot/alpha",
                                                     "unapplied-revision revision", "unexpected Bot/beta"])
            try await harness.stop()
        }
    }
}
