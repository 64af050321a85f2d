import Crypto
import Foundation

/// GitHub's webhook signature: `sha256=` + hex HMAC-SHA256 of the raw body.
public enum WebhookSignature {
    /// The MAC a header carries, or nil when the header is not
    /// `sha256=` followed by 64 hex digits.
    public static func parse(header: String) -> [UInt8]? {
        let prefix = "sha256="
        guard header.hasPrefix(prefix), let mac = hexBytes(header.dropFirst(prefix.count)), mac.count == SHA256.byteCount else {
            return nil
        }
        return mac
    }

    /// Whether `header` signs `body` with `secret`; compares in constant time.
    public static func isValid(header: String, body: some Collection<UInt8>, secret: SymmetricKey) -> Bool {
        guard let mac = parse(header: header) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(body), using: secret)
    }

    /// The header value for a body (for clients and tests).
    public static func header(body: some Collection<UInt8>, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
