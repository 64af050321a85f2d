/// Remote repository URLs as nectar shows them.
public enum RemoteURL {
    /// The URL without any user or password, for status, logs and errors.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        // Userinfo ends at the last "@" of the authority (a "/" in a password
        // must be percent-encoded, so the authority ends at the first "/").
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
    }

    /// The `user[:password]` part of a URL, if it has one.
    public static func userinfo(_ url: String) -> Substring? {
        // `redacted` turns scheme://USERINFO@rest into scheme://rest.
        let clean = redacted(url)
        guard clean != url, let scheme = url.range(of: "://") else { return nil }
        let length = url.count - clean.count - 1
        return url[scheme.upperBound..<url.index(scheme.upperBound, offsetBy: length)]
    }
}
