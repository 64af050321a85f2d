import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which peers may say who the client is: requests from a trusted proxy
/// are attributed to the rightmost address of `X-Forwarded-For` that is
/// not itself a trusted proxy; any other request to its socket peer.
public struct TrustedProxies: Sendable, Equatable {
    /// An IPv4 or IPv6 network.
    struct Network: Sendable, Equatable {
        var address: [UInt8]
        var prefix: Int

        func contains(_ other: [UInt8]) -> Bool {
            guard other.count == address.count else { return false }
            var bits = prefix
            for (a, b) in zip(address, other) {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != b & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    let networks: [Network]

    /// No trusted proxies: the socket peer is the client.
    public static let none = TrustedProxies(networks: [])

    /// Parses `10.0.0.0/8, 127.0.0.1, ::1`; nil with the first entry that is
    /// not an address or network.
    public static func parse(_ text: String) -> Result<TrustedProxies, ParseError> {
        var networks: [Network] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let first = parts.first, let address = bytes(first) else { return .failure(ParseError(entry: entry)) }
            let prefix = parts.count == 2 ? Int(parts[1]) : address.count * 8
            guard let prefix, (0...address.count * 8).contains(prefix) else { return .failure(ParseError(entry: entry)) }
            networks.append(Network(address: address, prefix: prefix))
        }
        return .success(TrustedProxies(networks: networks))
    }

    /// An entry that is not an address or network.
    public struct ParseError: Error, Sendable, Equatable {
        public var entry: String
    }

    func isTrusted(_ address: String) -> Bool {
        guard !networks.isEmpty, let bytes = Self.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client of a request from `peer` carrying `forwardedFor`.
    public func client(peer: String, forwardedFor: String?) -> String {
        guard isTrusted(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() where !isTrusted(hop) {
            return Self.bytes(hop) == nil ? peer : hop
        }
        return hops.first ?? peer
    }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
