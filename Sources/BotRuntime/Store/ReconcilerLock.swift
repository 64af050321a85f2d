import Foundation

/// One reconciler per database: an exclusive `flock` on `<database>.lock`,
/// held by `nectar serve` for its lifetime and by `nectar apply` while it
/// runs. The kernel releases it when the process exits, however it exits.
public final class ReconcilerLock: Sendable {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock for the database at `databasePath`, or throws a
    /// one-sentence error naming the process that holds it.
    public init(databasePath: String, purpose: String) throws(StoreError) {
        let path = databasePath + ".lock"
        // Never through a symlink, and only a regular file with one link:
        // the lock file is written, so it must not stand for another file.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
            throw .database(path: databasePath, message: "cannot open its lock file \(path): \(reason)")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_nlink == 1 else {
            close(descriptor)
            throw .database(path: databasePath, message: "its lock file \(path) is not a regular file of its own; remove it")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 200)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            let holder = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            let who = holder.isEmpty ? "another nectar process" : "another nectar process (\(holder))"
            throw .rejected("the database \(databasePath) is in use by \(who); one reconciler per database: stop it or use another --db")
        }
        let note = "pid \(getpid()), \(purpose)\n"
        _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        _ = ftruncate(descriptor, off_t(note.utf8.count))
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
