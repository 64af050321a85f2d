import BotRuntime

/// One decoded declaration of any kind.
public enum AnyDeclaration: Sendable, Hashable {
    case bot(Declared<BotSpec>)
    case honeyJar(Declared<HoneyJarSpec>)
    case keyRotationPolicy(Declared<KeyRotationPolicySpec>)
    case `operator`(Declared<OperatorSpec>)
}

/// What one declarations file holds: its decoded declarations and the
/// problems found inside it (cross-file checks come later).
public struct DecodedFile: Sendable {
    /// Declarations that decoded completely.
    public var declarations: [AnyDeclaration]
    /// Problems local to the file.
    public var diagnostics: [Diagnostic]
}

/// Decodes the documents of one YAML file into typed declarations.
struct DeclarationDecoder {
    var limits = YAMLLimits()

    func decode(_ bytes: [UInt8], path: String, blobID: ObjectID) -> DecodedFile {
        let documents: [YAMLDocument]
        do {
            documents = try YAMLParser(limits: limits).parse(bytes)
        } catch {
            return DecodedFile(declarations: [], diagnostics: [Diagnostic(path: path, at: error.position, error.message)])
        }
        var result = DecodedFile(declarations: [], diagnostics: [])
        for document in documents {
            // An empty document (a trailing `---`, a file of comments) declares nothing.
            guard let root = document.root, !Self.isEmpty(document, root) else { continue }
            let reader = DocumentReader(document: document, path: path)
            let decoded = decodeDocument(root, reader: reader, blobID: blobID)
            result.diagnostics += reader.diagnostics
            if let decoded, reader.diagnostics.isEmpty {
                result.declarations.append(decoded)
            }
        }
        return result
    }

    private static func isEmpty(_ document: YAMLDocument, _ root: Int32) -> Bool {
        let node = document[root]
        return node.kind == .scalar && node.isPlain && node.text.isEmpty
    }

    private func decodeDocument(_ root: Int32, reader: DocumentReader, blobID: ObjectID) -> AnyDeclaration? {
        guard reader.document[root].kind == .mapping else {
            reader.report(root, "a declaration must be a mapping with apiVersion, kind, metadata and spec, found \(reader.describe(root))")
            return nil
        }
        guard let top = reader.fields(root, "the document", allowed: DeclarationSchema.document) else { return nil }
        if let node = reader.require(top, "apiVersion"), let version = reader.string(node, "apiVersion"),
           version != DeclarationSchema.apiVersion {
            reader.report(node, "unknown apiVersion \"\(version)\"; nectar reads \"\(DeclarationSchema.apiVersion)\"")
        }
        var kind: DeclarationSchema.Kind?
        if let node = reader.require(top, "kind"), let text = reader.string(node, "kind") {
            kind = DeclarationSchema.Kind(rawValue: text)
            if kind == nil {
                let names = DeclarationSchema.Kind.allCases.map(\.rawValue)
                var message = "unknown kind \"\(text)\"; expected one of \(names.joined(separator: ", "))"
                if let hint = NameHint.closest(to: text, among: names) { message += "; did you mean \"\(hint)\"?" }
                reader.report(node, message)
            }
        }
        guard let kind else { return nil }
        var context = DeclarationContext(reader: reader, kind: kind, blobID: blobID, documentPosition: reader.position(root))
        let metadata = top["metadata"].flatMap { context.metadata($0) }
        if top["metadata"] == nil { _ = reader.require(top, "metadata") }
        let specNode = reader.require(top, "spec")
        let specFields = specNode.flatMap { reader.fields($0, "spec", allowed: DeclarationSchema.fields("\(kind.rawValue).spec")) }
        guard let specFields else { return nil }
        // Decode the spec even when metadata failed, so that all errors show at once.
        let decoded = decodeSpec(kind, metadata ?? ObjectMeta(name: "invalid"), specFields, &context)
        return metadata == nil ? nil : decoded
    }

    private func decodeSpec(_ kind: DeclarationSchema.Kind, _ metadata: ObjectMeta, _ specFields: DocumentReader.Fields,
                            _ context: inout DeclarationContext) -> AnyDeclaration? {
        switch kind {
        case .bot:
            return context.bot(metadata, specFields).map { .bot(context.declared($0)) }
        case .honeyJar:
            return context.honeyJar(metadata, specFields).map { .honeyJar(context.declared($0)) }
        case .keyRotationPolicy:
            return context.policy(metadata, specFields).map { .keyRotationPolicy(context.declared($0)) }
        case .operator:
            return context.operatorSpec(metadata, specFields).map { .operator(context.declared($0)) }
        }
    }
}

/// State shared by the per-kind decoders of one document.
struct DeclarationContext {
    let reader: DocumentReader
    let kind: DeclarationSchema.Kind
    let blobID: ObjectID
    var namePosition: SourcePosition
    var fieldPositions: [String: SourcePosition] = [:]

    init(reader: DocumentReader, kind: DeclarationSchema.Kind, blobID: ObjectID, documentPosition: SourcePosition) {
        self.reader = reader
        self.kind = kind
        self.blobID = blobID
        self.namePosition = documentPosition
    }

    func declared<Spec>(_ spec: Spec) -> Declared<Spec> {
        Declared(spec: spec,
                 origin: DeclarationOrigin(path: reader.path, blobID: blobID, position: namePosition),
                 fieldPositions: fieldPositions)
    }

    mutating func metadata(_ node: Int32) -> ObjectMeta? {
        guard let fields = reader.fields(node, "metadata", allowed: DeclarationSchema.metadata) else { return nil }
        var meta = ObjectMeta(name: "")
        var valid = true
        if let nameNode = reader.require(fields, "name"), let name = reader.string(nameNode, "metadata.name") {
            namePosition = reader.position(nameNode)
            if let problem = NameRules.dnsLabelProblem(name) {
                reader.report(nameNode, "metadata.name \"\(name)\" \(problem)")
                valid = false
            }
            meta.name = name
        } else {
            valid = false
        }
        if let node = fields["labels"] {
            if let (labels, keys) = reader.stringMap(node, "metadata.labels") {
                for (key, value) in labels {
                    let keyNode = keys[key] ?? node
                    if let problem = NameRules.labelKeyProblem(key) {
                        reader.report(keyNode, "label key \"\(key)\" \(problem)")
                        valid = false
                    }
                    if value.count > 63 {
                        reader.report(keyNode, "the value of label \"\(key)\" is longer than 63 characters")
                        valid = false
                    }
                }
                meta.labels = labels
            } else {
                valid = false
            }
        }
        if let node = fields["owner"] {
            if let owner = reader.string(node, "metadata.owner") {
                if let problem = NameRules.dnsLabelProblem(owner) {
                    reader.report(node, "metadata.owner \"\(owner)\" \(problem)")
                    valid = false
                }
                meta.owner = owner
            } else {
                valid = false
            }
        }
        return valid ? meta : nil
    }
}
