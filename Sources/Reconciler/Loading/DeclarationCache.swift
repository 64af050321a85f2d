import Foundation

/// Decoded declaration files keyed by blob id and path, so that a file whose
/// blob did not change between revisions is not parsed again.
///
/// Safe to share between tasks: a lock guards the table. Entries are small
/// values; the cache holds at most `capacity` files and forgets the oldest
/// half when full.
public final class DeclarationCache: @unchecked Sendable {
    private struct Key: Hashable {
        var blobID: ObjectID
        var path: String
    }

    private let lock = NSLock()
    private var entries: [Key: DecodedFile] = [:]
    private var order: [Key] = []
    private let capacity: Int

    /// Creates a cache for up to `capacity` files.
    public init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    /// The number of cached files.
    public var count: Int { lock.withLock { entries.count } }

    func file(_ blobID: ObjectID, path: String) -> DecodedFile? {
        lock.withLock { entries[Key(blobID: blobID, path: path)] }
    }

    private var folders: [Key: DecodedFolder] = [:]

    /// Every file below one directory, decoded, keyed by the directory's tree id.
    struct DecodedFolder {
        var decoded: DecodedFile
        var files: Int
    }

    func folder(_ treeID: ObjectID, path: String) -> DecodedFolder? {
        lock.withLock { folders[Key(blobID: treeID, path: path)] }
    }

    func store(_ folder: DecodedFolder, treeID: ObjectID, path: String) {
        lock.withLock {
            if folders.count > capacity / 8 { folders.removeAll(keepingCapacity: true) }
            folders[Key(blobID: treeID, path: path)] = folder
        }
    }

    func store(_ file: DecodedFile, blobID: ObjectID, path: String) {
        lock.withLock {
            let key = Key(blobID: blobID, path: path)
            if entries.updateValue(file, forKey: key) == nil { order.append(key) }
            if entries.count > capacity {
                let evicted = order.prefix(capacity / 2)
                for key in evicted { entries[key] = nil }
                order.removeFirst(evicted.count)
            }
        }
    }
}
