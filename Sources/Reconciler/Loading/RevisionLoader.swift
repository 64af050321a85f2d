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
    public func load(_ files: some RevisionFiles) throws -> LoadedRevision {
        var state = DesiredState(revision: files.commit)
        var diagnostics: [Diagnostic] = []
        var fromCache = 0
        let declarationFiles = try files.files(under: declarationsPath).filter { Self.isDeclarationFile($0.path) }
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
        for decoded in decodedFiles {
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
        var validator = CrossReferenceValidator(state: state)
        validator.run()
        diagnostics += validator.diagnostics
        state = validator.state
        diagnostics += try KnowledgeResolver(files: files).resolve(&state)
        diagnostics.sort()
        return LoadedRevision(state: state, diagnostics: diagnostics,
                              filesRead: declarationFiles.count, filesFromCache: fromCache)
    }
}
