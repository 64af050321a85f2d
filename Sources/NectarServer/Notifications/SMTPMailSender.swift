import BotRuntime
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The SMTP relay of the daemon's configuration.
public struct SMTPSettings: Sendable, Hashable {
    public enum TLS: String, Sendable, Hashable, CaseIterable {
        /// Plain connection upgraded with STARTTLS (port 587); refused if the relay does not offer it.
        case starttls
        /// TLS from the first byte (port 465).
        case implicit
        /// No TLS: only for a relay on loopback or a trusted network.
        case none
    }

    public var host: String
    public var port: Int
    public var tls: TLS
    public var user: String?
    public var password: String?
    /// A PEM file of certificates to trust instead of the system's (a private relay).
    public var caFile: String?
    public var timeout: Duration

    public init(host: String, port: Int, tls: TLS, user: String?, password: String?, caFile: String?, timeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.tls = tls
        self.user = user
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
    }
}

/// An SMTP client on SwiftNIO (and NIOSSL for TLS), written here because no
/// package of this machine's set speaks SMTP: EHLO, STARTTLS or implicit
/// TLS, AUTH PLAIN or LOGIN, multi-line replies, dot-stuffing; one message
/// per connection. A 4xx reply or a broken connection is transient (tried
/// again later), a 5xx reply permanent.
final class SMTPMailSender: MailSender {
    let settings: SMTPSettings
    let sslContext: NIOSSLContext?

    init(settings: SMTPSettings) throws {
        self.settings = settings
        if settings.tls == .none {
            sslContext = nil
        } else {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile { configuration.trustRoots = .file(caFile) }
            sslContext = try NIOSSLContext(configuration: configuration)
        }
    }

    struct Failure: Error {
        var permanent: Bool
        var message: String
    }

    func send(_ mail: Mail) async -> MailResult {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.transaction(mail) }
                group.addTask {
                    try await Task.sleep(for: self.settings.timeout)
                    throw Failure(permanent: false, message: "the SMTP relay did not finish within \(self.settings.timeout.components.seconds) s")
                }
                try await group.next()
                group.cancelAll()
            }
            return .sent
        } catch let failure as Failure {
            return failure.permanent ? .permanent(failure.message) : .transient(failure.message)
        } catch let error as NIOSSLError {
            return .transient("TLS with the SMTP relay failed (\(error))")
        } catch {
            let text = String(describing: error).lowercased()
            if text.contains("refused") { return .transient("the SMTP relay refused the connection") }
            if text.contains("certificate") || text.contains("ssl") { return .transient("TLS with the SMTP relay failed") }
            return .transient("the SMTP conversation failed (\(type(of: error)))")
        }
    }

    /// One SMTP session that sends one message.
    func transaction(_ mail: Mail) async throws {
        let host = settings.host
        let implicit = settings.tls == .implicit ? sslContext : nil
        let queue = SMTPReplyQueue()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicit {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: implicit, serverHostname: Self.sniName(host)))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(queue)
                }
            }
            .connect(host: host, port: settings.port).get()
        defer { channel.close(promise: nil) }

        /// Reads one reply (its lines until `NNN ` ends it).
        func reply() async throws -> (code: Int, lines: [String]) {
            var text: [String] = []
            while let line = try await queue.next() {
                text.append(line)
                guard line.count >= 3, let code = Int(line.prefix(3)) else {
                    throw Failure(permanent: false, message: "the SMTP relay sent a line that is not a reply")
                }
                if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return (code, text) }
            }
            throw Failure(permanent: false, message: "the SMTP relay closed the connection")
        }
        /// Sends a command and checks its reply. A 5xx is permanent only
        /// where it is about this message (`permanent`); elsewhere (EHLO,
        /// AUTH, MAIL FROM) it is the relay's configuration, and retried.
        func command(_ text: String, expect: Set<Int>, what: String, permanent: Bool = false) async throws -> [String] {
            try await channel.writeAndFlush(ByteBuffer(string: text + "\r\n")).get()
            let (code, lines) = try await reply()
            guard expect.contains(code) else { throw Self.refusal(code, lines, what: what, permanent: permanent) }
            return lines
        }

        let greeting = try await reply()
        guard greeting.code == 220 else { throw Self.refusal(greeting.code, greeting.lines, what: "the greeting", permanent: false) }
        let helo = "EHLO " + Self.heloName(from: mail.from)
        var capabilities = try await command(helo, expect: [250], what: "EHLO")
        if settings.tls == .starttls {
            guard capabilities.contains(where: { $0.dropFirst(4).uppercased().hasPrefix("STARTTLS") }) else {
                throw Failure(permanent: false, message: "the SMTP relay does not offer STARTTLS (set notifications.smtp.tls to implicit or none)")
            }
            _ = try await command("STARTTLS", expect: [220], what: "STARTTLS")
            // Anything that came in plaintext after the 220 would be read as
            // the answer to the encrypted EHLO (reply injection): refuse it.
            guard queue.buffered == 0 else {
                throw Failure(permanent: false, message: "the SMTP relay sent data after its STARTTLS reply; the session was dropped")
            }
            guard let sslContext else { throw Failure(permanent: true, message: "no TLS context") }
            try await channel.pipeline.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: Self.sniName(host)),
                                                  position: .first).get()
            capabilities = try await command(helo, expect: [250], what: "EHLO after STARTTLS")
        }
        if let user = settings.user, let password = settings.password {
            let auth = capabilities.first { $0.dropFirst(4).uppercased().hasPrefix("AUTH") }?.uppercased() ?? ""
            if auth.contains("PLAIN") || !auth.contains("LOGIN") {
                let token = Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                _ = try await command("AUTH PLAIN \(token)", expect: [235], what: "AUTH PLAIN")
            } else {
                _ = try await command("AUTH LOGIN", expect: [334], what: "AUTH LOGIN")
                _ = try await command(Data(user.utf8).base64EncodedString(), expect: [334], what: "AUTH LOGIN")
                _ = try await command(Data(password.utf8).base64EncodedString(), expect: [235], what: "AUTH LOGIN")
            }
        }
        _ = try await command("MAIL FROM:<\(mail.from)>", expect: [250], what: "MAIL FROM")
        _ = try await command("RCPT TO:<\(mail.to)>", expect: [250, 251], what: "RCPT TO", permanent: true)
        _ = try await command("DATA", expect: [354], what: "DATA")
        try await channel.writeAndFlush(ByteBuffer(string: Self.dotStuffed(mail.message))).get()
        let accepted = try await reply()
        guard accepted.code == 250 else { throw Self.refusal(accepted.code, accepted.lines, what: "the message", permanent: true) }
        try? await channel.writeAndFlush(ByteBuffer(string: "QUIT\r\n")).get()
        _ = try? await reply()
    }

    /// The EHLO name: the sender address's domain (an FQDN relays accept).
    static func heloName(from address: String) -> String {
        let domain = address.split(separator: "@").last.map(String.init) ?? ""
        return domain.isEmpty ? "localhost" : domain
    }

    /// The message with CRLF line ends, a dot doubled at the start of any
    /// line, and the terminating `.` line.
    static func dotStuffed(_ message: String) -> String {
        let normalized = message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = normalized.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        if lines.last == "" { lines.removeLast() }
        return lines.joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// One sentence for a refusal: a 5xx where it is about this message is
    /// permanent, anything else transient. The relay's own text is kept (it
    /// names the reason); it never holds the credentials nectar sent.
    static func refusal(_ code: Int, _ lines: [String], what: String, permanent: Bool) -> Failure {
        let text = lines.map { String($0.dropFirst(4)) }.joined(separator: " ").prefix(200)
        return Failure(permanent: permanent && code >= 500, message: "the SMTP relay refused \(what): \(code) \(text)")
    }

    /// SNI takes host names only; for an IP address NIOSSL checks the certificate against the peer address.
    static func sniName(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }
}

/// SMTP reply lines (CRLF-terminated), at most 4 KiB each.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw SMTPMailSender.Failure(permanent: false, message: "the SMTP relay sent a line over 4 KiB") }
            return .needMoreData
        }
        var bytes = buffer.readBytes(length: newline - buffer.readerIndex + 1) ?? []
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        context.fireChannelRead(wrapInboundOut(String(decoding: bytes, as: UTF8.self)))
        return .continue
    }
}

/// The reply lines of one SMTP session, handed to the conversation one at a
/// time; it can tell whether lines are waiting (see STARTTLS).
final class SMTPReplyQueue: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = String

    private let lock = NSLock()
    private var lines: [String] = []
    private var waiter: CheckedContinuation<String?, any Error>?
    private var closed = false
    private var failure: (any Error)?

    var buffered: Int { lock.withLock { lines.count } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        let waiting: CheckedContinuation<String?, any Error>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter
            }
            lines.append(line)
            return nil
        }
        waiting?.resume(returning: line)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let waiting = lock.withLock { () -> CheckedContinuation<String?, any Error>? in
            closed = true
            defer { waiter = nil }
            return waiter
        }
        waiting?.resume(returning: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let waiting = lock.withLock { () -> CheckedContinuation<String?, any Error>? in
            failure = error
            defer { waiter = nil }
            return waiter
        }
        waiting?.resume(throwing: error)
        context.close(promise: nil)
    }

    /// The next line; nil when the relay closed the connection. A cancelled
    /// task (the session's time limit) stops waiting at once.
    func next() async throws -> String? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<String?, any Error>? = lock.withLock {
                    if !lines.isEmpty { return .success(lines.removeFirst()) }
                    if let failure { return .failure(failure) }
                    if closed { return .success(nil) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiting = lock.withLock { () -> CheckedContinuation<String?, any Error>? in
                defer { waiter = nil }
                return waiter
            }
            waiting?.resume(throwing: CancellationError())
        }
    }
}
