import BotRuntime
import Foundation
import Testing

/// HPKE delivery of keys: round trip, wrong identity, tampering, replay to
/// another bot or key id, and identity files.
struct KeySealingTests {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    static func sealed(bot: String = "support", keyID: String = "key_AAAAAAAAAAAA", to identity: KeyIdentity)
        throws -> (APIKey, SealedKeyRecord) {
        let key = APIKey.generate()
        let record = try KeySealing.seal(key, keyID: keyID, bot: bot, to: identity.publicKeyBase64, at: date)
        return (key, record)
    }

    static func contains(_ haystack: Data, _ needle: String) -> Bool {
        haystack.range(of: Data(needle.utf8)) != nil
    }

    @Test func roundTrip() throws {
        let identity = KeyIdentity.generate()
        let (key, record) = try Self.sealed(to: identity)
        #expect(record.keyID == "key_AAAAAAAAAAAA")
        #expect(record.recipient == identity.publicKeyBase64)
        #expect(record.createdAt == Self.date)
        #expect(record.encapsulated.count == 32)
        #expect(record.ciphertext.count == 39 + 16)
        #expect(!Self.contains(record.ciphertext, key.secret))
        #expect(!Self.contains(record.ciphertext, String(key.secret.dropFirst(3).prefix(8))))
        let opened = try KeySealing.open(record, bot: "support", with: identity)
        #expect(opened == key)
        #expect(opened.secret == key.secret)
    }

    @Test func sealingTwiceGivesDifferentCiphertexts() throws {
        let identity = KeyIdentity.generate()
        let key = APIKey.generate()
        let first = try KeySealing.seal(key, keyID: "key_1", bot: "support", to: identity.publicKeyBase64, at: Self.date)
        let second = try KeySealing.seal(key, keyID: "key_1", bot: "support", to: identity.publicKeyBase64, at: Self.date)
        #expect(first.encapsulated != second.encapsulated)
        #expect(first.ciphertext != second.ciphertext)
    }

    @Test func aWrongIdentityFailsCleanly() throws {
        let (key, record) = try Self.sealed(to: KeyIdentity.generate())
        let other = KeyIdentity.generate()
        #expect(throws: KeySealingError.wrongIdentity(bot: "support")) {
            try KeySealing.open(record, bot: "support", with: other)
        }
        let message = KeySealingError.wrongIdentity(bot: "support").description
        #expect(message == "this identity cannot open the sealed key for bot support (it was sealed to another recipient)")
        #expect(!message.contains(key.secret))

        // With the record's recipient relabelled to the wrong identity, HPKE
        // itself refuses.
        var relabelled = record
        relabelled.recipient = other.publicKeyBase64
        #expect(throws: KeySealingError.cannotOpen(bot: "support")) {
            try KeySealing.open(relabelled, bot: "support", with: other)
        }
    }

    @Test func tamperedRecordsDoNotOpen() throws {
        let identity = KeyIdentity.generate()
        let (_, record) = try Self.sealed(to: identity)
        for index in [0, 10, record.ciphertext.count - 1] {
            var tampered = record
            tampered.ciphertext[tampered.ciphertext.startIndex + index] ^= 0x01
            #expect(throws: KeySealingError.cannotOpen(bot: "support")) {
                try KeySealing.open(tampered, bot: "support", with: identity)
            }
        }
        var truncated = record
        truncated.ciphertext = truncated.ciphertext.dropLast()
        #expect(throws: KeySealingError.cannotOpen(bot: "support")) {
            try KeySealing.open(truncated, bot: "support", with: identity)
        }
        var empty = record
        empty.ciphertext = Data()
        #expect(throws: KeySealingError.cannotOpen(bot: "support")) {
            try KeySealing.open(empty, bot: "support", with: identity)
        }
        var encapsulated = record
        encapsulated.encapsulated[encapsulated.encapsulated.startIndex] ^= 0x01
        #expect(throws: KeySealingError.cannotOpen(bot: "support")) {
            try KeySealing.open(encapsulated, bot: "support", with: identity)
        }
    }

    @Test func aRecordForOneBotOrKeyDoesNotOpenForAnother() throws {
        let identity = KeyIdentity.generate()
        let (_, record) = try Self.sealed(bot: "support", to: identity)
        #expect(throws: KeySealingError.cannotOpen(bot: "sales")) {
            try KeySealing.open(record, bot: "sales", with: identity)
        }
        var relabelled = record
        relabelled.keyID = "key_BBBBBBBBBBBB"
        #expect(throws: KeySealingError.cannotOpen(bot: "support")) {
            try KeySealing.open(relabelled, bot: "support", with: identity)
        }
    }

    @Test func anInvalidRecipientIsRefused() {
        let key = APIKey.generate()
        for recipient in ["", "not base64!", Data(repeating: 1, count: 31).base64EncodedString()] {
            #expect(throws: KeySealingError.invalidRecipient(bot: "support", recipient: recipient)) {
                try KeySealing.seal(key, keyID: "key_1", bot: "support", to: recipient, at: Self.date)
            }
        }
        #expect(KeySealing.isValidRecipient(KeyIdentity.generate().publicKeyBase64))
        #expect(!KeySealing.isValidRecipient("not base64!"))
        let error = KeySealingError.invalidRecipient(bot: "support", recipient: "xyz")
        #expect(error.description == "the recipient xyz of bot support is not a base64 32-byte X25519 public key")
    }

    @Test func identityFileRoundTrip() throws {
        let identity = KeyIdentity.generate()
        let text = identity.fileContents
        #expect(text.hasPrefix("# nectar identity"))
        #expect(text.contains("public: \(identity.publicKeyBase64)\n"))
        let read = try KeyIdentity(fileContents: text)
        #expect(read.publicKeyBase64 == identity.publicKeyBase64)
        #expect(read.fileContents == text)
        let (key, record) = try Self.sealed(to: identity)
        #expect(try KeySealing.open(record, bot: "support", with: read) == key)

        // Comments, blank lines, CRLF and no public line are fine.
        let privateLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("private:") })
        let minimal = try KeyIdentity(fileContents: "\r\n# mine\r\n\r\n  \(privateLine)  \r\n")
        #expect(minimal.publicKeyBase64 == identity.publicKeyBase64)
    }

    @Test func badIdentityFilesAreRefusedWithoutShowingTheKey() throws {
        let identity = KeyIdentity.generate()
        let other = KeyIdentity.generate()
        let privateLine = String(try #require(identity.fileContents.split(separator: "\n").first { $0.hasPrefix("private:") }))
        let privateBase64 = String(privateLine.dropFirst("private: ".count))
        let files: [String: String] = [
            "empty": "",
            "comments only": "# nectar identity\n",
            "no colon": "private \(privateBase64)\n",
            "short key": "private: \(Data(repeating: 7, count: 31).base64EncodedString())\n",
            "not base64": "private: \(privateBase64.dropLast(3))!!!\n",
            "two private lines": "\(privateLine)\n\(privateLine)\n",
            "foreign public line": "\(privateLine)\npublic: \(other.publicKeyBase64)\n",
            "unknown line": "\(privateLine)\nsecret: \(privateBase64)\n",
        ]
        for (name, contents) in files {
            do {
                _ = try KeyIdentity(fileContents: contents)
                Issue.record("accepted: \(name)")
            } catch {
                #expect(error.description.hasPrefix("the identity file is not a nectar identity: "), "\(name)")
                #expect(!error.description.contains(privateBase64.prefix(12)), "\(name): \(error.description)")
            }
        }
    }

    @Test func printingAnIdentityShowsOnlyThePublicKey() throws {
        let identity = KeyIdentity.generate()
        let privateBase64 = String(try #require(identity.fileContents.split(separator: "\n").first { $0.hasPrefix("private:") })
            .dropFirst("private: ".count))
        var dumped = ""
        dump(identity, to: &dumped)
        for rendering in ["\(identity)", String(reflecting: identity), dumped] {
            #expect(!rendering.contains(privateBase64))
            #expect(rendering.contains(identity.publicKeyBase64))
        }
    }
}
