import Foundation
internal import CGit2

/// Writing commits, tags and references: used by tests, benchmarks and tools
/// that build repositories. The reconciler itself only reads.
extension GitRepository {
    /// Creates a new repository at `path` whose HEAD is the unborn branch `initialBranch`.
    public static func create(at path: String, bare: Bool = false, initialBranch: String = "main") throws(GitError) -> GitRepository {
        _ = libgit2Initialized
        var options = git_repository_init_options()
        try check("prepare repository options", git_repository_init_options_init(&options, 1))
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | (bare ? GIT_REPOSITORY_INIT_BARE.rawValue : 0)
        var repo: OpaquePointer?
        let result = initialBranch.withCString { branch -> Int32 in
            options.initial_head = branch
            return git_repository_init_ext(&repo, path, &options)
        }
        try check("create repository at \(path)", result)
        guard let repo else { throw GitError(operation: "create repository at \(path)", message: "no repository") }
        return GitRepository(owning: repo)
    }

    /// Commits a full snapshot of the repository's files (path -> bytes) on
    /// `branch`, with the branch's current tip as parent. Returns the commit.
    @discardableResult
    public func commit(
        files: [String: [UInt8]],
        message: String,
        branch: String = "main",
        time: Date = Date(timeIntervalSince1970: 1_767_225_600)
    ) throws(GitError) -> CommitInfo {
        var treeOID = try writeTree(files.map { (Substring($0.key).split(separator: "/").map(String.init), $0.value) })
        let refName = "refs/heads/\(branch)"
        var tree: OpaquePointer?
        try check("read new tree", git_tree_lookup(&tree, pointer, &treeOID))
        defer { git_tree_free(tree) }

        var parent: OpaquePointer?
        var parentOID = git_oid()
        if git_reference_name_to_id(&parentOID, pointer, refName) == 0 {
            try check("read parent commit", git_commit_lookup(&parent, pointer, &parentOID))
        }
        defer { if let parent { git_commit_free(parent) } }

        var signature: UnsafeMutablePointer<git_signature>?
        try check("make signature", git_signature_new(&signature, "nectar", "nectar@example.invalid",
                                                      git_time_t(time.timeIntervalSince1970), 0))
        defer { git_signature_free(signature) }

        var commitOID = git_oid()
        var parents: [OpaquePointer?] = parent.map { [$0] } ?? []
        let result = parents.withUnsafeMutableBufferPointer { buffer in
            git_commit_create(&commitOID, pointer, refName, signature, signature, nil, message, tree,
                              buffer.count, buffer.baseAddress)
        }
        try check("commit to \(branch)", result)
        return try resolve(ObjectID(commitOID).hex)
    }

    /// Creates a tag named `name` at `commit`: annotated when a message is given.
    public func tag(_ name: String, at commit: ObjectID, message: String? = nil) throws(GitError) {
        var oid = commit.oid
        var object: OpaquePointer?
        try check("read commit \(commit.short)", git_object_lookup(&object, pointer, &oid, GIT_OBJECT_COMMIT))
        defer { git_object_free(object) }
        var tagOID = git_oid()
        if let message {
            var signature: UnsafeMutablePointer<git_signature>?
            try check("make signature", git_signature_now(&signature, "nectar", "nectar@example.invalid"))
            defer { git_signature_free(signature) }
            try check("create tag \(name)", git_tag_create(&tagOID, pointer, name, object, signature, message, 0))
        } else {
            try check("create tag \(name)", git_tag_create_lightweight(&tagOID, pointer, name, object, 0))
        }
    }

    /// Points the reference `name` (such as `refs/remotes/origin/main`) at `commit`.
    public func setReference(_ name: String, to commit: ObjectID) throws(GitError) {
        var oid = commit.oid
        var reference: OpaquePointer?
        try check("set reference \(name)", git_reference_create(&reference, pointer, name, &oid, 1, "nectar"))
        git_reference_free(reference)
    }

    private func writeTree(_ entries: [([String], [UInt8])]) throws(GitError) -> git_oid {
        var builder: OpaquePointer?
        try check("start tree", git_treebuilder_new(&builder, pointer, nil))
        defer { git_treebuilder_free(builder) }
        var directories: [String: [([String], [UInt8])]] = [:]
        for (components, bytes) in entries {
            guard let first = components.first else { continue }
            if components.count == 1 {
                var blobOID = git_oid()
                let result = bytes.withUnsafeBytes { raw in
                    git_blob_create_from_buffer(&blobOID, pointer, raw.baseAddress, raw.count)
                }
                try check("write blob \(first)", result)
                try check("add \(first) to tree", git_treebuilder_insert(nil, builder, first, &blobOID, GIT_FILEMODE_BLOB))
            } else {
                directories[first, default: []].append((Array(components.dropFirst()), bytes))
            }
        }
        for (name, children) in directories {
            var subtree = try writeTree(children)
            try check("add \(name)/ to tree", git_treebuilder_insert(nil, builder, name, &subtree, GIT_FILEMODE_TREE))
        }
        var treeOID = git_oid()
        try check("write tree", git_treebuilder_write(&treeOID, builder))
        return treeOID
    }
}

extension GitRepository {
    /// Writes every object reachable from `commit` into one pack file, as a
    /// clone or `git gc` would leave them. Loose copies stay but are read second.
    public func pack(_ commit: ObjectID) throws(GitError) {
        var builder: OpaquePointer?
        try check("start pack", git_packbuilder_new(&builder, pointer))
        defer { git_packbuilder_free(builder) }
        var oid = commit.oid
        try check("add \(commit.short) to pack", git_packbuilder_insert_commit(builder, &oid))
        try check("write pack", git_packbuilder_write(builder, nil, 0, nil, nil))
    }
}
