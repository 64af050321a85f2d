import BotRuntime
import Foundation
@testable import NectarServer
import Testing
@testable import Reconciler
#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP relay (aiosmtpd, installed by scripts/setup) on loopback,
/// with STARTTLS and AUTH required, and a certificate made for the test.
final class SMTPRelay: @unchecked Sendable {
    let directory: String
    let port: Int
    let process = Process()
    private let input = Pipe()
    let user = "nectar-relay", password = "relay-p4ss-0123"

    init(mode: String = "starttls") async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-smtp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem", "-out",
                             directory + "/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw RawHTTPConnection.Failure(description: "openssl could not make a certificate") }
        let listener = try LoopbackListener()
        port = Int(listener.port)
        close(listener.descriptor)
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", PackagePaths.file("Tests/ReconcilerTests/Fixtures/smtp/smtp_server.py").path, String(port),
                             directory + "/messages.jsonl", directory + "/cert.pem", directory + "/key.pem", user, password, mode]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ready = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async {
                continuation.resume(returning: String(decoding: output.fileHandleForReading.availableData, as: UTF8.self))
            }
        }
        guard ready.contains("ready") else {
            throw RawHTTPConnection.Failure(description: "the SMTP relay did not start (is aiosmtpd installed? scripts/setup installs it)")
        }
    }

    var certificate: String { directory + "/cert.pem" }

    /// The messages the relay accepted.
    var messages: [[String: Any]] {
        let text = (try? String(contentsOfFile: directory + "/messages.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// E-mail notifications through a real SMTP relay over loopback: STARTTLS
/// against the relay's own certificate, AUTH, a 4xx retried, a 5xx given up.
@Suite struct EmailDeliveryDaemonTests {
    @Test func handoffMailsReachTheRelayOverSTARTTLSWithAuthAndRefusalsAreRetriedOrGivenUp() async throws {
        let relay = try await SMTPRelay()
        defer { relay.stop() }
        let harness = try DaemonHarness()
        let bot = HandoffFixture.bot("support").replacingOccurrences(of: "    sla: {critical: 15m", with: """
                notify: {email: [ops@example.com, busy@example.com, reject@example.com]}
                sla: {critical: 15m
            """)
        var files = ChatFixture.files(["support": bot])
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        var settings = harness.settings()
        settings.smtpHost = "127.0.0.1"
        settings.smtpPort = relay.port
        settings.smtpTLS = .starttls
        settings.smtpUser = relay.user
        settings.smtpPasswordEnv = "RELAY_PASSWORD"
        settings.smtpFrom = "nectar@example.com"
        settings.smtpCAFile = relay.certificate
        settings.smtpOperatorRoles = ["admin"]
        settings.notificationRetryBase = SpecDuration(seconds: 1)
        settings.publicURL = "https://nectar.example.com"
        try await harness.start(settings, environment: ["RELAY_PASSWORD": relay.password])
        let alice = try harness.token("alice")

        let id = try await HandoffOperatorDaemonTests.open(harness, "help, the honey arrived broken")
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/assign", token: alice)
        try await eventually("the relay has the mails, the busy one after a retry", timeout: 20) {
            Set(relay.messages.flatMap { $0["to"] as? [String] ?? [] }) == ["ops@example.com", "alice@example.com", "busy@example.com"]
        }
        let messages = relay.messages
        #expect(messages.count == 3, "one mail per address; the assignment is not mailed")
        #expect(messages.allSatisfy { $0["tls"] as? Bool == true && $0["authenticated"] as? Bool == true })
        #expect(messages.allSatisfy { $0["from"] as? String == "nectar@example.com" })
        let mail = try #require(messages.first { ($0["to"] as? [String]) == ["ops@example.com"] }?["data"] as? String)
        #expect(mail.contains("Subject: [nectar] New handoff #1 on support (medium)"), "\(mail)")
        #expect(mail.contains("X-Nectar-Event: handoff.created"))
        #expect(mail.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(mail.contains("Reason:    keyword (help)"))
        #expect(mail.contains("Open: https://nectar.example.com/console/handoffs/\(id)"))

        // 550 is permanent: dead, with the relay's reason; 451 was retried.
        try await eventually("the refused address is dead") {
            let dead = try await harness.request("GET", "/admin/deliveries?status=dead", token: alice)
            return (dead.json["deliveries"] as? [[String: Any]] ?? []).contains { $0["target"] as? String == "reject@example.com" }
        }
        let all = try await harness.request("GET", "/admin/deliveries", token: alice)
        let rows = try #require(all.json["deliveries"] as? [[String: Any]])
        let rejected = try #require(rows.first { $0["target"] as? String == "reject@example.com" })
        #expect((rejected["lastError"] as? String)?.contains("550") == true && rejected["channel"] as? String == "email", "\(rejected)")
        let busy = try #require(rows.first { $0["target"] as? String == "busy@example.com" })
        #expect(busy["status"] as? String == "delivered" && busy["attempts"] as? Int == 2, "\(busy)")
        #expect(!all.text.contains(relay.password))
        try await harness.stop()
    }

    @Test func implicitTLSAndAuthLoginWhenThatIsWhatTheRelayOffers() async throws {
        let relay = try await SMTPRelay(mode: "implicit-login")
        defer { relay.stop() }
        let harness = try DaemonHarness()
        var files = ChatFixture.files(["support": HandoffFixture.bot("support")])
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        var settings = harness.settings()
        settings.smtpHost = "127.0.0.1"
        settings.smtpPort = relay.port
        settings.smtpTLS = .implicit
        settings.smtpUser = relay.user
        settings.smtpPasswordEnv = "RELAY_PASSWORD"
        settings.smtpFrom = "nectar@example.com"
        settings.smtpCAFile = relay.certificate
        settings.smtpOperatorRoles = ["admin", "agent"]
        try await harness.start(settings, environment: ["RELAY_PASSWORD": relay.password])
        _ = try await HandoffOperatorDaemonTests.open(harness)
        // Admins (alice) and the agents of the bot's team (carol, erin); not dave (team-sales) or the auditor.
        try await eventually("the team's operators are mailed", timeout: 15) {
            Set(relay.messages.flatMap { $0["to"] as? [String] ?? [] }) == ["alice@example.com", "carol@example.com", "erin@example.com"]
        }
        #expect(relay.messages.allSatisfy { $0["tls"] as? Bool == true && $0["authenticated"] as? Bool == true },
                "\(relay.messages.map { [$0["tls"], $0["authenticated"]] })")
        try await Task.sleep(for: .milliseconds(300))
        #expect(relay.messages.count == 3)
        try await harness.stop()
    }

    @Test func dotStuffingDoublesLeadingDotsAndEndsTheMessage() {
        #expect(SMTPMailSender.dotStuffed("Subject: x\r\n\r\n.hidden\r\nline\n..two\r\n") == "Subject: x\r\n\r\n..hidden\r\nline\r\n...two\r\n.\r\n")
        #expect(SMTPMailSender.dotStuffed("a") == "a\r\n.\r\n")
    }
}
