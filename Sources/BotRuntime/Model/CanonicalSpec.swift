import Crypto

/// The canonical form of a spec: JSON with sorted keys, and its SHA-256.
/// Two declarations that differ only in key order or formatting have the
/// same canonical form, so comparing hashes is comparing meaning.
public enum CanonicalSpec {
    /// Canonical JSON and its hash.
    public static func encode(_ spec: some CanonicalJSONEncodable) -> CanonicalForm {
        let bytes = spec.canonicalJSON
        return CanonicalForm(json: String(decoding: bytes, as: UTF8.self), hash: hash(bytes))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex SHA-256 of some bytes.
    public static func hash(_ bytes: [UInt8]) -> String {
        let digest = SHA256.hash(data: bytes)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in digest {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}

/// A spec's canonical JSON and its SHA-256, computed once per declaration.
public struct CanonicalForm: Sendable, Hashable, Codable {
    /// Canonical JSON (sorted keys, no whitespace).
    public var json: String
    /// Lowercase hex SHA-256 of `json`.
    public var hash: String

    public init(json: String, hash: String) {
        self.json = json
        self.hash = hash
    }
}
