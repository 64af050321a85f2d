import Foundation
internal import CGit2

/// An open git repository (bare or with a work tree).
///
/// This is the only type that holds libgit2 pointers for reading. It is not
/// Sendable: create it, use it and drop it within one synchronous scope (or
/// one thread), and hand the resulting values (`CommitInfo`, `TreeFile`,
/// blob bytes) to other tasks.
public final class GitRepository {
    let pointer: OpaquePointer

    /// The repository's git directory (the `.git` folder, or the bare folder).
    public let gitDirectory: String

    /// Opens the repository at `path`, searching upward from it like `git` does.
    public init(path: String) throws(GitError) {
        _ = libgit2Initialized
        var repo: OpaquePointer?
        do {
            try check("open repository at \(path)", git_repository_open_ext(&repo, path, 0, nil))
        } catch where error.message.contains("safe.directory") || error.message.contains("not owned by current user") {
            // libgit2 reports a repository owned by another user in these two ways.
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            throw GitError(operation: "open repository at \(path)",
                           message: "it is owned by another user; if you trust it, run: git config --global --add safe.directory \(absolute)",
                           code: error.code)
        }
        guard let repo else { throw GitError(operation: "open repository at \(path)", message: "no repository") }
        self.pointer = repo
        self.gitDirectory = String(cString: git_repository_path(repo))
    }

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
        self.gitDirectory = String(cString: git_repository_path(pointer))
    }

    /// The object database, opened on first use, for size checks.
    private var objectDatabase: OpaquePointer?

    deinit {
        if let objectDatabase { git_odb_free(objectDatabase) }
        git_repository_free(pointer)
    }

    /// Whether the repository has no work tree.
    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

    /// Resolves a revision (`HEAD`, a branch, a tag, `origin/main`, a full or
    /// abbreviated commit id, `HEAD~2`, ...) to the commit it names.
    public func resolve(_ revision: String) throws(GitError) -> CommitInfo {
        let commit = try lookupCommit(revision)
        return withExtendedLifetime(commit) { commitInfo(commit.pointer) }
    }

    /// Lists the regular files below `directory` (repository-relative, `""`
    /// for the root) in the tree of `commit`, recursively, sorted by path.
    /// A directory that does not exist at that commit yields no files.
    public func files(at commit: CommitInfo, under directory: String) throws(GitError) -> [TreeFile] {
        let root = try lookupTree(commit.treeID)
        let prefix = Self.normalize(directory)
        var files: [TreeFile] = []
        if prefix.isEmpty {
            try walk(root, prefix: "", into: &files)
            return files
        }
        switch try entry(prefix, in: root, at: commit) {
        case .tree(let id)?:
            try walk(try lookupTree(id), prefix: prefix + "/", into: &files)
        case .blob(let id)?:
            files.append(TreeFile(path: prefix, blobID: id))
        case nil:
            break
        }
        return files
    }

    private enum PathEntry { case tree(ObjectID), blob(ObjectID) }

    /// What `path` names inside `tree`: a subtree, a blob, or nothing.
    private func entry(_ path: String, in tree: GitTreeHandle, at commit: CommitInfo) throws(GitError) -> PathEntry? {
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, tree.pointer, path)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check("read \(path) at \(commit.id.short)", result)
        guard let entry else { return nil }
        defer { git_tree_entry_free(entry) }
        let id = ObjectID(git_tree_entry_id(entry).pointee)
        switch git_tree_entry_type(entry) {
        case GIT_OBJECT_TREE: return .tree(id)
        case GIT_OBJECT_BLOB: return .blob(id)
        default: return nil
        }
    }

    /// The direct entries of the directory `directory` at `commit`: regular
    /// files, and subdirectories with their tree ids (which change exactly
    /// when something below them changes). Empty when it does not exist.
    public func entries(at commit: CommitInfo, under directory: String) throws(GitError) -> [TreeEntry] {
        let prefix = Self.normalize(directory)
        var tree = try lookupTree(commit.treeID)
        if !prefix.isEmpty {
            guard case .tree(let id)? = try entry(prefix, in: tree, at: commit) else { return [] }
            tree = try lookupTree(id)
        }
        let base = prefix.isEmpty ? "" : prefix + "/"
        var entries: [TreeEntry] = []
        withExtendedLifetime(tree) {
            for index in 0..<git_tree_entrycount(tree.pointer) {
                guard let entry = git_tree_entry_byindex(tree.pointer, index) else { continue }
                let path = base + String(cString: git_tree_entry_name(entry))
                let id = ObjectID(git_tree_entry_id(entry).pointee)
                switch git_tree_entry_filemode(entry) {
                case GIT_FILEMODE_TREE: entries.append(.directory(path: path, treeID: id))
                case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE: entries.append(.file(TreeFile(path: path, blobID: id)))
                default: continue
                }
            }

        }
        return entries
    }

    /// Reads a blob's bytes straight from the object database.
    public func readBlob(_ id: ObjectID) throws(GitError) -> [UInt8] {
        var oid = id.oid
        var blob: OpaquePointer?
        try check("read blob \(id.short)", git_blob_lookup(&blob, pointer, &oid))
        guard let blob else { throw GitError(operation: "read blob \(id.short)", message: "missing") }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// Reads a blob, handing out its bytes only when it has at most
    /// `maxBytes` of them (libgit2 holds the object briefly either way).
    public func readBlob(_ id: ObjectID, maxBytes: Int) throws(GitError) -> FileContent {
        var oid = id.oid
        // The size first, from the object header: a blob that inflates to
        // gigabytes (zeros compress very well) is refused without inflating it.
        if objectDatabase == nil {
            try check("open object database", git_repository_odb(&objectDatabase, pointer))
        }
        var headerSize = 0
        var type = GIT_OBJECT_ANY
        try check("read header of blob \(id.short)", git_odb_read_header(&headerSize, &type, objectDatabase, &oid))
        if headerSize > maxBytes { return .tooLarge(size: headerSize) }
        var blob: OpaquePointer?
        try check("read blob \(id.short)", git_blob_lookup(&blob, pointer, &oid))
        guard let blob else { throw GitError(operation: "read blob \(id.short)", message: "missing") }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        if size > maxBytes { return .tooLarge(size: size) }
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return .bytes([]) }
        return .bytes(Array(UnsafeRawBufferPointer(start: raw, count: size)))
    }

    /// Commits reachable from `head` but not from `base`, newest first, up to `limit`.
    public func commits(from head: ObjectID, excluding base: ObjectID?, limit: Int = 100) throws(GitError) -> [CommitInfo] {
        var walker: OpaquePointer?
        try check("walk history", git_revwalk_new(&walker, pointer))
        defer { git_revwalk_free(walker) }
        git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
        var headOID = head.oid
        try check("walk history from \(head.short)", git_revwalk_push(walker, &headOID))
        if let base {
            var baseOID = base.oid
            try check("walk history excluding \(base.short)", git_revwalk_hide(walker, &baseOID))
        }
        var result: [CommitInfo] = []
        var oid = git_oid()
        while result.count < limit, git_revwalk_next(&oid, walker) == 0 {
            var commit: OpaquePointer?
            try check("read commit", git_commit_lookup(&commit, pointer, &oid))
            guard let commit else { break }
            result.append(commitInfo(commit))
            git_commit_free(commit)
        }
        return result
    }

    /// Whether `commit` descends from `ancestor` (false when they are the
    /// same commit, or when `ancestor` is not in the repository).
    public func isDescendant(_ commit: ObjectID, of ancestor: ObjectID) throws(GitError) -> Bool {
        var commitOID = commit.oid, ancestorOID = ancestor.oid
        let result = git_graph_descendant_of(pointer, &commitOID, &ancestorOID)
        if result == 0 || result == 1 { return result == 1 }
        if result == GIT_ENOTFOUND.rawValue { return false }
        try check("compare the history of \(commit.short) and \(ancestor.short)", result)
        return false
    }

    // MARK: - Internals

    private func lookupCommit(_ revision: String) throws(GitError) -> GitObjectHandle {
        let operation = "resolve revision \"\(revision)\""
        guard !revision.isEmpty else { throw GitError(operation: operation, message: "the revision is empty") }
        var object: OpaquePointer?
        try check(operation, git_revparse_single(&object, pointer, revision))
        guard let object else { throw GitError(operation: operation, message: "not found") }
        let owned = GitObjectHandle(object)
        var peeled: OpaquePointer?
        let result = withExtendedLifetime(owned) { git_object_peel(&peeled, owned.pointer, GIT_OBJECT_COMMIT) }
        try check(operation, result)
        guard let peeled else { throw GitError(operation: operation, message: "not a commit") }
        return GitObjectHandle(peeled)
    }

    private func commitInfo(_ commit: OpaquePointer) -> CommitInfo {
        let id = ObjectID(git_commit_id(commit).pointee)
        let tree = ObjectID(git_commit_tree_id(commit).pointee)
        let summary = git_commit_summary(commit).map { String(cString: $0) } ?? ""
        let author = git_commit_author(commit).flatMap { $0.pointee.name }.map { String(cString: $0) } ?? ""
        let time = Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit)))
        return CommitInfo(id: id, treeID: tree, summary: summary, author: author, time: time)
    }

    private func lookupTree(_ id: ObjectID) throws(GitError) -> GitTreeHandle {
        var oid = id.oid
        var tree: OpaquePointer?
        try check("read tree \(id.short)", git_tree_lookup(&tree, pointer, &oid))
        guard let tree else { throw GitError(operation: "read tree \(id.short)", message: "missing") }
        return GitTreeHandle(tree)
    }

    /// Bounds on a tree walk: git trees can reuse one subtree many times, so a
    /// small repository can describe millions of files ("tree bomb").
    static let maxListedFiles = 1_000_000
    static let maxTreeDepth = 64

    private func walk(_ tree: GitTreeHandle, prefix: String, into files: inout [TreeFile], depth: Int = 0) throws(GitError) {
        if depth > Self.maxTreeDepth {
            throw GitError(operation: "list \(prefix)", message: "directories are nested more than \(Self.maxTreeDepth) levels deep")
        }
        try withExtendedLifetime(tree) { () throws(GitError) in try walkEntries(tree, prefix: prefix, into: &files, depth: depth) }
    }

    private func walkEntries(_ tree: GitTreeHandle, prefix: String, into files: inout [TreeFile], depth: Int) throws(GitError) {
        let count = git_tree_entrycount(tree.pointer)
        for index in 0..<count {
            if files.count >= Self.maxListedFiles {
                throw GitError(operation: "list \(prefix)", message: "the tree holds more than \(Self.maxListedFiles) files")
            }
            guard let entry = git_tree_entry_byindex(tree.pointer, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            let id = ObjectID(git_tree_entry_id(entry).pointee)
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE:
                try walk(try lookupTree(id), prefix: prefix + name + "/", into: &files, depth: depth + 1)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                files.append(TreeFile(path: prefix + name, blobID: id))
            default:
                continue  // symlinks and submodules are not declarations or knowledge
            }
        }
    }

    static func normalize(_ directory: String) -> String {
        directory.split(separator: "/", omittingEmptySubsequences: true)
            .filter { $0 != "." }
            .joined(separator: "/")
    }
}
