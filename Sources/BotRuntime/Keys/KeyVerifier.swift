import Foundation

/// The outcome of verifying a presented API key.
public enum KeyVerification: Sendable, Hashable {
    /// The key authenticates `bot`; `state` is `active`, or `grace` before its expiry.
    case valid(bot: String, keyID: String, state: StoredKey.State)
    /// The key does not authenticate, and why.
    case rejected(KeyRejection)

    /// Whether the key authenticates.
    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}

/// Why a presented key was rejected.
public enum KeyRejection: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Not a key at all: wrong prefix, length, characters or checksum
    /// (decided without any database access).
    case malformed
    /// Well-formed, but no stored key has its hash.
    case unknown
    /// The key was revoked.
    case revoked
    /// The key was rotated out and its grace period is over.
    case expired
    /// The store could not be read; the request should fail as a server error, not as unauthorised.
    case storeUnavailable

    /// One sentence.
    public var description: String {
        switch self {
        case .malformed: "the API key is malformed"
        case .unknown: "the API key is not known"
        case .revoked: "the API key was revoked"
        case .expired: "the API key was rotated out and its grace period is over"
        case .storeUnavailable: "the API key could not be checked because the database is unavailable"
        }
    }
}

/// What a `KeyVerifier` reads: the store's change counter and keys by
/// hash. `RuntimeStore` provides it; the verifier knows no more of the store.
public protocol KeyLookup: Sendable {
    /// A counter that any change to keys, by any process, moves.
    func stateVersion() throws -> Int64
    /// The stored key whose secret hashes to `secretHash`, if any.
    func key(secretHash: String) throws -> StoredKey?
    /// Records that a key was used (best effort).
    func touch(keyID: String, at date: Date) throws
}

/// Turns a presented key string into the bot, key id and state, or the
/// reason it is rejected.
///
/// - A malformed key (prefix, length, characters, checksum) is rejected
///   before any database access.
/// - Secrets are compared only through their SHA-256 hashes, and where hashes
///   are compared it is in constant time.
/// - A cache maps hashes to stored keys, but every verification first reads
///   the store's state version (one indexed read of a one-row table) and drops
///   the cache if it moved: a revocation by any process, on any connection,
///   takes effect on the next request.
/// - Use of a key is recorded with `RuntimeStore.touch` at most once a minute
///   per key, best effort.
///
/// Thread-safe: the cache is lock-protected, and database reads run outside
/// the lock so that verifications on several threads read concurrently.
public final class KeyVerifier: @unchecked Sendable {
    private let store: any KeyLookup
    private let now: @Sendable () -> Date
    private let cacheCapacity: Int
    private let touchInterval: TimeInterval = 60

    private let lock = NSLock()
    // Everything below is guarded by `lock`.
    /// The state version the cache entries were read at (or after).
    private var cacheVersion: Int64?
    /// Hash -> stored key.
    private var cache: [String: StoredKey] = [:]
    /// Hashes known to match no key at `cacheVersion`; issuing a key moves
    /// the version, which clears them.
    private var unknownHashes: Set<String> = []
    /// Key id -> when its use was last recorded (or attempted).
    private var lastTouch: [String: Date] = [:]
    private var lookups = 0

    /// A verifier over `store`.
    /// - Parameters:
    ///   - cacheCapacity: how many keys (and as many unknown hashes) to cache;
    ///     0 disables the cache, and with it the state-version read.
    ///   - now: the clock, injectable so tests can move time.
    public init(store: any KeyLookup, cacheCapacity: Int = 10_000, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.cacheCapacity = max(0, cacheCapacity)
        self.now = now
    }

    /// How many times this verifier has accessed the database (state-version
    /// reads, key reads and use records), for tests and benchmarks.
    public var databaseLookups: Int {
        locked { lookups }
    }

    /// Verifies a presented key.
    public func verify(_ presented: String) -> KeyVerification {
        let hash: String
        do {
            hash = try APIKey(parsing: presented).secretHash
        } catch {
            return .rejected(.malformed)
        }
        let date = now()

        let cached: StoredKey??
        var version: Int64?
        if cacheCapacity > 0 {
            locked { lookups += 1 }
            do {
                version = try store.stateVersion()
            } catch {
                return .rejected(.storeUnavailable)
            }
            cached = locked { () -> StoredKey?? in
                if version != cacheVersion {
                    cache.removeAll(keepingCapacity: true)
                    unknownHashes.removeAll(keepingCapacity: true)
                    cacheVersion = version
                }
                if let hit = cache[hash] { return .some(hit) }
                if unknownHashes.contains(hash) { return .some(nil) }
                return .none
            }
        } else {
            cached = .none
        }

        let stored: StoredKey?
        if let cached {
            stored = cached
        } else {
            locked { lookups += 1 }
            do {
                stored = try store.key(secretHash: hash)
            } catch {
                return .rejected(.storeUnavailable)
            }
            if let version {
                locked {
                    // Only entries read after the cache's version was observed
                    // may join it: if another thread has since seen a newer
                    // version, this read may predate that change.
                    guard version == cacheVersion else { return }
                    if let stored {
                        if cache.count >= cacheCapacity { cache.removeAll(keepingCapacity: true) }
                        cache[hash] = stored
                    } else {
                        if unknownHashes.count >= cacheCapacity { unknownHashes.removeAll(keepingCapacity: true) }
                        unknownHashes.insert(hash)
                    }
                }
            }
        }

        guard let stored, ConstantTime.equals(stored.secretHash.utf8, hash.utf8) else {
            return .rejected(.unknown)
        }
        switch stored.state {
        case .revoked:
            return .rejected(.revoked)
        case .grace:
            guard stored.isValid(at: date) else { return .rejected(.expired) }
        case .active:
            break
        }
        recordUse(of: stored, at: date)
        return .valid(bot: stored.bot, keyID: stored.id, state: stored.state)
    }

    /// Records a use at most once per `touchInterval` per key; a failure to
    /// record is ignored (and not retried before the interval passes).
    private func recordUse(of key: StoredKey, at date: Date) {
        let due = locked { () -> Bool in
            let last = lastTouch[key.id] ?? key.lastUsedAt
            if let last, date.timeIntervalSince(last) < touchInterval, date >= last { return false }
            if lastTouch.count >= max(cacheCapacity, 1_000) { lastTouch.removeAll(keepingCapacity: true) }
            lastTouch[key.id] = date
            lookups += 1
            return true
        }
        if due {
            try? store.touch(keyID: key.id, at: date)
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
