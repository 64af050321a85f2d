import BotRuntime
import Foundation
import Hummingbird
import Logging
import NectarServer
import Reconciler

/// A real `NectarDaemon` for a benchmark: a bare git repository of `files`
/// in `root`, a database and key directory beside it, serving on a loopback
/// port picked by the kernel, with its first reconcile done.
struct BenchDaemon {
    let daemon: NectarDaemon
    let task: Task<Void, any Error>
    let settings: ServeSettings
    let port: Int

    static func start(root: String, files: [String: [UInt8]], environment: [String: String] = [:],
                      adjust: (inout ServeSettings) -> Void = { _ in }) async throws -> BenchDaemon {
        let repository = try GitRepository.create(at: root + "/repo", bare: true)
        try repository.commit(files: files, message: "bench bots")
        var logger = Logger(label: "nectar-bench")
        logger.logLevel = .error
        var settings = ServeSettings()
        settings.database = root + "/nectar.sqlite"
        settings.listen = "127.0.0.1:0"
        settings.keyDirectory = root + "/keys"
        settings.repository = root + "/repo"
        settings.mirrorDirectory = root + "/mirrors"
        adjust(&settings)
        let daemon = try NectarDaemon(settings: settings, environment: environment, logger: logger, handleSignals: false)
        let task = Task { try await daemon.run() }
        let port = try await ChatBenchmark.wait("the daemon listens") { daemon.port }
        _ = try await ChatBenchmark.wait("the first reconcile finished") { await daemon.loop.runsCompleted >= 1 ? true : nil }
        return BenchDaemon(daemon: daemon, task: task, settings: settings, port: port)
    }

    /// A bot's active key, from the key directory.
    func key(_ bot: String) throws -> String {
        guard let key = KeyDirectory(path: settings.keyDirectory).read(bot: bot)?.active.key else {
            throw BenchmarkFailure(message: "the key of bot \(bot) was not written")
        }
        return key
    }

    /// Shuts the daemon down gracefully and waits for it.
    func stop() async throws {
        await daemon.shutdown()
        try await task.value
    }

    /// Serves `router` on a loopback port picked by the kernel; returns the port.
    static func serve(_ router: Router<BasicRequestContext>, label: String) async throws -> Int {
        let port = PortBox()
        var logger = Logger(label: label)
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.set(channel.localAddress?.port) }, logger: logger)
        Task { try await app.runService(gracefulShutdownSignals: []) }
        return try await ChatBenchmark.wait("\(label) listens") { port.value }
    }
}
