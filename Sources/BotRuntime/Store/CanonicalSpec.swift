import Crypto
import Foundation

/// The canonical form of a spec: JSON with sorted keys, and its SHA-256.
/// Two declarations that differ only in key order or formatting have the
/// same canonical form, so comparing hashes is comparing meaning.
public enum CanonicalSpec {
    /// Canonical JSON and its hash.
    public static func encode(_ spec: some Encodable) throws -> (json: String, hash: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(spec)
        return (String(decoding: data, as: UTF8.self), hash(data))
    }

    /// Lowercase hex SHA-256 of some bytes.
    public static func hash(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
