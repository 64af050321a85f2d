import Crypto
import Foundation

/// Sealed delivery of API keys with HPKE (RFC 9180, base mode): X25519,
/// HKDF-SHA256 and ChaCha20-Poly1305.
///
/// The HPKE `info` binds a sealed key to its bot and key id
/// (`nectar api key v1 <bot> <key id>`), so a sealed record copied to
/// another bot, or relabelled with another key id, does not open.
public enum KeySealing {
    /// X25519, HKDF-SHA256, ChaCha20-Poly1305.
    public static var ciphersuite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }

    /// The HPKE info string for one bot's key.
    static func info(bot: String, keyID: String) -> Data {
        Data("nectar api key v1 \(bot) \(keyID)".utf8)
    }

    /// Whether `recipient` is a base64 32-byte X25519 public key, as
    /// `spec.apiKeys.recipients` must hold (for validating declarations
    /// before anything is sealed).
    public static func isValidRecipient(_ recipient: String) -> Bool {
        KeyIdentity.publicKey(base64: recipient) != nil
    }

    /// Seals `key` to `recipient` (a base64 X25519 public key, as declared
    /// in `spec.apiKeys.recipients`). The record is safe to store.
    public static func seal(_ key: APIKey, keyID: String, bot: String, to recipient: String,
                            at date: Date) throws(KeySealingError) -> SealedKeyRecord {
        guard let publicKey = KeyIdentity.publicKey(base64: recipient) else {
            throw .invalidRecipient(bot: bot, recipient: recipient)
        }
        do {
            var sender = try HPKE.Sender(recipientKey: publicKey, ciphersuite: ciphersuite,
                                         info: info(bot: bot, keyID: keyID))
            let ciphertext = try sender.seal(Data(key.secret.utf8))
            return SealedKeyRecord(keyID: keyID, recipient: recipient, encapsulated: sender.encapsulatedKey,
                                   ciphertext: ciphertext, createdAt: date)
        } catch {
            throw .sealingFailed(bot: bot)
        }
    }

    /// Opens a sealed key of `bot` with `identity`, and parses it (so its
    /// checksum is verified too).
    public static func open(_ record: SealedKeyRecord, bot: String,
                            with identity: KeyIdentity) throws(KeySealingError) -> APIKey {
        // A record names its recipient: when it is another key, say so
        // rather than report a decryption failure.
        if let declared = KeyIdentity.publicKey(base64: record.recipient),
           declared.rawRepresentation != identity.publicKeyRaw {
            throw .wrongIdentity(bot: bot)
        }
        let plaintext: Data
        do {
            var recipient = try HPKE.Recipient(privateKey: identity.privateKey(), ciphersuite: ciphersuite,
                                               info: info(bot: bot, keyID: record.keyID),
                                               encapsulatedKey: record.encapsulated)
            plaintext = try recipient.open(record.ciphertext)
        } catch {
            throw .cannotOpen(bot: bot)
        }
        guard let text = String(bytes: plaintext, encoding: .utf8), let key = try? APIKey(parsing: text) else {
            throw .notAKey(bot: bot)
        }
        return key
    }
}

/// An X25519 key pair for opening sealed keys: `nectar keys identity new`
/// writes one to a file, `nectar keys open --identity FILE` reads it.
///
/// The file format is a few lines of text:
///
///     # nectar identity: keep this file secret; share only the public line
///     private: <base64 of the 32-byte X25519 private key>
///     public: <base64 of the 32-byte X25519 public key>
///
/// Its description shows only the public key.
public struct KeyIdentity: Sendable, CustomStringConvertible, CustomReflectable {
    /// The raw private key (32 bytes); kept as bytes so the identity is `Sendable`.
    private let privateKeyRaw: Data
    /// The raw public key (32 bytes).
    let publicKeyRaw: Data

    /// An identity from an existing X25519 private key.
    public init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        privateKeyRaw = privateKey.rawRepresentation
        publicKeyRaw = privateKey.publicKey.rawRepresentation
    }

    /// A new identity from the system's secure random source.
    public static func generate() -> KeyIdentity {
        KeyIdentity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    /// The X25519 private key.
    func privateKey() throws -> Curve25519.KeyAgreement.PrivateKey {
        try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateKeyRaw)
    }

    /// The public key in base64: what goes in a bot's `spec.apiKeys.recipients`.
    public var publicKeyBase64: String {
        publicKeyRaw.base64EncodedString()
    }

    /// Reads an identity file (see the type's documentation). Blank lines and
    /// `#` comments are ignored; a `public:` line, if present, must match the
    /// private key.
    public init(fileContents: String) throws(KeySealingError) {
        var privateBase64: String?
        var publicBase64: String?
        for rawLine in fileContents.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .invalidIdentityFile(reason: "a line is not `name: value`")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "private":
                guard privateBase64 == nil else { throw .invalidIdentityFile(reason: "it has two private: lines") }
                privateBase64 = value
            case "public":
                guard publicBase64 == nil else { throw .invalidIdentityFile(reason: "it has two public: lines") }
                publicBase64 = value
            default:
                // The name is the file's own structure, never key material.
                throw .invalidIdentityFile(reason: "it has an unknown line `\(name.prefix(20)):`")
            }
        }
        guard let privateBase64 else { throw .invalidIdentityFile(reason: "it has no private: line") }
        guard let raw = Data(base64Encoded: privateBase64), raw.count == 32,
              let privateKey = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
            throw .invalidIdentityFile(reason: "its private: line is not a base64 32-byte X25519 key")
        }
        self.init(privateKey: privateKey)
        if let publicBase64 {
            guard let declared = Self.publicKey(base64: publicBase64) else {
                throw .invalidIdentityFile(reason: "its public: line is not a base64 32-byte X25519 key")
            }
            guard declared.rawRepresentation == publicKeyRaw else {
                throw .invalidIdentityFile(reason: "its public: line does not belong to its private key")
            }
        }
    }

    /// The identity file's text (see the type's documentation).
    public var fileContents: String {
        """
        # nectar identity: keep this file secret; share only the public line
        private: \(privateKeyRaw.base64EncodedString())
        public: \(publicKeyBase64)

        """
    }

    /// The public key only.
    public var description: String { "KeyIdentity(public: \(publicKeyBase64))" }

    /// A mirror without the private key, so `dump` and debuggers do not show it.
    public var customMirror: Mirror {
        Mirror(self, children: ["publicKey": publicKeyBase64], displayStyle: .struct)
    }

    /// A base64 X25519 public key, or nil if `text` is not one.
    static func publicKey(base64 text: String) -> Curve25519.KeyAgreement.PublicKey? {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespaces)), raw.count == 32,
              let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else { return nil }
        // A low-order point (all zeros, and the few others of small order)
        // gives the same all-zero shared secret for every private key: a key
        // "sealed" to it is readable by anyone. Agree with a throwaway key
        // and refuse an all-zero result.
        guard let shared = try? Curve25519.KeyAgreement.PrivateKey().sharedSecretFromKeyAgreement(with: key),
              shared.withUnsafeBytes({ bytes in bytes.contains { $0 != 0 } }) else { return nil }
        return key
    }
}

/// Why a key could not be sealed or opened, in one sentence that never
/// includes a secret.
public enum KeySealingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A declared recipient is not a base64 X25519 public key.
    case invalidRecipient(bot: String, recipient: String)
    /// HPKE refused to seal (not expected with a valid recipient).
    case sealingFailed(bot: String)
    /// The record was sealed to another public key than the identity's.
    case wrongIdentity(bot: String)
    /// Decryption failed: the record was altered, or belongs to another bot or key id.
    case cannotOpen(bot: String)
    /// It decrypted, but not to a well-formed API key.
    case notAKey(bot: String)
    /// An identity file could not be read.
    case invalidIdentityFile(reason: String)

    /// One sentence, without secrets.
    public var description: String {
        switch self {
        case .invalidRecipient(let bot, let recipient):
            "the recipient \(recipient.prefix(60)) of bot \(bot) is not a base64 32-byte X25519 public key"
        case .sealingFailed(let bot):
            "the key of bot \(bot) could not be sealed"
        case .wrongIdentity(let bot):
            "this identity cannot open the sealed key for bot \(bot) (it was sealed to another recipient)"
        case .cannotOpen(let bot):
            "the sealed key for bot \(bot) does not open with this identity (it was altered, or sealed for another bot or key)"
        case .notAKey(let bot):
            "the sealed key for bot \(bot) opened, but does not hold a well-formed API key"
        case .invalidIdentityFile(let reason):
            "the identity file is not a nectar identity: \(reason)"
        }
    }
}
