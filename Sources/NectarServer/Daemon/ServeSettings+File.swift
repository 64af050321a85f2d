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

    /// `notifications.webhooks`: a mapping of names to `{url, secretEnv, format?, timeout?}`.
    static func webhooks(_ node: YAMLValue, file: String) throws(ServeConfigurationError) -> [WebhookSetting] {
        func fail(_ at: YAMLValue, _ message: String) -> ServeConfigurationError {
            ServeConfigurationError(message: "\(file):\(at.position.line):\(at.position.column): \(message)")
        }
        if node.isNull { return [] }
        guard case .mapping(let pairs) = node.content else { throw fail(node, "notifications.webhooks must be a mapping of names to webhooks") }
        var result: [WebhookSetting] = []
        for (key, value) in pairs {
            let name = key.text ?? ""
            let path = "notifications.webhooks.\(name)"
            guard name.range(of: #"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"#, options: .regularExpression) != nil else {
                throw fail(key, "a webhook name is a lowercase DNS label such as support-slack, found \"\(name)\"")
            }
            guard case .mapping(let fields) = value.content else { throw fail(value, "\(path) must be a mapping with url and secretEnv") }
            var url: String?, secretEnv: String?, format = WebhookTarget.Format.json, timeout = SpecDuration(seconds: 10)
            var routingKeyEnv: String?, zendeskEmail: String?, apiTokenEnv: String?
            for (fieldKey, fieldValue) in fields {
                let field = fieldKey.text ?? ""
                guard let text = fieldValue.text, !fieldValue.isNull else { throw fail(fieldValue, "\(path).\(field) must be a single value") }
                switch field {
                case "url":
                    guard text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text) != nil else {
                        throw fail(fieldValue, "\(path).url must be an http or https URL")
                    }
                    url = text
                case "secretEnv":
                    guard !text.isEmpty else { throw fail(fieldValue, "\(path).secretEnv must name an environment variable") }
                    secretEnv = text
                case "format":
                    guard let value = WebhookTarget.Format(rawValue: text) else {
                        throw fail(fieldValue, "\(path).format must be one of \(WebhookTarget.Format.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    format = value
                case "routingKeyEnv":
                    guard !text.isEmpty else { throw fail(fieldValue, "\(path).routingKeyEnv must name an environment variable") }
                    routingKeyEnv = text
                case "zendeskEmail":
                    guard text.contains("@") else { throw fail(fieldValue, "\(path).zendeskEmail must be the Zendesk agent's e-mail address") }
                    zendeskEmail = text
                case "apiTokenEnv":
                    guard !text.isEmpty else { throw fail(fieldValue, "\(path).apiTokenEnv must name an environment variable") }
                    apiTokenEnv = text
                case "timeout":
                    guard let value = SpecDuration(parsing: text), (1...300).contains(value.seconds) else {
                        throw fail(fieldValue, "\(path).timeout must be a duration from 1s to 5m")
                    }
                    timeout = value
                default:
                    throw fail(fieldKey, "unknown setting \(path).\(field); a webhook has url, secretEnv, format, timeout, routingKeyEnv, zendeskEmail and apiTokenEnv")
                }
            }
            guard let url else { throw fail(key, "\(path) needs a url") }
            guard let secretEnv else { throw fail(key, "\(path) needs secretEnv, the environment variable that holds its signing secret") }
            if format == .pagerduty && routingKeyEnv == nil {
                throw fail(key, "\(path) has format pagerduty and needs routingKeyEnv, the environment variable that holds the routing key")
            }
            if format == .zendesk && (zendeskEmail == nil || apiTokenEnv == nil) {
                throw fail(key, "\(path) has format zendesk and needs zendeskEmail and apiTokenEnv (the variable that holds the API token)")
            }
            result.append(WebhookSetting(name: name, url: url, secretEnv: secretEnv, format: format, timeout: timeout,
                                         routingKeyEnv: routingKeyEnv, zendeskEmail: zendeskEmail, apiTokenEnv: apiTokenEnv))
        }
        return result
    }

    /// `models.endpoints`: names to `{baseURL, apiKeyEnv?, timeout?, maxConcurrency?}`.
    static func modelEndpoints(_ node: YAMLValue, file: String) throws(ServeConfigurationError) -> [ModelEndpointSetting] {
        func fail(_ at: YAMLValue, _ message: String) -> ServeConfigurationError {
            ServeConfigurationError(message: "\(file):\(at.position.line):\(at.position.column): \(message)")
        }
        if node.isNull { return [] }
        guard case .mapping(let pairs) = node.content else { throw fail(node, "models.endpoints must be a mapping of names to endpoints") }
        var result: [ModelEndpointSetting] = []
        for (key, value) in pairs {
            let name = key.text ?? ""
            let path = "models.endpoints.\(name)"
            guard name.range(of: #"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"#, options: .regularExpression) != nil else {
                throw fail(key, "an endpoint name is a lowercase DNS label such as local-llm, found \"\(name)\"")
            }
            guard case .mapping(let fields) = value.content else { throw fail(value, "\(path) must be a mapping with baseURL") }
            var setting = ModelEndpointSetting(name: name, baseURL: "")
            for (fieldKey, fieldValue) in fields {
                let field = fieldKey.text ?? ""
                guard let text = fieldValue.text, !fieldValue.isNull else { throw fail(fieldValue, "\(path).\(field) must be a single value") }
                switch field {
                case "baseURL":
                    guard text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text) != nil else {
                        throw fail(fieldValue, "\(path).baseURL must be an http or https URL such as http://127.0.0.1:11434/v1")
                    }
                    setting.baseURL = text
                case "apiKeyEnv":
                    guard !text.isEmpty else { throw fail(fieldValue, "\(path).apiKeyEnv must name an environment variable") }
                    setting.apiKeyEnv = text
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
            guard !setting.baseURL.isEmpty else { throw fail(key, "\(path) needs a baseURL") }
            result.append(setting)
        }
        return result
    }
}
