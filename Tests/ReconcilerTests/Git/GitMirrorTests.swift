import BotRuntime
import Foundation
@testable import Reconciler
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Mirrors of real origin repositories in temporary directories, reached through `file://` URLs
/// (and, for authentication, a tiny HTTP server that always answers 401).
@Suite struct GitMirrorTests {
    /// An origin repository with a work tree and the path where its mirror goes.
    struct Setup {
        let origin: GitFixture
        let url: String
        let mirror: String
    }

    func withOrigin<Result>(_ body: (Setup) throws -> Result) throws -> Result {
        try withGitFixture { origin in
            let root = URL(fileURLWithPath: origin.path).deletingLastPathComponent().path
            return try body(Setup(origin: origin, url: "file://" + origin.path, mirror: root + "/mirrors/bots.git"))
        }
    }

    /// The commit `revision` names in the mirror at `path`, opened the way the daemon opens it.
    func resolve(_ revision: String, in path: String) throws -> CommitInfo {
        try GitRepository(path: path).resolve(revision)
    }

    // MARK: - Following the remote

    @Test func firstSyncClonesAndTheBranchResolvesToOriginsHead() throws {
        try withOrigin { setup in
            let head = try setup.origin.commit(["bots/a.yaml": "a\n"], message: "first")
            let path = try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(path == setup.mirror)
            let mirror = try GitRepository(path: path)
            #expect(mirror.isBare)
            #expect(try mirror.resolve("refs/heads/main") == head)
            #expect(try mirror.resolve("HEAD") == head)
        }
    }

    @Test func aNewUpstreamCommitAppearsAfterTheNextSync() throws {
        try withOrigin { setup in
            let first = try setup.origin.commit(["bots/a.yaml": "a\n"], message: "first")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == first)
            let second = try setup.origin.commit(["bots/a.yaml": "b\n"], message: "second")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == second)
            // Nothing new: a sync changes nothing and still succeeds.
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == second)
        }
    }

    @Test func aForcePushIsFollowed() throws {
        try withOrigin { setup in
            let first = try setup.origin.commit(["bots/a.yaml": "a\n"], message: "first")
            try setup.origin.commit(["bots/a.yaml": "b\n"], message: "second")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            // Rewrite main: back to first, then a different second commit.
            try setup.origin.repository.setReference("refs/heads/main", to: first.id)
            let rewritten = try setup.origin.commit(["bots/a.yaml": "rewritten\n"], message: "rewritten")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            let mirrored = try resolve("refs/heads/main", in: setup.mirror)
            #expect(mirrored == rewritten)
            #expect(mirrored.summary == "rewritten")
        }
    }

    @Test func branchesAndTagsDeletedUpstreamArePruned() throws {
        try withOrigin { setup in
            let main = try setup.origin.commit(["bots/a.yaml": "a\n"], message: "first")
            let feature = try setup.origin.commit(["bots/a.yaml": "f\n"], message: "feature", branch: "feature")
            try setup.origin.repository.tag("v1", at: main.id, message: "release 1")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/feature", in: setup.mirror) == feature)
            #expect(try resolve("refs/tags/v1", in: setup.mirror) == main)

            // The fixture's refs are loose files: deleting them deletes the branch and the tag.
            let gitDirectory = setup.origin.repository.gitDirectory
            try FileManager.default.removeItem(atPath: gitDirectory + "refs/heads/feature")
            try FileManager.default.removeItem(atPath: gitDirectory + "refs/tags/v1")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(throws: GitError.self) { try resolve("refs/heads/feature", in: setup.mirror) }
            #expect(throws: GitError.self) { try resolve("refs/tags/v1", in: setup.mirror) }
            #expect(try resolve("refs/heads/main", in: setup.mirror) == main)
        }
    }

    @Test func anUnreachableRemoteFailsInOneSentenceAndLeavesTheMirrorIntact() throws {
        try withOrigin { setup in
            let first = try setup.origin.commit(["bots/a.yaml": "a\n"], message: "first")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            let second = try setup.origin.commit(["bots/a.yaml": "b\n"], message: "second")

            let away = setup.origin.path + "-away"
            try FileManager.default.moveItem(atPath: setup.origin.path, toPath: away)
            let started = Date()
            let error = #expect(throws: GitError.self) { try GitMirror.sync(url: setup.url, into: setup.mirror) }
            #expect(Date().timeIntervalSince(started) < 10, "at once, not after a TCP timeout")
            let description = error?.description ?? ""
            #expect(description.hasPrefix("cannot fetch \(setup.url) into \(setup.mirror): "))
            #expect(!description.contains("\n"))
            #expect(error?.message.isEmpty == false)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == first)

            try FileManager.default.moveItem(atPath: away, toPath: setup.origin.path)
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == second)
        }
    }

    @Test func anEmptyOriginMirrorsToNoBranches() throws {
        try withOrigin { setup in
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(throws: GitError.self) { try resolve("refs/heads/main", in: setup.mirror) }
            let commit = try setup.origin.commit(["a.txt": "x"])
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == commit)
        }
    }

    @Test func headFollowsTheRemotesDefaultBranch() throws {
        try withTemporaryDirectory { directory in
            let origin = try GitRepository.create(at: directory + "/origin", initialBranch: "trunk")
            let trunk = try origin.commit(files: ["a.txt": [1]], message: "trunk", branch: "trunk")
            let other = try origin.commit(files: ["a.txt": [2]], message: "other", branch: "other")
            let url = "file://" + directory + "/origin"
            let mirror = directory + "/mirror"
            try GitMirror.sync(url: url, into: mirror)
            #expect(try resolve("HEAD", in: mirror) == trunk)

            // The remote's default branch changes (like renaming it on a forge).
            try Data("ref: refs/heads/other\n".utf8).write(to: URL(fileURLWithPath: origin.gitDirectory + "HEAD"))
            try GitMirror.sync(url: url, into: mirror)
            #expect(try resolve("HEAD", in: mirror) == other)
            #expect(try resolve("refs/heads/trunk", in: mirror) == trunk)
        }
    }

    // MARK: - The mirror directory

    @Test func missingParentDirectoriesAreCreatedAndNothingIsLeftBeside() throws {
        try withOrigin { setup in
            try setup.origin.commit(["a.txt": "x"])
            let nested = URL(fileURLWithPath: setup.mirror).deletingLastPathComponent().path + "/deeper/still/bots.git"
            try GitMirror.sync(url: setup.url, into: nested)
            #expect(try GitRepository(path: nested).isBare)
            let parent = URL(fileURLWithPath: nested).deletingLastPathComponent().path
            #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["bots.git"])
        }
    }

    @Test func aRelativePathIsReturnedAbsolute() throws {
        try withOrigin { setup in
            try setup.origin.commit(["a.txt": "x"])
            let cwd = FileManager.default.currentDirectoryPath
            let relative = "../" + String(repeating: "../", count: cwd.split(separator: "/").count) + setup.mirror.dropFirst()
            let path = try GitMirror.sync(url: setup.url, into: relative)
            #expect(path == setup.mirror)
        }
    }

    @Test func anEmptyDirectoryBecomesTheMirror() throws {
        try withOrigin { setup in
            let commit = try setup.origin.commit(["a.txt": "x"])
            try FileManager.default.createDirectory(atPath: setup.mirror, withIntermediateDirectories: true)
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == commit)
        }
    }

    @Test func aMirrorInsideAnotherRepositorysWorkTreeIsItsOwnRepository() throws {
        try withOrigin { setup in
            let commit = try setup.origin.commit(["a.txt": "x"])
            let inside = setup.origin.path + "/.nectar/mirror"
            try GitMirror.sync(url: setup.url, into: inside)
            let mirror = try GitRepository(path: inside)
            #expect(mirror.isBare)
            #expect(mirror.gitDirectory.hasPrefix(inside))
            #expect(try mirror.resolve("refs/heads/main") == commit)
        }
    }

    @Test func directoriesThatAreNotNectarMirrorsAreRefused() throws {
        try withOrigin { setup in
            try setup.origin.commit(["a.txt": "x"])
            let root = URL(fileURLWithPath: setup.mirror).deletingLastPathComponent().path

            let plain = root + "/plain"
            try writeFile(root: plain, "notes.txt", Array("keep me".utf8))
            let notRepository = #expect(throws: GitError.self) { try GitMirror.sync(url: setup.url, into: plain) }
            #expect(notRepository?.description == "cannot open mirror at \(plain): it exists and is not a git repository; remove it or choose another path")

            // A work tree, such as the origin itself.
            let workTree = #expect(throws: GitError.self) { try GitMirror.sync(url: setup.url, into: setup.origin.path) }
            #expect(workTree?.description == "cannot open mirror at \(setup.origin.path): it is a repository with a work tree, not a mirror")

            // Someone's bare repository: never adopted (and so never pruned).
            let foreign = root + "/foreign.git"
            let repository = try GitRepository.create(at: foreign, bare: true)
            let kept = try repository.commit(files: ["a.txt": [1]], message: "theirs", branch: "theirs")
            let bare = #expect(throws: GitError.self) { try GitMirror.sync(url: setup.url, into: foreign) }
            #expect(bare?.description == "cannot open mirror at \(foreign): it is a bare repository that nectar did not create; remove it or choose another path")
            #expect(try resolve("refs/heads/theirs", in: foreign) == kept)

            let file = root + "/file"
            try writeFile(root: root, "file", [1])
            let notDirectory = #expect(throws: GitError.self) { try GitMirror.sync(url: setup.url, into: file) }
            #expect(notDirectory?.description == "cannot open mirror at \(file): it exists and is not a directory")
        }
    }

    @Test func aBareRepositoryWithoutTheMarkerIsAdoptedOnlyForItsOwnURL() throws {
        try withOrigin { setup in
            let commit = try setup.origin.commit(["a.txt": "x"])
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            // As if made by `git clone --bare`: the same remote, no nectar marker.
            let config = setup.mirror + "/config"
            let text = try String(contentsOfFile: config, encoding: .utf8)
            #expect(text.contains("[nectar]\n\tmirror = true\n"))
            try text.replacingOccurrences(of: "[nectar]\n\tmirror = true\n", with: "").write(toFile: config, atomically: true, encoding: .utf8)

            #expect(throws: GitError.self) { try GitMirror.sync(url: "file:///elsewhere.git", into: setup.mirror) }
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try String(contentsOfFile: config, encoding: .utf8).contains("[nectar]\n\tmirror = true\n"))
            #expect(try resolve("refs/heads/main", in: setup.mirror) == commit)
        }
    }

    @Test func aMirrorMadeForAnotherURLFollowsTheNewOne() throws {
        try withOrigin { setup in
            try setup.origin.commit(["a.txt": "old"], message: "old", branch: "old-only")
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/old-only", in: setup.mirror).summary == "old")

            try withGitFixture { other in
                let commit = try other.commit(["a.txt": "new"], message: "new")
                try GitMirror.sync(url: "file://" + other.path, into: setup.mirror)
                #expect(try resolve("refs/heads/main", in: setup.mirror) == commit)
                #expect(throws: GitError.self) { try resolve("refs/heads/old-only", in: setup.mirror) }
            }
        }
    }

    @Test func staleLockFilesAreRemovedAndFreshOnesKept() throws {
        try withOrigin { setup in
            let first = try setup.origin.commit(["a.txt": "1"])
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            let second = try setup.origin.commit(["a.txt": "2"])
            // A crash while main was being updated left its lock behind.
            let lock = setup.mirror + "/refs/heads/main.lock"
            try writeFile(root: setup.mirror, "refs/heads/main.lock", Array((first.id.hex + "\n").utf8))
            let old = Date(timeIntervalSinceNow: -GitMirror.staleLockAge - 60)
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: lock)
            try GitMirror.sync(url: setup.url, into: setup.mirror)
            #expect(try resolve("refs/heads/main", in: setup.mirror) == second)
            #expect(!FileManager.default.fileExists(atPath: lock))

            try writeFile(root: setup.mirror, "packed-refs.lock", [])
            GitMirror.removeStaleLocks(in: URL(fileURLWithPath: setup.mirror))
            #expect(FileManager.default.fileExists(atPath: setup.mirror + "/packed-refs.lock"))
        }
    }

    // MARK: - Credentials and secrets

    @Test(arguments: [
        ("https://127.0.0.1:1/bots.git", GitCredentials.token("sekret-123")),
        ("https://x:sekret-123@127.0.0.1:1/bots.git", GitCredentials.none),
        ("https://sekret-123@127.0.0.1:1/bots.git", GitCredentials.none),  // a token as the user name
        ("ssh://git@127.0.0.1:1/bots.git", GitCredentials.sshKey(privateKey: "/nonexistent/id", publicKey: nil, passphrase: "sekret-123")),
        ("file:///nonexistent/sekret-123/bots.git", GitCredentials.token("sekret-123")),
    ])
    func aSecretNeverAppearsInAnError(url: String, credentials: GitCredentials) throws {
        try withTemporaryDirectory { directory in
            let started = Date()
            let error = #expect(throws: GitError.self) {
                try GitMirror.sync(url: url, into: directory + "/mirror", credentials: credentials)
            }
            #expect(Date().timeIntervalSince(started) < 10, "at once, not after a TCP timeout")
            let description = error?.description ?? ""
            #expect(description.hasPrefix("cannot fetch "))
            #expect(!description.contains("sekret"))
            #expect(!description.contains("\n"))
            #expect(!"\(credentials)".contains("sekret"))
            #expect(!String(reflecting: credentials).contains("sekret"))
        }
    }

    @Test func theRedactorReplacesEverySpellingOfTheSecrets() {
        let redactor = SecretRedactor(url: "https://me:p%40ss@example.com/r.git", credentials: .token("tok-1"))
        let text = "remote said tok-1\nand p@ss and p%40ss\r\n"
        #expect(redactor.redact(text) == "remote said *** and *** and ***")
        let error = redactor.redact(GitError(operation: "fetch https://me:p%40ss@example.com/r.git", message: "bad tok-1.\n"))
        #expect(error.description == "cannot fetch https://me:***@example.com/r.git: bad ***")
    }

    #if canImport(Glibc)
    @Test func aRejectedTokenIsOfferedOnceAndFailsAsAuthentication() throws {
        let server = try UnauthorizedServer()
        defer { server.stop() }
        try withTemporaryDirectory { directory in
            let url = "http://127.0.0.1:\(server.port)/bots.git"
            let error = #expect(throws: GitError.self) {
                try GitMirror.sync(url: url, into: directory + "/mirror", credentials: .token("sekret-123"))
            }
            #expect(error?.description == "cannot fetch \(url) into \(directory)/mirror: authentication failed: the remote rejected the token")
            // One request without credentials, one with the token as basic auth, then nectar gives up.
            let expected = "Basic " + Data("x-access-token:sekret-123".utf8).base64EncodedString()
            #expect(server.authorizations == [nil, expected])

            let none = #expect(throws: GitError.self) {
                try GitMirror.sync(url: url, into: directory + "/mirror")
            }
            #expect(none?.message == "the remote requires authentication and no credentials are configured")
        }
    }
    #endif

    @Test func sshCredentialsAskForTheUserOnceThenTheKeyOnce() throws {
        try withTemporaryDirectory { directory in
            try writeFile(root: directory, "id", Array("key".utf8))
            let key = directory + "/id"
            let username = GIT_CREDENTIAL_USERNAME_VALUE
            let sshKey = GIT_CREDENTIAL_SSH_KEY_VALUE

            let session = FetchSession(credentials: .sshKey(privateKey: key, publicKey: nil, passphrase: "pw"))
            #expect(session.decide(usernameFromURL: nil, allowed: username) == .username("git"))
            #expect(session.decide(usernameFromURL: "git", allowed: sshKey)
                    == .sshKey(user: "git", publicKey: nil, privateKey: key, passphrase: "pw"))
            #expect(session.decide(usernameFromURL: "git", allowed: sshKey)
                    == .fail("authentication failed: the remote rejected the SSH key \(key)"))

            let deploy = FetchSession(credentials: .sshKey(privateKey: key, publicKey: key + ".pub", passphrase: nil))
            #expect(deploy.decide(usernameFromURL: "deploy", allowed: sshKey)
                    == .sshKey(user: "deploy", publicKey: key + ".pub", privateKey: key, passphrase: nil))

            let missing = FetchSession(credentials: .sshKey(privateKey: directory + "/nope", publicKey: nil, passphrase: nil))
            #expect(missing.decide(usernameFromURL: "git", allowed: sshKey) == .fail("the SSH private key \(directory)/nope cannot be read"))

            let token = FetchSession(credentials: .token("t"))
            #expect(token.decide(usernameFromURL: "git", allowed: sshKey) == .fail("the remote does not accept a token (it asks for an SSH key)"))
            let userpass = GIT_CREDENTIAL_USERPASS_PLAINTEXT_VALUE
            #expect(token.decide(usernameFromURL: "oauth2", allowed: userpass) == .userpass(user: "oauth2", password: "t"))
        }
    }

    @Test func aTransferPastItsDeadlineIsStopped() {
        let session = FetchSession(credentials: .none, deadline: Date(timeIntervalSinceNow: -1))
        #expect(session.checkDeadline() == -1)
        #expect(session.failure == "the transfer took longer than 30 minutes")
        #expect(FetchSession(credentials: .none).checkDeadline() == 0)
    }

    @Test func debiansLibgit2ReportsHTTPSAndSSH() {
        // scripts/setup installs Debian's libgit2-dev (1.5.1, built with both);
        // the daemon's docs and its ssh:// check rely on these answers.
        #expect(GitMirror.supportsHTTPS)
        #expect(GitMirror.supportsSSH)
    }
}

// libgit2's credential bits, spelled here so that the tests need not import CGit2.
let GIT_CREDENTIAL_USERPASS_PLAINTEXT_VALUE: UInt32 = 1 << 0
let GIT_CREDENTIAL_SSH_KEY_VALUE: UInt32 = 1 << 1
let GIT_CREDENTIAL_USERNAME_VALUE: UInt32 = 1 << 5

#if canImport(Glibc)
/// An HTTP server on 127.0.0.1 that answers every request with 401 and a Basic challenge,
/// recording each request's Authorization header (nil when absent).
final class UnauthorizedServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var stopped = false
    private var recorded: [String?] = []
    private let finished = DispatchSemaphore(value: 0)

    var authorizations: [String?] { lock.withLock { recorded } }

    init() throws {
        let listener = try LoopbackListener()
        self.listener = listener.descriptor
        port = listener.port
        Thread.detachNewThread { [self] in serve() }
    }

    func stop() {
        lock.withLock { stopped = true }
        finished.wait()
        close(listener)
    }

    private func serve() {
        defer { finished.signal() }
        while !lock.withLock({ stopped }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 20) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var request = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !request.ends(with: Array("\r\n\r\n".utf8)) {
                let count = recv(client, &buffer, buffer.count, 0)
                if count <= 0 { break }
                request += buffer[0..<count]
            }
            let header = String(decoding: request, as: UTF8.self)
                .components(separatedBy: "\r\n")
                .first { $0.lowercased().hasPrefix("authorization:") }
                .map { String($0.dropFirst("authorization:".count)).trimmingCharacters(in: .whitespaces) }
            lock.withLock { recorded.append(header) }
            let response = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"nectar\"\r\n"
                + "Content-Length: 0\r\nConnection: close\r\n\r\n"
            _ = Array(response.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }
}

#endif

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
