import ArgumentParser
import BotRuntime
import Foundation
import Reconciler

/// `nectar keys`: inspect keys, rotate or revoke them in an emergency, open sealed keys.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect API keys, rotate or revoke them outside git, open sealed keys.",
        subcommands: [List.self, Rotate.self, Revoke.self, Open.self, Identity.self]
    )

    /// `nectar keys list`: metadata only, never a secret.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (display form, state, age, expiry, generation).")

        @OptionGroup var database: DatabaseOption
        @Option(name: .long, help: "Only this bot's keys.") var bot: String?
        @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text

        func run() throws {
            let keys: [StoredKey]
            do {
                keys = try RuntimeStore.openReadOnly(path: database.db).keys(bot: bot)
            } catch {
                throw CommandFailure.exit(error)
            }
            if format == .json {
                try Terminal.json(keys)
                return
            }
            let now = Date()
            var lines = ["BOT\tKEY\tDISPLAY\tSTATE\tGENERATION\tAGE\tEXPIRES\tORIGIN"]
            for key in keys {
                let age = StoredKey.ageText(now.timeIntervalSince(key.createdAt))
                let until = key.state == .grace ? key.expiresAt.map(KeyAge.timestamp) ?? "-"
                    : key.state == .revoked ? "revoked (\(key.revokedReason ?? "-"))" : "-"
                lines.append("\(key.bot)\t\(key.id)\t\(key.display)\t\(key.state.rawValue)\t\(key.generation)\t\(age)\t\(until)\t\(key.origin)")
            }
            Terminal.standardOutput(Table.align(lines))
        }
    }

    /// `nectar keys rotate`: an emergency rotation outside git, audited.
    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate a bot's key now, outside git (audited; drift reports flag it until git's generation is bumped).")

        @OptionGroup var database: DatabaseOption
        @Option(name: .long, help: "The bot.") var bot: String
        @Option(name: .long, help: "The key directory.") var keyDir: String = "keys"
        @Flag(name: .long, help: "Revoke the old key at once instead of leaving it its grace period.") var revokeOld = false

        func run() throws {
            do {
                let store = try RuntimeStore.open(path: database.db, mustExist: true)
                let result = try EmergencyKeys(store: store, keyDirectory: KeyDirectory(path: keyDir))
                    .rotate(bot: bot, revokeOld: revokeOld, actor: "cli:\(ProcessInfo.processInfo.userName)")
                Terminal.standardOutput("rotated key of bot \(bot): new key \(result.newKey.id) (\(result.newKey.display)) written to \(keyDir)/\(bot).json; \(result.previous)")
            } catch {
                throw CommandFailure.exit(error)
            }
        }
    }

    /// `nectar keys revoke`: revoke one key now.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke one key of a bot now (audited).")

        @OptionGroup var database: DatabaseOption
        @Option(name: .long, help: "The bot.") var bot: String
        @Option(name: .long, help: "The key id (key_...), as nectar keys list shows it.") var key: String
        @Option(name: .long, help: "The key directory, whose lock the revocation holds while the daemon may write it.")
        var keyDir: String = "keys"

        func run() throws {
            do {
                let store = try RuntimeStore.open(path: database.db, mustExist: true)
                // Only lock a directory that exists: a bot delivered by sealing alone has none.
                let directory = FileManager.default.fileExists(atPath: keyDir) ? KeyDirectory(path: keyDir) : nil
                try EmergencyKeys(store: store, keyDirectory: directory)
                    .revoke(bot: bot, keyID: key, actor: "cli:\(ProcessInfo.processInfo.userName)")
                Terminal.standardOutput("revoked key \(key) of bot \(bot)")
            } catch {
                throw CommandFailure.exit(error)
            }
        }
    }

    /// `nectar keys open`: decrypt the sealed copy of a bot's active key.
    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt the bot's active key sealed to your identity and print it (the one place a key is shown).")

        @OptionGroup var database: DatabaseOption
        @Option(name: .long, help: "The bot.") var bot: String
        @Option(name: .long, help: "Your identity file (nectar keys identity new).") var identity: String

        func run() throws {
            do {
                let contents = try String(contentsOfFile: identity, encoding: .utf8)
                let me = try KeyIdentity(fileContents: contents)
                let store = try RuntimeStore.openReadOnly(path: database.db)
                guard let active = try store.keys(bot: bot).first(where: { $0.state == .active }) else {
                    throw CommandFailure(message: "bot \(bot) has no active key")
                }
                let sealed = try store.sealedKeys(keyID: active.id)
                guard let mine = sealed.first(where: { $0.recipient == me.publicKeyBase64 }) else {
                    throw CommandFailure(message: sealed.isEmpty
                        ? "the active key of bot \(bot) was not sealed to anyone; add your public key to spec.apiKeys.recipients"
                        : "the active key of bot \(bot) was not sealed to this identity (\(me.publicKeyBase64))")
                }
                let key = try KeySealing.open(mine, bot: bot, with: me)
                Terminal.standardOutput(key.secret)
            } catch {
                throw CommandFailure.exit(error)
            }
        }
    }

    /// `nectar keys identity new`: an X25519 key pair for sealed delivery.
    struct Identity: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Manage identities for sealed key delivery.", subcommands: [New.self])

        struct New: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make an identity file (mode 0600) and print its public key for spec.apiKeys.recipients.")

            @Option(name: .long, help: "Where to write the identity.") var out: String

            func run() throws {
                let identity = KeyIdentity.generate()
                // Created 0600 and exclusively: never readable by others, never
                // replacing an identity that exists.
                let descriptor = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else {
                    let reason = errno == EEXIST ? "it already exists; refusing to overwrite an identity" : String(cString: strerror(errno))
                    throw CommandFailure.exit(CommandFailure(message: "cannot create \(out): \(reason)"))
                }
                let bytes = Array(identity.fileContents.utf8)
                let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
                close(descriptor)
                guard written == bytes.count else {
                    unlink(out)
                    throw CommandFailure.exit(CommandFailure(message: "cannot write \(out)"))
                }
                Terminal.standardOutput(identity.publicKeyBase64)
            }
        }
    }
}

/// Ages and times for key listings.
enum KeyAge {
    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}

/// Tab-separated lines aligned into columns.
enum Table {
    static func align(_ lines: [String]) -> String {
        let rows = lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        var widths: [Int] = []
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index >= widths.count { widths.append(0) }
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
