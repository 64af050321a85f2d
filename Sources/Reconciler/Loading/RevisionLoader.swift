/// Loads every declaration of one revision, validates all of it, and resolves
/// the knowledge each honey jar selects: git revision in, `LoadedRevision` out.
///
/// Reading failures (an unreadable tree or blob) are thrown, never turned into
/// an empty or partial desired state. Problems in the declarations themselves
/// are collected as diagnostics, all of them, not just the first.
public struct RevisionLoader: Sendable {
    /// Directory holding the declarations, relative to the repository root.
    public var declarationsPath: String
    /// Decoded files by blob id, shared across loads.
    public var cache: DeclarationCache?
    /// Bounds for hostile input.
    public var limits: YAMLLimits
    /// The most work matching honey-jar source patterns against the
    /// revision's files may take, in bytes compared (pattern plus path, per
    /// pair). Over it the revision is invalid, never a reconcile that runs
    /// for hours. 4e9 is several seconds of matching on the standard machine
    /// and far above real repositories (10,000 bots: a few million).
    public var patternWorkBudget = 4_000_000_000

    /// Creates a loader for declarations under `declarationsPath`.
    public init(declarationsPath: String = "bots", cache: DeclarationCache? = nil, limits: YAMLLimits = YAMLLimits()) {
        self.declarationsPath = declarationsPath
        self.cache = cache
        self.limits = limits
    }

    /// Whether a path is a declarations file.
    public static func isDeclarationFile(_ path: String) -> Bool {
        path.hasSuffix(".yaml") || path.hasSuffix(".yml")
    }

    /// Files read from the source per batch: bounds the memory held by
    /// bytes awaiting decoding.
    static let batchSize = 2_048

    /// Loads and validates the revision that `files` reads.
    ///
    /// Blobs are read on the calling thread (a libgit2 repository handle is
    /// not shared between threads); the decoding of a batch of files is
    /// spread over the processor's cores, since files decode independently.
    /// With a cache and a git source, each directory directly below the
    /// declarations path is also cached whole by its tree id, so an
    /// unchanged team folder costs one lookup, not one per file.
    public func load(_ files: some RevisionFiles) throws -> LoadedRevision {
        var state = DesiredState(revision: files.commit)
        var diagnostics: [Diagnostic] = []

        // The layout: direct files and folders (git), or every file (work tree).
        var parts: [LayoutPart] = []
        if let cache, let entries = try files.entries(under: declarationsPath) {
            for entry in entries {
                switch entry {
                case .file(let file):
                    if Self.isDeclarationFile(file.path) { parts.append(.file(file)) }
                case .directory(let path, let treeID):
                    if let folder = cache.folder(treeID, path: path) {
                        parts.append(.cachedFolder(folder))
                    } else {
                        let below = try files.files(under: path).filter { Self.isDeclarationFile($0.path) }
                        parts.append(.folder(path: path, treeID: treeID, files: below))
                    }
                }
            }
        } else {
            parts = try files.files(under: declarationsPath).filter { Self.isDeclarationFile($0.path) }.map(LayoutPart.file)
        }

        // Decode every file that no cached folder covers, in one set of batches.
        var toDecode: [TreeFile] = []
        for part in parts {
            switch part {
            case .file(let file): toDecode.append(file)
            case .folder(_, _, let below): toDecode += below
            case .cachedFolder: break
            }
        }
        let (decodedFiles, filesFromCache) = try decode(toDecode, from: files)

        // Assemble in file order, filling the folder cache on the way.
        var fromCache = filesFromCache
        var filesRead = toDecode.count
        var next = 0
        func add(_ decoded: DecodedFile) {
            diagnostics += decoded.diagnostics
            for declaration in decoded.declarations {
                switch declaration {
                case .bot(let bot): state.bots.append(bot)
                case .honeyJar(let jar): state.honeyJars.append(jar)
                case .keyRotationPolicy(let policy): state.policies.append(policy)
                case .operator(let person): state.operators.append(person)
                }
            }
        }
        for part in parts {
            switch part {
            case .file:
                add(decodedFiles[next])
                next += 1
            case .cachedFolder(let folder):
                add(folder.decoded)
                filesRead += folder.files
                fromCache += folder.files
            case .folder(let path, let treeID, let below):
                var merged = DecodedFile(declarations: [], diagnostics: [])
                for decoded in decodedFiles[next..<next + below.count] {
                    merged.declarations += decoded.declarations
                    merged.diagnostics += decoded.diagnostics
                }
                next += below.count
                cache?.store(DeclarationCache.DecodedFolder(decoded: merged, files: below.count), treeID: treeID, path: path)
                add(merged)
            }
        }
        var validator = CrossReferenceValidator(state: state)
        validator.run()
        diagnostics += validator.diagnostics
        state = validator.state
        diagnostics += try KnowledgeResolver(files: files, budget: patternWorkBudget).resolve(&state)
        diagnostics.sort()
        return LoadedRevision(state: state, diagnostics: diagnostics,
                              filesRead: filesRead, filesFromCache: fromCache)
    }

    /// One piece of the declarations directory, in file order.
    private enum LayoutPart {
        case file(TreeFile)
        case cachedFolder(DeclarationCache.DecodedFolder)
        case folder(path: String, treeID: ObjectID, files: [TreeFile])
    }

    /// Decodes files through the blob cache, in batches spread over all cores.
    /// Returns one result per file, in order, and how many came from the cache.
    private func decode(_ declarationFiles: [TreeFile], from files: some RevisionFiles) throws -> ([DecodedFile], Int) {
        var fromCache = 0
        var decodedFiles: [DecodedFile] = []
        decodedFiles.reserveCapacity(declarationFiles.count)
        for batchStart in stride(from: 0, to: declarationFiles.count, by: Self.batchSize) {
            let batch = declarationFiles[batchStart..<min(batchStart + Self.batchSize, declarationFiles.count)]
            var pending: [(slot: Int, file: TreeFile, bytes: [UInt8])] = []
            var results: [DecodedFile?] = []
            results.reserveCapacity(batch.count)
            for file in batch {
                if let cached = cache?.file(file.blobID, path: file.path) {
                    results.append(cached)
                    fromCache += 1
                    continue
                }
                switch try files.read(file, maxBytes: limits.maxBytes) {
                case .tooLarge(let size):
                    let decoded = DecodedFile(declarations: [], diagnostics: [Diagnostic(
                        path: file.path, line: 1, column: 1,
                        message: "the file is \(size) bytes, larger than the limit of \(limits.maxBytes) bytes")])
                    cache?.store(decoded, blobID: file.blobID, path: file.path)
                    results.append(decoded)
                case .bytes(let bytes):
                    pending.append((results.count, file, bytes))
                    results.append(nil)
                }
            }
            let decoded = ParallelDecoding.decode(pending.map { ($0.file, $0.bytes) }, limits: limits)
            for (item, file) in zip(pending, decoded) {
                cache?.store(file, blobID: item.file.blobID, path: item.file.path)
                results[item.slot] = file
            }
            decodedFiles += results.map { $0! }
        }
        return (decodedFiles, fromCache)
    }
}
