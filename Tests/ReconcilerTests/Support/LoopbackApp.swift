import Foundation
import Hummingbird
import Logging
import Synchronization

/// A Hummingbird application that tests run as a peer (a webhook receiver,
/// a model endpoint) on 127.0.0.1, with a port the kernel picks.
enum LoopbackApp {
    /// Starts serving `router`; returns the port and the task to cancel to stop it.
    static func start(_ router: Router<BasicRequestContext>, label: String) async throws -> (port: Int, task: Task<Void, any Error>) {
        let bound = Mutex<Int?>(nil)
        var logger = Logger(label: label)
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in bound.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        for _ in 0..<200 {
            if let port = bound.withLock({ $0 }) { return (port, task) }
            try await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        throw RawHTTPConnection.Failure(description: "\(label) did not start listening")
    }
}

extension Request {
    /// The headers by lowercased name, as a receiver records them.
    var headerFields: [String: String] {
        var fields: [String: String] = [:]
        for field in headers { fields[field.name.canonicalName] = field.value }
        return fields
    }
}
