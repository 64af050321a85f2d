import BotRuntime
import Foundation
@testable import NectarServer
@testable import Reconciler
import Testing

/// The settings of `nectar serve`: defaults, the YAML configuration file,
/// `NECTAR_*` environment variables and flags, and the values resolved from
/// them (source, webhook secret, listen address). Real files in temporary
/// directories; environments are plain dictionaries, so the test process's
/// own environment never takes part.
@Suite struct ServeSettingsTests {
    /// A valid value for every configuration key, none of them the default,
    /// as the file, a variable or a flag would give it.
    static let sampleValues: [String: String] = [
        "database": "/var/lib/nectar/full.sqlite",
        "listen": "0.0.0.0:9090",
        "keyDirectory": "/var/lib/nectar/full-keys",
        "source.repository": "https://git.example.com/acme/bots.git",
        "source.branch": "release",
        "source.path": "declarations",
        "source.mirrorDirectory": "/var/lib/nectar/mirrors",
        "source.tokenEnv": "ACME_GIT_TOKEN",
        "source.sshKey": "/etc/nectar/id_ed25519",
        "source.sshPublicKey": "/etc/nectar/id_ed25519.pub",
        "source.sshPassphraseEnv": "ACME_SSH_PASSPHRASE",
        "reconcile.interval": "1m30s",
        "reconcile.jitter": "0.25",
        "reconcile.backoff": "10s",
        "reconcile.maxBackoff": "10m",
        "reconcile.debounceMilliseconds": "500",
        "reconcile.maxDeletePercent": "40",
        "reconcile.allowMassDelete": "true",
        "reconcile.allowEmpty": "yes",
        "webhook.secretEnv": "ACME_WEBHOOK_SECRET",
        "http.idleTimeout": "2m",
        "http.requestTimeout": "45s",
        "http.trustedProxies": "10.0.0.0/8, 127.0.0.1",
        "log.level": "debug",
        "log.format": "json",
        "server.publicURL": "https://nectar.example.com",
        "notifications.reconcileWebhooks": "ops-pager, platform-slack",
        "notifications.retryBase": "2s",
        "notifications.retryCap": "30m",
        "notifications.maxAge": "12h",
        "analytics.retention": "30d",
        "notifications.smtp.host": "smtp.example.com",
        "notifications.smtp.port": "465",
        "notifications.smtp.tls": "implicit",
        "notifications.smtp.user": "nectar",
        "notifications.smtp.passwordEnv": "SMTP_PASSWORD",
        "notifications.smtp.from": "nectar@example.com",
        "notifications.smtp.caFile": "/etc/nectar/relay-ca.pem",
        "notifications.smtp.operatorRoles": "admin, agent",
    ]

    /// The settings `sampleValues` describe, written out field by field.
    static var sampleSettings: ServeSettings {
        var settings = ServeSettings()
        settings.database = "/var/lib/nectar/full.sqlite"
        settings.listen = "0.0.0.0:9090"
        settings.keyDirectory = "/var/lib/nectar/full-keys"
        settings.repository = "https://git.example.com/acme/bots.git"
        settings.branch = "release"
        settings.path = "declarations"
        settings.mirrorDirectory = "/var/lib/nectar/mirrors"
        settings.tokenEnv = "ACME_GIT_TOKEN"
        settings.sshKey = "/etc/nectar/id_ed25519"
        settings.sshPublicKey = "/etc/nectar/id_ed25519.pub"
        settings.sshPassphraseEnv = "ACME_SSH_PASSPHRASE"
        settings.interval = SpecDuration(seconds: 90)
        settings.jitter = 0.25
        settings.backoff = SpecDuration(seconds: 10)
        settings.maxBackoff = SpecDuration(seconds: 600)
        settings.debounceMilliseconds = 500
        settings.maxDeletePercent = 40
        settings.allowMassDelete = true
        settings.allowEmpty = true
        settings.webhookSecretEnv = "ACME_WEBHOOK_SECRET"
        settings.idleTimeout = SpecDuration(seconds: 120)
        settings.requestTimeout = SpecDuration(seconds: 45)
        settings.trustedProxies = "10.0.0.0/8, 127.0.0.1"
        settings.logLevel = "debug"
        settings.logFormat = "json"
        settings.publicURL = "https://nectar.example.com"
        settings.reconcileWebhooks = ["ops-pager", "platform-slack"]
        settings.notificationRetryBase = SpecDuration(seconds: 2)
        settings.notificationRetryCap = SpecDuration(seconds: 1800)
        settings.notificationMaxAge = SpecDuration(seconds: 43_200)
        settings.usageRetention = SpecDuration(seconds: 30 * 86_400)
        settings.smtpHost = "smtp.example.com"
        settings.smtpPort = 465
        settings.smtpTLS = .implicit
        settings.smtpUser = "nectar"
        settings.smtpPasswordEnv = "SMTP_PASSWORD"
        settings.smtpFrom = "nectar@example.com"
        settings.smtpCAFile = "/etc/nectar/relay-ca.pem"
        settings.smtpOperatorRoles = ["admin", "agent"]
        return settings
    }

    /// A YAML file setting `values`: dotted keys become nested mappings, in
    /// the order of `ServeSettings.keys`.
    static func yaml(_ values: [String: String]) -> String {
        var lines: [String] = []
        var section: String?
        for (key, _) in ServeSettings.keys {
            guard let value = values[key] else { continue }
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 1 {
                section = nil
                lines.append("\(key): \(value)")
            } else {
                if section != parts[0] {
                    lines.append("\(parts[0]):")
                    section = parts[0]
                }
                lines.append("  \(parts[1]): \(value)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs `body` with `text` written to `<temporary directory>/nectar.yaml`.
    static func withConfigFile<Result>(_ text: String, _ body: (String) throws -> Result) throws -> Result {
        try withTemporaryDirectory { directory in
            let file = directory + "/nectar.yaml"
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            return try body(file)
        }
    }

    /// The error `load` throws for `text` as a configuration file, with the
    /// file's path, or nil (recorded as an issue) when it loads.
    static func fileError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (message: String, file: String)? {
        try withConfigFile(text) { file -> (message: String, file: String)? in
            configurationError(sourceLocation: sourceLocation) { () throws(ServeConfigurationError) in
                try ServeSettings.load(file: file, environment: [:])
            }.map { ($0.message, file) }
        }
    }

    /// The error `body` throws, or nil (recorded as an issue) when it returns.
    static func configurationError<Value>(sourceLocation: SourceLocation = #_sourceLocation,
                                          _ body: () throws(ServeConfigurationError) -> Value) -> ServeConfigurationError? {
        switch Result(catching: body) {
        case .success(let value):
            Issue.record("expected a configuration error, got \(value)", sourceLocation: sourceLocation)
            return nil
        case .failure(let error):
            return error
        }
    }

    /// One sentence: one line, no sentence break inside.
    static func isOneSentence(_ message: String) -> Bool {
        !message.isEmpty && !message.contains("\n") && !message.contains(". ")
    }

    // MARK: Defaults

    @Test func theDefaultsAreTheDocumentedOnes() throws {
        let settings = ServeSettings()
        #expect(settings.database == "nectar.sqlite")
        #expect(settings.listen == "127.0.0.1:8080")
        #expect(settings.keyDirectory == "keys")
        #expect(settings.repository == ".")
        #expect(settings.branch == nil)
        #expect(settings.path == "bots")
        #expect(settings.mirrorDirectory == ".nectar/mirrors")
        #expect(settings.tokenEnv == nil)
        #expect(settings.sshKey == nil)
        #expect(settings.sshPublicKey == nil)
        #expect(settings.sshPassphraseEnv == nil)
        #expect(settings.interval == SpecDuration(seconds: 60))
        #expect(settings.jitter == 0.1)
        #expect(settings.backoff == SpecDuration(seconds: 5))
        #expect(settings.maxBackoff == SpecDuration(seconds: 300))
        #expect(settings.debounceMilliseconds == 250)
        #expect(settings.maxDeletePercent == 25)
        #expect(settings.allowMassDelete == false)
        #expect(settings.allowEmpty == false)
        #expect(settings.webhookSecretEnv == "NECTAR_WEBHOOK_SECRET")
        #expect(settings.logLevel == "info")
        #expect(settings.logFormat == "auto")

        // No file and an empty environment: exactly the defaults.
        #expect(try ServeSettings.load(file: nil, environment: [:]) == settings)
        // Variables that are not settings change nothing.
        #expect(try ServeSettings.load(file: nil, environment: ["HOME": "/root", "NECTAR_COLOUR": "blue", "DB": "x"]) == settings)
    }

    @Test func theDefaultsResolveToTheLocalRepositoryOnLoopbackWithoutAWebhook() throws {
        let settings = ServeSettings()
        let source = try settings.source(environment: [:])
        #expect(source.location == .local(path: "."))
        #expect(source.branch == nil)
        #expect(source.path == "bots")
        #expect(source.revision == "HEAD")
        let address = try settings.listenAddress()
        #expect(address.host == "127.0.0.1")
        #expect(address.port == 8080)
        #expect(settings.webhookSecret(environment: [:]) == nil)
        #expect(settings.policy == ApplyPolicy(maxDeletePercent: 25, allowMassDelete: false, allowEmpty: false))
        #expect(settings.timing.interval == .seconds(60))
        #expect(settings.timing.backoffBase == .seconds(5))
        #expect(settings.timing.backoffMax == .seconds(300))
        #expect(settings.timing.debounce == .milliseconds(250))
    }

    // MARK: The file, the environment and flags

    @Test func everyKeyHasASampleValueThatIsNotItsDefault() {
        let keys = ServeSettings.keys.map(\.key)
        #expect(Set(keys) == Set(Self.sampleValues.keys), "a key was added or removed: update sampleValues and sampleSettings")
        #expect(Set(keys).count == keys.count, "no key is listed twice")
        let environments = ServeSettings.keys.map(\.environment)
        #expect(Set(environments).count == environments.count, "every key has its own variable")
        #expect(environments.allSatisfy { $0.hasPrefix("NECTAR_") })
        for key in keys {
            var settings = ServeSettings()
            #expect(settings.set(key, to: Self.sampleValues[key] ?? "") == nil, "\(key)")
            #expect(settings != ServeSettings(), "the sample value of \(key) must differ from its default")
        }
    }

    @Test func aFileWithEveryKeySetsEverySetting() throws {
        let text = Self.yaml(Self.sampleValues)
        // Every key is in the generated file, nested under its section.
        #expect(text.contains("reconcile:\n  interval: 1m30s\n"))
        #expect(text.components(separatedBy: "\n").filter { $0.hasPrefix("  ") }.count
                == ServeSettings.keys.filter { $0.key.contains(".") }.count)
        let loaded = try Self.withConfigFile(text) { try ServeSettings.load(file: $0, environment: [:]) }
        #expect(loaded == Self.sampleSettings)

        // The values, resolved.
        #expect(loaded.timing.interval == .seconds(90))
        #expect(loaded.timing.jitter == 0.25)
        #expect(loaded.timing.backoffBase == .seconds(10))
        #expect(loaded.timing.backoffMax == .seconds(600))
        #expect(loaded.timing.debounce == .milliseconds(500))
        #expect(loaded.policy == ApplyPolicy(maxDeletePercent: 40, allowMassDelete: true, allowEmpty: true))
        #expect(loaded.webhookSecret(environment: ["ACME_WEBHOOK_SECRET": "whsec", "NECTAR_WEBHOOK_SECRET": "other"]) == "whsec")
        let address = try loaded.listenAddress()
        #expect(address.host == "0.0.0.0")
        #expect(address.port == 9090)
    }

    @Test func everyKeyCanBeSetByItsEnvironmentVariable() throws {
        var environment: [String: String] = [:]
        for (key, variable) in ServeSettings.keys {
            environment[variable] = Self.sampleValues[key]
        }
        #expect(try ServeSettings.load(file: nil, environment: environment) == Self.sampleSettings)

        // One at a time: each variable sets its own key and nothing else.
        for (key, variable) in ServeSettings.keys {
            let value = try #require(Self.sampleValues[key])
            var expected = ServeSettings()
            #expect(expected.set(key, to: value) == nil)
            #expect(try ServeSettings.load(file: nil, environment: [variable: value]) == expected, "\(variable)")
        }
    }

    @Test func theDocumentedExampleFileLoads() throws {
        let operations = try String(contentsOf: PackagePaths.file("docs/operations.md"), encoding: .utf8)
        let start = try #require(operations.range(of: "```yaml\n# nectar.yaml"))
        let end = try #require(operations.range(of: "```", range: start.upperBound..<operations.endIndex))
        let example = String(operations[operations.index(start.lowerBound, offsetBy: "```yaml\n".count)..<end.lowerBound])
        let loaded = try Self.withConfigFile(example) { try ServeSettings.load(file: $0, environment: [:]) }
        #expect(loaded.database == "/var/lib/nectar/nectar.sqlite")
        #expect(loaded.repository == "https://github.com/acme/bots.git")
        #expect(loaded.branch == "main")
        #expect(loaded.tokenEnv == "GITHUB_TOKEN")
        #expect(loaded.sshKey == nil, "commented out in the example")
        #expect(loaded.interval == SpecDuration(seconds: 60))
        #expect(loaded.maxBackoff == SpecDuration(seconds: 300))
        #expect(loaded.webhookSecretEnv == "NECTAR_WEBHOOK_SECRET")
    }

    @Test func precedenceIsDefaultsThenFileThenEnvironmentThenFlags() throws {
        let text = """
            # comments and blank lines are fine

            database: file.sqlite
            listen: 127.0.0.1:9001
            source:
              branch: from-file
            reconcile:
              interval: 30s
            log:
              level: debug

            """
        try Self.withConfigFile(text) { file in
            let environment = ["NECTAR_DB": "env.sqlite", "NECTAR_LISTEN": "127.0.0.1:9002", "NECTAR_BRANCH": ""]
            var settings = try ServeSettings.load(file: file, environment: environment)
            #expect(settings.path == "bots", "a default nothing overrides")
            #expect(settings.interval == SpecDuration(seconds: 30), "the file over the default")
            #expect(settings.logLevel == "debug", "the file over the default")
            #expect(settings.database == "env.sqlite", "the environment over the file")
            #expect(settings.listen == "127.0.0.1:9002", "the environment over the file")
            #expect(settings.branch == nil, "an empty variable clears an optional setting the file set")

            // Flags, as `nectar serve` applies them: over everything.
            #expect(settings.set("listen", to: "127.0.0.1:9003") == nil)
            #expect(settings.set("reconcile.interval", to: "2m") == nil)
            #expect(settings.listen == "127.0.0.1:9003")
            #expect(settings.interval == SpecDuration(seconds: 120))
            #expect(settings.database == "env.sqlite")

            // The file alone.
            let fileOnly = try ServeSettings.load(file: file, environment: [:])
            #expect(fileOnly.database == "file.sqlite")
            #expect(fileOnly.listen == "127.0.0.1:9001")
            #expect(fileOnly.branch == "from-file")
        }
    }

    @Test func aRejectedFlagValueLeavesTheSettingsUnchanged() {
        var settings = ServeSettings()
        #expect(settings.set("listen", to: "") == "listen must be a non-empty string")
        #expect(settings.set("reconcile.interval", to: "0s") == "reconcile.interval must be a duration of at least 1s such as 30s, 5m or 1h")
        #expect(settings.set("reconcile.jitter", to: "0.6") == "reconcile.jitter must be a number from 0 to 0.5")
        #expect(settings.set("reconcile.allowEmpty", to: "maybe") == "reconcile.allowEmpty must be true or false")
        #expect(settings.set("log.level", to: "loud") == "log.level must be one of trace, debug, info, notice, warning, error, critical")
        #expect(settings.set("colour", to: "blue") == "unknown setting colour")
        #expect(settings == ServeSettings())
    }

    @Test func nullAndEmptyValuesClearOnlyTheOptionalSettings() throws {
        let text = """
            keyDirectory: ""
            source:
              branch: ~
              tokenEnv: null
              sshKey:

            """
        var start = ServeSettings()
        start.branch = "release"
        start.tokenEnv = "TOKEN"
        start.sshKey = "/key"
        let loaded = try Self.withConfigFile(text) { file in
            var settings = start
            try settings.applyFile(file)
            return settings
        }
        #expect(loaded.branch == nil)
        #expect(loaded.tokenEnv == nil)
        #expect(loaded.sshKey == nil)
        #expect(loaded.keyDirectory == "", "an empty key directory disables key files")

        // The same through a variable and a flag.
        #expect(try ServeSettings.load(file: nil, environment: ["NECTAR_KEY_DIR": ""]).keyDirectory == "")
        var flagged = ServeSettings()
        #expect(flagged.set("keyDirectory", to: "") == nil)
        #expect(flagged.keyDirectory == "")

        // A required setting may not be emptied.
        let database = try #require(try Self.fileError("database: ~\n"))
        #expect(database.message == "\(database.file):1:11: database must be a non-empty string")
    }

    @Test func anEmptyFileOrOneOfCommentsGivesTheDefaults() throws {
        for text in ["", "\n", "# nothing set yet\n", "\n# settings\n\n# come later\n"] {
            let loaded = try Self.withConfigFile(text) { try ServeSettings.load(file: $0, environment: [:]) }
            #expect(loaded == ServeSettings(), "\(text.debugDescription)")
        }
    }

    // MARK: File errors

    @Test func anUnknownKeyIsAnErrorWithADidYouMeanHint() throws {
        let nested = try #require(try Self.fileError("reconcile:\n  interval: 30s\n  intervall: 45s\n"))
        #expect(nested.message == "\(nested.file):3:3: unknown setting reconcile.intervall; did you mean reconcile.interval?")
        #expect(Self.isOneSentence(nested.message))

        let top = try #require(try Self.fileError("databse: x.sqlite\n"))
        #expect(top.message == "\(top.file):1:1: unknown setting databse; did you mean database?")

        let unrelated = try #require(try Self.fileError("listen: 127.0.0.1:80\ncolour: blue\n"))
        #expect(unrelated.message == "\(unrelated.file):2:1: unknown setting colour")

        let section = try #require(try Self.fileError("sauce:\n  repository: .\n"))
        #expect(section.message.hasPrefix("\(section.file):1:1: unknown setting sauce"))
    }

    @Test func aWrongValueIsAnErrorAtTheValue() throws {
        let interval = try #require(try Self.fileError("reconcile:\n  interval: soon\n"))
        #expect(interval.message == "\(interval.file):2:13: reconcile.interval must be a duration of at least 1s such as 30s, 5m or 1h")
        #expect(Self.isOneSentence(interval.message))

        let bare = try #require(try Self.fileError("reconcile:\n  interval: 60\n"))
        #expect(bare.message.hasPrefix("\(bare.file):2:13: reconcile.interval must be a duration"), "a bare number is not a duration")

        let percent = try #require(try Self.fileError("reconcile: {maxDeletePercent: 101}\n"))
        #expect(percent.message.hasPrefix("\(percent.file):1:"))
        #expect(percent.message.hasSuffix("reconcile.maxDeletePercent must be a number from 0 to 100"))

        let format = try #require(try Self.fileError("log:\n  format: xml\n"))
        #expect(format.message == "\(format.file):2:11: log.format must be auto, json or text")

        let retention = try #require(try Self.fileError("analytics:\n  retention: 10m\n"))
        #expect(retention.message == "\(retention.file):2:14: analytics.retention must be a duration of at least 1h such as 30d, or forever")
    }

    @Test func usageRetentionDefaultsToNinetyDaysAndForeverKeepsEverything() throws {
        #expect(ServeSettings().usageRetention == SpecDuration(seconds: 90 * 86_400))
        var settings = ServeSettings()
        #expect(settings.set("analytics.retention", to: "forever") == nil)
        #expect(settings.usageRetention == nil)
        #expect(settings.set("analytics.retention", to: "2w") == nil)
        #expect(settings.usageRetention == SpecDuration(seconds: 14 * 86_400))
    }

    @Test func aMappingOrListWhereAValueBelongsIsAnError() throws {
        let mapping = try #require(try Self.fileError("database:\n  path: x.sqlite\n"))
        #expect(mapping.message == "\(mapping.file):2:3: database must be a single value")
        #expect(Self.isOneSentence(mapping.message))

        let list = try #require(try Self.fileError("source:\n  repository: [a, b]\n"))
        #expect(list.message == "\(list.file):2:15: source.repository must be a single value")
    }

    @Test func aValueWhereAMappingBelongsIsAnError() throws {
        let scalar = try #require(try Self.fileError("source: here\n"))
        #expect(scalar.message == "\(scalar.file):1:9: source must be a mapping")
        #expect(Self.isOneSentence(scalar.message))

        let root = try #require(try Self.fileError("- database\n- listen\n"))
        #expect(root.message == "\(root.file):1:1: the configuration must be a mapping")

        let text = try #require(try Self.fileError("just some words\n"))
        #expect(text.message == "\(text.file):1:1: the configuration must be a mapping")
    }

    @Test func invalidYAMLIsAnErrorWithItsPosition() throws {
        for text in ["listen: [127.0.0.1:8080\n", "source:\n  path: bots\n repository: .\n", "database: \"unterminated\n"] {
            let error = try #require(try Self.fileError(text))
            let rest = try #require(error.message.hasPrefix(error.file + ":") ? error.message.dropFirst(error.file.count + 1) : nil,
                                    "\(error.message)")
            let parts = rest.split(separator: ":", maxSplits: 2)
            #expect(parts.count == 3 && Int(parts[0]) != nil && Int(parts[1]) != nil && parts[2].hasPrefix(" "), "\(error.message)")
            #expect(Self.isOneSentence(error.message), "\(error.message)")
        }
    }

    @Test func aFileOfTwoDocumentsIsAnError() throws {
        let error = try #require(try Self.fileError("database: a.sqlite\n---\ndatabase: b.sqlite\n"))
        #expect(error.message.hasPrefix("\(error.file):"))
        #expect(error.message.hasSuffix(": the configuration file must hold one YAML document"))
        let position = error.message.dropFirst(error.file.count + 1).split(separator: ":").prefix(2).compactMap { Int($0) }
        #expect(position.count == 2 && [2, 3].contains(position[0]), "the second document's position: \(error.message)")
        #expect(Self.isOneSentence(error.message))
    }

    @Test func anUnreadableFileIsAnErrorNamingIt() throws {
        try withTemporaryDirectory { directory in
            let missing = directory + "/missing.yaml"
            // A missing file, and a directory, which is not a file either.
            for path in [missing, directory] {
                let error = try #require(Self.configurationError { () throws(ServeConfigurationError) in
                    try ServeSettings.load(file: path, environment: [:])
                })
                #expect(error.message.hasPrefix("cannot read the configuration file \(path): "), "\(error.message)")
                #expect(!error.message.contains("\n"))
                #expect(Self.isOneSentence(error.message), "\(error.message)")
                #expect(error.message.hasSuffix(path == missing ? "no such file" : "it is a directory"), "\(error.message)")
            }
        }
    }

    @Test func aFileErrorStopsBeforeTheEnvironmentApplies() throws {
        // A broken file is an error even when the environment would override the broken key.
        let error = try Self.withConfigFile("reconcile:\n  interval: soon\n") { file in
            Self.configurationError { () throws(ServeConfigurationError) in
                try ServeSettings.load(file: file, environment: ["NECTAR_INTERVAL": "30s"])
            }
        }
        #expect(error?.message.contains("reconcile.interval must be a duration") == true)
    }

    // MARK: Environment errors

    @Test func aWrongEnvironmentValueNamesTheVariable() throws {
        let cases: [(String, String, String)] = [
            ("NECTAR_INTERVAL", "soon", "the environment variable NECTAR_INTERVAL must be a duration of at least 1s such as 30s, 5m or 1h"),
            ("NECTAR_DB", "", "the environment variable NECTAR_DB must be a non-empty string"),
            ("NECTAR_JITTER", "lots", "the environment variable NECTAR_JITTER must be a number from 0 to 0.5"),
            ("NECTAR_DEBOUNCE_MS", "1.5", "the environment variable NECTAR_DEBOUNCE_MS must be a whole number of milliseconds from 0 to 60000"),
            ("NECTAR_ALLOW_EMPTY", "sure", "the environment variable NECTAR_ALLOW_EMPTY must be true or false"),
            ("NECTAR_LOG_FORMAT", "xml", "the environment variable NECTAR_LOG_FORMAT must be auto, json or text"),
        ]
        for (variable, value, expected) in cases {
            let error = Self.configurationError { () throws(ServeConfigurationError) in
                try ServeSettings.load(file: nil, environment: [variable: value])
            }
            #expect(error?.message == expected, "\(variable)=\(value)")
            #expect(error?.description == expected)
            #expect(Self.isOneSentence(error?.message ?? ""))
        }
    }

    // MARK: The source

    @Test func aPathIsALocalRepository() throws {
        for repository in [".", "/srv/bots", "relative/bots", "../bots", "/srv/odd:name", "/srv/me@example"] {
            var settings = ServeSettings()
            settings.repository = repository
            let source = try settings.source(environment: [:])
            #expect(source.location == .local(path: repository), "\(repository)")
            #expect(source.displayName == repository)
            #expect(try source.prepare() == repository, "a local source needs no fetching")
        }
    }

    @Test func aURLIsARemoteMirroredUnderTheMirrorDirectory() throws {
        for url in ["file:///x", "https://git.example.com/acme/bots.git", "ssh://git@git.example.com/acme/bots.git"] {
            var settings = ServeSettings()
            settings.repository = url
            settings.mirrorDirectory = "/var/lib/nectar/mirrors"
            let location = ReconcileSource.location(for: url, mirrorDirectory: settings.mirrorDirectory, credentials: .none)
            guard case .remote(let remoteURL, let mirror, let credentials) = location else {
                Issue.record("\(url) is not a remote: \(location)")
                continue
            }
            #expect(remoteURL == url)
            #expect(mirror.hasPrefix("/var/lib/nectar/mirrors/"), "\(mirror)")
            #expect(mirror.hasSuffix(".git"))
            #expect(!mirror.dropFirst("/var/lib/nectar/mirrors/".count).contains("/"), "one directory per mirror: \(mirror)")
            #expect(credentials == .none)
            if url.hasPrefix("ssh://"), !GitMirror.supportsSSH { continue }
            #expect(try settings.source(environment: [:]).location == location)
        }
        // Each URL has its own mirror.
        let mirrors = Set(["file:///x", "file:///y", "https://a.example/r.git", "https://b.example/r.git"].map {
            ReconcileSource.mirrorPath(for: $0, in: "m")
        })
        #expect(mirrors.count == 4)
    }

    @Test func scpSyntaxIsARemote() throws {
        let url = "git@git.example.com:acme/bots.git"
        let location = ReconcileSource.location(for: url, mirrorDirectory: "mirrors", credentials: .none)
        guard case .remote(let remoteURL, let mirror, let credentials) = location else {
            Issue.record("\(url) is not a remote: \(location)")
            return
        }
        #expect(remoteURL == url)
        #expect(credentials == .none)
        #expect(mirror.hasPrefix("mirrors/"))
        var settings = ServeSettings()
        settings.repository = url
        settings.mirrorDirectory = "mirrors"
        switch Result(catching: { () throws(ServeConfigurationError) in try settings.source(environment: [:]) }) {
        case .success(let source):
            #expect(GitMirror.supportsSSH, "without SSH support an scp-style remote is refused")
            #expect(source.location == location)
        case .failure(let error):
            #expect(!GitMirror.supportsSSH, "\(error.message)")
            #expect(error.message.contains("without SSH support"))
            #expect(error.message.contains(url))
            #expect(Self.isOneSentence(error.message))
        }
    }

    @Test func credentialsInTheURLNeverReachTheMirrorPathOrTheDisplayName() throws {
        let secret = "s3cr3t-t0k3n-\(UUID().uuidString)"
        let withCredentials = "https://deploy-user:\(secret)@git.example.com/acme/bots.git"
        let clean = "https://git.example.com/acme/bots.git"
        #expect(RemoteURL.redacted(withCredentials) == clean)
        #expect(RemoteURL.redacted("https://\(secret)@git.example.com/acme/bots.git") == clean)
        #expect(RemoteURL.redacted(clean) == clean)
        #expect(RemoteURL.redacted("https://git.example.com/a@b/bots.git") == "https://git.example.com/a@b/bots.git",
                "an @ in the path is not userinfo")
        #expect(RemoteURL.redacted("file:///srv/bots") == "file:///srv/bots")

        // The mirror is named without them.
        let mirror = ReconcileSource.mirrorPath(for: withCredentials, in: "/var/lib/nectar/mirrors")
        #expect(!mirror.contains(secret))
        #expect(!mirror.contains("s3cr3t"))
        #expect(!mirror.contains("deploy-user"))
        #expect(mirror == ReconcileSource.mirrorPath(for: clean, in: "/var/lib/nectar/mirrors"), "credentials take no part in the mirror")

        // And the daemon refuses them: libgit2 would store the URL in the
        // mirror's git config. The refusal does not repeat the secret.
        for url in [withCredentials, "https://\(secret)@git.example.com/acme/bots.git", "ssh://git:\(secret)@git.example.com/acme/bots.git"] {
            var settings = ServeSettings()
            settings.repository = url
            let error = try #require(Self.configurationError { () throws(ServeConfigurationError) in try settings.source(environment: [:]) })
            #expect(error.message.contains("carries credentials"), "\(error.message)")
            #expect(error.message.contains("source.tokenEnv"))
            #expect(!error.message.contains(secret))
        }
        // A user alone on ssh://, or on https:// next to a token from tokenEnv, is not a secret.
        var ssh = ServeSettings()
        ssh.repository = "ssh://git@git.example.com/acme/bots.git"
        #expect(throws: Never.self) { try ssh.source(environment: [:]) }
        var oauth = ServeSettings()
        oauth.repository = "https://oauth2@gitlab.example.com/acme/bots.git"
        oauth.tokenEnv = "GITLAB_TOKEN"
        #expect(throws: Never.self) { try oauth.source(environment: ["GITLAB_TOKEN": secret]) }
    }

    @Test func aTokenVariableThatIsNotSetIsAnErrorWithoutSecrets() throws {
        let urlSecret = "url-secret-\(UUID().uuidString)"
        let otherSecret = "other-secret-\(UUID().uuidString)"
        var settings = ServeSettings()
        settings.repository = "https://git.example.com/acme/\(urlSecret)/bots.git"
        settings.tokenEnv = "ACME_GIT_TOKEN"
        for environment in [["NECTAR_WEBHOOK_SECRET": otherSecret, "GITHUB_TOKEN": otherSecret], ["ACME_GIT_TOKEN": ""]] {
            let error = try #require(Self.configurationError { () throws(ServeConfigurationError) in
                try settings.source(environment: environment)
            })
            #expect(error.message == "source.tokenEnv names ACME_GIT_TOKEN, but that environment variable is not set")
            #expect(!error.message.contains(urlSecret))
            #expect(!error.message.contains(otherSecret))
            #expect(!String(reflecting: error).contains(urlSecret))
            #expect(!String(reflecting: error).contains(otherSecret))
        }
    }

    @Test func aTokenIsNeverSentToAPlainHTTPRemote() throws {
        let token = "ghp_\(UUID().uuidString)"
        var settings = ServeSettings()
        settings.repository = "http://git.example.com/acme/bots.git"
        settings.tokenEnv = "ACME_GIT_TOKEN"
        let error = try #require(Self.configurationError { () throws(ServeConfigurationError) in
            try settings.source(environment: ["ACME_GIT_TOKEN": token])
        })
        #expect(error.message == "source.tokenEnv would send the token in clear text to http://git.example.com/acme/bots.git; use an https:// URL")
        #expect(!error.message.contains(token))
        settings.tokenEnv = nil
        #expect(throws: Never.self) { try settings.source(environment: [:]) }
    }

    @Test func aTokenVariableThatIsSetGivesTokenCredentials() throws {
        let token = "ghp_\(UUID().uuidString)"
        var settings = ServeSettings()
        settings.repository = "https://git.example.com/acme/bots.git"
        settings.mirrorDirectory = "mirrors"
        settings.tokenEnv = "ACME_GIT_TOKEN"
        let source = try settings.source(environment: ["ACME_GIT_TOKEN": token])
        guard case .remote(let url, let mirror, let credentials) = source.location else {
            Issue.record("not a remote: \(source.location)")
            return
        }
        #expect(url == "https://git.example.com/acme/bots.git")
        #expect(credentials == .token(token))
        #expect(!mirror.contains(token))
        // Printing the credentials never shows the token.
        #expect(!String(describing: credentials).contains(token))
        #expect(!String(reflecting: credentials).contains(token))
        var dumped = ""
        dump(credentials, to: &dumped)
        #expect(!dumped.contains(token))
    }

    @Test func anSSHPassphraseVariableThatIsNotSetIsAnError() throws {
        var settings = ServeSettings()
        settings.repository = "https://git.example.com/acme/bots.git"
        settings.sshKey = "/etc/nectar/id_ed25519"
        settings.sshPassphraseEnv = "ACME_SSH_PASSPHRASE"
        let error = Self.configurationError { () throws(ServeConfigurationError) in try settings.source(environment: [:]) }
        #expect(error?.message == "source.sshPassphraseEnv names ACME_SSH_PASSPHRASE, but that environment variable is not set")
        let passphrase = "pass-\(UUID().uuidString)"
        let source = try settings.source(environment: ["ACME_SSH_PASSPHRASE": passphrase])
        guard case .remote(_, _, let credentials) = source.location else {
            Issue.record("not a remote: \(source.location)")
            return
        }
        #expect(credentials == .sshKey(privateKey: "/etc/nectar/id_ed25519", publicKey: nil, passphrase: passphrase))
        #expect(!String(describing: credentials).contains(passphrase))
    }

    @Test func theRevisionIsHEADUnlessABranchIsSet() {
        #expect(ReconcileSource(location: .local(path: ".")).revision == "HEAD")
        #expect(ReconcileSource(location: .local(path: "."), branch: "release").revision == "refs/heads/release")
        let remote = ReconcileSource.Location.remote(url: "file:///x", mirror: "m/x.git", credentials: .none)
        // A remote's mirror HEAD follows the remote's default branch (docs/operations.md).
        #expect(ReconcileSource(location: remote).revision == "HEAD")
        #expect(ReconcileSource(location: remote, branch: "main").revision == "refs/heads/main")
        #expect(ReconcileSource(location: remote, branch: "feature/x").revision == "refs/heads/feature/x")
    }

    // MARK: Webhook and listen address

    @Test func theWebhookSecretIsNilWhenItsVariableIsUnsetOrEmpty() {
        var settings = ServeSettings()
        #expect(settings.webhookSecret(environment: [:]) == nil)
        #expect(settings.webhookSecret(environment: ["NECTAR_WEBHOOK_SECRET": ""]) == nil)
        #expect(settings.webhookSecret(environment: ["NECTAR_WEBHOOK_SECRET": "whsec-1"]) == "whsec-1")
        settings.webhookSecretEnv = "HOOK_SECRET"
        #expect(settings.webhookSecret(environment: ["NECTAR_WEBHOOK_SECRET": "whsec-1"]) == nil, "only the named variable counts")
        #expect(settings.webhookSecret(environment: ["HOOK_SECRET": "whsec-2"]) == "whsec-2")
    }

    @Test func listenAddressesSplitIntoHostAndPort() throws {
        let cases: [(String, String, Int)] = [
            ("127.0.0.1:0", "127.0.0.1", 0),
            ("[::1]:8080", "::1", 8080),
            (":9000", "0.0.0.0", 9000),
            ("localhost:65535", "localhost", 65535),
            ("0.0.0.0:80", "0.0.0.0", 80),
        ]
        for (listen, host, port) in cases {
            var settings = ServeSettings()
            #expect(settings.set("listen", to: listen) == nil)
            let address = try settings.listenAddress()
            #expect(address.host == host, "\(listen)")
            #expect(address.port == port, "\(listen)")
        }
    }

    @Test func aListenValueWithoutAValidPortIsAnError() {
        for listen in ["nope", "host:99999", "host:", "host:-1", "host:http", "8080"] {
            var settings = ServeSettings()
            settings.listen = listen
            let error = Self.configurationError { () throws(ServeConfigurationError) in try settings.listenAddress() }
            #expect(error?.message == "listen must be host:port, such as 127.0.0.1:8080 (got \(listen))")
        }
    }

    @Test func aMaximumBackoffShorterThanTheBackoffCountsAsTheBackoff() {
        var settings = ServeSettings()
        #expect(settings.set("reconcile.backoff", to: "2m") == nil)
        #expect(settings.set("reconcile.maxBackoff", to: "30s") == nil)
        #expect(settings.timing.backoffBase == .seconds(120))
        #expect(settings.timing.backoffMax == .seconds(120))
    }
}

extension ServeSettingsTests {
    @Test func webhooksAreReadFromTheFileWithTheirSecretsFromTheEnvironment() throws {
        let text = """
            server:
              publicURL: https://nectar.example.com
            notifications:
              webhooks:
                support-slack: {url: "https://hooks.slack.com/services/T000/B000/XXXX", secretEnv: SUPPORT_SLACK_SECRET, format: slack}
                pager:
                  url: https://alerts.example.com/nectar
                  secretEnv: PAGER_SECRET
                  timeout: 5s
            """
        let loaded = try Self.withConfigFile(text) { try ServeSettings.load(file: $0, environment: [:]) }
        #expect(loaded.publicURL == "https://nectar.example.com")
        #expect(loaded.webhooks == [
            WebhookSetting(name: "support-slack", url: "https://hooks.slack.com/services/T000/B000/XXXX", secretEnv: "SUPPORT_SLACK_SECRET",
                           format: .slack),
            WebhookSetting(name: "pager", url: "https://alerts.example.com/nectar", secretEnv: "PAGER_SECRET",
                           timeout: SpecDuration(seconds: 5)),
        ])
        let targets = try loaded.webhookTargets(environment: ["SUPPORT_SLACK_SECRET": "s1", "PAGER_SECRET": "s2"])
        #expect(targets.map(\.secret) == ["s1", "s2"])
        #expect(targets.map(\.timeout) == [.seconds(10), .seconds(5)])
        #expect(throws: ServeConfigurationError.self) { try loaded.webhookTargets(environment: ["PAGER_SECRET": "s2"]) }

        let cases: [(String, String)] = [
            ("notifications:\n  webhooks:\n    pager: {url: ftp://x, secretEnv: S}", "3:18: notifications.webhooks.pager.url must be an http or https URL"),
            ("notifications:\n  webhooks:\n    pager: {url: https://x.example}", "3:5: notifications.webhooks.pager needs secretEnv"),
            ("notifications:\n  webhooks:\n    Pager: {url: https://x.example, secretEnv: S}", "3:5: a webhook name is a lowercase DNS label"),
            ("notifications:\n  webhooks:\n    pager: {url: https://x.example, secretEnv: S, format: zulip}", "notifications.webhooks.pager.format must be one of json, slack, teams, pagerduty, zendesk"),
            ("notifications:\n  webhooks:\n    pager: {url: https://x.example, secretEnv: S, secret: hunter2}", "unknown setting notifications.webhooks.pager.secret"),
            ("notifications:\n  webhooks: [pager]", "notifications.webhooks must be a mapping of names to webhooks"),
        ]
        for (yaml, expected) in cases {
            let error = try #require(try Self.fileError(yaml), "\(yaml)")
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("hunter2"))
        }
    }
}

extension ServeSettingsTests {
    @Test func theNotificationsExampleOfTheDocsLoads() throws {
        let docs = try String(contentsOf: PackagePaths.file("docs/notifications.md"), encoding: .utf8)
        let section = try #require(docs.range(of: "### Configuration"))
        let start = try #require(docs.range(of: "```yaml\n", range: section.upperBound..<docs.endIndex))
        let end = try #require(docs.range(of: "```", range: start.upperBound..<docs.endIndex))
        let loaded = try Self.withConfigFile(String(docs[start.upperBound..<end.lowerBound])) {
            try ServeSettings.load(file: $0, environment: [:])
        }
        #expect(loaded.webhooks.map(\.name) == ["support-slack", "support-teams", "pager", "audit", "helpdesk"])
        #expect(loaded.webhooks.map(\.format) == [.slack, .teams, .pagerduty, .json, .zendesk])
        #expect(loaded.reconcileWebhooks == ["pager"])
        #expect(loaded.publicURL == "https://nectar.example.com")
        let environment = ["SUPPORT_SLACK_SECRET": "a", "TEAMS_SECRET": "b", "PAGER_SECRET": "c", "PD_ROUTING_KEY": "d", "AUDIT_SECRET": "e",
                           "ZD_SECRET": "f", "ZD_TOKEN": "g"]
        let targets = try loaded.webhookTargets(environment: environment)
        #expect(targets.map(\.routingKey) == [nil, nil, "d", nil, nil])
        #expect(targets.last?.apiToken == "g" && targets.last?.zendeskEmail == "bot@acme.example")
    }
}
