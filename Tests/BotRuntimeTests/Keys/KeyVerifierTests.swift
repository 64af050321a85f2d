import BotRuntime
import Foundation
import Testing

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
    }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(by seconds: TimeInterval) {
        lock.lock()
        defer { lock.unlock() }
        current += seconds
    }
}

/// The verifier on a real SQLite file, with keys written the way `nectar`
/// writes them (`applyKeyChanges`).
struct KeyVerifierTests {
    /// Runs `body` with a new database file in a temporary directory, and
    /// removes the directory afterwards.
    static func withStore(_ body: (RuntimeStore, String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nectar.sqlite").path
        try body(try RuntimeStore.open(path: path), path)
    }

    /// Issues a new active key of `bot`; returns it and its id.
    @discardableResult
    static func issue(_ store: RuntimeStore, bot: String = "support", at date: Date) throws -> (APIKey, String) {
        let key = APIKey.generate()
        let id = APIKey.newKeyID()
        let stored = StoredKey(id: id, bot: bot, generation: 1, secretHash: key.secretHash, display: key.display,
                               state: .active, origin: "reconcile", createdAt: date)
        try store.applyKeyChanges(issues: [KeyIssue(key: stored, sealed: [])], transitions: [], audit: [])
        return (key, id)
    }

    static func verifier(_ store: RuntimeStore, _ clock: TestClock, cacheCapacity: Int = 10_000) -> KeyVerifier {
        KeyVerifier(store: store, cacheCapacity: cacheCapacity, now: { clock.now })
    }

    @Test func anActiveKeyIsValid() throws {
        try Self.withStore { store, _ in
            let clock = TestClock()
            let (key, id) = try Self.issue(store, at: clock.now)
            try Self.issue(store, bot: "sales", at: clock.now)
            let verifier = Self.verifier(store, clock)
            #expect(verifier.verify(key.secret) == .valid(bot: "support", keyID: id, state: .active))
            #expect(verifier.verify(key.secret).isValid)
        }
    }

    @Test func aGraceKeyIsValidUntilItsExpiry() throws {
        try Self.withStore { store, _ in
            let clock = TestClock()
            let (old, oldID) = try Self.issue(store, at: clock.now)
            let verifier = Self.verifier(store, clock)
            #expect(verifier.verify(old.secret) == .valid(bot: "support", keyID: oldID, state: .active))

            // Rotation: a new key, the old one in grace for 24 hours.
            clock.advance(by: 30 * 86_400)
            let (new, newID) = try Self.issue(store, at: clock.now)
            try store.applyKeyChanges(issues: [], transitions: [
                KeyTransition(keyID: oldID, state: .grace, at: clock.now, expiresAt: clock.now + 86_400),
            ], audit: [])
            #expect(verifier.verify(old.secret) == .valid(bot: "support", keyID: oldID, state: .grace))
            #expect(verifier.verify(new.secret) == .valid(bot: "support", keyID: newID, state: .active))

            clock.advance(by: 86_400 - 1)
            #expect(verifier.verify(old.secret) == .valid(bot: "support", keyID: oldID, state: .grace))
            clock.advance(by: 1)
            #expect(verifier.verify(old.secret) == .rejected(.expired))
            clock.advance(by: 3_600)
            #expect(verifier.verify(old.secret) == .rejected(.expired))
            #expect(verifier.verify(new.secret) == .valid(bot: "support", keyID: newID, state: .active))
            // A fresh verifier (empty cache) agrees.
            #expect(Self.verifier(store, clock).verify(old.secret) == .rejected(.expired))
        }
    }

    @Test func aRevocationOnAnotherConnectionTakesEffectAtOnceEvenWhenCached() throws {
        try Self.withStore { store, path in
            let clock = TestClock()
            let (key, id) = try Self.issue(store, at: clock.now)
            let verifier = Self.verifier(store, clock)
            #expect(verifier.verify(key.secret).isValid)
            #expect(verifier.verify(key.secret).isValid)
            // Now it is cached: a verification reads only the state version.
            let before = verifier.databaseLookups
            #expect(verifier.verify(key.secret).isValid)
            #expect(verifier.databaseLookups == before + 1)

            // Another connection (as another process would) revokes it.
            let other = try RuntimeStore.open(path: path)
            try other.applyKeyChanges(issues: [], transitions: [
                KeyTransition(keyID: id, state: .revoked, at: clock.now, reason: "leaked"),
            ], audit: [AuditEntry(at: clock.now, actor: "operator:alice", action: "revoke-key", objectKind: "Bot",
                                  objectName: "support", changes: "{}")])
            #expect(verifier.verify(key.secret) == .rejected(.revoked))
            #expect(verifier.verify(key.secret) == .rejected(.revoked))
        }
    }

    @Test func garbageAndBadChecksumsNeverReachTheDatabase() throws {
        try Self.withStore { store, _ in
            let clock = TestClock()
            let (key, _) = try Self.issue(store, at: clock.now)
            let verifier = Self.verifier(store, clock)
            let secret = key.secret
            let last: Character = secret.last == "a" ? "b" : "a"
            let garbage = [
                "", "nb_", "hello", String(secret.dropLast()) + String(last), String(secret.dropLast()), secret + "x",
                "NB_" + secret.dropFirst(3), "Bearer " + secret, secret.uppercased(), String(repeating: "A", count: 39),
                "nb_" + String(repeating: "0", count: 36), "nb_" + String(repeating: "é", count: 36),
            ]
            for text in garbage where text != secret {
                #expect(verifier.verify(text) == .rejected(.malformed), "\(text)")
            }
            #expect(verifier.databaseLookups == 0)
            #expect(verifier.verify(secret).isValid)
            #expect(verifier.databaseLookups > 0)
        }
    }

    @Test func anUnknownKeyIsUnknownUntilItIsIssued() throws {
        try Self.withStore { store, _ in
            let clock = TestClock()
            try Self.issue(store, at: clock.now)
            let verifier = Self.verifier(store, clock)
            let stranger = APIKey.generate()
            #expect(verifier.verify(stranger.secret) == .rejected(.unknown))
            // Remembered as unknown: only the state version is read.
            let before = verifier.databaseLookups
            #expect(verifier.verify(stranger.secret) == .rejected(.unknown))
            #expect(verifier.databaseLookups == before + 1)

            // Issuing it moves the state version, so the verifier forgets.
            let id = APIKey.newKeyID()
            try store.applyKeyChanges(issues: [KeyIssue(key: StoredKey(
                id: id, bot: "support", generation: 2, secretHash: stranger.secretHash, display: stranger.display,
                state: .active, origin: "emergency", createdAt: clock.now), sealed: [])], transitions: [], audit: [])
            #expect(verifier.verify(stranger.secret) == .valid(bot: "support", keyID: id, state: .active))
        }
    }

    @Test func useIsRecordedAtMostOnceAMinute() throws {
        try Self.withStore { store, _ in
            let clock = TestClock()
            let (key, _) = try Self.issue(store, at: clock.now)
            let verifier = Self.verifier(store, clock)
            #expect(try store.keys(bot: "support").first?.lastUsedAt == nil)
            let first = clock.now
            #expect(verifier.verify(key.secret).isValid)
            #expect(try store.keys(bot: "support").first?.lastUsedAt == first)
            for _ in 0..<10 {
                clock.advance(by: 5)
                #expect(verifier.verify(key.secret).isValid)
            }
            #expect(try store.keys(bot: "support").first?.lastUsedAt == first)
            clock.advance(by: 15)
            let later = clock.now
            #expect(verifier.verify(key.secret).isValid)
            #expect(try store.keys(bot: "support").first?.lastUsedAt == later)

            // A second verifier (another process) does not record again within the minute.
            clock.advance(by: 10)
            #expect(Self.verifier(store, clock).verify(key.secret).isValid)
            #expect(try store.keys(bot: "support").first?.lastUsedAt == later)
        }
    }

    @Test func withoutACacheEveryVerificationReadsTheKey() throws {
        try Self.withStore { store, _ in
            let clock = TestClock()
            let (key, id) = try Self.issue(store, at: clock.now)
            let verifier = Self.verifier(store, clock, cacheCapacity: 0)
            #expect(verifier.verify(key.secret) == .valid(bot: "support", keyID: id, state: .active))  // read + touch
            #expect(verifier.databaseLookups == 2)
            #expect(verifier.verify(key.secret).isValid)
            #expect(verifier.databaseLookups == 3)
            try store.applyKeyChanges(issues: [], transitions: [
                KeyTransition(keyID: id, state: .revoked, at: clock.now, reason: "test"),
            ], audit: [])
            #expect(verifier.verify(key.secret) == .rejected(.revoked))
        }
    }

    @Test func anUnreadableStoreIsNotAnUnknownKey() throws {
        try Self.withStore { store, path in
            let clock = TestClock()
            let (key, _) = try Self.issue(store, at: clock.now)
            let verifier = Self.verifier(store, clock)
            try RuntimeStore.open(path: path).debugExecute("DROP TABLE sealed_key; DROP TABLE api_key")
            #expect(verifier.verify(key.secret) == .rejected(.storeUnavailable))
            #expect(verifier.verify("garbage") == .rejected(.malformed))
        }
    }

    @Test func concurrentVerificationsAgree() throws {
        try Self.withStore { store, _ in
            let clock = TestClock()
            let keys = try (0..<20).map { try Self.issue(store, bot: "bot-\($0)", at: clock.now) }
            let strangers = (0..<20).map { _ in APIKey.generate() }
            let verifier = Self.verifier(store, clock)
            let failures = Counter()
            DispatchQueue.concurrentPerform(iterations: 2_000) { index in
                let (key, id) = keys[index % keys.count]
                if verifier.verify(key.secret) != .valid(bot: "bot-\(index % keys.count)", keyID: id, state: .active) {
                    failures.increment()
                }
                if verifier.verify(strangers[index % strangers.count].secret) != .rejected(.unknown) {
                    failures.increment()
                }
            }
            #expect(failures.value == 0)
        }
    }

    @Test func rejectionsReadAsOneSentence() {
        #expect(KeyRejection.revoked.description == "the API key was revoked")
        #expect(KeyRejection.allCases.allSatisfy { !$0.description.isEmpty && !$0.description.hasSuffix(".") })
    }
}

/// A thread-safe counter for concurrent tests.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
