import BotRuntime
import Foundation

/// The key directory (`--key-dir`): one file per bot, mode 0600, replaced
/// atomically (write a new file, rename it over the old), holding the bot's
/// active key and, during a grace period, the previous one. It is written *before* the database commit that makes a
/// new key valid, so a crash in between leaves a file with a key that is not
/// valid yet next to the one that still is: every valid key has a holder.
public struct KeyDirectory: Sendable {
    /// The directory.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// One key in a bot's file.
    public struct Entry: Codable, Sendable, Hashable {
        public var id: String
        public var key: String
        public var generation: Int
        public var issuedAt: Date
        /// For the previous key: when it stops working.
        public var validUntil: Date?

        public init(id: String, key: String, generation: Int, issuedAt: Date, validUntil: Date? = nil) {
            self.id = id
            self.key = key
            self.generation = generation
            self.issuedAt = issuedAt
            self.validUntil = validUntil
        }
    }

    /// What a bot's file holds.
    public struct File: Codable, Sendable, Hashable {
        public var bot: String
        public var active: Entry
        /// The key rotated out by the change that wrote this file.
        public var previous: Entry?
        /// Other keys still valid when the file was written (older keys in
        /// their grace period), so that no valid key is ever dropped from it.
        public var retiring: [Entry]?

        public init(bot: String, active: Entry, previous: Entry? = nil, retiring: [Entry]? = nil) {
            self.bot = bot
            self.active = active
            self.previous = previous
            self.retiring = retiring
        }

        /// Every entry, active first.
        public var entries: [Entry] { [active] + (previous.map { [$0] } ?? []) + (retiring ?? []) }

        /// The file for a new active key of `bot`: the key being rotated out
        /// (`rotatingOut`, valid until `until`) becomes `previous`, and every
        /// other key the store still holds valid (`valid`) stays as retiring,
        /// taken from the current file. Written before the commit, it holds
        /// every key that is valid before the commit and every key after it.
        public static func next(bot: String, active: Entry, rotatingOut: String?, until: Date?,
                                valid: [StoredKey], current: File?) -> File {
            let held = current?.entries ?? []
            var previous: Entry?
            var retiring: [Entry] = []
            for key in valid {
                guard var entry = held.first(where: { $0.id == key.id }) else { continue }
                if key.id == rotatingOut {
                    entry.validUntil = until
                    previous = entry
                } else {
                    entry.validUntil = key.expiresAt ?? entry.validUntil
                    retiring.append(entry)
                }
            }
            return File(bot: bot, active: active, previous: previous, retiring: retiring.isEmpty ? nil : retiring)
        }
    }

    /// The file of `bot`, or nil when there is none or it cannot be read.
    public func read(bot: String) -> File? {
        guard let data = FileManager.default.contents(atPath: filePath(bot)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(File.self, from: data)
    }

    func filePath(_ bot: String) -> String { path + "/" + bot + ".json" }

    /// Writes a bot's file atomically: a new file with mode 0600 in the same
    /// directory, flushed, then renamed over the old one.
    public func write(_ file: File) throws {
        try ensureDirectory()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(file) + Data("\n".utf8)
        let target = filePath(file.bot)
        let temporary = path + "/." + file.bot + ".json." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw KeyDirectoryError(path: temporary, operation: "create", code: errno) }
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 { failure = errno; return }
                offset += written
            }
        }
        // No fsync per file: a process crash keeps written data (the page
        // cache survives it); `syncDirectory()` runs once after a batch.
        close(descriptor)
        if failure != 0 {
            unlink(temporary)
            throw KeyDirectoryError(path: temporary, operation: "write", code: failure)
        }
        if rename(temporary, target) != 0 {
            let code = errno
            unlink(temporary)
            throw KeyDirectoryError(path: target, operation: "replace", code: code)
        }
    }

    /// Takes the directory's lock (`.lock` in it, an exclusive `flock`),
    /// waiting for another writer to finish. Every writer holds it from
    /// reading the files and the store to the commit: the reconciler,
    /// `nectar keys rotate` and `nectar keys revoke`.
    public func lock() throws -> KeyDirectoryLock {
        try ensureDirectory()
        let lockPath = path + "/.lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw KeyDirectoryError(path: lockPath, operation: "open", code: errno) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            let code = errno
            close(descriptor)
            throw KeyDirectoryError(path: lockPath, operation: "lock", code: code)
        }
        return KeyDirectoryLock(descriptor: descriptor)
    }

    /// Rewrites a bot's file to hold exactly the keys the store holds valid
    /// (`valid`, whose secrets only the file has), the store's active key as
    /// `active`. Used when a commit failed after the file was written; a
    /// file that lacks the store's active key is left alone (nothing here
    /// can restore a secret), and the drift report shows it.
    public func restore(bot: String, valid: [StoredKey]) throws {
        guard let current = read(bot: bot) else { return }
        guard !valid.isEmpty else {
            remove(bot: bot)  // no key of the bot is valid: the file holds none
            return
        }
        let held = Dictionary(current.entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        guard let activeKey = valid.first(where: { $0.state == .active }), var active = held[activeKey.id] else { return }
        active.validUntil = activeKey.expiresAt
        let others = valid.filter { $0.id != activeKey.id }.compactMap { key -> KeyDirectory.Entry? in
            guard var entry = held[key.id] else { return nil }
            entry.validUntil = key.expiresAt ?? entry.validUntil
            return entry
        }
        let restored = File(bot: bot, active: active, previous: others.first, retiring: others.count > 1 ? Array(others.dropFirst()) : nil)
        if restored != current { try write(restored) }
    }

    /// Removes a bot's file (its keys were revoked).
    public func remove(bot: String) {
        unlink(filePath(bot))
    }

    /// Makes the directory (mode 0700) if it does not exist, and narrows an
    /// existing one to 0700: it holds keys.
    func ensureDirectory() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw KeyDirectoryError(path: path, operation: "use as key directory", code: ENOTDIR) }
            _ = fchmodat(AT_FDCWD, path, 0o700, AT_SYMLINK_NOFOLLOW)
            return
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // The default ./keys often sits in a git work tree: make sure `git add`
        // never picks the keys up.
        _ = FileManager.default.createFile(atPath: path + "/.gitignore", contents: Data("# nectar API keys: never commit\n*\n".utf8),
                                           attributes: [.posixPermissions: 0o600])
    }

    /// Flushes the directory itself so renames survive an operating-system crash.
    func syncDirectory() {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// A key file could not be written: one sentence, never a key.
public struct KeyDirectoryError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32

    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// The key directory's lock, released when dropped.
public final class KeyDirectoryLock {
    private let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
