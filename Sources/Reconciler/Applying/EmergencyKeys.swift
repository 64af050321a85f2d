import BotRuntime
import Foundation

/// Key actions taken outside git: `nectar keys rotate` and `nectar keys revoke`.
/// Audited like a reconcile; the drift report flags an emergency rotation
/// until git's generation catches up.
public struct EmergencyKeys: Sendable {
    public var store: RuntimeStore
    public var keyDirectory: KeyDirectory?
    public var now: @Sendable () -> Date

    public init(store: RuntimeStore, keyDirectory: KeyDirectory?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.keyDirectory = keyDirectory
        self.now = now
    }

    /// What a rotation did.
    public struct Rotation: Sendable {
        public var newKey: StoredKey
        /// One sentence about the previous key.
        public var previous: String
    }

    /// Issues a new active key for `bot` now. The previous key gets the
    /// bot's effective grace period, or is revoked at once with `revokeOld`.
    public func rotate(bot name: String, revokeOld: Bool, actor: String) throws -> Rotation {
        let at = now()
        guard let json = try store.specJSON(.bot, names: [name])[name],
              try store.liveState()[.bot][name]?.isDeleted == false else {
            throw EmergencyKeyError(message: "bot \(name) is not live", isNotFound: true)
        }
        let spec = try JSONDecoder().decode(BotSpec.self, from: Data(json.utf8))
        let policies = Array(try store.specs(.keyRotationPolicy, as: KeyRotationPolicySpec.self).values)
        var index = PolicyIndex(policies)
        let grace = revokeOld ? SpecDuration(seconds: 0) : index.rotation(for: spec).gracePeriod
        // One writer of the key directory at a time, from reading the keys to the commit.
        let held = try keyDirectory?.lock()
        defer { withExtendedLifetime(held) {} }
        let active = try store.keys(bot: name).first { $0.state == .active }

        let key = APIKey.generate()
        let id = APIKey.newKeyID()
        let stored = StoredKey(id: id, bot: name, generation: active?.generation ?? spec.apiKeys.generation,
                               secretHash: key.secretHash, display: key.display, state: .active, origin: "emergency", createdAt: at)
        let sealed = try spec.apiKeys.recipients.map { try KeySealing.seal(key, keyID: id, bot: name, to: $0, at: at) }
        var transitions: [KeyTransition] = []
        var previous = "the bot had no active key"
        var until: Date?
        if let active {
            if grace.seconds > 0 {
                until = at.addingTimeInterval(TimeInterval(grace.seconds))
                transitions.append(KeyTransition(keyID: active.id, state: .grace, at: at, expiresAt: until, bot: name))
                previous = "previous key \(active.id) stays valid for \(grace)"
            } else {
                until = at
                transitions.append(KeyTransition(keyID: active.id, state: .revoked, at: at, reason: "emergency rotation", bot: name))
                previous = "previous key \(active.id) revoked"
            }
        }
        // The file first (holding every key valid before and after), then the
        // commit that makes the new key valid.
        if let keyDirectory {
            let valid = try store.keys(bot: name).filter { $0.isValid(at: at) }
            try keyDirectory.write(.next(bot: name,
                                         active: KeyDirectory.Entry(id: id, key: key.secret, generation: stored.generation, issuedAt: at),
                                         rotatingOut: active?.id, until: until, valid: valid, current: keyDirectory.read(bot: name)))
            keyDirectory.syncDirectory()
        } else if sealed.isEmpty {
            throw EmergencyKeyError(message: "bot \(name) has no recipients and no key directory was given; the new key would have no holder")
        }
        let details: JSONValue = .object([
            "keyID": .string(id), "display": .string(key.display), "previousKeyID": active.map { .string($0.id) } ?? .null,
            "revokedOld": .bool(grace.seconds == 0), "reason": .string("emergency rotation"),
        ])
        do {
            try store.applyKeyChanges(issues: [KeyIssue(key: stored, sealed: sealed)], transitions: transitions, audit: [
                AuditEntry(at: at, actor: actor, action: "key-rotate", objectKind: ObjectKind.bot.rawValue, objectName: name,
                           changes: String(decoding: details.canonicalJSON, as: UTF8.self)),
            ], expectingActive: (name, active?.id))
        } catch {
            // The file already names the new key active: put it back as the
            // store has it (the new key was never valid).
            if let keyDirectory, let valid = try? store.keys(bot: name).filter({ $0.isValid(at: at) }) {
                try? keyDirectory.restore(bot: name, valid: valid)
                keyDirectory.syncDirectory()
            }
            throw error
        }
        return Rotation(newKey: stored, previous: previous)
    }

    /// Revokes one key of `bot` now.
    public func revoke(bot name: String, keyID: String, actor: String) throws {
        guard let key = try store.keys(bot: name).first(where: { $0.id == keyID }) else {
            throw EmergencyKeyError(message: "bot \(name) has no key \(keyID)", isNotFound: true)
        }
        guard key.state != .revoked else { throw EmergencyKeyError(message: "key \(keyID) of bot \(name) is already revoked") }
        let at = now()
        let held = try keyDirectory?.lock()
        defer { withExtendedLifetime(held) {} }
        let details: JSONValue = .object(["keyID": .string(keyID), "display": .string(key.display), "reason": .string("revoked by operator")])
        try store.applyKeyChanges(issues: [], transitions: [
            KeyTransition(keyID: keyID, state: .revoked, at: at, reason: "revoked by operator", bot: name),
        ], audit: [
            AuditEntry(at: at, actor: actor, action: "key-revoke", objectKind: ObjectKind.bot.rawValue, objectName: name,
                       changes: String(decoding: details.canonicalJSON, as: UTF8.self)),
        ])
    }
}

/// An emergency key action that cannot be done, as one sentence.
public struct EmergencyKeyError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The bot or key does not exist (else the action was refused).
    public var isNotFound = false
    public var description: String { message }
}
