import Foundation
internal import CGit2

/// How nectar authenticates to a remote.
///
/// Its descriptions never show a secret: `token(***)`.
public enum GitCredentials: Sendable, Equatable {
    case none
    /// HTTPS token (sent as basic auth password, user "x-access-token"; GitHub/GitLab/Gitea accept this).
    /// A user name in the URL (`https://oauth2@gitlab.example.com/...`) is sent instead when there is one.
    case token(String)
    /// SSH private key file (public key path optional), optional passphrase, user from the URL or "git".
    case sshKey(privateKey: String, publicKey: String?, passphrase: String?)
}

extension GitCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .none: "none"
        case .token: "token(***)"
        case .sshKey(let privateKey, _, let passphrase):
            "sshKey(\(privateKey)\(passphrase == nil ? "" : ", passphrase: ***"))"
        }
    }

    public var debugDescription: String { description }

    /// `dump` and debuggers show the redacted description, not the token.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

/// Bare mirrors of remote repositories, kept up to date by fetching.
///
/// A mirror is a bare repository whose `refs/heads/*` and `refs/tags/*` are
/// exactly the remote's after each `sync`: the daemon syncs on every poll,
/// then opens the mirror with `GitRepository(path:)` and resolves
/// `refs/heads/<branch>` (or `HEAD`, which follows the remote's default branch).
///
/// `sync` blocks the calling thread on network I/O; from async code, call it
/// off the cooperative thread pool. Do not sync one mirror from two threads at
/// once (libgit2's lock files make the second fail rather than corrupt it).
public enum GitMirror {
    /// Whether this libgit2 was built with SSH (git_libgit2_features() & GIT_FEATURE_SSH).
    public static var supportsSSH: Bool {
        _ = libgit2Initialized
        return git_libgit2_features() & Int32(GIT_FEATURE_SSH.rawValue) != 0
    }

    /// Whether this libgit2 was built with HTTPS (git_libgit2_features() & GIT_FEATURE_HTTPS).
    public static var supportsHTTPS: Bool {
        _ = libgit2Initialized
        return git_libgit2_features() & Int32(GIT_FEATURE_HTTPS.rawValue) != 0
    }

    /// Brings the bare mirror at `path` up to date with `url`: the first call initialises a bare repository there
    /// and adds remote "origin" with fetch refspec "+refs/heads/*:refs/heads/*" (plus tags), later calls fetch,
    /// pruning branches deleted upstream and accepting forced pushes. Returns the path to open with GitRepository
    /// (`path` made absolute).
    ///
    /// - The mirror is created atomically: in a hidden sibling directory that is renamed to `path` once
    ///   configured, so a crash never leaves a half-made mirror at `path`. Missing parent directories are created.
    ///   An empty directory at `path` is replaced by the mirror.
    /// - The mirror carries the marker `nectar.mirror = true` in its config. An existing bare repository without
    ///   it is adopted only when its `origin` already points at `url`; any other existing directory fails, so
    ///   that a mistyped path never prunes someone's repository.
    /// - If the mirror was made for another URL, its `origin` is pointed at `url` and the fetch prunes what the
    ///   new remote lacks: the mirror follows the configuration.
    /// - A failed fetch (unreachable remote, authentication) leaves every ref as it was. Lock files older than
    ///   ten minutes (left by a process that crashed mid-fetch) are removed before fetching.
    /// - `HEAD` is pointed at the remote's default branch when the remote reports one.
    ///
    /// Errors are one sentence and never contain a credential (token or passphrase), even if libgit2's message
    /// would; redact any occurrence of the secret defensively. A password in the URL is redacted as well.
    ///
    /// libgit2 1.5 has no network timeouts: a missing path, a refused connection or an unknown host fail at
    /// once, a silently dropped connection attempt fails after the system's TCP connect timeout (about two
    /// minutes on Linux), and a transfer is abandoned after thirty minutes. SSH host keys must be listed in
    /// `~/.ssh/known_hosts`.
    @discardableResult
    public static func sync(url: String, into path: String, credentials: GitCredentials = .none) throws(GitError) -> String {
        _ = libgit2Initialized
        let redactor = SecretRedactor(url: url, credentials: credentials)
        do {
            let mirror = URL(fileURLWithPath: path).standardizedFileURL
            let repository = try openOrCreate(mirror, url: url)
            defer { git_repository_free(repository) }
            removeStaleLocks(in: URL(fileURLWithPath: String(cString: git_repository_path(repository))))
            let remote = try origin(of: repository, url: url, mirror: mirror.path)
            defer { git_remote_free(remote) }
            try fetch(remote, url: url, into: mirror.path, credentials: credentials)
            followDefaultBranch(repository, remote: remote)
            return mirror.path
        } catch {
            throw redactor.redact(error)
        }
    }

    // MARK: - The mirror repository

    /// The fetch refspecs of a mirror: every branch and tag, forced.
    static let refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]

    /// The config key that marks a repository as a mirror nectar made.
    static let markerKey = "nectar.mirror"

    /// Lock files older than this are left by a crashed process.
    static let staleLockAge: TimeInterval = 10 * 60

    /// A fetch that is still receiving data after this long is abandoned.
    static let transferTimeLimit: TimeInterval = 30 * 60

    private static func openOrCreate(_ mirror: URL, url: String) throws(GitError) -> OpaquePointer {
        let path = mirror.path
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            try create(mirror, url: url)
        } else if !isDirectory.boolValue {
            throw GitError(operation: "open mirror at \(path)", message: "it exists and is not a directory")
        } else if (try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty == true {
            try create(mirror, url: url)
        }

        let operation = "open mirror at \(path)"
        var repository: OpaquePointer?
        let result = git_repository_open_ext(&repository, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        if result == GIT_ENOTFOUND.rawValue {
            throw GitError(operation: operation,
                           message: "it exists and is not a git repository; remove it or choose another path",
                           code: result)
        }
        try check(operation, result)
        guard let repository else { throw GitError(operation: operation, message: "no repository") }
        do throws(GitError) {
            guard git_repository_is_bare(repository) == 1 else {
                throw GitError(operation: operation, message: "it is a repository with a work tree, not a mirror")
            }
            try withLocalConfig(repository, operation) { config throws(GitError) in
                var marked: Int32 = 0
                if git_config_get_bool(&marked, config, markerKey) == 0, marked != 0 { return }
                var configured = git_buf()
                defer { git_buf_dispose(&configured) }
                let hasOrigin = git_config_get_string_buf(&configured, config, "remote.origin.url") == 0
                guard hasOrigin, let pointer = configured.ptr, String(cString: pointer) == url else {
                    throw GitError(operation: operation,
                                   message: "it is a bare repository that nectar did not create; remove it or choose another path")
                }
                try check(operation, git_config_set_bool(config, markerKey, 1))
            }
        } catch {
            git_repository_free(repository)
            throw error
        }
        return repository
    }

    /// Makes a configured bare repository beside `mirror`, then renames it into place.
    private static func create(_ mirror: URL, url: String) throws(GitError) {
        let operation = "create mirror at \(mirror.path)"
        let parent = mirror.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw GitError(operation: operation, message: "cannot create \(parent.path): \(error.localizedDescription)")
        }
        let staging = parent.appendingPathComponent(".\(mirror.lastPathComponent).nectar-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }

        var options = git_repository_init_options()
        try check("prepare repository options", git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)))
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | GIT_REPOSITORY_INIT_BARE.rawValue
        var repository: OpaquePointer?
        try check(operation, git_repository_init_ext(&repository, staging.path, &options))
        guard let repository else { throw GitError(operation: operation, message: "no repository") }
        do {
            defer { git_repository_free(repository) }
            var remote: OpaquePointer?
            try check(operation, git_remote_create_with_fetchspec(&remote, repository, "origin", url, refspecs[0]))
            git_remote_free(remote)
            for refspec in refspecs.dropFirst() {
                try check(operation, git_remote_add_fetch(repository, "origin", refspec))
            }
            try withLocalConfig(repository, operation) { config throws(GitError) in
                try check(operation, git_config_set_bool(config, "remote.origin.prune", 1))
                try check(operation, git_config_set_bool(config, markerKey, 1))
            }
        }
        if rename(staging.path, mirror.path) != 0 {
            let reason = String(cString: strerror(errno))
            // Another process may have created the mirror meanwhile; opening it checks what is there.
            if (try? FileManager.default.contentsOfDirectory(atPath: mirror.path))?.isEmpty == false { return }
            throw GitError(operation: operation, message: reason)
        }
    }

    /// Runs `body` with the repository's own config file (not the user's or the system's).
    private static func withLocalConfig(
        _ repository: OpaquePointer, _ operation: String, _ body: (OpaquePointer) throws(GitError) -> Void
    ) throws(GitError) {
        var all: OpaquePointer?
        try check(operation, git_repository_config(&all, repository))
        defer { git_config_free(all) }
        var local: OpaquePointer?
        try check(operation, git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL))
        guard let local else { throw GitError(operation: operation, message: "no repository config") }
        defer { git_config_free(local) }
        try body(local)
    }

    /// The mirror's `origin`, pointed at `url` first when it points elsewhere.
    private static func origin(of repository: OpaquePointer, url: String, mirror: String) throws(GitError) -> OpaquePointer {
        let operation = "configure the remote of \(mirror)"
        var configured: String?
        try withLocalConfig(repository, operation) { config throws(GitError) in
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            if git_config_get_string_buf(&buffer, config, "remote.origin.url") == 0, let pointer = buffer.ptr {
                configured = String(cString: pointer)
            }
        }
        var remote: OpaquePointer?
        if configured == nil {
            // The remote section was removed by hand: make it again.
            try check(operation, git_remote_create_with_fetchspec(&remote, repository, "origin", url, refspecs[0]))
            git_remote_free(remote)
            for refspec in refspecs.dropFirst() {
                try check(operation, git_remote_add_fetch(repository, "origin", refspec))
            }
        } else if configured != url {
            try check(operation, git_remote_set_url(repository, "origin", url))
        }
        try check(operation, git_remote_lookup(&remote, repository, "origin"))
        guard let remote else { throw GitError(operation: operation, message: "no remote") }
        return remote
    }

    // MARK: - Fetching

    private static func fetch(_ remote: OpaquePointer, url: String, into mirror: String, credentials: GitCredentials) throws(GitError) {
        // Without the URL's user info: a token may be the user name (`https://TOKEN@github.com/...`).
        let operation = "fetch \(RemoteURL.redacted(url)) into \(mirror)"
        var options = git_fetch_options()
        try check(operation, git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
        options.prune = GIT_FETCH_PRUNE
        options.update_fetchhead = 0
        // The tags refspec fetches every tag; automatic tag following would add nothing.
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.callbacks.credentials = { out, _, usernameFromURL, allowedTypes, payload in
            guard let out, let payload else { return GIT_EUSER.rawValue }
            let session = Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
            return session.acquire(out, usernameFromURL: usernameFromURL.map { String(cString: $0) }, allowed: allowedTypes)
        }
        options.callbacks.transfer_progress = { _, payload in
            guard let payload else { return 0 }
            return Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue().checkDeadline()
        }
        options.callbacks.sideband_progress = { _, _, payload in
            guard let payload else { return 0 }
            return Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue().checkDeadline()
        }
        let session = FetchSession(credentials: credentials, deadline: Date(timeIntervalSinceNow: transferTimeLimit))
        let result = withExtendedLifetime(session) { () -> Int32 in
            options.callbacks.payload = Unmanaged.passUnretained(session).toOpaque()
            return withStringArray(refspecs) { array in
                git_remote_fetch(remote, &array, &options, "nectar: sync")
            }
        }
        if result < 0, let failure = session.failure {
            throw GitError(operation: operation, message: failure, code: result)
        }
        do {
            try check(operation, result)
        } catch where error.code == GIT_ECERTIFICATE.rawValue && error.message.contains("hostkey") {
            // libgit2 1.5.1 checks SSH host keys against ~/.ssh/known_hosts only.
            throw GitError(operation: operation,
                           message: "\(error.message); add the host's key to ~/.ssh/known_hosts (ssh-keyscan prints it)",
                           code: error.code)
        }
    }

    /// Points HEAD at the remote's default branch, when the remote names one that the mirror has.
    /// Best effort: the mirror's branches are what matters, so a failure here is not one of `sync`.
    private static func followDefaultBranch(_ repository: OpaquePointer, remote: OpaquePointer) {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        guard git_remote_default_branch(&buffer, remote) == 0, let pointer = buffer.ptr else {
            git_error_clear()
            return
        }
        let branch = String(cString: pointer)
        guard branch.hasPrefix("refs/heads/") else { return }
        var head: OpaquePointer?
        if git_reference_lookup(&head, repository, "HEAD") == 0, let head {
            defer { git_reference_free(head) }
            if let target = git_reference_symbolic_target(head), String(cString: target) == branch { return }
        }
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, repository, branch) == 0 else {
            git_error_clear()
            return
        }
        if git_repository_set_head(repository, branch) < 0 { git_error_clear() }
    }

    /// Calls `body` with a `git_strarray` of `strings`, valid only during the call.
    private static func withStringArray<Result>(_ strings: [String], _ body: (inout git_strarray) -> Result) -> Result {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return body(&array)
        }
    }

    /// Removes lock files that a process which crashed mid-fetch left behind: libgit2 refuses to
    /// update a ref (or the config) while its `.lock` exists. Fresh ones belong to a live process.
    static func removeStaleLocks(in gitDirectory: URL, now: Date = Date()) {
        let fileManager = FileManager.default
        var candidates = ["HEAD.lock", "config.lock", "packed-refs.lock", "FETCH_HEAD.lock", "shallow.lock"]
            .map { gitDirectory.appendingPathComponent($0) }
        if let walker = fileManager.enumerator(at: gitDirectory.appendingPathComponent("refs"), includingPropertiesForKeys: nil) {
            // git forbids ref names ending in ".lock", so these are all lock files.
            for case let file as URL in walker where file.pathExtension == "lock" { candidates.append(file) }
        }
        for file in candidates {
            guard let attributes = try? fileManager.attributesOfItem(atPath: file.path),
                  let modified = attributes[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) > staleLockAge else { continue }
            try? fileManager.removeItem(at: file)
        }
    }
}

// MARK: - Credentials

/// What the credential callback hands libgit2 next.
enum CredentialDecision: Equatable {
    case username(String)
    case userpass(user: String, password: String)
    case sshKey(user: String, publicKey: String?, privateKey: String, passphrase: String?)
    case fail(String)
}

/// The state of one fetch, reached from libgit2's C callbacks through their payload pointer.
///
/// libgit2 asks for credentials again each time the remote rejects them; the session offers
/// each kind once, so a wrong token fails instead of looping.
final class FetchSession {
    let credentials: GitCredentials
    let deadline: Date
    /// Why the fetch was stopped from a callback, when it was.
    private(set) var failure: String?
    private var offeredUsername = false
    private var offeredUserpass = false
    private var offeredSSHKey = false

    init(credentials: GitCredentials, deadline: Date = .distantFuture) {
        self.credentials = credentials
        self.deadline = deadline
    }

    /// The next credential for a remote that accepts `allowed` (`git_credential_t` bits).
    func decide(usernameFromURL: String?, allowed: UInt32) -> CredentialDecision {
        let userpass = allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0
        let sshKey = allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0
        let username = allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0
        let user = usernameFromURL.flatMap { $0.isEmpty ? nil : $0 }
        switch credentials {
        case .none:
            return .fail("the remote requires authentication and no credentials are configured")
        case .token(let token):
            guard userpass else {
                return .fail("the remote does not accept a token (it asks for \(Self.describe(allowed)))")
            }
            if offeredUserpass { return .fail("authentication failed: the remote rejected the token") }
            offeredUserpass = true
            return .userpass(user: user ?? "x-access-token", password: token)
        case .sshKey(let privateKey, let publicKey, let passphrase):
            if username && !sshKey {
                // SSH without a user in the URL asks for the user name first.
                if offeredUsername { return .fail("authentication failed: the remote asked for a user name twice") }
                offeredUsername = true
                return .username(user ?? "git")
            }
            guard sshKey else {
                return .fail("the remote does not accept an SSH key (it asks for \(Self.describe(allowed)))")
            }
            if offeredSSHKey { return .fail("authentication failed: the remote rejected the SSH key \(privateKey)") }
            offeredSSHKey = true
            guard FileManager.default.isReadableFile(atPath: privateKey) else {
                return .fail("the SSH private key \(privateKey) cannot be read")
            }
            return .sshKey(user: user ?? "git", publicKey: publicKey, privateKey: privateKey, passphrase: passphrase)
        }
    }

    /// Fills `out` for libgit2's credential callback; returns its result code.
    func acquire(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, usernameFromURL: String?, allowed: UInt32) -> Int32 {
        switch decide(usernameFromURL: usernameFromURL, allowed: allowed) {
        case .username(let user):
            return git_credential_username_new(out, user)
        case .userpass(let user, let password):
            return git_credential_userpass_plaintext_new(out, user, password)
        case .sshKey(let user, let publicKey, let privateKey, let passphrase):
            return git_credential_ssh_key_new(out, user, publicKey, privateKey, passphrase)
        case .fail(let message):
            failure = message
            git_error_set_str(Int32(GIT_ERROR_NET.rawValue), message)
            return GIT_EAUTH.rawValue
        }
    }

    /// 0 to go on, or -1 (stopping the fetch) once the deadline has passed.
    func checkDeadline() -> Int32 {
        guard Date() > deadline else { return 0 }
        failure = "the transfer took longer than \(Int(GitMirror.transferTimeLimit / 60)) minutes"
        return -1
    }

    private static func describe(_ allowed: UInt32) -> String {
        var kinds: [String] = []
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 { kinds.append("a user name and password") }
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 { kinds.append("an SSH key") }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 { kinds.append("a user name") }
        if allowed & GIT_CREDENTIAL_DEFAULT.rawValue != 0 { kinds.append("Negotiate/NTLM") }
        if allowed & GIT_CREDENTIAL_SSH_INTERACTIVE.rawValue != 0 { kinds.append("keyboard-interactive SSH") }
        return kinds.isEmpty ? "an unsupported kind of credential" : kinds.joined(separator: " or ")
    }
}

// MARK: - Redaction

/// Keeps secrets out of error messages: every occurrence of the token, the passphrase or
/// the URL's password (raw and percent-encoded) becomes `***`, and line breaks become spaces
/// so that an error stays one sentence.
struct SecretRedactor {
    let secrets: [String]

    init(url: String, credentials: GitCredentials) {
        var secrets: [String] = []
        switch credentials {
        case .none: break
        case .token(let token): secrets.append(token)
        case .sshKey(_, _, let passphrase): if let passphrase { secrets.append(passphrase) }
        }
        if let components = URLComponents(string: url) {
            if let password = components.percentEncodedPassword { secrets.append(password) }
            if let password = components.password { secrets.append(password) }
        }
        for secret in secrets {
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) { secrets.append(encoded) }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    func redact(_ text: String) -> String {
        var text = text
        for secret in secrets { text = text.replacingOccurrences(of: secret, with: "***") }
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    func redact(_ error: GitError) -> GitError {
        GitError(operation: redact(error.operation), message: redact(error.message).trimmingTrailingNewlines(), code: error.code)
    }
}
