import ArgumentParser
import Foundation
import Logging
import NectarServer
import Reconciler

/// `nectar serve`: the daemon (reconcile loop + HTTP server) until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: the reconcile loop and the HTTP server (admin API, webhook, health, metrics).",
        discussion: """
        Settings come from defaults, then --config FILE, then NECTAR_* environment variables, then these flags. \
        Secret values (the webhook secret, a remote's token, an SSH key's passphrase) are read from environment \
        variables that the settings name. SIGTERM or SIGINT stops it gracefully: a reconcile in flight completes \
        or rolls back, never half-applied. See docs/operations.md.
        """
    )

    @Option(name: .long, help: "A YAML configuration file (see docs/operations.md).")
    var config: String?

    @Option(name: .long, help: "A repository path or a remote URL (file://, https://, ssh://). Default: .")
    var repo: String?

    @Option(name: .long, help: "The branch to reconcile. Default: HEAD (a remote's default branch).")
    var branch: String?

    @Option(name: .long, help: "Directory of the declarations inside the repository. Default: bots")
    var path: String?

    @Option(name: .long, help: "The runtime database. Default: nectar.sqlite")
    var db: String?

    @Option(name: .long, help: "host:port to listen on (port 0 picks a free port). Default: 127.0.0.1:8080")
    var listen: String?

    @Option(name: .long, help: "Where new API keys are written. Default: keys")
    var keyDir: String?

    @Option(name: .long, help: "Poll interval, such as 30s or 5m. Default: 60s")
    var interval: String?

    @Option(name: .long, help: "Log format: auto (JSON unless stdout is a terminal), json or text.")
    var logFormat: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let settings: ServeSettings
        do {
            var loaded = try ServeSettings.load(file: config ?? environment["NECTAR_CONFIG"], environment: environment)
            let flags: [(String, String?, String)] = [
                ("source.repository", repo, "--repo"), ("source.branch", branch, "--branch"), ("source.path", path, "--path"),
                ("database", db, "--db"), ("listen", listen, "--listen"), ("keyDirectory", keyDir, "--key-dir"),
                ("reconcile.interval", interval, "--interval"), ("log.format", logFormat, "--log-format"), ("log.level", logLevel, "--log-level"),
            ]
            for (key, value, flag) in flags {
                guard let value else { continue }
                if let problem = loaded.set(key, to: value) {
                    throw ServeConfigurationError(message: "\(flag): \(problem)")
                }
            }
            settings = loaded
        } catch {
            throw CommandFailure.exit(error)
        }
        Self.bootstrapLogging(settings)
        let logger = Logger(label: "nectar")
        let daemon: NectarDaemon
        do {
            daemon = try NectarDaemon(settings: settings, environment: environment, logger: logger)
        } catch {
            throw CommandFailure.exit(error)
        }
        do {
            try await daemon.run()
        } catch {
            logger.critical("stopped", metadata: ["error": "\(error)"])
            throw CommandFailure.exit(error)
        }
        logger.info("stopped")
    }

    static func bootstrapLogging(_ settings: ServeSettings) {
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        let json = settings.logFormat == "json" || (settings.logFormat == "auto" && isatty(STDOUT_FILENO) == 0)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
