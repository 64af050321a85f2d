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

    /// Loads and validates the revision that `files` reads.
    public func load(_ files: some RevisionFiles) throws -> LoadedRevision {
        var state = DesiredState(revision: files.commit)
        var diagnostics: [Diagnostic] = []
        var fromCache = 0
        let declarationFiles = try files.files(under: declarationsPath).filter { Self.isDeclarationFile($0.path) }
        let decoder = DeclarationDecoder(limits: limits)
        for file in declarationFiles {
            let decoded: DecodedFile
            if let cached = cache?.file(file.blobID, path: file.path) {
                decoded = cached
                fromCache += 1
            } else {
                let size = try files.size(of: file)
                if size > limits.maxBytes {
                    decoded = DecodedFile(declarations: [], diagnostics: [Diagnostic(
                        path: file.path, line: 1, column: 1,
                        message: "the file is \(size) bytes, larger than the limit of \(limits.maxBytes) bytes")])
                } else {
                    decoded = decoder.decode(try files.read(file), path: file.path, blobID: file.blobID)
                }
                cache?.store(decoded, blobID: file.blobID, path: file.path)
            }
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
