import BotRuntime
import Foundation
import Testing

/// A deterministic generator for tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A generator that returns fixed words, then zeros.
struct ScriptedGenerator: RandomNumberGenerator {
    var words: [UInt64]

    mutating func next() -> UInt64 {
        words.isEmpty ? 0 : words.removeFirst()
    }
}

/// The key format: `nb_` + 30 base62 random + 6 base62 CRC-32, checked
/// against a reference computed here, independently of the implementation.
struct APIKeyTests {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// CRC-32 (IEEE), bit by bit, without a table.
    static func referenceCRC32(_ text: String) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in text.utf8 {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                let mask = 0 &- (crc & 1)
                crc = (crc >> 1) ^ (0xEDB8_8320 & mask)
            }
        }
        return ~crc
    }

    /// Big-endian base62 of `value`, left-padded with `0` to 6 characters.
    static func referenceBase62(_ value: UInt32) -> String {
        var digits: [Character] = []
        var rest = UInt64(value)
        repeat {
            digits.insert(alphabet[Int(rest % 62)], at: 0)
            rest /= 62
        } while rest > 0
        return String(repeating: "0", count: 6 - digits.count) + String(digits)
    }

    static func randomPart(_ key: String) -> String { String(key.dropFirst(3).prefix(30)) }

    static let knownKey = "nb_0123456789ABCDEFGHIJabcdefghij4Us3aw"

    @Test func theReferenceCRC32MatchesTheStandardCheckValue() {
        #expect(Self.referenceCRC32("123456789") == 0xCBF4_3926)
        // zlib.crc32(b"0123456789ABCDEFGHIJabcdefghij"), computed outside Swift.
        #expect(Self.referenceCRC32("0123456789ABCDEFGHIJabcdefghij") == 0xF59C_F7AE)
    }

    @Test func knownVectorsParse() throws {
        #expect(Self.referenceBase62(0xF59C_F7AE) == "4Us3aw")
        #expect("nb_0123456789ABCDEFGHIJabcdefghij" + Self.referenceBase62(Self.referenceCRC32("0123456789ABCDEFGHIJabcdefghij")) == Self.knownKey)
        let key = try APIKey(parsing: Self.knownKey)
        #expect(key.secret == Self.knownKey)
        #expect(key.display == "nb_0123…s3aw")
        // hashlib.sha256(key).hexdigest(), computed outside Swift.
        #expect(key.secretHash == "4491050d3314825f4e1f7410291fadbe0255b259694d904be2ee0d3dc46f6bef")

        // A checksum below 62^5 is left-padded with 0.
        let padded = "Padding00000000000000000000002"
        #expect(Self.referenceCRC32(padded) == 0x0E14_11FD)
        #expect(Self.referenceBase62(0x0E14_11FD) == "0Fz3SX")
        _ = try APIKey(parsing: "nb_" + padded + "0Fz3SX")
        #expect(throws: APIKeyFormatError.checksumMismatch) { try APIKey(parsing: "nb_" + padded + "Fz3SX0") }
    }

    @Test func generatedKeysHaveTheFormat() throws {
        for _ in 0..<1_000 {
            let key = APIKey.generate()
            let secret = key.secret
            #expect(secret.count == 39)
            #expect(secret.utf8.count == 39)
            #expect(secret.hasPrefix("nb_"))
            #expect(secret.dropFirst(3).allSatisfy { Self.alphabet.contains($0) })
            #expect(String(secret.suffix(6)) == Self.referenceBase62(Self.referenceCRC32(Self.randomPart(secret))))
            #expect(key.secretHash.count == 64)
            #expect(key.secretHash.allSatisfy { "0123456789abcdef".contains($0) })
        }
    }

    @Test func thousandGeneratedKeysParseAndAreDistinct() throws {
        var secrets = Set<String>()
        var hashes = Set<String>()
        for _ in 0..<1_000 {
            let key = APIKey.generate()
            let parsed = try APIKey(parsing: key.secret)
            #expect(parsed == key)
            #expect(parsed.secretHash == key.secretHash)
            secrets.insert(key.secret)
            hashes.insert(key.secretHash)
        }
        #expect(secrets.count == 1_000)
        #expect(hashes.count == 1_000)
    }

    @Test func keyIDsAreWellFormedAndDistinct() {
        let ids = (0..<1_000).map { _ in APIKey.newKeyID() }
        #expect(Set(ids).count == 1_000)
        for id in ids {
            #expect(id.hasPrefix("key_"))
            #expect(id.count == 16)
            #expect(id.dropFirst(4).allSatisfy { Self.alphabet.contains($0) })
        }
    }

    @Test func aSeededGeneratorIsDeterministic() {
        var first = SeededGenerator(state: 42)
        var second = SeededGenerator(state: 42)
        #expect(APIKey.generate(using: &first).secret == APIKey.generate(using: &second).secret)
        var third = SeededGenerator(state: 43)
        #expect(APIKey.generate(using: &first).secret != APIKey.generate(using: &third).secret)
    }

    @Test func bytesOf248AndAboveAreRejected() throws {
        // Bytes are consumed low byte first. The first word is all 248...255,
        // so all of it is rejected; then 0...61 map to the alphabet in order,
        // 62 to 0 again, and 247 (= 3 * 62 + 61) to z.
        func word(_ bytes: [UInt8]) -> UInt64 {
            bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
        var generator = ScriptedGenerator(words: [
            word([248, 249, 250, 251, 252, 253, 254, 255]),
            word([0, 1, 2, 3, 4, 5, 6, 7]),
            word([8, 9, 10, 11, 12, 13, 14, 15]),
            word([16, 17, 18, 19, 20, 21, 22, 23]),
            word([24, 25, 255, 26, 27, 62, 247, 28]),
        ])
        let key = APIKey.generate(using: &generator)
        #expect(Self.randomPart(key.secret) == "0123456789ABCDEFGHIJKLMNOPQR0z")
        _ = try APIKey(parsing: key.secret)
    }

    @Test func generatedCharactersAreRoughlyUniform() {
        var generator = SeededGenerator(state: 7)
        var counts = [Character: Int]()
        for _ in 0..<2_000 {
            for character in Self.randomPart(APIKey.generate(using: &generator).secret) {
                counts[character, default: 0] += 1
            }
        }
        // 60,000 characters: 967.7 expected per character. A modulo bias
        // (taking bytes up to 255) would give 0-9 and A-H about 1,172 each.
        let expected = 60_000.0 / 62
        let chiSquare = Self.alphabet.reduce(0.0) { sum, character in
            let observed = Double(counts[character, default: 0])
            return sum + (observed - expected) * (observed - expected) / expected
        }
        #expect(counts.count == 62)
        #expect(chiSquare < 110)  // 61 degrees of freedom: p ≈ 0.0001
    }

    /// Every single-character change, truncation, extension and malformed
    /// variant of a valid key is rejected.
    @Test func corruptedKeysAreRejected() throws {
        let secret = APIKey.generate().secret
        let characters = Array(secret)
        var cases: [(String, String)] = []
        for index in characters.indices {
            for replacement in Self.alphabet + ["_", "-", " ", "é", "０", "🐝"] where replacement != characters[index] {
                var changed = characters
                changed[index] = replacement
                cases.append(("position \(index) -> \(replacement)", String(changed)))
            }
        }
        for length in 0..<39 {
            cases.append(("truncated to \(length)", String(characters.prefix(length))))
            cases.append(("first \(39 - length) dropped", String(characters.suffix(length))))
        }
        for extra in ["a", "0", "Z", " ", "\n", "é"] {
            cases.append(("extra \(extra) at the end", secret + extra))
            cases.append(("extra \(extra) at the start", extra + secret))
            cases.append(("extra \(extra) in the middle", String(characters[..<20]) + extra + String(characters[20...])))
        }
        let body = String(secret.dropFirst(3))
        cases += [
            ("empty", ""),
            ("prefix only", "nb_"),
            ("uppercase prefix", "NB_" + body),
            ("mixed-case prefix", "Nb_" + body),
            ("other prefix", "nc_" + body),
            ("dash prefix", "nb-" + body),
            ("no prefix", body),
            ("GitHub prefix", "ghp_" + body),
            ("doubled", secret + secret),
            ("bearer", "Bearer " + secret),
            ("lowercased", secret.lowercased()),
            ("uppercased", secret.uppercased()),
            ("non-ASCII lookalike", secret.replacingOccurrences(of: "nb_", with: "nЬ_")),
            ("NUL inside", String(characters[..<10]) + "\0" + String(characters[11...])),
            ("two characters swapped", String(characters[..<10]) + String(characters[11]) + String(characters[10]) + String(characters[12...])),
        ]
        var rejected = 0
        for (name, text) in cases where text != secret {
            do {
                _ = try APIKey(parsing: text)
                Issue.record("accepted a corrupted key: \(name)")
            } catch {
                rejected += 1
                // The message never repeats the presented text.
                let message = error.description
                #expect(!message.contains(Self.randomPart(secret).prefix(8)), "\(name): \(message)")
                if text.count >= 8 { #expect(!message.contains(text), "\(name)") }
            }
        }
        #expect(rejected > 36 * 61)
    }

    @Test func eachReasonHasItsError() {
        let secret = APIKey.generate().secret
        #expect(throws: APIKeyFormatError.missingPrefix) { try APIKey(parsing: "") }
        #expect(throws: APIKeyFormatError.missingPrefix) { try APIKey(parsing: "NB_" + secret.dropFirst(3)) }
        #expect(throws: APIKeyFormatError.wrongLength(38)) { try APIKey(parsing: String(secret.dropLast())) }
        #expect(throws: APIKeyFormatError.wrongLength(40)) { try APIKey(parsing: secret + "a") }
        #expect(throws: APIKeyFormatError.invalidCharacter(position: 11)) {
            try APIKey(parsing: String(secret.prefix(10)) + "é" + String(secret.dropFirst(11)))
        }
        #expect(throws: APIKeyFormatError.invalidCharacter(position: 40)) { try APIKey(parsing: secret + "\n") }
        let last = secret.last == "a" ? "b" : "a"
        #expect(throws: APIKeyFormatError.checksumMismatch) { try APIKey(parsing: String(secret.dropLast()) + last) }
        #expect(APIKeyFormatError.checksumMismatch.description
            == "the API key's checksum does not match (it is mistyped, truncated or not a nectar key)")
    }

    @Test func printingAKeyNeverShowsTheSecret() {
        let key = APIKey.generate()
        let random = Self.randomPart(key.secret)
        var dumped = ""
        dump(key, to: &dumped)
        var dumpedArray = ""
        dump([key], to: &dumpedArray)
        let renderings = [
            key.description, key.debugDescription, "\(key)", String(describing: key), String(reflecting: key),
            "\([key])", "\(["k": key])", "\(Optional(key) as Any)", dumped, dumpedArray,
        ]
        for rendering in renderings {
            #expect(!rendering.contains(key.secret), "\(rendering)")
            #expect(!rendering.contains(random.dropFirst(4).prefix(10)), "\(rendering)")
            #expect(rendering.contains(key.display))
        }
    }

    @Test func displayForm() {
        let key = APIKey.generate()
        let secret = key.secret
        #expect(key.display == "nb_" + Self.randomPart(secret).prefix(4) + "…" + secret.suffix(4))
        #expect(key.display.count == 3 + 4 + 1 + 4)
    }

    @Test func equalityIsBySecret() throws {
        let key = APIKey.generate()
        #expect(try APIKey(parsing: key.secret) == key)
        #expect(APIKey.generate() != key)
        #expect(Set([key, try APIKey(parsing: key.secret)]).count == 1)
    }
}
