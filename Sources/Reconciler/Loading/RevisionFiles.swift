import Foundation

/// The files of one revision, from git's object database or from a work tree.
/// The loader reads declarations and knowledge through this, so that both
/// sources are validated by the same code.
public protocol RevisionFiles {
    /// The commit being read, or nil for a work tree.
    var commit: CommitInfo? { get }
    /// Regular files below `directory` (repository-relative; `""` is the root).
    func files(under directory: String) throws -> [TreeFile]
    /// The bytes of a file, or only its size when it is larger than `maxBytes`.
    func read(_ file: TreeFile, maxBytes: Int) throws -> FileContent
    /// The direct entries of a directory with ids for subdirectories, when
    /// the source has such ids (git); nil otherwise (a work tree).
    func entries(under directory: String) throws -> [TreeEntry]?
}

extension RevisionFiles {
    public func entries(under directory: String) throws -> [TreeEntry]? { nil }
}

/// A commit of a git repository, read straight from the object database.
public struct GitRevisionFiles: RevisionFiles {
    let repository: GitRepository
    /// The commit whose tree is read.
    public let commit: CommitInfo?

    /// Reads `revision` of `repository`; throws when it does not resolve.
    public init(repository: GitRepository, revision: String) throws(GitError) {
        self.repository = repository
        self.commit = try repository.resolve(revision)
    }

    public func files(under directory: String) throws -> [TreeFile] {
        guard let commit else { return [] }
        return try repository.files(at: commit, under: directory)
    }

    public func read(_ file: TreeFile, maxBytes: Int) throws -> FileContent {
        try repository.readBlob(file.blobID, maxBytes: maxBytes)
    }

    public func entries(under directory: String) throws -> [TreeEntry]? {
        guard let commit else { return nil }
        return try repository.entries(at: commit, under: directory)
    }
}

/// The files on disk below a directory, for `validate --worktree`.
public struct WorkTreeFiles: RevisionFiles {
    /// The directory that plays the repository root.
    public let root: URL
    public var commit: CommitInfo? { nil }

    /// Reads the files below `root`, skipping `.git` and build folders.
    public init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
    }

    public func files(under directory: String) throws -> [TreeFile] {
        let prefix = GitRepository.normalize(directory)
        // Symlinks are skipped everywhere: also on the way to the start, so
        // that a linked directory never leads the walk out of the root.
        guard !Self.crossesSymlink(root: root, relative: prefix) else { return [] }
        let start = prefix.isEmpty ? root : root.appendingPathComponent(prefix)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: start.path, isDirectory: &isDirectory) else { return [] }
        if !isDirectory.boolValue {
            return [try treeFile(prefix)]
        }
        var result: [TreeFile] = []
        try walk(start, relative: prefix, into: &result)
        return result.sorted { $0.path < $1.path }
    }

    private func walk(_ directory: URL, relative: String, into result: inout [TreeFile]) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        for name in names where !Self.skipped.contains(name) {
            let path = relative.isEmpty ? name : relative + "/" + name
            let url = directory.appendingPathComponent(name)
            let values = try url.resourceValues(forKeys: [.isDirectoryKey, .isRegularFileKey, .isSymbolicLinkKey])
            if values.isSymbolicLink == true { continue }
            if values.isDirectory == true {
                try walk(url, relative: path, into: &result)
            } else if values.isRegularFile == true {
                result.append(try treeFile(path))
            }
        }
    }

    static let skipped: Set<String> = [".git", ".build", ".swiftpm"]

    /// Whether any component of `relative` below `root` is a symbolic link
    /// (or leaves the root with `..`).
    static func crossesSymlink(root: URL, relative: String) -> Bool {
        var current = root
        for component in relative.split(separator: "/") {
            if component == ".." { return true }
            current = current.appendingPathComponent(String(component))
            guard let type = try? FileManager.default.attributesOfItem(atPath: current.path)[.type] as? FileAttributeType else {
                return false  // missing: nothing to follow
            }
            if type == .typeSymbolicLink { return true }
        }
        return false
    }

    private func treeFile(_ path: String) throws -> TreeFile {
        TreeFile(path: path, blobID: ObjectID.forBlob(try readBytes(path)))
    }

    private func readBytes(_ path: String) throws -> [UInt8] {
        let url = root.appendingPathComponent(path)
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attributes[.size] as? Int, size > YAMLLimits().maxBytes * 8 {
            return []  // far too large to matter; the size check reports it
        }
        return [UInt8](try Data(contentsOf: url))
    }

    public func read(_ file: TreeFile, maxBytes: Int) throws -> FileContent {
        let attributes = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(file.path).path)
        let size = (attributes[.size] as? Int) ?? 0
        if size > maxBytes { return .tooLarge(size: size) }
        return .bytes(try readBytes(file.path))
    }
}
