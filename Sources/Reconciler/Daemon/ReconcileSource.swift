import BotRuntime
import Foundation

/// Where the daemon reads declarations: a repository on this machine, or a
/// remote mirrored into a local bare repository.
public struct ReconcileSource: Sendable {
    public enum Location: Sendable, Equatable {
        /// A repository path (bare or with a work tree); its branch head is reconciled.
        case local(path: String)
        /// A remote URL (`file://`, `https://`, `ssh://`), mirrored into `mirror`.
        case remote(url: String, mirror: String, credentials: GitCredentials)
    }

    public var location: Location
    /// The branch to reconcile; nil means `HEAD`: the local repository's, or
    /// for a remote the mirror's, which follows the remote's default branch.
    public var branch: String?
    /// The declarations directory inside the repository.
    public var path: String

    public init(location: Location, branch: String? = nil, path: String = "bots") {
        self.location = location
        self.branch = branch
        self.path = path
    }

    /// Classifies a `--repo` value: a URL with a scheme (or `user@host:path`
    /// scp syntax) is a remote mirrored under `mirrorDirectory`; anything else is a path.
    public static func location(for repository: String, mirrorDirectory: String, credentials: GitCredentials) -> Location {
        guard isRemote(repository) else { return .local(path: repository) }
        return .remote(url: repository, mirror: mirrorPath(for: repository, in: mirrorDirectory), credentials: credentials)
    }

    static func isRemote(_ repository: String) -> Bool {
        if let scheme = repository.range(of: "://") {
            return !repository[..<scheme.lowerBound].isEmpty && repository[..<scheme.lowerBound].allSatisfy { $0.isLetter || $0 == "+" }
        }
        // scp-like `git@github.com:org/repo.git`
        if let colon = repository.firstIndex(of: ":"), let at = repository.firstIndex(of: "@"), at < colon,
           !repository[..<colon].contains("/") {
            return true
        }
        return false
    }

    /// One mirror per URL (credentials never take part): `<dir>/<host-path>-<hash>.git`.
    static func mirrorPath(for url: String, in directory: String) -> String {
        let clean = RemoteURL.redacted(url)
        let slug = clean.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).suffix(3).joined(separator: "-")
        let hash = CanonicalSpec.hash(Array(clean.utf8)).prefix(10)
        return (directory as NSString).appendingPathComponent("\(slug.prefix(60))-\(hash).git")
    }

    /// How the source shows in status and logs.
    public var displayName: String {
        switch location {
        case .local(let path): path
        case .remote(let url, _, _): RemoteURL.redacted(url)
        }
    }

    /// The revision to reconcile.
    public var revision: String {
        branch.map { "refs/heads/\($0)" } ?? "HEAD"
    }

    /// Brings the source up to date (fetches a remote) and returns the
    /// repository path to read. Blocking; call off the cooperative pool.
    public func prepare() throws(GitError) -> String {
        switch location {
        case .local(let path):
            return path
        case .remote(let url, let mirror, let credentials):
            return try GitMirror.sync(url: url, into: mirror, credentials: credentials)
        }
    }
}
