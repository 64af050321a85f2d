import BotRuntime
import Foundation
import Reconciler
import Testing

/// Which files the loader reads, what it produces, and the blob cache.
@Suite struct LoaderTests {
    static let knowledge = ["knowledge/faq.md": "# FAQ\n"]

    @Test func nonYAMLFilesUnderTheDeclarationsPathAreIgnored() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit([
                "bots/README.md": "# Bots\n: not yaml at all [",
                "bots/notes.txt": "kind: Bot\nthis: [is not parsed",
                "bots/support.yaml.bak": "{{{",
                "bots/Makefile": "all:\n\t@true\n",
                "bots/support.yaml": Snippet.bot("support"),
            ])
            return try repo.load()
        }
        #expect(loaded.diagnostics.map(\.description) == [])
        #expect(loaded.filesRead == 1)
        #expect(loaded.state.bots.map(\.spec.name) == ["support"])
    }

    @Test(arguments: ["trailing ---\n", "---\n---\n", "---\n...\n", "--- # nothing here\n"])
    func emptyDocumentsDeclareNothing(_ trailer: String) throws {
        let loaded = try withGitFixture { repo in
            try repo.commit(["bots/a.yaml": Snippet.operator("alice") + "\n" + (trailer.hasPrefix("trailing") ? "---\n" : trailer)])
            return try repo.load()
        }
        #expect(loaded.diagnostics.map(\.description) == [])
        #expect(loaded.state.operators.map(\.spec.name) == ["alice"])
    }

    @Test func declarationsOutsideTheDeclarationsPathAreIgnored() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit([
                "support.yaml": Snippet.bot("root-level"),
                "other/bot.yaml": Snippet.bot("elsewhere"),
                "botsy/bot.yaml": Snippet.bot("prefix-lookalike"),
                "config/broken.yaml": "kind: [",
                "bots/support.yaml": Snippet.bot("support"),
            ])
            return try repo.load()
        }
        #expect(loaded.isValid)
        #expect(loaded.filesRead == 1)
        #expect(loaded.state.bots.map(\.spec.name) == ["support"])
    }

    @Test func ymlFilesAndSubdirectoriesAreRead() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit([
                "bots/a.yml": Snippet.bot("from-yml"),
                "bots/team/deeper/b.yaml": Snippet.operator("from-subdirectory"),
            ])
            return try repo.load()
        }
        #expect(loaded.isValid)
        #expect(loaded.filesRead == 2)
        #expect(loaded.state.bots.map(\.spec.name) == ["from-yml"])
        #expect(loaded.state.operators.map(\.spec.name) == ["from-subdirectory"])
        #expect(loaded.state.operators.first?.origin.path == "bots/team/deeper/b.yaml")
    }

    @Test func aCustomDeclarationsPathIsHonoured() throws {
        try withGitFixture { repo in
            try repo.commit([
                "bots/ignored.yaml": "kind: [",
                "deploy/nectar/support.yaml": Snippet.bot("support"),
            ])
            let loaded = try repo.load(declarationsPath: "deploy/nectar")
            #expect(loaded.isValid)
            #expect(loaded.state.bots.map(\.spec.name) == ["support"])
            let withSlash = try repo.load(declarationsPath: "deploy/nectar/")
            #expect(withSlash.state.bots.map(\.spec.name) == ["support"])
        }
    }

    @Test func severalDocumentsPerFileDeclareEveryKind() throws {
        let yaml = Snippet.documents(
            Snippet.bot("support", labels: "{tier: gold}", spec: "{honeyJars: [faq]}"),
            Snippet.honeyJar("faq"),
            Snippet.policy("gold", selector: "{tier: gold}"),
            Snippet.operator("alice", role: "admin"),
            Snippet.operator("bob"))
        let loaded = try withGitFixture { repo in
            try repo.commit(Self.knowledge.merging(["bots/all.yaml": "---\n" + yaml]) { $1 })
            return try repo.load()
        }
        #expect(loaded.diagnostics.map(\.description) == [])
        #expect(loaded.state.summary == "1 bot, 1 honey jar, 1 policy, 2 operators")
        #expect(loaded.state.operators.map(\.spec.name) == ["alice", "bob"])
        #expect(loaded.state.operators.map(\.spec.role) == [.admin, .agent])
        #expect(loaded.state.operators.map(\.origin.position.line) == [19, 24])  // after the leading ---
    }

    @Test func emptyFilesCommentOnlyFilesAndAnExplicitEndAreIgnored() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit([
                "bots/empty.yaml": "",
                "bots/comments.yaml": "# nothing declared yet\n# really\n",
                "bots/ended.yaml": Snippet.operator("alice") + "\n...\n",
            ])
            return try repo.load()
        }
        #expect(loaded.diagnostics.map(\.description) == [])
        #expect(loaded.filesRead == 3)
        #expect(loaded.state.operators.map(\.spec.name) == ["alice"])
    }

    @Test func declarationsKeepFileOrderWithTheirOrigin() throws {
        // DesiredState documents file order: by path, then position in the file.
        try withGitFixture { repo in
            let commit = try repo.commit([
                "bots/z.yaml": Snippet.bot("alpha"),
                "bots/a.yaml": Snippet.documents(Snippet.bot("zulu"), Snippet.bot("mike")),
            ])
            let loaded = try repo.load()
            #expect(loaded.state.revision == commit)
            #expect(loaded.state.bots.map(\.spec.name) == ["zulu", "mike", "alpha"])
            #expect(loaded.state.bots.map(\.origin.location) == ["bots/a.yaml:3:18", "bots/a.yaml:8:18", "bots/z.yaml:3:18"])
            let files = try repo.repository.files(at: commit, under: "bots")
            for bot in loaded.state.bots {
                #expect(bot.origin.blobID == files.first { $0.path == bot.origin.path }?.blobID)
            }
        }
    }

    @Test func omittedFieldsTakeTheirDocumentedDefaults() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit(["bots/a.yaml": Snippet.bot("support")])
            return try repo.load()
        }
        let bot = try #require(loaded.state.bots.first).spec
        #expect(bot == BotSpec(metadata: ObjectMeta(name: "support")))
        #expect(bot.displayName == "support")
        #expect(bot.model == ModelSpec(provider: .knowledge))
        #expect(bot.visibility == .private)
        #expect(bot.status == .active)
        #expect(bot.maxConversationLength == 20)
        #expect(bot.confidenceThreshold == 0.5)
        #expect(bot.rateLimits == RateLimits(perHour: 100, perDay: 1000))
        #expect(bot.handoff.enabled)
        #expect(bot.handoff.confidenceThreshold == 0.3)
        #expect(bot.handoff.sla.critical.description == "15m")
        #expect(bot.handoff.sla.low.description == "1d")
        #expect(bot.handoff.notify.inApp)
        #expect(bot.apiKeys == APIKeySpec(generation: 1))
    }

    @Test func everyFieldOfTheDesignExampleIsDecodedToTypedValues() throws {
        let yaml = Snippet.designExample
        let loaded = try withGitFixture { repo in
            try repo.commit(Self.knowledge.merging(["bots/a.yaml": yaml]) { $1 })
            return try repo.load()
        }
        #expect(loaded.diagnostics.map(\.description) == [])
        let bot = try #require(loaded.state.bots.first).spec
        #expect(bot.metadata == ObjectMeta(name: "support", labels: ["tier": "gold"], owner: "team-support"))
        #expect(bot.displayName == "Buzzy's Support Bot")
        #expect(bot.description == "Answers questions about orders and shipping.")
        #expect(bot.systemPrompt == "You are a friendly support assistant.\n")
        #expect(bot.model == ModelSpec(provider: .openai, endpoint: "local-llm", name: "llama3"))
        #expect(bot.honeyJars == ["shop-faq"])
        #expect(bot.visibility == .public)
        #expect(bot.status == .maintenance)
        #expect(bot.maxConversationLength == 30)
        #expect(bot.confidenceThreshold == 0.7)
        #expect(bot.rateLimits == RateLimits(perHour: 120, perDay: 1200))
        #expect(!bot.handoff.enabled)
        #expect(bot.handoff.keywords == ["human", "agent", "speak to a person", "escalate"])
        #expect(bot.handoff.confidenceThreshold == 0.4)
        #expect(bot.handoff.urgency.critical == ["outage", "data loss"])
        #expect(bot.handoff.urgency.high == ["urgent", "refund"])
        #expect(bot.handoff.urgency.medium == [])
        #expect(!bot.handoff.notify.inApp)
        #expect(bot.handoff.notify.email == ["support@example.com"])
        #expect(bot.handoff.notify.webhooks == ["support-slack"])
        #expect(bot.handoff.sla.high == SpecDuration(seconds: 3_600))
        #expect(bot.handoff.sla.low == SpecDuration(seconds: 86_400))
        #expect(bot.apiKeys.generation == 3)
        #expect(bot.apiKeys.rotateEvery == SpecDuration(seconds: 30 * 86_400))
        #expect(bot.apiKeys.gracePeriod == SpecDuration(seconds: 0))
        #expect(bot.apiKeys.recipients.count == 1)

        let jar = try #require(loaded.state.honeyJars.first).spec
        #expect(jar.description == "Shop policies and shipping FAQ")
        #expect(jar.sources == ["knowledge/**/*.md"])
        let policy = try #require(loaded.state.policies.first).spec
        #expect(policy.selector == ["tier": "gold"])
        #expect(policy.rotateEvery == SpecDuration(seconds: 30 * 86_400))
        #expect(policy.gracePeriod == SpecDuration(seconds: 12 * 3_600))
        #expect(policy.maxKeyAge == SpecDuration(seconds: 90 * 86_400))
        let person = try #require(loaded.state.operators.first).spec
        #expect(person == OperatorSpec(metadata: ObjectMeta(name: "alice"), email: "alice@example.com",
                                       role: .admin, teams: ["team-support"]))
    }

    @Test func brokenDeclarationsAreLeftOutAndTheRestAreKept() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit([
                "bots/bad.yaml": Snippet.bot("bad", spec: "{status: paused}"),
                "bots/good.yaml": Snippet.bot("good"),
            ])
            return try repo.load()
        }
        #expect(!loaded.isValid)
        #expect(loaded.diagnostics.count == 1)
        #expect(loaded.state.bots.map(\.spec.name) == ["good"])
    }

    @Test func aRevisionWithoutTheDeclarationsDirectoryLoadsEmpty() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit(["README.md": "hello"])
            return try repo.load()
        }
        #expect(loaded.isValid)
        #expect(loaded.filesRead == 0)
        #expect(loaded.state.summary == "0 bots, 0 honey jars, 0 policies, 0 operators")
    }

    @Test func anUnknownRevisionThrowsInsteadOfLoadingNothing() throws {
        try withGitFixture { repo in
            try repo.commit(["bots/a.yaml": Snippet.bot("a")])
            let error = #expect(throws: GitError.self) { try repo.load("release-9") }
            #expect(error?.description.hasPrefix("cannot resolve revision \"release-9\": ") == true)
        }
    }

    @Test func olderRevisionsLoadWhatTheyDeclared() throws {
        try withGitFixture { repo in
            let first = try repo.commit(["bots/a.yaml": Snippet.bot("one")])
            try repo.commit(["bots/a.yaml": Snippet.documents(Snippet.bot("one"), Snippet.bot("two"))])
            #expect(try repo.load(first.id.hex).state.bots.map(\.spec.name) == ["one"])
            #expect(try repo.load("HEAD~1").state.bots.map(\.spec.name) == ["one"])
            #expect(try repo.load("HEAD").state.bots.map(\.spec.name) == ["one", "two"])
        }
    }

    @Test func bareRepositoriesLoadLikeWorkTreeOnes() throws {
        let loaded = try withGitFixture(bare: true) { repo in
            try repo.commit(Self.knowledge.merging([
                "bots/a.yaml": Snippet.documents(Snippet.bot("support", spec: "{honeyJars: [faq]}"), Snippet.honeyJar("faq")),
            ]) { $1 })
            return try repo.load()
        }
        #expect(loaded.isValid)
        #expect(loaded.state.knowledge["faq"]?.map(\.path) == ["knowledge/faq.md"])
    }

    @Test func packedRepositoriesLoadLikeLooseOnes() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(Self.knowledge.merging(["bots/a.yaml": Snippet.bot("support")]) { $1 })
            try repo.repository.pack(commit.id)
            let loaded = try repo.load()
            #expect(loaded.isValid)
            #expect(loaded.state.bots.map(\.spec.name) == ["support"])
        }
    }

    @Test func manyFilesDecodeInBatchesAndInParallelWithEveryErrorInPathOrder() throws {
        // More files than one read batch (2,048), so decoding runs in
        // several batches and on several threads.
        var files: [String: String] = [:]
        for index in 0..<2_100 {
            files[String(format: "bots/op-%04d.yaml", index)] = Snippet.operator(String(format: "op-%04d", index))
        }
        files["bots/op-0007.yaml"] = Snippet.operator("op-0007", role: "root")
        files["bots/op-2099.yaml"] = Snippet.operator("op-0001")
        try withGitFixture { repo in
            try repo.commit(files)
            let cache = DeclarationCache()
            let loaded = try repo.load(cache: cache)
            #expect(loaded.filesRead == 2_100)
            #expect(loaded.diagnostics.map(\.description) == [
                "bots/op-0007.yaml:4:42: spec.role must be one of admin, agent, auditor, found \"root\"",
                "bots/op-2099.yaml:3:18: Operator \"op-0001\" is declared twice: here and at bots/op-0001.yaml:3:18",
            ])
            #expect(loaded.state.operators.count == 2_098)
            #expect(loaded.state.operators.allSatisfy { $0.origin.path == "bots/\($0.spec.name).yaml" })
            let warm = try repo.load(cache: cache)
            #expect(warm.filesFromCache == 2_100)
            #expect(warm.diagnostics == loaded.diagnostics)
            #expect(warm.state == loaded.state)
        }
    }

    // MARK: - Knowledge

    static let knowledgeTree = [
        "knowledge/shop/returns.md": "returns",
        "knowledge/shop/orders/tracking.md": "tracking",
        "knowledge/shop/orders/deep/customs.md": "customs",
        "knowledge/shop/notes.txt": "not markdown",
        "knowledge/faq1.md": "faq 1",
        "knowledge/faq22.md": "faq 22",
        "knowledge/faq.md": "faq",
    ]

    @Test(arguments: [
        ("knowledge/shop/**/*.md", ["knowledge/shop/orders/deep/customs.md", "knowledge/shop/orders/tracking.md", "knowledge/shop/returns.md"]),
        ("knowledge/shop/*.md", ["knowledge/shop/returns.md"]),
        ("knowledge/shop/*/*.md", ["knowledge/shop/orders/tracking.md"]),
        ("knowledge/faq?.md", ["knowledge/faq1.md"]),
        ("knowledge/faq*.md", ["knowledge/faq.md", "knowledge/faq1.md", "knowledge/faq22.md"]),
        ("knowledge/shop/notes.txt", ["knowledge/shop/notes.txt"]),
        ("**/tracking.md", ["knowledge/shop/orders/tracking.md"]),
    ])
    func honeyJarGlobsSelectTheMatchingFilesOfTheRevision(pattern: String, expected: [String]) throws {
        try withGitFixture { repo in
            let commit = try repo.commit(Self.knowledgeTree.merging([
                "bots/jar.yaml": Snippet.honeyJar("jar", sources: "[\"\(pattern)\"]"),
            ]) { $1 })
            let loaded = try repo.load()
            #expect(loaded.diagnostics.map(\.description) == [])
            let documents = try #require(loaded.state.knowledge["jar"])
            #expect(documents.map(\.path) == expected)
            let blobs = try repo.repository.files(at: commit, under: "knowledge")
            for document in documents {
                #expect(document.blobID == blobs.first { $0.path == document.path }?.blobID)
            }
        }
    }

    @Test func overlappingSourcesSelectEachFileOnce() throws {
        let loaded = try withGitFixture { repo in
            try repo.commit(Self.knowledgeTree.merging([
                "bots/jar.yaml": Snippet.honeyJar("jar", sources: "[\"knowledge/shop/**/*.md\", \"knowledge/shop/*.md\"]"),
            ]) { $1 })
            return try repo.load()
        }
        #expect(loaded.state.knowledge["jar"]?.map(\.path) == [
            "knowledge/shop/orders/deep/customs.md", "knowledge/shop/orders/tracking.md", "knowledge/shop/returns.md",
        ])
    }

    @Test func knowledgeIsTakenFromTheLoadedRevisionOnly() throws {
        try withGitFixture { repo in
            let jar = Snippet.honeyJar("jar", sources: "[\"knowledge/*.md\"]")
            let first = try repo.commit(["bots/jar.yaml": jar, "knowledge/a.md": "a"])
            try repo.commit(["bots/jar.yaml": jar, "knowledge/a.md": "a, edited", "knowledge/b.md": "b"])
            let old = try repo.load(first.id.hex).state.knowledge["jar"]
            let new = try repo.load().state.knowledge["jar"]
            #expect(old?.map(\.path) == ["knowledge/a.md"])
            #expect(old?.first?.blobID == ObjectID.forBlob(Array("a".utf8)))
            #expect(new?.map(\.path) == ["knowledge/a.md", "knowledge/b.md"])
            #expect(new?.first?.blobID == ObjectID.forBlob(Array("a, edited".utf8)))
        }
    }

    @Test func aPatternMatchingNothingIsAnErrorEvenWhenAnotherMatches() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(Self.knowledgeTree.merging([
                "bots/jar.yaml": """
                    apiVersion: nectar/v1
                    kind: HoneyJar
                    metadata: {name: jar}
                    spec:
                      sources:
                        - knowledge/shop/*.md
                        - knowledge/shop/*.markdown
                    """,
            ]) { $1 })
            let loaded = try repo.load()
            #expect(loaded.diagnostics.map(\.description) == [
                "bots/jar.yaml:7:7: source pattern \"knowledge/shop/*.markdown\" of honey jar \"jar\" matches no file at \(commit.id.short)",
            ])
            #expect(loaded.state.knowledge["jar"]?.map(\.path) == ["knowledge/shop/returns.md"])
        }
    }

    // MARK: - Blob cache

    @Test func unchangedFoldersComeFromTheCacheWholeAndChangedOnesAreReread() throws {
        try withGitFixture { repo in
            let cache = DeclarationCache()
            var files = [
                "bots/top.yaml": Snippet.operator("top"),
                "bots/team-a/one.yaml": Snippet.bot("one"),
                "bots/team-a/two.yaml": Snippet.bot("two"),
                "bots/team-b/three.yaml": Snippet.bot("three"),
                "bots/team-b/deeper/four.yaml": Snippet.bot("four"),
                "bots/team-c/broken.yaml": "apiVersion: nectar/v1\nkind: Bot\nmetadata: {name: five}\nspec: {status: nope}\n",
            ]
            try repo.commit(files)
            let cold = try repo.load(cache: cache)
            #expect(cold.filesRead == 6)
            #expect(cold.filesFromCache == 0)
            #expect(cold.diagnostics.map(\.path) == ["bots/team-c/broken.yaml"])

            // Change one file in team-b and add one to team-a: team-c is reused
            // whole (its diagnostic included), the changed folders file by file.
            files["bots/team-b/deeper/four.yaml"] = Snippet.bot("four", spec: "{status: inactive}")
            files["bots/team-a/new.yaml"] = Snippet.bot("new")
            try repo.commit(files)
            let next = try repo.load(cache: cache)
            #expect(next.filesRead == 7)
            #expect(next.filesFromCache == 5)  // top, one, two, three from the blob cache; broken with its folder
            #expect(next.diagnostics.map(\.path) == ["bots/team-c/broken.yaml"])
            #expect(next.state.bots.map(\.spec.name) == ["new", "one", "two", "four", "three"])
            #expect(next.state.bots.first { $0.spec.name == "four" }?.spec.status == .inactive)
            #expect(next.state.operators.map(\.spec.name) == ["top"])

            // The same result as a load without any cache.
            let uncached = try repo.load()
            #expect(uncached.state == next.state)
            #expect(uncached.diagnostics == next.diagnostics)
        }
    }

    @Test func unchangedFilesOfTheNextCommitComeFromTheCache() throws {
        try withGitFixture { repo in
            let cache = DeclarationCache()
            var files = [
                "bots/a.yaml": Snippet.bot("a"),
                "bots/b.yaml": Snippet.bot("b"),
                "bots/c.yaml": Snippet.operator("c"),
            ]
            let first = try repo.commit(files)
            let cold = try repo.load(cache: cache)
            #expect(cold.filesRead == 3)
            #expect(cold.filesFromCache == 0)

            let again = try repo.load(first.id.hex, cache: cache)
            #expect(again.filesFromCache == again.filesRead)
            #expect(again.state == cold.state)

            files["bots/b.yaml"] = Snippet.bot("b", spec: "{status: inactive}")
            try repo.commit(files)
            let next = try repo.load(cache: cache)
            #expect(next.filesRead == 3)
            #expect(next.filesFromCache == next.filesRead - 1)
            #expect(next.state.bots.first { $0.spec.name == "b" }?.spec.status == .inactive)
        }
    }

    @Test func cachedFilesStillReportTheirErrors() throws {
        try withGitFixture { repo in
            let cache = DeclarationCache()
            try repo.commit(["bots/a.yaml": Snippet.bot("a", spec: "{status: paused}")])
            let cold = try repo.load(cache: cache)
            let warm = try repo.load(cache: cache)
            #expect(warm.filesFromCache == 1)
            #expect(warm.diagnostics == cold.diagnostics)
            #expect(warm.diagnostics.count == 1)
        }
    }

    @Test func aMovedFileIsDecodedAgainUnderItsNewPath() throws {
        try withGitFixture { repo in
            let cache = DeclarationCache()
            let yaml = Snippet.bot("a", spec: "{status: paused}")
            try repo.commit(["bots/a.yaml": yaml])
            _ = try repo.load(cache: cache)
            try repo.commit(["bots/moved.yaml": yaml])
            let moved = try repo.load(cache: cache)
            #expect(moved.filesFromCache == 0)
            #expect(moved.diagnostics.map(\.path) == ["bots/moved.yaml"])
        }
    }

    // MARK: - Work tree

    @Test func workTreeFilesAreValidatedLikeACommitWithGitBlobIds() throws {
        try withTemporaryDirectory { root in
            let yaml = Snippet.documents(Snippet.bot("support", spec: "{honeyJars: [faq]}"), Snippet.honeyJar("faq"))
            try writeFile(root: root, "bots/a.yaml", Array(yaml.utf8))
            try writeFile(root: root, "bots/notes.md", Array("ignored".utf8))
            try writeFile(root: root, "knowledge/faq.md", Array("# FAQ\n".utf8))
            try writeFile(root: root, ".git/bots/hidden.yaml", Array("kind: [".utf8))
            let loaded = try RevisionLoader().load(WorkTreeFiles(root: root))
            #expect(loaded.diagnostics.map(\.description) == [])
            #expect(loaded.state.revision == nil)
            #expect(loaded.filesRead == 1)
            #expect(loaded.state.bots.first?.origin.blobID == ObjectID.forBlob(Array(yaml.utf8)))
            #expect(loaded.state.knowledge["faq"]?.map(\.path) == ["knowledge/faq.md"])
            #expect(loaded.state.knowledge["faq"]?.map(\.blobID) == [ObjectID.forBlob(Array("# FAQ\n".utf8))])
        }
    }

    @Test func workTreeReportsAPatternMatchingNothingWithoutACommit() throws {
        try withTemporaryDirectory { root in
            try writeFile(root: root, "bots/a.yaml", Array(Snippet.honeyJar("faq", sources: "[\"docs/*.md\"]").utf8))
            let loaded = try RevisionLoader().load(WorkTreeFiles(root: root))
            #expect(loaded.diagnostics.map(\.description) == [
                "bots/a.yaml:4:18: source pattern \"docs/*.md\" of honey jar \"faq\" matches no file",
            ])
        }
    }

    /// A symlinked directory on the way to a source pattern's start is not
    /// followed out of the root (it used to read files from anywhere).
    @Test func workTreeNeverFollowsASymlinkedDirectoryOutOfTheRoot() throws {
        try withTemporaryDirectory { outside in
            try writeFile(root: outside, "secret.md", Array("# Secret\n\nnot for the index\n".utf8))
            try withTemporaryDirectory { root in
                try writeFile(root: root, "bots/a.yaml", Array(Snippet.honeyJar("faq", sources: "[\"docs/*.md\"]").utf8))
                try FileManager.default.createSymbolicLink(atPath: root + "/docs", withDestinationPath: outside)
                let loaded = try RevisionLoader().load(WorkTreeFiles(root: root))
                #expect(loaded.state.knowledge["faq"]?.isEmpty ?? true, "nothing read through the link")
                #expect(loaded.diagnostics.map(\.description) == [
                    "bots/a.yaml:4:18: source pattern \"docs/*.md\" of honey jar \"faq\" matches no file",
                ])
            }
        }
    }

    /// Matching patterns against files has a work budget; over it the
    /// revision is invalid with one sentence, never a load that runs for hours.
    @Test func patternMatchingOverItsWorkBudgetMakesTheRevisionInvalid() throws {
        try withTemporaryDirectory { root in
            try writeFile(root: root, "bots/a.yaml", Array(Snippet.honeyJar("faq", sources: "[\"docs/**/*.md\"]").utf8))
            for index in 0..<50 { try writeFile(root: root, "docs/d\(index).md", Array("# D\n".utf8)) }
            var loader = RevisionLoader()
            #expect(try loader.load(WorkTreeFiles(root: root)).diagnostics.isEmpty)
            loader.patternWorkBudget = 500
            let diagnostics = try loader.load(WorkTreeFiles(root: root)).diagnostics.map(\.description)
            #expect(diagnostics.count == 1)
            #expect(diagnostics.first?.hasPrefix("bots/a.yaml:4:18: matching the honey jars' source patterns against this revision's files exceeds the work budget (500 bytes compared)") == true, "\(diagnostics)")
        }
    }
}
