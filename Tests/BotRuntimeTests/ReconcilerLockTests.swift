import BotRuntime
import Foundation
import Testing

/// The reconciler's lock file is never a way to overwrite another file.
struct ReconcilerLockTests {
    static func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-lock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func aSymlinkInPlaceOfTheLockFileIsRefusedAndItsTargetKept() throws {
        try Self.withDirectory { directory in
            let target = directory + "/precious.txt"
            try "keep me\n".write(toFile: target, atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: directory + "/nectar.sqlite.lock", withDestinationPath: target)
            #expect(throws: StoreError.self) { _ = try ReconcilerLock(databasePath: directory + "/nectar.sqlite", purpose: "test") }
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")
        }
    }

    @Test func aHardLinkInPlaceOfTheLockFileIsRefusedAndItsTargetKept() throws {
        try Self.withDirectory { directory in
            let target = directory + "/precious.txt"
            try "keep me\n".write(toFile: target, atomically: true, encoding: .utf8)
            try FileManager.default.linkItem(atPath: target, toPath: directory + "/nectar.sqlite.lock")
            #expect(throws: StoreError.self) { _ = try ReconcilerLock(databasePath: directory + "/nectar.sqlite", purpose: "test") }
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")
        }
    }

    @Test func aSecondHolderIsRefusedWithTheFirstOnesNote() throws {
        try Self.withDirectory { directory in
            let database = directory + "/nectar.sqlite"
            let first = try ReconcilerLock(databasePath: database, purpose: "nectar serve")
            do {
                _ = try ReconcilerLock(databasePath: database, purpose: "nectar apply")
                Issue.record("a second lock was granted")
            } catch {
                #expect("\(error)".contains("pid \(getpid()), nectar serve"), "\(error)")
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: first.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }
}

/// The database and its WAL are readable by their owner only.
struct DatabaseModeTests {
    @Test func anExistingWorldReadableDatabaseIsNarrowedAndItsWALFollows() throws {
        try ReconcilerLockTests.withDirectory { directory in
            let path = directory + "/nectar.sqlite"
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644])
            let store = try RuntimeStore.open(path: path)  // migrating writes through the WAL
            try withExtendedLifetime(store) {
                #expect(FileManager.default.fileExists(atPath: path + "-wal"))
                for file in [path, path + "-wal"] {
                    let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                    #expect(mode == 0o600, "\(file)")
                }
            }
        }
    }
}
