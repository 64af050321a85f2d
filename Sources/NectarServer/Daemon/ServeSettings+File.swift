import BotRuntime
import Foundation
import Reconciler

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
        let documents: [YAMLValue?]
        do {
            documents = try YAMLValue.parse(bytes)
        } catch {
            throw ServeConfigurationError(message: "\(file):\(error.position.line):\(error.position.column): \(error.message)")
        }
        guard documents.count <= 1 else {
            let position = documents[1]?.position ?? SourcePosition(line: 1, column: 1)
            throw ServeConfigurationError(message: "\(file):\(position.line):\(position.column): the configuration file must hold one YAML document")
        }
        guard let root = documents.first ?? nil, !root.isNull else { return }  // `---` alone: nothing set
        try apply(root, prefix: "", file: file)
    }

    private mutating func apply(_ node: YAMLValue, prefix: String, file: String) throws(ServeConfigurationError) {
        guard case .mapping(let pairs) = node.content else {
            let what = prefix.isEmpty ? "the configuration" : prefix
            throw ServeConfigurationError(message: "\(file):\(node.position.line):\(node.position.column): \(what) must be a mapping")
        }
        let known = Self.fields.map(\.key)
        for (key, value) in pairs {
            let keyText = key.text ?? ""
            let path = prefix.isEmpty ? keyText : "\(prefix).\(keyText)"
            let at = "\(file):\(key.position.line):\(key.position.column)"
            if known.contains(where: { $0.hasPrefix(path + ".") }) {
                try apply(value, prefix: path, file: file)
                continue
            }
            guard known.contains(path) else {
                let hint = NameHint.closest(to: path, among: known).map { "; did you mean \($0)?" } ?? ""
                throw ServeConfigurationError(message: "\(at): unknown setting \(path)\(hint)")
            }
            guard let scalar = value.text else {
                throw ServeConfigurationError(message: "\(file):\(value.position.line):\(value.position.column): \(path) must be a single value")
            }
            let text = value.isNull ? "" : scalar
            if let problem = set(path, to: text) {
                throw ServeConfigurationError(message: "\(file):\(value.position.line):\(value.position.column): \(problem)")
            }
        }
    }
}
