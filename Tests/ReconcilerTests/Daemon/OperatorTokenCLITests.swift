import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// Operator tokens: the token format on its own, then `nectar operators`
/// through the built binary against a real database that `nectar apply`
/// filled from a real git repository.
@Suite struct OperatorTokenCLITests {
    // MARK: The token format

    /// The 62 characters a token body is made of.
    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `text` with the character at `offset` replaced.
    static func replacing(_ text: String, at offset: Int, with character: Character) -> String {
        var characters = Array(text)
        characters[offset] = character
        return String(characters)
    }

    @Test func aGeneratedTokenHasThePrefixTheLengthAndParses() throws {
        let token = OperatorToken.generate()
        #expect(token.secret.hasPrefix("nop_"))
        #expect(token.secret.count == 40)
        #expect(OperatorToken.length == 40)
        #expect(token.secret.dropFirst(4).allSatisfy { Self.base62.contains($0) })
        let parsed = try #require(OperatorToken(parsing: token.secret))
        #expect(parsed.secret == token.secret)
        #expect(OperatorToken(parsing: token.secret[...]) != nil, "a substring parses too")
        #expect(OperatorToken.generate().secret != token.secret, "two tokens differ")

        let characters = Array(token.secret)
        #expect(token.display == "nop_" + String(characters[4..<8]) + "…" + String(characters[36...]))
    }

    @Test func theStoredHashIsTheSecretsSHA256() {
        // The hash function is SHA-256 (FIPS 180-2 test vector)...
        #expect(CanonicalSpec.hash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // ...of the whole secret, as lowercase hex.
        let token = OperatorToken.generate()
        #expect(token.secretHash == CanonicalSpec.hash(Array(token.secret.utf8)))
        #expect(token.secretHash.count == 64)
        #expect(token.secretHash.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func parsingRejectsAWrongPrefix() {
        let secret = OperatorToken.generate().secret
        let body = secret.dropFirst(4)
        for prefix in ["nap_", "NOP_", "nop-", "nk_x", "bot_"] {
            #expect(OperatorToken(parsing: prefix + body) == nil, "\(prefix)")
        }
        #expect(OperatorToken(parsing: "Bearer " + secret) == nil)
        #expect(OperatorToken(parsing: String(body)) == nil)
    }

    @Test func parsingRejectsAWrongLength() {
        let secret = OperatorToken.generate().secret
        #expect(OperatorToken(parsing: String(secret.dropLast())) == nil)
        #expect(OperatorToken(parsing: secret + "0") == nil)
        #expect(OperatorToken(parsing: secret + "\n") == nil)
        #expect(OperatorToken(parsing: " " + secret) == nil)
        #expect(OperatorToken(parsing: "") == nil)
        #expect(OperatorToken(parsing: "nop_") == nil)
    }

    @Test func parsingRejectsCharactersOutsideBase62() {
        let secret = OperatorToken.generate().secret
        for offset in [4, 20, 39] {
            for character: Character in ["-", "_", "+", "/", "=", " ", "\0"] {
                #expect(OperatorToken(parsing: Self.replacing(secret, at: offset, with: character)) == nil, "\(offset) \(character)")
            }
        }
        // A multi-byte character in place of one: wrong length in bytes as well.
        #expect(OperatorToken(parsing: Self.replacing(secret, at: 10, with: "é")) == nil)
    }

    @Test func parsingRejectsAnyOneCharacterChanged() {
        // CRC-32 catches every change of one character, in the random part
        // and in the checksum itself.
        for _ in 0..<3 {
            let secret = OperatorToken.generate().secret
            let characters = Array(secret)
            for offset in 4..<40 {
                let index = Self.base62.firstIndex(of: characters[offset])!
                for step in [1, 31] {
                    let other = Self.base62[(index + step) % 62]
                    let changed = Self.replacing(secret, at: offset, with: other)
                    #expect(OperatorToken(parsing: changed) == nil, "\(offset): \(characters[offset]) -> \(other)")
                }
            }
            // Swapping the case of a letter is a change too.
            if let letter = characters[4...].firstIndex(where: \.isLetter) {
                let swapped = characters[letter].isUppercase ? characters[letter].lowercased() : characters[letter].uppercased()
                #expect(OperatorToken(parsing: Self.replacing(secret, at: letter, with: Character(swapped))) == nil)
            }
        }
    }

    @Test func printingATokenNeverShowsTheSecret() {
        let token = OperatorToken.generate()
        // The characters the display form leaves out.
        let hidden = String(Array(token.secret)[8..<36])
        var dumped = ""
        dump(token, to: &dumped)
        let printed = [token.description, token.debugDescription, String(describing: token), String(reflecting: token),
                       "\(token)", dumped, String(describing: [token]), String(reflecting: Optional(token))]
        for text in printed {
            #expect(!text.contains(token.secret), "\(text)")
            #expect(!text.contains(hidden), "\(text)")
        }
        #expect(token.description == token.display)
        #expect(token.debugDescription == "OperatorToken(\(token.display))")
        #expect(dumped.contains(token.display))
        let mirror = Mirror(reflecting: token)
        #expect(mirror.children.map(\.label) == ["display"])
    }

    // MARK: `nectar operators` through the binary

    /// A repository declaring two operators and a bot, applied to the
    /// scenario's database with `nectar apply`.
    static func appliedScenario(_ scenario: ReconcileScenario) throws {
        try scenario.commit([
            "bots/operators.yaml": Snippet.documents(Snippet.operator("alice", role: "admin"), Snippet.operator("bob")),
            "bots/alpha.yaml": Snippet.bot("alpha"),
        ])
        let apply = try ReconcileCLI.run(["apply", "--repo", scenario.repoPath, "--db", scenario.dbPath])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(try ReconcileSQL.strings(path: scenario.dbPath, "SELECT name FROM operator WHERE deleted_at IS NULL ORDER BY name")
                == ["alice", "bob"])
    }

    /// Issues a token with the binary; returns it and its stderr.
    static func issue(_ name: String, _ scenario: ReconcileScenario, sourceLocation: SourceLocation = #_sourceLocation) throws -> (token: String, stderr: String) {
        let result = try ReconcileCLI.run(["operators", "token", name, "--db", scenario.dbPath])
        #expect(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
        return (result.stdout.trimmingCharacters(in: .newlines), result.stderr)
    }

    /// Every byte SQLite keeps for the database: the file and its WAL (and shared memory).
    static func databaseBytes(_ path: String) throws -> Data {
        var bytes = Data()
        for suffix in ["", "-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: path + suffix) {
            bytes.append(try Data(contentsOf: URL(fileURLWithPath: path + suffix)))
        }
        return bytes
    }

    @Test func issuingPrintsOneTokenLineAndStoresOnlyItsHash() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try Self.appliedScenario(scenario)
            let result = try ReconcileCLI.run(["operators", "token", "alice", "--db", scenario.dbPath])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasSuffix("\n"))
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == 1, "exactly one line on stdout: \(result.stdout)")
            let text = String(lines.first ?? "")
            #expect(text.hasPrefix("nop_"))
            #expect(text.count == 40)
            let token = try #require(OperatorToken(parsing: text))

            // The note goes to stderr, naming the token's id but not the token.
            let records = try scenario.store.operatorTokens()
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(record.operatorName == "alice")
            #expect(record.display == token.display)
            #expect(record.revokedAt == nil)
            #expect(record.lastUsedAt == nil)
            #expect(result.stderr == "issued \(record.id) for operator alice; this is the only time the token is shown\n")
            #expect(!result.stderr.contains(text))

            // Only the SHA-256 is stored: not in the table, the audit log,
            // the WAL or anywhere else in the files.
            #expect(try ReconcileSQL.strings(path: scenario.dbPath, "SELECT secret_hash FROM operator_token") == [token.secretHash])
            let bytes = try Self.databaseBytes(scenario.dbPath)
            #expect(bytes.range(of: Data(token.secretHash.utf8)) != nil, "the hash is stored")
            #expect(bytes.range(of: Data(text.utf8)) == nil, "the token is not stored")
            #expect(bytes.range(of: Data(text.dropFirst(4).prefix(30).utf8)) == nil, "nor its random part")
            let audit = try scenario.store.audit(limit: 100)
            #expect(audit.contains { $0.action == "token-issue" && $0.objectName == "alice" && $0.changes.contains(record.id) })
            #expect(!audit.contains { $0.changes.contains(text) })

            // The token identifies alice, with her declared role.
            let identity = try #require(try scenario.store.operatorIdentity(presenting: text))
            #expect(identity.name == "alice")
            #expect(identity.role == .admin)
            #expect(identity.tokenID == record.id)
            // Its use is recorded (possibly in the background, so wait for it a little).
            var lastUsed = try scenario.store.operatorTokens(operator: "alice").first?.lastUsedAt
            for _ in 0..<200 where lastUsed == nil {
                Thread.sleep(forTimeInterval: 0.01)
                lastUsed = try scenario.store.operatorTokens(operator: "alice").first?.lastUsedAt
            }
            #expect(lastUsed != nil, "its use is recorded")
            #expect(try Self.databaseBytes(scenario.dbPath).range(of: Data(text.utf8)) == nil, "not after its use either")
        }
    }

    @Test func issuingAsJSONPrintsTheIdAndTheTokenOnce() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try Self.appliedScenario(scenario)
            let result = try ReconcileCLI.run(["operators", "token", "bob", "--db", scenario.dbPath, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String])
            #expect(Set(object.keys) == ["id", "operator", "token"])
            #expect(object["operator"] == "bob")
            let token = try #require(OperatorToken(parsing: object["token"] ?? ""))
            #expect(try scenario.store.operatorTokens().map(\.id) == [object["id"]].compactMap { $0 })
            #expect(try scenario.store.operatorIdentity(presenting: token.secret)?.role == .agent)
        }
    }

    @Test func listingTokensShowsTheirIdAndDisplayFormButNeverTheSecret() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try Self.appliedScenario(scenario)
            let alice = try Self.issue("alice", scenario).token
            let bob = try Self.issue("bob", scenario).token
            let records = try scenario.store.operatorTokens()
            #expect(records.count == 2)
            let tokens = [alice, bob].compactMap { OperatorToken(parsing: $0) }
            #expect(tokens.count == 2)

            let text = try ReconcileCLI.run(["operators", "tokens", "--db", scenario.dbPath])
            #expect(text.status == 0, "\(text.stderr)")
            let lines = text.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "a header and one line per token: \(text.stdout)")
            #expect(lines.first?.hasPrefix("ID") == true)
            for (token, name) in zip(tokens, ["alice", "bob"]) {
                let record = try #require(records.first { $0.operatorName == name })
                let line = try #require(lines.first { $0.hasPrefix(record.id) }, "\(text.stdout)")
                #expect(line.contains(name))
                #expect(line.contains(token.display))
                #expect(token.display.hasPrefix("nop_") && token.display.contains("…"))
            }

            let json = try ReconcileCLI.run(["operators", "tokens", "--db", scenario.dbPath, "--format", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
            #expect(Set(listed.compactMap { $0["id"] as? String }) == Set(records.map(\.id)))
            #expect(Set(listed.compactMap { $0["display"] as? String }) == Set(tokens.map(\.display)))
            #expect(listed.allSatisfy { $0["secret"] == nil && $0["token"] == nil && $0["secretHash"] == nil })

            let onlyBob = try ReconcileCLI.run(["operators", "tokens", "--db", scenario.dbPath, "--operator", "bob", "--format", "json"])
            let bobs = try #require(try JSONSerialization.jsonObject(with: Data(onlyBob.stdout.utf8)) as? [[String: Any]])
            #expect(bobs.map { $0["operatorName"] as? String } == ["bob"])

            for output in [text.stdout, text.stderr, json.stdout, json.stderr, onlyBob.stdout] {
                for token in tokens {
                    #expect(!output.contains(token.secret))
                    #expect(!output.contains(String(Array(token.secret)[8..<36])))
                    #expect(!output.contains(token.secretHash), "not even the hash is listed")
                }
            }
        }
    }

    @Test func aTokenForAnUndeclaredOperatorIsRefusedNamingTheDeclaredOnes() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try Self.appliedScenario(scenario)
            let result = try ReconcileCLI.run(["operators", "token", "nobody", "--db", scenario.dbPath])
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "error: there is no declared operator named nobody; declared operators: alice, bob\n")
            #expect(try scenario.store.operatorTokens().isEmpty, "nothing was issued")
        }
    }

    @Test func aTokenWhenNoOperatorIsDeclaredSaysHowToDeclareOne() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try scenario.commit(["bots/alpha.yaml": Snippet.bot("alpha")])
            #expect(try ReconcileCLI.run(["apply", "--repo", scenario.repoPath, "--db", scenario.dbPath]).status == 0)
            let result = try ReconcileCLI.run(["operators", "token", "alice", "--db", scenario.dbPath])
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "error: there is no declared operator named alice; no operators are declared (add an Operator declaration and apply it)\n")
        }
    }

    @Test func aRevokedTokenNoLongerIdentifiesItsOperator() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try Self.appliedScenario(scenario)
            let first = try Self.issue("alice", scenario).token
            let second = try Self.issue("alice", scenario).token
            #expect(try scenario.store.operatorIdentity(presenting: first)?.name == "alice")
            let firstID = try #require(try scenario.store.operatorIdentity(presenting: first)?.tokenID)

            let revoke = try ReconcileCLI.run(["operators", "revoke", firstID, "--db", scenario.dbPath])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            #expect(revoke.stdout == "revoked 1 operator token\n")
            #expect(try scenario.store.operatorIdentity(presenting: first) == nil)
            #expect(try scenario.store.operatorIdentity(presenting: second)?.name == "alice", "only that token is revoked")
            #expect(try scenario.store.operatorTokens().first { $0.id == firstID }?.revokedAt != nil)

            // Revoking it again names it.
            let again = try ReconcileCLI.run(["operators", "revoke", firstID, "--db", scenario.dbPath])
            #expect(again.status == 1)
            #expect(again.stderr == "error: there is no unrevoked operator token \(firstID)\n")

            // Every remaining token of alice.
            let all = try ReconcileCLI.run(["operators", "revoke", "--operator", "alice", "--db", scenario.dbPath])
            #expect(all.status == 0, "\(all.stderr)")
            #expect(all.stdout == "revoked 1 operator token\n")
            #expect(try scenario.store.operatorIdentity(presenting: second) == nil)

            let audit = try scenario.store.audit(limit: 100).filter { $0.action == "token-revoke" }
            #expect(audit.count == 2)
        }
    }

    @Test func revokingAnOperatorsTokensWhenNoneRemainIsAnError() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try Self.appliedScenario(scenario)
            let tokens = [try Self.issue("alice", scenario).token, try Self.issue("alice", scenario).token]
            let bob = try Self.issue("bob", scenario).token

            let first = try ReconcileCLI.run(["operators", "revoke", "--operator", "alice", "--db", scenario.dbPath])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout == "revoked 2 operator tokens\n")
            for token in tokens {
                #expect(try scenario.store.operatorIdentity(presenting: token) == nil)
            }
            #expect(try scenario.store.operatorIdentity(presenting: bob)?.name == "bob", "another operator's token stays")

            let second = try ReconcileCLI.run(["operators", "revoke", "--operator", "alice", "--db", scenario.dbPath])
            #expect(second.status == 1)
            #expect(second.stdout.isEmpty)
            #expect(second.stderr == "error: operator alice has no unrevoked tokens\n")
        }
    }

    @Test func revokeTakesEitherAnIdOrAnOperator() throws {
        try ReconcileCLI.requireBinary()
        try withReconcileScenario { scenario in
            try Self.appliedScenario(scenario)
            let token = try Self.issue("alice", scenario).token
            let id = try #require(try scenario.store.operatorTokens().first?.id)
            for arguments in [["operators", "revoke"], ["operators", "revoke", id, "--operator", "alice"]] {
                let result = try ReconcileCLI.run(arguments + ["--db", scenario.dbPath])
                #expect(result.status != 0, "\(arguments)")
                #expect(result.stderr.contains("name either a token id or --operator NAME"), "\(result.stderr)")
            }
            #expect(try scenario.store.operatorIdentity(presenting: token)?.name == "alice", "nothing was revoked")
        }
    }

    @Test func theOperatorCommandsNeedAnExistingDatabase() throws {
        try ReconcileCLI.requireBinary()
        try withTemporaryDirectory { directory in
            let missing = directory + "/missing.sqlite"
            let commands = [["operators", "token", "alice"], ["operators", "tokens"], ["operators", "revoke", "--operator", "alice"]]
            for command in commands {
                let result = try ReconcileCLI.run(command + ["--db", missing])
                #expect(result.status == 1, "\(command)")
                #expect(result.stdout.isEmpty, "\(command)")
                #expect(result.stderr == "error: the database \(missing) failed: no such file\n", "\(command)")
                #expect(!FileManager.default.fileExists(atPath: missing), "\(command) created no database")
            }
        }
    }
}
