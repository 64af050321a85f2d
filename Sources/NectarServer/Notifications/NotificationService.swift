import BotRuntime
import Foundation
import ServiceLifecycle

/// The notification dispatcher as a service of the daemon: it runs until
/// the graceful shutdown, then closes its HTTP client. Deliveries cut short
/// are retried at the next start (at least once).
final class NotificationService: Service, Sendable {
    let dispatcher: NotificationDispatcher
    let sender: HTTPWebhookSender

    init(dispatcher: NotificationDispatcher, sender: HTTPWebhookSender) {
        self.dispatcher = dispatcher
        self.sender = sender
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.dispatcher.run() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await sender.shutdown()
    }
}
