import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// The git layer on real repositories written with libgit2.
@Suite struct GitRepositoryTests {
    /// A history with every kind of reference:
    ///
    ///     main:     first -- second          (HEAD, tag v2-annotated)
    ///               ^ tag v1-light, refs/remotes/origin/main
    ///     feature:  side                     (an unrelated root commit)
    struct History {
        var first: CommitInfo
        var second: CommitInfo
        var side: CommitInfo
    }

    static func makeHistory(_ repo: GitFixture) throws -> History {
        let first = try repo.commit(["bots/a.yaml": "first\n"], message: "first")
        let second = try repo.commit(["bots/a.yaml": "second\n"], message: "second")
        let side = try repo.commit(["bots/a.yaml": "side\n"], message: "side", branch: "feature")
        try repo.repository.tag("v1-light", at: first.id)
        try repo.repository.tag("v2-annotated", at: second.id, message: "release 2")
        try repo.repository.setReference("refs/remotes/origin/main", to: first.id)
        return History(first: first, second: second, side: side)
    }

    /// Revision spellings and the commit (by message) each one names.
    /// `<first>` and `<first-short>` stand for the first commit's full and short id.
    static let revisions: [(String, String)] = [
        ("HEAD", "second"),
        ("main", "second"),
        ("refs/heads/main", "second"),
        ("feature", "side"),
        ("refs/heads/feature", "side"),
        ("v1-light", "first"),
        ("refs/tags/v1-light", "first"),
        ("v2-annotated", "second"),
        ("refs/tags/v2-annotated", "second"),
        ("origin/main", "first"),
        ("refs/remotes/origin/main", "first"),
        ("<first>", "first"),
        ("<first-short>", "first"),
        ("HEAD~1", "first"),
        ("HEAD^", "first"),
        ("main~1", "first"),
    ]

    @Test(arguments: revisions)
    func everyRevisionFormResolvesToItsCommit(revision: String, expected: String) throws {
        try withGitFixture { repo in
            let history = try Self.makeHistory(repo)
            let spelled = revision
                .replacingOccurrences(of: "<first-short>", with: history.first.id.short)
                .replacingOccurrences(of: "<first>", with: history.first.id.hex)
            let commit = try repo.repository.resolve(spelled)
            #expect(commit.summary == expected)
            let byMessage = ["first": history.first, "second": history.second, "side": history.side]
            #expect(commit == byMessage[expected])
        }
    }

    @Test func resolvedCommitCarriesIdTreeAuthorAndTime() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(["a.txt": "x"], message: "subject line\n\nbody text")
            let resolved = try repo.repository.resolve("HEAD")
            #expect(resolved == commit)
            #expect(resolved.summary == "subject line")
            #expect(resolved.author == "nectar")
            #expect(resolved.time == Date(timeIntervalSince1970: 1_767_225_600))
            #expect(resolved.id.hex.count == 40)
            #expect(resolved.id.short == String(resolved.id.hex.prefix(7)))
            #expect(resolved.treeID != resolved.id)
        }
    }

    @Test func unknownRevisionIsAGitErrorNamingTheRevision() throws {
        try withGitFixture { repo in
            try repo.commit(["a.txt": "x"])
            let error = #expect(throws: GitError.self) { try repo.repository.resolve("no-such-branch") }
            #expect(error?.description.hasPrefix("cannot resolve revision \"no-such-branch\": ") == true)
            #expect(error?.operation == "resolve revision \"no-such-branch\"")
            // libgit2's own message, not a placeholder.
            #expect(error?.message.isEmpty == false)
            #expect(error?.message.hasPrefix("libgit2 error") == false)
            #expect(error?.code == -3)  // GIT_ENOTFOUND
        }
    }

    @Test(arguments: ["", "HEAD~5", "0000000000000000000000000000000000000000", "main..", "v9"])
    func malformedOrMissingRevisionsFailWithTheRevisionInTheMessage(revision: String) throws {
        try withGitFixture { repo in
            try repo.commit(["a.txt": "x"])
            let error = #expect(throws: GitError.self) { try repo.repository.resolve(revision) }
            #expect(error?.description.hasPrefix("cannot resolve revision \"\(revision)\": ") == true)
        }
    }

    @Test func emptyRevisionSaysSo() throws {
        try withGitFixture { repo in
            try repo.commit(["a.txt": "x"])
            let error = #expect(throws: GitError.self) { try repo.repository.resolve("") }
            #expect(error?.description == "cannot resolve revision \"\": the revision is empty")
        }
    }

    @Test func headOfAnEmptyRepositoryDoesNotResolve() throws {
        try withGitFixture { repo in
            let error = #expect(throws: GitError.self) { try repo.repository.resolve("HEAD") }
            #expect(error?.description.hasPrefix("cannot resolve revision \"HEAD\": ") == true)
        }
    }

    @Test func aTreeIdIsNotACommit() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(["a.txt": "x"])
            let error = #expect(throws: GitError.self) { try repo.repository.resolve(commit.treeID.hex) }
            #expect(error?.description.hasPrefix("cannot resolve revision \"\(commit.treeID.hex)\": ") == true)
        }
    }

    @Test func openingADirectoryThatIsNoRepositoryFails() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: GitError.self) { try GitRepository(path: directory) }
            #expect(error?.description.hasPrefix("cannot open repository at \(directory): ") == true)
            #expect(error?.message.isEmpty == false)
        }
    }

    @Test func openingAMissingPathFails() throws {
        try withTemporaryDirectory { directory in
            let missing = directory + "/does/not/exist"
            let error = #expect(throws: GitError.self) { try GitRepository(path: missing) }
            #expect(error?.description.hasPrefix("cannot open repository at \(missing): ") == true)
        }
    }

    @Test func openingFindsTheRepositoryFromASubdirectory() throws {
        try withGitFixture { repo in
            let commit = try repo.commit(["a.txt": "x"])
            let subdirectory = repo.path + "/some/where"
            try FileManager.default.createDirectory(atPath: subdirectory, withIntermediateDirectories: true)
            let opened = try GitRepository(path: subdirectory)
            #expect(try opened.resolve("HEAD") == commit)
            #expect(!opened.isBare)
            #expect(opened.gitDirectory.hasSuffix("/.git/"))
        }
    }

    @Test func bareRepositoriesResolveListAndReadLikeWorkTreeOnes() throws {
        try withGitFixture(bare: true) { repo in
            #expect(repo.repository.isBare)
            let history = try Self.makeHistory(repo)
            let reopened = try GitRepository(path: repo.path)
            #expect(reopened.isBare)
            #expect(try reopened.resolve("HEAD") == history.second)
            #expect(try reopened.resolve("origin/main") == history.first)
            #expect(try reopened.resolve("v2-annotated") == history.second)
            let files = try reopened.files(at: history.first, under: "bots")
            #expect(files.map(\.path) == ["bots/a.yaml"])
            #expect(try reopened.readBlob(files[0].blobID) == Array("first\n".utf8))
        }
    }

    @Test func filesAreListedRecursivelySortedWithGitBlobIds() throws {
        try withGitFixture { repo in
            let contents = [
                "bots/b.yaml": "b", "bots/a.yaml": "a", "bots/team/c.yml": "c",
                "knowledge/x.md": "x", "README.md": "readme",
            ]
            let commit = try repo.commit(contents)
            let bots = try repo.repository.files(at: commit, under: "bots")
            #expect(bots.map(\.path) == ["bots/a.yaml", "bots/b.yaml", "bots/team/c.yml"])
            for file in bots {
                #expect(file.blobID == ObjectID.forBlob(Array(contents[file.path]!.utf8)))
                #expect(try repo.repository.readBlob(file.blobID) == Array(contents[file.path]!.utf8))
            }
            let everything = try repo.repository.files(at: commit, under: "")
            #expect(everything.map(\.path) == ["README.md", "bots/a.yaml", "bots/b.yaml", "bots/team/c.yml", "knowledge/x.md"])
            #expect(try repo.repository.files(at: commit, under: "./bots/").map(\.path) == bots.map(\.path))
            #expect(try repo.repository.files(at: commit, under: "missing").isEmpty)
            #expect(try repo.repository.files(at: commit, under: "README.md").map(\.path) == ["README.md"])
        }
    }

    @Test func eachCommitIsAFullSnapshot() throws {
        try withGitFixture { repo in
            let first = try repo.commit(["bots/a.yaml": "a", "bots/b.yaml": "b"])
            let second = try repo.commit(["bots/a.yaml": "a2"])
            #expect(try repo.repository.files(at: first, under: "bots").map(\.path) == ["bots/a.yaml", "bots/b.yaml"])
            let now = try repo.repository.files(at: second, under: "bots")
            #expect(now.map(\.path) == ["bots/a.yaml"])
            #expect(try repo.repository.readBlob(now[0].blobID) == Array("a2".utf8))
        }
    }

    @Test func blobsAreReadWithoutACheckoutAndEmptyBlobsAreEmpty() throws {
        try withGitFixture { repo in
            let bytes: [UInt8] = [0, 1, 2, 255, 10]
            let commit = try repo.commitBytes(["bin": bytes, "empty": []])
            let files = try repo.repository.files(at: commit, under: "")
            let byPath = Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.blobID) })
            #expect(try repo.repository.readBlob(byPath["bin"]!) == bytes)
            #expect(try repo.repository.readBlob(byPath["empty"]!) == [])
            #expect(try repo.repository.readBlob(byPath["bin"]!, maxBytes: 5) == .bytes(bytes))
            #expect(try repo.repository.readBlob(byPath["bin"]!, maxBytes: 4) == .tooLarge(size: 5))
            // Nothing was checked out: the work tree holds only .git.
            #expect(try FileManager.default.contentsOfDirectory(atPath: repo.path) == [".git"])
        }
    }

    @Test func readingAMissingBlobFailsWithItsId() throws {
        try withGitFixture { repo in
            try repo.commit(["a": "a"])
            let missing = ObjectID.forBlob(Array("never committed".utf8))
            let error = #expect(throws: GitError.self) { try repo.repository.readBlob(missing) }
            #expect(error?.description.hasPrefix("cannot read blob \(missing.short): ") == true)
        }
    }

    @Test func commitsAreWalkedNewestFirstExcludingTheBase() throws {
        try withGitFixture { repo in
            let one = try repo.commit(["a": "1"], message: "one")
            let two = try repo.commit(["a": "2"], message: "two")
            let three = try repo.commit(["a": "3"], message: "three")
            #expect(try repo.repository.commits(from: three.id, excluding: nil).map(\.summary) == ["three", "two", "one"])
            #expect(try repo.repository.commits(from: three.id, excluding: one.id) == [three, two])
            #expect(try repo.repository.commits(from: three.id, excluding: nil, limit: 1) == [three])
            #expect(try repo.repository.commits(from: two.id, excluding: two.id).isEmpty)
        }
    }

    @Test func objectIdsAcceptOnlyFortyHexDigits() {
        let hex = "0123456789abcdef0123456789ABCDEF01234567"
        #expect(ObjectID(hex: hex)?.hex == hex.lowercased())
        #expect(ObjectID(hex: hex)?.short == "0123456")
        #expect(ObjectID(hex: String(hex.dropLast())) == nil)
        #expect(ObjectID(hex: hex + "0") == nil)
        #expect(ObjectID(hex: String(hex.dropLast()) + "g") == nil)
        // `git hash-object` of "hello\n".
        #expect(ObjectID.forBlob(Array("hello\n".utf8)).hex == "ce013625030ba8dba906f756967f9e9ca394464a")
    }
}
