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
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .database(path: databasePath, message: "cannot open its lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            let who = holder.isEmpty ? "another nectar process" : "another nectar process (\(holder))"
            throw .rejected("the database \(databasePath) is in use by \(who); one reconciler per database: stop it or use another --db")
        }
        let note = "pid \(getpid()), \(purpose)\n"
        _ = ftruncate(descriptor, 0)
        _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
