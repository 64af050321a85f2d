import Foundation

extension ServeSettings {
    /// Reads a YAML configuration file over the current settings: a mapping
    /// of the keys in `ServeSettings.keys` (dotted paths are nested
    /// mappings). Unknown keys and wrong values are errors at file:line:column.
    mutating func applyFile(_ file: String) throws(ServeConfigurationError) {
        var isDirectory: ObjCBool = false
        let reason: String? = if !FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) { "no such file" }
            else if isDirectory.boolValue { "it is a directory" }
            else if !FileManager.default.isReadableFile(atPath: file) { "permission denied" }
            else { nil }
        if let reason {
            throw ServeConfigurationError(message: "cannot read the configuration file \(file): \(reason)")
        }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw ServeConfigurationError(message: "cannot read the configuration file \(file): \(String(cString: strerror(errno)))")
        }
        let documents: [YAMLDocument]
        do {
            documents = try YAMLParser(limits: YAMLLimits()).parse(bytes)
        } catch {
            throw ServeConfigurationError(message: "\(file):\(error.position.line):\(error.position.column): \(error.message)")
        }
        guard documents.count <= 1 else {
            throw ServeConfigurationError(message: "\(file):\(documents[1].position.line):\(documents[1].position.column): the configuration file must hold one YAML document")
        }
        guard let document = documents.first, let root = document.root else { return }
        let node = document[root]
        if node.kind == .scalar, node.isPlain, ScalarResolution.isNull(node.text) { return }  // `---` alone: nothing set
        try apply(document, root, prefix: "", file: file)
    }

    private mutating func apply(_ document: YAMLDocument, _ index: Int32, prefix: String, file: String) throws(ServeConfigurationError) {
        let node = document[index]
        guard node.kind == .mapping else {
            let what = prefix.isEmpty ? "the configuration" : prefix
            throw ServeConfigurationError(message: "\(file):\(node.position.line):\(node.position.column): \(what) must be a mapping")
        }
        let known = Self.fields.map(\.key)
        for (keyIndex, valueIndex) in document.pairs(of: index) {
            let key = document[keyIndex]
            let path = prefix.isEmpty ? key.text : "\(prefix).\(key.text)"
            let value = document[valueIndex]
            let at = "\(file):\(key.position.line):\(key.position.column)"
            if known.contains(where: { $0.hasPrefix(path + ".") }) {
                try apply(document, valueIndex, prefix: path, file: file)
                continue
            }
            guard known.contains(path) else {
                let hint = NameHint.closest(to: path, among: known).map { "; did you mean \($0)?" } ?? ""
                throw ServeConfigurationError(message: "\(at): unknown setting \(path)\(hint)")
            }
            guard value.kind == .scalar else {
                throw ServeConfigurationError(message: "\(file):\(value.position.line):\(value.position.column): \(path) must be a single value")
            }
            let text = value.isPlain && ScalarResolution.isNull(value.text) ? "" : value.text
            if let problem = set(path, to: text) {
                throw ServeConfigurationError(message: "\(file):\(value.position.line):\(value.position.column): \(problem)")
            }
        }
    }
}
