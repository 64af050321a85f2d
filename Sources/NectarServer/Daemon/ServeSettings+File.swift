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
            if path == "notifications.webhooks" {
                webhooks = try Self.webhooks(value, file: file)
                continue
            }
            if path == "models.endpoints" {
                modelEndpoints = try Self.modelEndpoints(value, file: file)
                continue
            }
            if path == "models" {
                guard case .mapping(let entries) = value.content, entries.allSatisfy({ $0.key.text == "endpoints" }) else {
                    throw ServeConfigurationError(message: "\(at): models holds one setting, endpoints")
                }
                try apply(value, prefix: "models", file: file)
                continue
            }
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

    /// One entry of a mapping of names to settings (`notifications.webhooks.NAME`,
    /// `models.endpoints.NAME`), with its scalar fields.
    struct NamedEntry {
        var name: String
        /// `section.NAME`, for messages.
        var path: String
        var key: YAMLValue
        var fields: [(name: String, key: YAMLValue, value: YAMLValue, text: String)]
    }

    /// The entries of such a mapping: each name a lowercase DNS label, each
    /// entry a mapping of single values; one sentence at file:line:column per mistake.
    /// `one` names an entry with its article ("a webhook"), `many` the entries ("webhooks").
    static func namedEntries(_ node: YAMLValue, section: String, one: String, many: String, example: String, required: String,
                             file: String) throws(ServeConfigurationError) -> [NamedEntry] {
        if node.isNull { return [] }
        guard case .mapping(let pairs) = node.content else {
            throw located(node, "\(section) must be a mapping of names to \(many)", file: file)
        }
        var entries: [NamedEntry] = []
        for (key, value) in pairs {
            let name = key.text ?? ""
            let path = "\(section).\(name)"
            guard name.range(of: #"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"#, options: .regularExpression) != nil else {
                throw located(key, "\(one) name is a lowercase DNS label such as \(example), found \"\(name)\"", file: file)
            }
            guard case .mapping(let pairs) = value.content else { throw located(value, "\(path) must be a mapping with \(required)", file: file) }
            var fields: [(name: String, key: YAMLValue, value: YAMLValue, text: String)] = []
            for (fieldKey, fieldValue) in pairs {
                let field = fieldKey.text ?? ""
                guard let text = fieldValue.text, !fieldValue.isNull else {
                    throw located(fieldValue, "\(path).\(field) must be a single value", file: file)
                }
                fields.append((field, fieldKey, fieldValue, text))
            }
            entries.append(NamedEntry(name: name, path: path, key: key, fields: fields))
        }
        return entries
    }

    static func located(_ at: YAMLValue, _ message: String, file: String) -> ServeConfigurationError {
        ServeConfigurationError(message: "\(file):\(at.position.line):\(at.position.column): \(message)")
    }

    /// An `http` or `https` URL setting.
    static func httpURL(_ text: String, at value: YAMLValue, _ message: String, file: String) throws(ServeConfigurationError) -> String {
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text) != nil else { throw located(value, message, file: file) }
        return text
    }

    /// A setting naming an environment variable.
    static func variable(_ text: String, at value: YAMLValue, _ setting: String, file: String) throws(ServeConfigurationError) -> String {
        guard !text.isEmpty else { throw located(value, "\(setting) must name an environment variable", file: file) }
        return text
    }

    /// `notifications.webhooks`: a mapping of names to `{url, secretEnv, format?, timeout?}`.
    static func webhooks(_ node: YAMLValue, file: String) throws(ServeConfigurationError) -> [WebhookSetting] {
        func fail(_ at: YAMLValue, _ message: String) -> ServeConfigurationError { located(at, message, file: file) }
        var result: [WebhookSetting] = []
        for entry in try namedEntries(node, section: "notifications.webhooks", one: "a webhook", many: "webhooks", example: "support-slack",
                                      required: "url and secretEnv", file: file) {
            let path = entry.path
            var url: String?, secretEnv: String?, format = WebhookTarget.Format.json, timeout = SpecDuration(seconds: 10)
            var routingKeyEnv: String?, zendeskEmail: String?, apiTokenEnv: String?
            for (field, fieldKey, fieldValue, text) in entry.fields {
                switch field {
                case "url":
                    url = try httpURL(text, at: fieldValue, "\(path).url must be an http or https URL", file: file)
                case "secretEnv":
                    secretEnv = try variable(text, at: fieldValue, "\(path).secretEnv", file: file)
                case "format":
                    guard let value = WebhookTarget.Format(rawValue: text) else {
                        throw fail(fieldValue, "\(path).format must be one of \(WebhookTarget.Format.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    format = value
                case "routingKeyEnv":
                    routingKeyEnv = try variable(text, at: fieldValue, "\(path).routingKeyEnv", file: file)
                case "zendeskEmail":
                    guard text.contains("@") else { throw fail(fieldValue, "\(path).zendeskEmail must be the Zendesk agent's e-mail address") }
                    zendeskEmail = text
                case "apiTokenEnv":
                    apiTokenEnv = try variable(text, at: fieldValue, "\(path).apiTokenEnv", file: file)
                case "timeout":
                    guard let value = SpecDuration(parsing: text), (1...300).contains(value.seconds) else {
                        throw fail(fieldValue, "\(path).timeout must be a duration from 1s to 5m")
                    }
                    timeout = value
                default:
                    throw fail(fieldKey, "unknown setting \(path).\(field); a webhook has url, secretEnv, format, timeout, routingKeyEnv, zendeskEmail and apiTokenEnv")
                }
            }
            guard let url else { throw fail(entry.key, "\(path) needs a url") }
            guard let secretEnv else { throw fail(entry.key, "\(path) needs secretEnv, the environment variable that holds its signing secret") }
            if format == .pagerduty && routingKeyEnv == nil {
                throw fail(entry.key, "\(path) has format pagerduty and needs routingKeyEnv, the environment variable that holds the routing key")
            }
            if format == .zendesk && (zendeskEmail == nil || apiTokenEnv == nil) {
                throw fail(entry.key, "\(path) has format zendesk and needs zendeskEmail and apiTokenEnv (the variable that holds the API token)")
            }
            result.append(WebhookSetting(name: entry.name, url: url, secretEnv: secretEnv, format: format, timeout: timeout,
                                         routingKeyEnv: routingKeyEnv, zendeskEmail: zendeskEmail, apiTokenEnv: apiTokenEnv))
        }
        return result
    }

    /// `models.endpoints`: names to `{baseURL, apiKeyEnv?, timeout?, maxConcurrency?}`.
    static func modelEndpoints(_ node: YAMLValue, file: String) throws(ServeConfigurationError) -> [ModelEndpointSetting] {
        func fail(_ at: YAMLValue, _ message: String) -> ServeConfigurationError { located(at, message, file: file) }
        var result: [ModelEndpointSetting] = []
        for entry in try namedEntries(node, section: "models.endpoints", one: "an endpoint", many: "endpoints", example: "local-llm", required: "baseURL",
                                      file: file) {
            let path = entry.path
            var setting = ModelEndpointSetting(name: entry.name, baseURL: "")
            for (field, fieldKey, fieldValue, text) in entry.fields {
                switch field {
                case "baseURL":
                    setting.baseURL = try httpURL(text, at: fieldValue, "\(path).baseURL must be an http or https URL such as http://127.0.0.1:11434/v1",
                                                  file: file)
                case "apiKeyEnv":
                    setting.apiKeyEnv = try variable(text, at: fieldValue, "\(path).apiKeyEnv", file: file)
                case "timeout":
                    guard let value = SpecDuration(parsing: text), (1...3600).contains(value.seconds) else {
                        throw fail(fieldValue, "\(path).timeout must be a duration from 1s to 1h")
                    }
                    setting.timeout = value
                case "maxConcurrency":
                    guard let value = Int(text), (1...1000).contains(value) else {
                        throw fail(fieldValue, "\(path).maxConcurrency must be a whole number from 1 to 1000")
                    }
                    setting.maxConcurrency = value
                default:
                    throw fail(fieldKey, "unknown setting \(path).\(field); an endpoint has baseURL, apiKeyEnv, timeout and maxConcurrency")
                }
            }
            guard !setting.baseURL.isEmpty else { throw fail(entry.key, "\(path) needs a baseURL") }
            result.append(setting)
        }
        return result
    }
}
