internal import CGit2

/// A git object id (SHA-1), as a Sendable value that outlives any libgit2 handle.
public struct ObjectID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The 40 lowercase hexadecimal digits.
    public let hex: String

    /// Wraps 40 hexadecimal digits; returns nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        self.hex = hex.lowercased()
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    init(_ oid: git_oid) {
        // Hex-encode the 20 bytes straight into the string's storage: tree
        // walks create one of these per file.
        let raw = oid.id
        self.hex = String(unsafeUninitializedCapacity: 40) { buffer in
            withUnsafeBytes(of: raw) { bytes in
                for index in 0..<20 {
                    buffer[index * 2] = Self.digits[Int(bytes[index] >> 4)]
                    buffer[index * 2 + 1] = Self.digits[Int(bytes[index] & 0x0F)]
                }
            }
            return 40
        }
    }

    /// The seven-digit abbreviation used in summaries.
    public var short: String { String(hex.prefix(7)) }

    public var description: String { hex }

    var oid: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    /// The id git gives a blob with these bytes (`git hash-object`), computed
    /// without a repository so that work-tree files get the same ids as commits.
    public static func forBlob(_ bytes: [UInt8]) -> ObjectID {
        var oid = git_oid()
        bytes.withUnsafeBytes { raw in
            _ = git_odb_hash(&oid, raw.baseAddress, raw.count, GIT_OBJECT_BLOB)
        }
        return ObjectID(oid)
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (self >= 48 && self <= 57) || (self >= 65 && self <= 70) || (self >= 97 && self <= 102)
    }
}
