import BotRuntime
import Foundation
import Reconciler

/// Every setting of `nectar serve`. Precedence, lowest first: these
/// defaults, the configuration file (`--config`), `NECTAR_*` environment
/// variables, command-line flags. Secret values are never settings: the
/// settings name the environment variables that hold them.
public struct ServeSettings: Sendable, Equatable {
    public var database = "nectar.sqlite"
    public var listen = "127.0.0.1:8080"
    /// Where new API keys are written; empty disables key files.
    public var keyDirectory = "keys"

    /// A repository path or a remote URL.
    public var repository = "."
    /// nil: HEAD (for a remote, its default branch).
    public var branch: String?
    public var path = "bots"
    /// Where remote repositories are mirrored.
    public var mirrorDirectory = ".nectar/mirrors"
    /// The environment variable holding an HTTPS token for the remote.
    public var tokenEnv: String?
    /// An SSH private key file for `ssh://` remotes (and its public key, optional).
    public var sshKey: String?
    public var sshPublicKey: String?
    /// The environment variable holding the SSH key's passphrase.
    public var sshPassphraseEnv: String?

    public var interval = SpecDuration(seconds: 60)
    public var jitter = 0.1
    public var backoff = SpecDuration(seconds: 5)
    public var maxBackoff = SpecDuration(seconds: 300)
    /// Milliseconds a trigger waits for others to coalesce with.
    public var debounceMilliseconds = 250
    public var maxDeletePercent = 25.0
    public var allowMassDelete = false
    public var allowEmpty = false

    /// The environment variable holding the webhook's HMAC secret (webhook disabled when unset).
    public var webhookSecretEnv = "NECTAR_WEBHOOK_SECRET"

    /// How long a connection may stay idle (no complete request head, or
    /// nothing between requests) before it is closed.
    public var idleTimeout = SpecDuration(seconds: 60)
    /// How long a request may take to arrive, from its head to its end.
    public var requestTimeout = SpecDuration(seconds: 30)
    /// Proxies whose `X-Forwarded-For` names the client (addresses or
    /// networks, comma-separated); empty: the socket peer is the client.
    public var trustedProxies = ""

    /// `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
    public var logLevel = "info"
    /// `auto` (JSON unless stdout is a terminal), `json` or `text`.
    public var logFormat = "auto"

    /// The daemon's public address, for links in notifications.
    public var publicURL: String?
    /// Webhooks that bots name in `spec.handoff.notify.webhooks`.
    public var webhooks: [WebhookSetting] = []
    /// Model endpoints that bots name in `spec.model.endpoint`.
    public var modelEndpoints: [ModelEndpointSetting] = []
    /// Webhooks that get `reconcile.failed` and `reconcile.recovered`.
    public var reconcileWebhooks: [String] = []
    /// The SMTP relay (no e-mail when `smtpHost` is unset).
    public var smtpHost: String?
    public var smtpPort = 587
    public var smtpTLS = SMTPSettings.TLS.starttls
    public var smtpUser: String?
    public var smtpPasswordEnv: String?
    public var smtpFrom: String?
    public var smtpCAFile: String?
    /// Operators of these roles get the mail too (for bots they may see).
    public var smtpOperatorRoles: [String] = []
    public var notificationRetryBase = SpecDuration(seconds: 5)
    public var notificationRetryCap = SpecDuration(seconds: 3600)
    public var notificationMaxAge = SpecDuration(seconds: 86_400)
    /// How long usage rows are kept (the hourly rollups analytics read are
    /// kept for good); nil keeps them for good too.
    public var usageRetention: SpecDuration? = SpecDuration(seconds: 90 * 86_400)

    public init() {}

    /// The settings of one configuration-file key (dotted path), the
    /// environment variable that overrides it, and how to set it.
    struct Field {
        let key: String
        let environment: String
        let set: (inout ServeSettings, String) -> String?  // nil on success, else what a valid value is
    }

    static var fields: [Field] { [
        text("database", "NECTAR_DB", \.database),
        text("listen", "NECTAR_LISTEN", \.listen),
        Field(key: "keyDirectory", environment: "NECTAR_KEY_DIR") { settings, text in
            settings.keyDirectory = text  // empty: no key files (keys only sealed to declared recipients)
            return nil
        },
        text("source.repository", "NECTAR_REPO", \.repository),
        optionalText("source.branch", "NECTAR_BRANCH", \.branch),
        text("source.path", "NECTAR_PATH", \.path),
        text("source.mirrorDirectory", "NECTAR_MIRROR_DIR", \.mirrorDirectory),
        optionalText("source.tokenEnv", "NECTAR_TOKEN_ENV", \.tokenEnv),
        optionalText("source.sshKey", "NECTAR_SSH_KEY", \.sshKey),
        optionalText("source.sshPublicKey", "NECTAR_SSH_PUBLIC_KEY", \.sshPublicKey),
        optionalText("source.sshPassphraseEnv", "NECTAR_SSH_PASSPHRASE_ENV", \.sshPassphraseEnv),
        duration("reconcile.interval", "NECTAR_INTERVAL", \.interval),
        Field(key: "reconcile.jitter", environment: "NECTAR_JITTER") { settings, text in
            guard let value = Double(text), (0...0.5).contains(value) else { return "a number from 0 to 0.5" }
            settings.jitter = value
            return nil
        },
        duration("reconcile.backoff", "NECTAR_BACKOFF", \.backoff),
        duration("reconcile.maxBackoff", "NECTAR_MAX_BACKOFF", \.maxBackoff),
        Field(key: "reconcile.debounceMilliseconds", environment: "NECTAR_DEBOUNCE_MS") { settings, text in
            guard let value = Int(text), (0...60_000).contains(value) else { return "a whole number of milliseconds from 0 to 60000" }
            settings.debounceMilliseconds = value
            return nil
        },
        Field(key: "reconcile.maxDeletePercent", environment: "NECTAR_MAX_DELETE_PERCENT") { settings, text in
            guard let value = Double(text), (0...100).contains(value) else { return "a number from 0 to 100" }
            settings.maxDeletePercent = value
            return nil
        },
        flag("reconcile.allowMassDelete", "NECTAR_ALLOW_MASS_DELETE", \.allowMassDelete),
        flag("reconcile.allowEmpty", "NECTAR_ALLOW_EMPTY", \.allowEmpty),
        text("webhook.secretEnv", "NECTAR_WEBHOOK_SECRET_ENV", \.webhookSecretEnv),
        duration("http.idleTimeout", "NECTAR_HTTP_IDLE_TIMEOUT", \.idleTimeout),
        duration("http.requestTimeout", "NECTAR_HTTP_REQUEST_TIMEOUT", \.requestTimeout),
        Field(key: "http.trustedProxies", environment: "NECTAR_TRUSTED_PROXIES") { settings, text in
            if case .failure(let error) = TrustedProxies.parse(text) {
                return "addresses or networks such as 10.0.0.0/8, 127.0.0.1, separated by commas (\(error.entry) is neither)"
            }
            settings.trustedProxies = text
            return nil
        },
        Field(key: "server.publicURL", environment: "NECTAR_PUBLIC_URL") { settings, text in
            guard text.isEmpty || text.hasPrefix("http://") || text.hasPrefix("https://") else {
                return "an http or https URL such as https://nectar.example.com"
            }
            settings.publicURL = text.isEmpty ? nil : text
            return nil
        },
        Field(key: "notifications.reconcileWebhooks", environment: "NECTAR_NOTIFY_RECONCILE_WEBHOOKS") { settings, text in
            let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            settings.reconcileWebhooks = names
            return nil
        },
        optionalText("notifications.smtp.host", "NECTAR_SMTP_HOST", \.smtpHost),
        Field(key: "notifications.smtp.port", environment: "NECTAR_SMTP_PORT") { settings, text in
            guard let port = Int(text), (1...65535).contains(port) else { return "a port number from 1 to 65535" }
            settings.smtpPort = port
            return nil
        },
        Field(key: "notifications.smtp.tls", environment: "NECTAR_SMTP_TLS") { settings, text in
            guard let tls = SMTPSettings.TLS(rawValue: text) else { return "starttls, implicit or none" }
            settings.smtpTLS = tls
            return nil
        },
        optionalText("notifications.smtp.user", "NECTAR_SMTP_USER", \.smtpUser),
        optionalText("notifications.smtp.passwordEnv", "NECTAR_SMTP_PASSWORD_ENV", \.smtpPasswordEnv),
        Field(key: "notifications.smtp.from", environment: "NECTAR_SMTP_FROM") { settings, text in
            guard text.isEmpty || text.range(of: #"^[^@\s<>]+@[^@\s<>]+$"#, options: .regularExpression) != nil else {
                return "an e-mail address such as nectar@example.com"
            }
            settings.smtpFrom = text.isEmpty ? nil : text
            return nil
        },
        optionalText("notifications.smtp.caFile", "NECTAR_SMTP_CA_FILE", \.smtpCAFile),
        Field(key: "notifications.smtp.operatorRoles", environment: "NECTAR_SMTP_OPERATOR_ROLES") { settings, text in
            let roles = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard roles.allSatisfy({ OperatorSpec.Role(rawValue: $0) != nil }) else { return "roles (admin, agent, auditor) separated by commas" }
            settings.smtpOperatorRoles = roles
            return nil
        },
        duration("notifications.retryBase", "NECTAR_NOTIFY_RETRY_BASE", \.notificationRetryBase),
        duration("notifications.retryCap", "NECTAR_NOTIFY_RETRY_CAP", \.notificationRetryCap),
        duration("notifications.maxAge", "NECTAR_NOTIFY_MAX_AGE", \.notificationMaxAge),
        Field(key: "analytics.retention", environment: "NECTAR_USAGE_RETENTION") { settings, text in
            if text == "forever" {
                settings.usageRetention = nil
                return nil
            }
            guard let value = SpecDuration(parsing: text), value.seconds >= 3600 else {
                return "a duration of at least 1h such as 30d, or forever"
            }
            settings.usageRetention = value
            return nil
        },
        Field(key: "log.level", environment: "NECTAR_LOG_LEVEL") { settings, text in
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(text) else { return "one of \(levels.joined(separator: ", "))" }
            settings.logLevel = text
            return nil
        },
        Field(key: "log.format", environment: "NECTAR_LOG_FORMAT") { settings, text in
            guard ["auto", "json", "text"].contains(text) else { return "auto, json or text" }
            settings.logFormat = text
            return nil
        },
    ] }

    private static func text(_ key: String, _ environment: String, _ path: WritableKeyPath<ServeSettings, String>) -> Field {
        Field(key: key, environment: environment) { settings, text in
            guard !text.isEmpty else { return "a non-empty string" }
            settings[keyPath: path] = text
            return nil
        }
    }

    private static func optionalText(_ key: String, _ environment: String, _ path: WritableKeyPath<ServeSettings, String?>) -> Field {
        Field(key: key, environment: environment) { settings, text in
            settings[keyPath: path] = text.isEmpty ? nil : text
            return nil
        }
    }

    private static func duration(_ key: String, _ environment: String, _ path: WritableKeyPath<ServeSettings, SpecDuration>) -> Field {
        Field(key: key, environment: environment) { settings, text in
            guard let value = SpecDuration(parsing: text), value.seconds >= 1 else { return "a duration of at least 1s such as 30s, 5m or 1h" }
            settings[keyPath: path] = value
            return nil
        }
    }

    private static func flag(_ key: String, _ environment: String, _ path: WritableKeyPath<ServeSettings, Bool>) -> Field {
        Field(key: key, environment: environment) { settings, text in
            switch text.lowercased() {
            case "true", "1", "yes": settings[keyPath: path] = true
            case "false", "0", "no": settings[keyPath: path] = false
            default: return "true or false"
            }
            return nil
        }
    }

    /// The configuration keys, for documentation and error hints.
    public static var keys: [(key: String, environment: String)] { fields.map { ($0.key, $0.environment) } }

    /// Sets one setting by its configuration key, as the file or a flag would.
    /// Returns nil on success, or one sentence saying what is wrong.
    public mutating func set(_ key: String, to text: String) -> String? {
        guard let field = Self.fields.first(where: { $0.key == key }) else { return "unknown setting \(key)" }
        return field.set(&self, text).map { "\(key) must be \($0)" }
    }

    /// Applies `NECTAR_*` variables over the current settings.
    public mutating func applyEnvironment(_ environment: [String: String]) throws(ServeConfigurationError) {
        for field in Self.fields {
            guard let value = environment[field.environment] else { continue }
            if let problem = field.set(&self, value) {
                throw ServeConfigurationError(message: "the environment variable \(field.environment) must be \(problem)")
            }
        }
    }

    /// Loads the defaults, then `file` (if any), then the environment.
    public static func load(file: String?, environment: [String: String]) throws(ServeConfigurationError) -> ServeSettings {
        var settings = ServeSettings()
        if let file {
            try settings.applyFile(file)
        }
        try settings.applyEnvironment(environment)
        return settings
    }

    // MARK: Resolved values

    /// The source, with credentials read from the environment variables the settings name.
    public func source(environment: [String: String]) throws(ServeConfigurationError) -> ReconcileSource {
        var credentials = GitCredentials.none
        if let tokenEnv {
            guard let token = environment[tokenEnv], !token.isEmpty else {
                throw ServeConfigurationError(message: "source.tokenEnv names \(tokenEnv), but that environment variable is not set")
            }
            credentials = .token(token)
        } else if let sshKey {
            var passphrase: String?
            if let sshPassphraseEnv {
                guard let value = environment[sshPassphraseEnv] else {
                    throw ServeConfigurationError(message: "source.sshPassphraseEnv names \(sshPassphraseEnv), but that environment variable is not set")
                }
                passphrase = value
            }
            credentials = .sshKey(privateKey: sshKey, publicKey: sshPublicKey, passphrase: passphrase)
        }
        if tokenEnv != nil, repository.lowercased().hasPrefix("http://") {
            throw ServeConfigurationError(message: "source.tokenEnv would send the token in clear text to \(RemoteURL.redacted(repository)); use an https:// URL")
        }
        if let userinfo = RemoteURL.userinfo(repository),
           userinfo.contains(":") || (repository.lowercased().hasPrefix("http") && tokenEnv == nil) {
            // A user alone is fine on ssh://, and on https:// next to a token
            // from tokenEnv (`https://oauth2@gitlab...`); a password, or a
            // user on https:// with no token (then the user is the token), is a secret.
            throw ServeConfigurationError(message: "the repository URL \(RemoteURL.redacted(repository)) carries credentials, which would be stored in the mirror's git config; put the token in an environment variable and name it with source.tokenEnv")
        }
        let location = ReconcileSource.location(for: repository, mirrorDirectory: mirrorDirectory, credentials: credentials)
        if case .remote(let url, _, _) = location {
            if url.lowercased().hasPrefix("ssh://") || !url.contains("://"), !GitMirror.supportsSSH {
                throw ServeConfigurationError(message: "the installed libgit2 was built without SSH support, so \(RemoteURL.redacted(url)) cannot be fetched; use an https:// or file:// URL")
            }
        }
        return ReconcileSource(location: location, branch: branch, path: path)
    }

    /// The model endpoints with their keys read from the environment; a key
    /// variable that is named but unset is an error.
    public func resolvedModelEndpoints(environment: [String: String]) throws(ServeConfigurationError) -> [ModelEndpoint] {
        try modelEndpoints.map { setting throws(ServeConfigurationError) in
            var key: String?
            if setting.apiKeyEnv != nil, setting.baseURL.hasPrefix("http://"),
               !["127.0.0.1", "localhost", "[::1]"].contains(where: { setting.baseURL.dropFirst("http://".count).hasPrefix($0) }) {
                throw ServeConfigurationError(message: "models.endpoints.\(setting.name) sends an API key, so its baseURL must be https (or http on loopback)")
            }
            if let variable = setting.apiKeyEnv {
                guard let value = environment[variable], !value.isEmpty else {
                    throw ServeConfigurationError(message: "models.endpoints.\(setting.name).apiKeyEnv names \(variable), which is not set; set it to the endpoint's API key")
                }
                key = value
            }
            return ModelEndpoint(name: setting.name, baseURL: setting.baseURL, apiKey: key, timeout: .seconds(setting.timeout.seconds),
                                 maxConcurrency: setting.maxConcurrency)
        }
    }

    /// The notification webhooks with their secrets read from the
    /// environment; a secret variable that is unset or empty is an error.
    public func webhookTargets(environment: [String: String]) throws(ServeConfigurationError) -> [WebhookTarget] {
        try webhooks.map { setting throws(ServeConfigurationError) in
            guard let secret = environment[setting.secretEnv], !secret.isEmpty else {
                throw ServeConfigurationError(message: "notifications.webhooks.\(setting.name).secretEnv names \(setting.secretEnv), which is not set; set it to the webhook's signing secret")
            }
            var routingKey: String?
            if setting.format == .pagerduty {
                guard let name = setting.routingKeyEnv, let key = environment[name], !key.isEmpty else {
                    throw ServeConfigurationError(message: "notifications.webhooks.\(setting.name) has format pagerduty and needs routingKeyEnv naming a set environment variable that holds the PagerDuty routing key")
                }
                routingKey = key
            }
            var apiToken: String?
            if setting.format == .zendesk {
                guard setting.zendeskEmail != nil, let name = setting.apiTokenEnv, let token = environment[name], !token.isEmpty else {
                    throw ServeConfigurationError(message: "notifications.webhooks.\(setting.name) has format zendesk and needs zendeskEmail and apiTokenEnv naming a set environment variable that holds the Zendesk API token")
                }
                apiToken = token
            }
            return WebhookTarget(name: setting.name, url: setting.url, secret: secret, format: setting.format,
                                 timeout: .seconds(setting.timeout.seconds), routingKey: routingKey, zendeskEmail: setting.zendeskEmail,
                                 apiToken: apiToken)
        }
    }

    /// The SMTP relay with its password read from the environment, or nil
    /// when no relay is configured.
    public func smtp(environment: [String: String]) throws(ServeConfigurationError) -> (settings: SMTPSettings, from: String)? {
        guard let host = smtpHost else { return nil }
        guard let from = smtpFrom else {
            throw ServeConfigurationError(message: "notifications.smtp.host is set, so notifications.smtp.from must be too (the sender address)")
        }
        var password: String?
        if let variable = smtpPasswordEnv {
            guard let value = environment[variable], !value.isEmpty else {
                throw ServeConfigurationError(message: "notifications.smtp.passwordEnv names \(variable), which is not set; set it to the SMTP password")
            }
            password = value
        }
        if smtpUser != nil && password == nil {
            throw ServeConfigurationError(message: "notifications.smtp.user is set, so notifications.smtp.passwordEnv must name the variable holding its password")
        }
        return (SMTPSettings(host: host, port: smtpPort, tls: smtpTLS, user: smtpUser, password: password, caFile: smtpCAFile), from)
    }

    /// The webhook secret, or nil when its variable is unset (webhook disabled).
    public func webhookSecret(environment: [String: String]) -> String? {
        environment[webhookSecretEnv].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `host:port` split, port 0 meaning any free port.
    public func listenAddress() throws(ServeConfigurationError) -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ServeConfigurationError(message: "listen must be host:port, such as 127.0.0.1:8080 (got \(listen))")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    public var timing: ReconcileLoop.Timing {
        var timing = ReconcileLoop.Timing()
        timing.interval = .seconds(interval.seconds)
        timing.jitter = jitter
        timing.backoffBase = .seconds(backoff.seconds)
        timing.backoffMax = .seconds(max(maxBackoff.seconds, backoff.seconds))
        timing.debounce = .milliseconds(debounceMilliseconds)
        return timing
    }

    public var policy: ApplyPolicy {
        ApplyPolicy(maxDeletePercent: maxDeletePercent, allowMassDelete: allowMassDelete, allowEmpty: allowEmpty)
    }
}

/// A configuration problem, as one sentence (with file:line:column for the file).
public struct ServeConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// One `notifications.webhooks.NAME` entry of the configuration file.
public struct WebhookSetting: Sendable, Hashable {
    public var name: String
    public var url: String
    /// The environment variable holding the signing secret.
    public var secretEnv: String
    public var format: WebhookTarget.Format
    public var timeout: SpecDuration
    /// For `pagerduty`: the environment variable holding the routing key.
    public var routingKeyEnv: String?
    /// For `zendesk`: the agent's e-mail and the variable holding its API token.
    public var zendeskEmail: String?
    public var apiTokenEnv: String?

    public init(name: String, url: String, secretEnv: String, format: WebhookTarget.Format = .json,
                timeout: SpecDuration = SpecDuration(seconds: 10), routingKeyEnv: String? = nil, zendeskEmail: String? = nil,
                apiTokenEnv: String? = nil) {
        self.zendeskEmail = zendeskEmail
        self.apiTokenEnv = apiTokenEnv
        self.name = name
        self.url = url
        self.secretEnv = secretEnv
        self.format = format
        self.timeout = timeout
        self.routingKeyEnv = routingKeyEnv
    }
}

/// One `models.endpoints.NAME` entry of the configuration file.
public struct ModelEndpointSetting: Sendable, Hashable {
    public var name: String
    /// E.g. `http://127.0.0.1:11434/v1`.
    public var baseURL: String
    /// The environment variable holding the API key (optional).
    public var apiKeyEnv: String?
    public var timeout: SpecDuration
    public var maxConcurrency: Int

    public init(name: String, baseURL: String, apiKeyEnv: String? = nil, timeout: SpecDuration = SpecDuration(seconds: 60),
                maxConcurrency: Int = 4) {
        self.name = name
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
    }
}
