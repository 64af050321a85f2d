import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real Chromium driven over WebDriver (W3C protocol) by Debian's
/// `chromedriver`, headless, on loopback. `scripts/setup` installs both.
final class WebDriver: @unchecked Sendable {
    let process: Process
    let base: String
    private(set) var session = ""

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts chromedriver on a free port and a browser session `width` x `height`.
    static func start(width: Int = 1280, height: Int = 900) async throws -> WebDriver {
        guard let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first(where: FileManager.default.isExecutableFile) else {
            throw Failure(description: "chromedriver is not installed; run scripts/setup (Debian packages chromium and chromium-driver)")
        }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: driver)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let webDriver = WebDriver(process: process, base: "http://127.0.0.1:\(port)")
        try await eventually("chromedriver answers") { (try? await webDriver.call("GET", "/status")) != nil }
        let binary = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first(where: FileManager.default.isExecutableFile) ?? "/usr/bin/chromium"
        let created = try await webDriver.call("POST", "/session", [
            "capabilities": ["alwaysMatch": [
                "browserName": "chrome",
                "goog:chromeOptions": [
                    "binary": binary,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)",
                             "--force-device-scale-factor=1", "--user-data-dir=\(NSTemporaryDirectory())nectar-chromium-\(UUID().uuidString)"],
                ],
            ]],
        ])
        guard let value = created as? [String: Any], let session = value["sessionId"] as? String else {
            throw Failure(description: "chromedriver made no session: \(String(describing: created))")
        }
        webDriver.session = session
        return webDriver
    }

    private init(process: Process, base: String) {
        self.process = process
        self.base = base
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// A port the kernel picked and released again for chromedriver to bind.
    static func freePort() throws -> Int {
        let listener = try LoopbackListener()
        close(listener.descriptor)
        return Int(listener.port)
    }

    /// One WebDriver command; returns its `value`. (AsyncHTTPClient: the
    /// driver writes headers without a space after the colon, which
    /// Foundation's client on Linux refuses.)
    @discardableResult
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        var request = HTTPClientRequest(url: base + path)
        request.method = .RAW(value: method)
        if body != nil || method == "POST" {
            request.body = .bytes(Array(try JSONSerialization.data(withJSONObject: body ?? [:])))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let data = Data((try await response.body.collect(upTo: 64 * 1024 * 1024)).readableBytesView)
        let json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        let value = json?["value"]
        if response.status.code >= 400 {
            let message = (value as? [String: Any])?["message"] as? String ?? String(decoding: data, as: UTF8.self)
            throw Failure(description: "WebDriver \(method) \(path): \(response.status.code) \(message.prefix(300))")
        }
        return value is NSNull ? nil : value
    }

    private var prefix: String { "/session/\(session)" }

    func go(_ url: String) async throws { try await call("POST", "\(prefix)/url", ["url": url]) }

    var url: String { get async throws { try await call("GET", "\(prefix)/url") as? String ?? "" } }

    /// The first element matching `css` (waits up to `timeout` seconds for it).
    func find(_ css: String, timeout: Double = 5) async throws -> String {
        var found: String?
        try await eventually("an element \(css) appears", timeout: timeout) {
            guard let value = try? await self.call("POST", "\(self.prefix)/element", ["using": "css selector", "value": css]) as? [String: Any]
            else { return false }
            found = value.values.first as? String
            return found != nil
        }
        return found ?? ""
    }

    func exists(_ css: String) async throws -> Bool {
        let value = try await call("POST", "\(prefix)/elements", ["using": "css selector", "value": css]) as? [Any]
        return !(value ?? []).isEmpty
    }

    func click(_ css: String) async throws {
        let element = try await find(css)
        try await call("POST", "\(prefix)/element/\(element)/click")
    }

    func type(_ css: String, _ text: String) async throws {
        let element = try await find(css)
        try await call("POST", "\(prefix)/element/\(element)/clear")
        try await call("POST", "\(prefix)/element/\(element)/value", ["text": text])
    }

    /// The text of the first element matching `css`; retried while a
    /// navigation replaces the page under it.
    func text(_ css: String, timeout: Double = 5) async throws -> String {
        var text = ""
        try await eventually("the text of \(css) can be read", timeout: timeout) {
            guard let element = try? await self.find(css, timeout: timeout),
                  let value = try? await self.call("GET", "\(self.prefix)/element/\(element)/text") as? String else { return false }
            text = value
            return true
        }
        return text
    }

    /// Waits until the text of `css` satisfies `check` (the page a click led to has loaded).
    func waitForText(_ css: String, timeout: Double = 10, _ check: @escaping (String) -> Bool) async throws {
        try await eventually("the text of \(css) is as expected", timeout: timeout) {
            (try? await self.text(css, timeout: 1)).map(check) ?? false
        }
    }

    /// The page's HTML.
    var source: String { get async throws { try await call("GET", "\(prefix)/source") as? String ?? "" } }

    func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await call("POST", "\(prefix)/execute/sync", ["script": script, "args": arguments])
    }

    func resize(width: Int, height: Int) async throws {
        try await call("POST", "\(prefix)/window/rect", ["width": width, "height": height])
    }

    /// A PNG of the whole page (the window stretched to the document's height).
    func screenshot(to path: String) async throws {
        let size = try await execute("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight, window.innerWidth];")
            as? [Any]
        let rect = try await call("GET", "\(prefix)/window/rect") as? [String: Any]
        if let height = size?[1] as? Int, let width = rect?["width"] as? Int {
            try await resize(width: width, height: min(max(height + 120, 400), 4000))
        }
        guard let base64 = try await call("GET", "\(prefix)/screenshot") as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: path))
    }

    func quit() async {
        _ = try? await call("DELETE", prefix)
        // chromedriver may ignore SIGTERM while it tears a session down.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
