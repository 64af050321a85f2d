import BotRuntime
import Foundation

/// Syntax rules for names, label keys, email addresses and recipients.
enum NameRules {
    /// Why `name` is not a lowercase DNS label of at most 63 characters, or nil.
    static func dnsLabelProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "is empty; names are lowercase DNS labels" }
        if bytes.count > 63 { return "is \(bytes.count) characters long; names are at most 63" }
        let allowed = bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        if !allowed {
            return "is not a lowercase DNS label (use a-z, 0-9 and -)"
        }
        if bytes.first == 45 || bytes.last == 45 { return "must start and end with a letter or digit" }
        return nil
    }

    /// Why `key` is not a valid label key, or nil.
    static func labelKeyProblem(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        if bytes.isEmpty || bytes.count > 63 { return "must be 1 to 63 characters long" }
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) }
        let valid = bytes.allSatisfy { alnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
        if !valid || !alnum(bytes.first!) || !alnum(bytes.last!) {
            return "must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        }
        return nil
    }

    /// Whether `text` looks like an email address (`local@domain.tld`, no spaces).
    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        return !text.utf8.contains { $0 <= 32 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == 127 }
    }

    /// Why `text` is not a base64 X25519 public key (32 bytes), or nil.
    static func recipientProblem(_ text: String) -> String? {
        guard let data = Data(base64Encoded: text) else {
            return "is not base64"
        }
        if data.count != 32 {
            return "decodes to \(data.count) bytes; an X25519 public key has 32"
        }
        if !KeySealing.isValidRecipient(text) {
            return "is a low-order X25519 point, to which a sealed key would be readable by anyone"
        }
        return nil
    }
}
