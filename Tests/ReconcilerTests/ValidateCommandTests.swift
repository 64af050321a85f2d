import BotRuntime
import Foundation
import Reconciler
import Testing

/// `nectar validate`, run as the built executable on real repositories.
@Suite struct ValidateCommandTests {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs the built `nectar` with `arguments`; output goes through files so
    /// that neither stream can block the other.
    static func nectar(_ arguments: [String], in directory: String? = nil) throws -> Run {
        let executable = try PackagePaths.nectarExecutable()
        return try withTemporaryDirectory { scratch in
            let outURL = URL(fileURLWithPath: scratch + "/stdout")
            let errURL = URL(fileURLWithPath: scratch + "/stderr")
            _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
            let out = try FileHandle(forWritingTo: outURL)
            let err = try FileHandle(forWritingTo: errURL)
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = out
            process.standardError = err
            try process.run()
            process.waitUntilExit()
            try out.close()
            try err.close()
            return Run(status: process.terminationStatus,
                       standardOutput: try String(contentsOf: outURL, encoding: .utf8),
                       standardError: try String(contentsOf: errURL, encoding: .utf8))
        }
    }

    static let validFiles = [
        "bots/support.yaml": Snippet.bot("support", spec: "{honeyJars: [faq]}"),
        "bots/faq.yaml": Snippet.honeyJar("faq"),
        "knowledge/faq.md": "# FAQ\n",
    ]

    static let brokenBot = """
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: support
        spec:
          honeyJars: [faq]
          rateLimit: {perHour: 10}
        """

    @Test func theExecutableIsBuilt() throws {
        let executable = try PackagePaths.nectarExecutable()
        #expect(FileManager.default.isExecutableFile(atPath: executable.path))
    }

    @Test func validCommitPrintsAOneLineSummaryAndExitsZero() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(Self.validFiles)
            let run = try Self.nectar(["validate", "--repo", repo.path])
            #expect(run.status == 0)
            #expect(run.standardOutput == "ok: 1 bot, 1 honey jar, 0 policies, 0 operators at \(commit.id.short)\n")
            #expect(run.standardError == "")
        }
    }

    @Test func brokenBotFilePrintsItsLocationAndExitsOne() throws {
        try withGitFixture { repo in
            try repo.commit(Self.validFiles)
            let commit = try repo.commit(Self.validFiles.merging(["bots/support.yaml": Self.brokenBot]) { $1 })
            let run = try Self.nectar(["validate", "--repo", repo.path])
            #expect(run.status == 1)
            #expect(run.standardOutput == "")
            #expect(run.standardError == """
                bots/support.yaml:7:3: unknown field "rateLimit" in spec; did you mean "rateLimits"?
                1 error in 1 file at \(commit.id.short)

                """)
            // The previous, valid commit still validates.
            #expect(try Self.nectar(["validate", "--repo", repo.path, "--ref", "HEAD~1"]).status == 0)
        }
    }

    @Test func everyErrorOfEveryFileIsPrinted() throws {
        try withGitFixture { repo in
            let commit = try repo.commit([
                "bots/a.yaml": Snippet.bot("a", spec: "{status: paused}"),
                "bots/b.yaml": Snippet.operator("b", role: "root"),
                "bots/c.yaml": Snippet.bot("c", spec: "{confidenceThreshold: 2}"),
            ])
            let run = try Self.nectar(["validate", "--repo", repo.path])
            #expect(run.status == 1)
            #expect(run.standardError.split(separator: "\n") == [
                "bots/a.yaml:4:16: spec.status must be one of active, inactive, maintenance, found \"paused\"",
                "bots/b.yaml:4:36: spec.role must be one of admin, agent, auditor, found \"root\"",
                "bots/c.yaml:4:29: spec.confidenceThreshold must be between 0 and 1, found 2",
                "3 errors in 3 files at \(commit.id.short)",
            ])
        }
    }

    @Test func jsonFormatReportsEveryField() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(Self.validFiles.merging(["bots/support.yaml": Self.brokenBot]) { $1 })
            let run = try Self.nectar(["validate", "--repo", repo.path, "--format", "json"])
            #expect(run.status == 1)
            #expect(run.standardError == "")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
            #expect(Set(report.keys) == ["valid", "revision", "path", "counts", "errors"])
            #expect(report["valid"] as? Bool == false)
            #expect(report["revision"] as? String == commit.id.hex)
            #expect(report["path"] as? String == "bots")
            let counts = try #require(report["counts"] as? [String: Int])
            #expect(counts == ["bots": 0, "honeyJars": 1, "keyRotationPolicies": 0, "operators": 0])
            let errors = try #require(report["errors"] as? [[String: Any]])
            #expect(errors.count == 1)
            let error = try #require(errors.first)
            #expect(Set(error.keys) == ["path", "line", "column", "message"])
            #expect(error["path"] as? String == "bots/support.yaml")
            #expect(error["line"] as? Int == 7)
            #expect(error["column"] as? Int == 3)
            #expect(error["message"] as? String == "unknown field \"rateLimit\" in spec; did you mean \"rateLimits\"?")
        }
    }

    @Test func jsonFormatOfAValidCommit() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(Self.validFiles)
            let run = try Self.nectar(["validate", "--repo", repo.path, "--format", "json"])
            #expect(run.status == 0)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
            #expect(report["valid"] as? Bool == true)
            #expect(report["revision"] as? String == commit.id.hex)
            #expect(report["counts"] as? [String: Int] == ["bots": 1, "honeyJars": 1, "keyRotationPolicies": 0, "operators": 0])
            #expect((report["errors"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func worktreeValidatesUncommittedFiles() throws {
        try withGitFixture { repo in
            try repo.commit(Self.validFiles)
            for (path, text) in Self.validFiles { try repo.write(path, text) }
            try repo.write("bots/support.yaml", Self.brokenBot)

            let committed = try Self.nectar(["validate", "--repo", repo.path])
            #expect(committed.status == 0)
            #expect(committed.standardError.contains("note: the work tree has uncommitted changes, which this did not check; nectar validate --worktree checks the files on disk"),
                    "\(committed.standardError)")
            // An explicit revision is what the user asked for: no note.
            #expect(!(try Self.nectar(["validate", "--repo", repo.path, "--ref", "main"]).standardError.contains("uncommitted")))

            let worktree = try Self.nectar(["validate", "--repo", repo.path, "--worktree"])
            #expect(worktree.status == 1)
            #expect(worktree.standardError == """
                bots/support.yaml:7:3: unknown field "rateLimit" in spec; did you mean "rateLimits"?
                1 error in 1 file in the work tree

                """)

            let json = try Self.nectar(["validate", "--repo", repo.path, "--worktree", "--format", "json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            // No commit: the revision is null or left out.
            #expect(report["revision"] == nil || report["revision"] is NSNull)
            #expect(report["valid"] as? Bool == false)
        }
    }

    @Test func worktreeOfAValidDirectorySaysWhereItLooked() throws {
        try withTemporaryDirectory { root in
            for (path, text) in Self.validFiles { try writeFile(root: root, path, Array(text.utf8)) }
            let run = try Self.nectar(["validate", "--worktree"], in: root)
            #expect(run.status == 0)
            #expect(run.standardOutput == "ok: 1 bot, 1 honey jar, 0 policies, 0 operators in the work tree\n")
        }
    }

    @Test func refAndPathOptionsSelectWhatIsRead() throws {
        try withGitFixture { repo in
            let tagged = try repo.commit([
                "deploy/bots.yaml": Snippet.documents(Snippet.operator("alice"), Snippet.operator("bob")),
            ])
            try repo.repository.tag("v1", at: tagged.id, message: "first release")
            try repo.commit(["deploy/bots.yaml": "kind: ["])
            let run = try Self.nectar(["validate", "--repo", repo.path, "--ref", "v1", "--path", "deploy"])
            #expect(run.status == 0)
            #expect(run.standardOutput == "ok: 0 bots, 0 honey jars, 0 policies, 2 operators at \(tagged.id.short)\n")
            #expect(try Self.nectar(["validate", "--repo", repo.path, "--path", "deploy"]).status == 1)
        }
    }

    @Test func bareRepositoriesValidate() throws {
        try withGitFixture(bare: true) { repo in
            let commit = try repo.commit(Self.validFiles)
            let run = try Self.nectar(["validate", "--repo", repo.path])
            #expect(run.status == 0)
            #expect(run.standardOutput == "ok: 1 bot, 1 honey jar, 0 policies, 0 operators at \(commit.id.short)\n")
        }
    }

    @Test func unknownRevisionIsOneSentenceAndExitOne() throws {
        try withGitFixture { repo in
            try repo.commit(Self.validFiles)
            let run = try Self.nectar(["validate", "--repo", repo.path, "--ref", "no-such-ref"])
            #expect(run.status == 1)
            #expect(run.standardOutput == "")
            let lines = run.standardError.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 2 && lines.last == "", "exactly one line: \(run.standardError)")
            #expect(run.standardError.hasPrefix("error: cannot resolve revision \"no-such-ref\": "))
            for crashMarker in ["Fatal error", "Stack dump", "backtrace", "Current stack trace", "Error Domain"] {
                #expect(!run.standardError.contains(crashMarker))
            }
        }
    }

    @Test func aDirectoryThatIsNoRepositoryIsOneSentenceAndExitOne() throws {
        try withTemporaryDirectory { directory in
            let run = try Self.nectar(["validate", "--repo", directory])
            #expect(run.status == 1)
            #expect(run.standardError.hasPrefix("error: cannot open repository at \(directory): "))
            #expect(run.standardError.split(separator: "\n").count == 1)
        }
    }

    @Test func aRevisionWithoutDeclarationsIsAnError() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(["README.md": "nothing declared"])
            let run = try Self.nectar(["validate", "--repo", repo.path])
            #expect(run.status == 1)
            #expect(run.standardError == """
                bots:1:1: no declaration files (*.yaml, *.yml) under bots/ (pass --allow-empty if that is intended)
                1 error in 1 file at \(commit.id.short)

                """)
            // Emptying bots/ on purpose passes with the same flag apply needs.
            let allowed = try Self.nectar(["validate", "--repo", repo.path, "--allow-empty"])
            #expect(allowed.status == 0)
            #expect(allowed.standardOutput == "ok: 0 bots, 0 honey jars, 0 policies, 0 operators at \(commit.id.short)\n")
        }
    }

    @Test func thisRepositoryValidatesAtHead() throws {
        let run = try Self.nectar(["validate", "--repo", PackagePaths.root.path, "--ref", "HEAD"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasPrefix("ok: "))
        #expect(run.standardOutput.hasSuffix("\n"))
        #expect(run.standardError == "")
    }

    @Test func thisRepositoryValidatesWithDefaultsFromItsRoot() throws {
        let run = try Self.nectar(["validate"], in: PackagePaths.root.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasPrefix("ok: "))
    }
}

extension ValidateCommandTests {
    @Test func withAConfigFileBotsMustNameDefinedEndpointsAndWebhooks() throws {
        try withGitFixture { repo in
            let commit = try repo.commit([
                "bots/a.yaml": Snippet.bot("a", spec: """
                    {model: {provider: openai, endpoint: local-llm, name: llama3}, handoff: {notify: {webhooks: [pager, support-slack]}}}
                    """),
                "bots/b.yaml": Snippet.bot("b", spec: "{model: {provider: openai, endpoint: elsewhere, name: m}}"),
            ])
            let config = repo.path + "/nectar.yaml"
            try Data("""
                models:
                  endpoints:
                    local-llm: {baseURL: "http://127.0.0.1:11434/v1"}
                notifications:
                  webhooks:
                    pager: {url: "https://alerts.example.com/nectar", secretEnv: PAGER_SECRET}
                """.utf8).write(to: URL(fileURLWithPath: config))
            #expect(try Self.nectar(["validate", "--repo", repo.path]).status == 0, "without a configuration file, names are not checked")
            let run = try Self.nectar(["validate", "--repo", repo.path, "--config", config])
            #expect(run.status == 1)
            #expect(run.standardError.split(separator: "\n") == [
                "bots/a.yaml:4:99: spec.handoff.notify.webhooks names support-slack, which \(config) does not define (notifications.webhooks)",
                "bots/b.yaml:4:44: spec.model.endpoint names elsewhere, which \(config) does not define (models.endpoints)",
                "2 errors in 2 files at \(commit.id.short)",
            ], "\(run.standardError)")
        }
    }
}
