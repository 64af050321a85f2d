import Foundation

/// A key sealed with HPKE to one recipient: safe to store.
public struct SealedKeyRecord: Sendable, Hashable, Codable {
    public var keyID: String
    /// The recipient's base64 X25519 public key, as declared.
    public var recipient: String
    public var encapsulated: Data
    public var ciphertext: Data
    public var createdAt: Date

    public init(keyID: String, recipient: String, encapsulated: Data, ciphertext: Data, createdAt: Date) {
        self.keyID = keyID
        self.recipient = recipient
        self.encapsulated = encapsulated
        self.ciphertext = ciphertext
        self.createdAt = createdAt
    }
}
