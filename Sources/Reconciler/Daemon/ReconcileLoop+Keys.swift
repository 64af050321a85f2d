import BotRuntime
import Foundation

extension ReconcileLoop {
    /// An emergency rotation, as `nectar keys rotate` does it (the key
    /// directory's lock, the new key to the directory and sealed recipients,
    /// audited), run on the reconcile queue: after any reconcile in flight,
    /// and off Swift's cooperative pool (it reads and writes files).
    public nonisolated func rotateKey(bot: String, revokeOld: Bool, actor: String,
                                      now: @escaping @Sendable () -> Date) async throws -> EmergencyKeys.Rotation {
        let keys = EmergencyKeys(store: reconciler.store, keyDirectory: reconciler.keyDirectory, now: now)
        return try await onQueue { try keys.rotate(bot: bot, revokeOld: revokeOld, actor: actor) }
    }

    /// An emergency revocation, as `nectar keys revoke` does it, on the reconcile queue.
    public nonisolated func revokeKey(bot: String, keyID: String, actor: String, now: @escaping @Sendable () -> Date) async throws {
        let keys = EmergencyKeys(store: reconciler.store, keyDirectory: reconciler.keyDirectory, now: now)
        try await onQueue { try keys.revoke(bot: bot, keyID: keyID, actor: actor) }
    }

    private nonisolated func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

extension ReconcileLoop {
    /// A bot's effective key rotation (its own fields over the selected
    /// policy), read on a global queue: the store read blocks.
    public nonisolated func rotationSchedule(for bot: BotSpec) async throws -> EffectiveRotation {
        let store = reconciler.store
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    var index = PolicyIndex(Array(try store.specs(.keyRotationPolicy, as: KeyRotationPolicySpec.self).values))
                    return index.rotation(for: bot)
                })
            }
        }
    }
}
