import BotRuntime
import Crypto
import Foundation
import Hummingbird
import Logging
import NectarServer
import Synchronization
import Testing
@testable import Reconciler

/// A real HTTP receiver on loopback that checks nothing itself: it records
/// every request and answers as told per webhook path (a list of statuses,
/// the last repeated; `hang` never answers in time).
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var method = "POST"
        var path: String
        var headers: [String: String]
        var body: [UInt8]
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
    }

    private let received = Mutex<[Received]>([])
    private let plans: Mutex<[String: [Int]]>
    private let hanging: Set<String>
    private let task = Mutex<Task<Void, any Error>?>(nil)
    let port: Int

    var requests: [Received] { received.withLock { $0 } }

    func requests(_ path: String) -> [Received] { requests.filter { $0.path == path } }

    init(plans: [String: [Int]], hanging: Set<String> = []) async throws {
        self.plans = Mutex(plans)
        self.hanging = hanging
        let router = Router()
        // The routes are added after init, through a box the closure reads.
        let box = ReceiverBox()
        router.post("hooks/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            let body = try await request.body.collect(upTo: 1 << 20)
            let status = await box.receiver?.record(Received(path: name, headers: request.headerFields, body: Array(body.readableBytesView)))
                ?? 500
            return Response(status: .init(code: status))
        }
        // The Zendesk tickets API: a ticket is created (201 with its id), then updated.
        router.post("zd/api/v2/tickets.json") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            _ = await box.receiver?.record(Received(path: "zendesk", headers: request.headerFields, body: Array(body.readableBytesView)))
            return Response(status: .created, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"ticket":{"id":4242,"status":"new"}}"#)))
        }
        router.put("zd/api/v2/tickets/:file") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers = request.headerFields
            headers[":path"] = "tickets/" + (try context.parameters.require("file"))
            _ = await box.receiver?.record(Received(method: "PUT", path: "zendesk", headers: headers, body: Array(body.readableBytesView)))
            return Response(status: .ok)
        }
        let (port, running) = try await LoopbackApp.start(router, label: "webhook receiver")
        self.port = port
        task.withLock { $0 = running }
        box.receiver = self
    }

    /// Records a request and says what to answer.
    func record(_ request: Received) async -> Int {
        received.withLock { $0.append(request) }
        if hanging.contains(request.path) {
            try? await Task.sleep(for: .seconds(5))
            return 200
        }
        return plans.withLock { plans in
            guard var plan = plans[request.path], !plan.isEmpty else { return 200 }
            let status = plan.removeFirst()
            plans[request.path] = plan.isEmpty ? [status] : plan
            return status
        }
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/hooks/\(name)" }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}

final class ReceiverBox: @unchecked Sendable {
    weak var receiver: WebhookReceiver?
}

/// Notification delivery to webhooks over real HTTP, both ends on loopback:
/// signatures, retries with the same delivery id, order per handoff, 410,
/// timeouts, Slack's format, the deliveries API.
@Suite struct WebhookDeliveryDaemonTests {
    static let secret = "whsec-test-0123456789"

    static func bot(_ name: String, webhooks: [String]) -> String {
        HandoffFixture.bot(name).replacingOccurrences(of: "    sla: {critical: 15m", with: """
                notify: {webhooks: [\(webhooks.joined(separator: ", "))]}
                sla: {critical: 15m
            """)
    }

    static func start(_ receiver: WebhookReceiver, bots: [String: String],
                      publicURL: String? = nil) async throws -> DaemonHarness {
        let harness = try DaemonHarness()
        var files = ChatFixture.files(bots)
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        var settings = harness.settings()
        settings.webhooks = [
            WebhookSetting(name: "ok-hook", url: receiver.url("ok"), secretEnv: "HOOK_SECRET"),
            WebhookSetting(name: "flaky-hook", url: receiver.url("flaky"), secretEnv: "HOOK_SECRET"),
            WebhookSetting(name: "gone-hook", url: receiver.url("gone"), secretEnv: "HOOK_SECRET"),
            WebhookSetting(name: "slow-hook", url: receiver.url("slow"), secretEnv: "HOOK_SECRET", timeout: SpecDuration(seconds: 1)),
            WebhookSetting(name: "slack-hook", url: receiver.url("slack"), secretEnv: "HOOK_SECRET", format: .slack),
        ]
        settings.notificationRetryBase = SpecDuration(seconds: 1)
        settings.publicURL = publicURL
        try await harness.start(settings, environment: ["HOOK_SECRET": secret], slaCheckInterval: .milliseconds(50))
        return harness
    }

    /// What a receiver does to check a delivery: HMAC-SHA256 of timestamp + "." + body.
    static func verify(_ request: WebhookReceiver.Received) -> Bool {
        guard let timestamp = request.headers["x-nectar-timestamp"], let signature = request.headers["x-nectar-signature"] else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(timestamp.utf8) + [UInt8(ascii: ".")] + request.body,
                                                  using: SymmetricKey(data: Array(secret.utf8)))
        return signature == "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func signedDeliveriesRetriedWithTheSameIdInOrderPerHandoff() async throws {
        let receiver = try await WebhookReceiver(plans: ["flaky": [500, 200], "gone": [410]], hanging: ["slow"])
        defer { receiver.stop() }
        let harness = try await Self.start(receiver, bots: [
            "support": Self.bot("support", webhooks: ["ok-hook", "flaky-hook", "gone-hook", "slow-hook", "slack-hook", "missing-hook"]),
        ], publicURL: "https://nectar.example.com/")
        let alice = try harness.token("alice")
        let id = try await HandoffOperatorDaemonTests.open(harness, "help, refund please")
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/assign", token: alice)
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/resolve", token: alice, json: ["note": "done"])

        try await eventually("three events reach the plain receiver") { receiver.requests("ok").count == 3 }
        let ok = receiver.requests("ok")
        #expect(ok.map { $0.headers["x-nectar-event"] } == ["handoff.created", "handoff.assigned", "handoff.resolved"], "in order")
        #expect(ok.allSatisfy(Self.verify), "every delivery is signed with the webhook's secret")
        #expect(ok.allSatisfy { $0.headers["x-nectar-delivery"]?.hasPrefix("dlv_") == true && $0.headers["content-type"] == "application/json" })
        #expect(ok[0].json["type"] as? String == "handoff.created")
        #expect(ok[0].json["link"] as? String == "https://nectar.example.com/console/handoffs/\(id)")
        #expect((ok[0].json["handoff"] as? [String: Any])?["id"] as? String == id)
        var tampered = ok[0]
        tampered.body[0] = UInt8(ascii: " ")
        #expect(!Self.verify(tampered), "a changed body fails the check")

        // The Python receiver of docs/notifications.md accepts the real
        // delivery and refuses a changed body or another secret.
        #expect(try await Self.pythonVerifies(ok[0], secret: Self.secret))
        #expect(try await !Self.pythonVerifies(tampered, secret: Self.secret))
        #expect(try await !Self.pythonVerifies(ok[0], secret: "another-secret"))

        // 500 then 200: retried with the same delivery id, and the handoff's
        // later events wait for it (order per handoff).
        try await eventually("the flaky receiver gets all three after a retry", timeout: 15) { receiver.requests("flaky").count == 4 }
        let flaky = receiver.requests("flaky")
        #expect(flaky[0].headers["x-nectar-delivery"] == flaky[1].headers["x-nectar-delivery"], "a retry keeps the delivery id")
        #expect(flaky.map { $0.headers["x-nectar-event"] } == ["handoff.created", "handoff.created", "handoff.assigned", "handoff.resolved"])

        // 410: that delivery and the target's others are dead; nothing more is sent there.
        try await Task.sleep(for: .milliseconds(500))
        #expect(receiver.requests("gone").count == 1)

        // Slack's format: text and blocks, with the link.
        try await eventually("slack gets its messages") { receiver.requests("slack").count == 3 }
        let slack = receiver.requests("slack")[0].json
        #expect((slack["text"] as? String)?.contains("New handoff #1 on support (high)") == true, "\(slack)")
        #expect((slack["text"] as? String)?.contains("<https://nectar.example.com/console/handoffs/\(id)|open>") == true)
        #expect((slack["blocks"] as? [[String: Any]])?.first?["type"] as? String == "section")

        // The deliveries API: the slow (timed out) target is failed and retried,
        // the missing webhook and the 410 are dead, with reasons and no secret.
        try await eventually("the slow target has failed once", timeout: 10) {
            let failed = try await harness.request("GET", "/admin/deliveries?status=failed", token: alice)
            return (failed.json["deliveries"] as? [[String: Any]] ?? []).contains { $0["target"] as? String == "slow-hook" }
        }
        let failed = try await harness.request("GET", "/admin/deliveries?status=failed", token: alice)
        let slow = try #require((failed.json["deliveries"] as? [[String: Any]])?.first { $0["target"] as? String == "slow-hook" })
        #expect(slow["lastError"] as? String == "no answer within 1 s", "\(slow)")
        let dead = try await harness.request("GET", "/admin/deliveries?status=dead", token: alice)
        let deadRows = try #require(dead.json["deliveries"] as? [[String: Any]])
        #expect(Set(deadRows.compactMap { $0["target"] as? String }) == ["gone-hook", "missing-hook"])
        #expect(deadRows.filter { $0["target"] as? String == "missing-hook" }.count == 3)
        #expect(deadRows.contains { ($0["lastError"] as? String)?.contains("not defined in the daemon configuration") == true })
        #expect(!dead.text.contains(Self.secret) && !failed.text.contains(Self.secret))
        #expect(try await harness.request("GET", "/admin/deliveries?status=nope", token: alice).status == 400)

        // A dead delivery can be retried by an admin; a delivered one cannot.
        let goneID = try #require(deadRows.first { $0["target"] as? String == "gone-hook" }?["id"] as? String)
        #expect(try await harness.request("POST", "/admin/deliveries/\(goneID)/retry", token: alice).status == 200)
        let delivered = try await harness.request("GET", "/admin/deliveries?status=delivered", token: alice)
        let deliveredID = try #require((delivered.json["deliveries"] as? [[String: Any]])?.first?["id"] as? String)
        #expect(try await harness.request("POST", "/admin/deliveries/\(deliveredID)/retry", token: alice).status == 409)
        #expect(try await harness.request("POST", "/admin/deliveries/dlv_nope/retry", token: alice).status == 404)
        #expect(try await harness.request("POST", "/admin/deliveries/\(goneID)/retry", token: try harness.token("carol")).status == 403)

        let metrics = try await harness.request("GET", "/metrics").text
        #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("nectar_notification_deliveries_total{") && $0.contains(#"outcome="delivered""#) })
        #expect(metrics.contains("nectar_notification_outbox_depth"))
        try await harness.stop()
    }

    @Test func aWebhookWhoseSecretIsNotSetStopsTheDaemonWithOneSentence() async throws {
        let harness = try DaemonHarness()
        try harness.commit(ChatFixture.files([:]))
        var settings = harness.settings()
        settings.webhooks = [WebhookSetting(name: "ops", url: "http://127.0.0.1:9/hook", secretEnv: "OPS_SECRET")]
        #expect(throws: ServeConfigurationError.self) { try NectarDaemon(settings: settings, environment: [:], logger: harness.logger(),
                                                                         handleSignals: false) }
        do {
            _ = try NectarDaemon(settings: settings, environment: [:], logger: harness.logger(), handleSignals: false)
        } catch {
            #expect("\(error)" == "notifications.webhooks.ops.secretEnv names OPS_SECRET, which is not set; set it to the webhook's signing secret")
        }
    }
}

extension WebhookDeliveryDaemonTests {
    @Test func reconcileFailuresAndRecoveriesAreAnnouncedAndUndefinedWebhooksAreNamedInReady() async throws {
        let receiver = try await WebhookReceiver(plans: [:])
        defer { receiver.stop() }
        let harness = try DaemonHarness()
        var files = ChatFixture.files(["support": Self.bot("support", webhooks: ["ok-hook", "nowhere-hook"])])
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        var settings = harness.settings()
        settings.webhooks = [WebhookSetting(name: "ok-hook", url: receiver.url("ok"), secretEnv: "HOOK_SECRET")]
        settings.reconcileWebhooks = ["ok-hook"]
        try await harness.start(settings, environment: ["HOOK_SECRET": Self.secret])
        let alice = try harness.token("alice"), carol = try harness.token("carol")
        try await eventually("the Ready condition names the undefined webhook") {
            (condition("Ready", in: try await harness.status(token: alice))["message"] as? String)?
                .contains("nowhere-hook (bot support); their other channels still deliver") == true
        }

        var broken = files
        broken["bots/support.yaml"] = "apiVersion: nectar/v1\nkind: Bot\nmetadata: {name: support}\nspec: {status: sideways}\n"
        try harness.commit(broken, message: "break")
        _ = try await harness.request("POST", "/admin/reconcile", token: alice)
        try await eventually("the failure reaches the reconcile webhook") { !receiver.requests("ok").isEmpty }
        try harness.commit(files, message: "fix")
        _ = try await harness.request("POST", "/admin/reconcile", token: alice)
        try await eventually("the recovery reaches it too") { receiver.requests("ok").count == 2 }
        let events = receiver.requests("ok").map(\.json)
        #expect(events.map { $0["type"] as? String } == ["reconcile.failed", "reconcile.recovered"])
        #expect((events[0]["message"] as? String)?.contains("bots/support.yaml") == true, "\(events[0])")
        #expect(events[0]["reason"] as? String == "InvalidDeclarations")
        #expect((events[1]["message"] as? String)?.hasPrefix("applied revision") == true)
        #expect(receiver.requests("ok").allSatisfy(Self.verify))

        // Admins see reconcile events in the inbox; an agent does not.
        let adminTypes = NotificationInboxDaemonTests.types(try await NotificationInboxDaemonTests.inbox(harness, token: alice))
        #expect(adminTypes == ["reconcile.recovered", "reconcile.failed"])
        #expect(NotificationInboxDaemonTests.types(try await NotificationInboxDaemonTests.inbox(harness, token: carol)).isEmpty)
        try await harness.stop()
    }
}

extension WebhookDeliveryDaemonTests {
    @Test func teamsCardsAndPagerDutyIncidentsThatResolveWithTheHandoff() async throws {
        let receiver = try await WebhookReceiver(plans: [:])
        defer { receiver.stop() }
        let harness = try DaemonHarness()
        var files = ChatFixture.files(["support": Self.bot("support", webhooks: ["teams-hook", "pd-hook"])])
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        var settings = harness.settings()
        settings.webhooks = [
            WebhookSetting(name: "teams-hook", url: receiver.url("teams"), secretEnv: "HOOK_SECRET", format: .teams),
            WebhookSetting(name: "pd-hook", url: receiver.url("pd"), secretEnv: "HOOK_SECRET", format: .pagerduty, routingKeyEnv: "PD_KEY"),
        ]
        settings.publicURL = "https://nectar.example.com"
        try await harness.start(settings, environment: ["HOOK_SECRET": Self.secret, "PD_KEY": "R0UTINGKEY0123456789012345678901"])
        let alice = try harness.token("alice")
        let id = try await HandoffOperatorDaemonTests.open(harness, "help! we have an outage")
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/assign", token: alice)
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/reply", token: alice, json: ["message": "Looking."])
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/resolve", token: alice)
        try await eventually("teams gets four cards and PagerDuty three events") {
            receiver.requests("teams").count == 4 && receiver.requests("pd").count == 3
        }

        let card = receiver.requests("teams")[0].json
        #expect(card["type"] as? String == "message")
        let attachment = try #require((card["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let content = try #require(attachment["content"] as? [String: Any])
        #expect(content["type"] as? String == "AdaptiveCard" && content["version"] as? String == "1.4")
        #expect(((content["body"] as? [[String: Any]])?.first?["text"] as? String)?.hasPrefix("New handoff #1 on support (critical)") == true)
        #expect((content["actions"] as? [[String: Any]])?.first?["url"] as? String == "https://nectar.example.com/console/handoffs/\(id)")

        let pd = receiver.requests("pd").map(\.json)
        #expect(pd.map { $0["event_action"] as? String } == ["trigger", "acknowledge", "resolve"])
        #expect(Set(pd.compactMap { $0["dedup_key"] as? String }) == ["nectar-handoff-\(id)"], "one incident per handoff")
        #expect(pd.allSatisfy { $0["routing_key"] as? String == "R0UTINGKEY0123456789012345678901" })
        let trigger = try #require(pd[0]["payload"] as? [String: Any])
        #expect(trigger["severity"] as? String == "critical" && trigger["source"] as? String == "support")
        #expect((trigger["summary"] as? String)?.contains("New handoff") == true)
        #expect(pd[2]["payload"] == nil, "a resolve carries no payload")

        // The reply, which PagerDuty has no event for, is recorded as delivered with a note.
        let delivered = try await harness.request("GET", "/admin/deliveries?status=delivered", token: alice)
        let skipped = (delivered.json["deliveries"] as? [[String: Any]] ?? []).filter { $0["target"] as? String == "pd-hook" && $0["lastError"] != nil }
        #expect(skipped.count == 1 && (skipped.first?["lastError"] as? String)?.contains("sends nothing for handoff.replied") == true)
        #expect(!delivered.text.contains("R0UTINGKEY"), "the routing key is not shown")
        try await harness.stop()
    }
}

extension WebhookDeliveryDaemonTests {
    /// Runs the verification example of docs/notifications.md on a received request.
    static func pythonVerifies(_ request: WebhookReceiver.Received, secret: String) async throws -> Bool {
        let docs = try String(contentsOf: PackagePaths.file("docs/notifications.md"), encoding: .utf8)
        let section = try #require(docs.range(of: "### Verifying a signature"))
        let start = try #require(docs.range(of: "```python\n", range: section.upperBound..<docs.endIndex))
        let end = try #require(docs.range(of: "```", range: start.upperBound..<docs.endIndex))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nectar-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let example = directory.appendingPathComponent("verify.py"), body = directory.appendingPathComponent("body")
        try Data(docs[start.upperBound..<end.lowerBound].utf8).write(to: example)
        try Data(request.body).write(to: body)
        let driver = """
            import json, sys
            exec(open(sys.argv[1]).read())
            headers = json.loads(sys.argv[3])
            sys.exit(0 if verify(sys.argv[2], headers, open(sys.argv[4], "rb").read()) else 1)
            """
        let headers = String(decoding: try JSONSerialization.data(withJSONObject: request.headers), as: UTF8.self)
        let result = try await OpenAISDKDaemonTests.python(["-c", driver, example.path, secret, headers, body.path])
        #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
        return result.status == 0
    }
}

extension WebhookDeliveryDaemonTests {
    @Test func aZendeskTicketPerHandoffUpdatedByItsLaterEventsAndKeptOnTheHandoff() async throws {
        let receiver = try await WebhookReceiver(plans: [:])
        defer { receiver.stop() }
        let harness = try DaemonHarness()
        var files = ChatFixture.files(["support": Self.bot("support", webhooks: ["zendesk-hook"])])
        files["bots/operators.yaml"] = HandoffFixture.operators
        try harness.commit(files)
        var settings = harness.settings()
        settings.webhooks = [WebhookSetting(name: "zendesk-hook", url: "http://127.0.0.1:\(receiver.port)/zd", secretEnv: "HOOK_SECRET",
                                            format: .zendesk, zendeskEmail: "bot@acme.example", apiTokenEnv: "ZD_TOKEN")]
        try await harness.start(settings, environment: ["HOOK_SECRET": Self.secret, "ZD_TOKEN": "zd-token-0123456789"])
        let alice = try harness.token("alice")
        let id = try await HandoffOperatorDaemonTests.open(harness, "help, I need an urgent refund")
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/reply", token: alice, json: ["message": "Refund on its way."])
        _ = try await harness.admin("POST", "/admin/handoffs/\(id)/resolve", token: alice)
        try await eventually("the ticket is created and updated three times") { receiver.requests("zendesk").count == 4 }

        let requests = receiver.requests("zendesk")
        #expect(requests.map(\.method) == ["POST", "PUT", "PUT", "PUT"])
        let credentials = Data("bot@acme.example/token:zd-token-0123456789".utf8).base64EncodedString()
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Basic \(credentials)" }, "API token authentication")
        let ticket = try #require(requests[0].json["ticket"] as? [String: Any])
        #expect(ticket["external_id"] as? String == id && ticket["priority"] as? String == "high")
        #expect((ticket["subject"] as? String)?.hasPrefix("New handoff #1 on support") == true)
        #expect(((ticket["comment"] as? [String: Any])?["body"] as? String)?.contains("Reason: keyword (help)") == true)
        #expect(requests.dropFirst().allSatisfy { $0.headers[":path"] == "tickets/4242.json" }, "updates go to the ticket created")
        let updates = requests.dropFirst().map { $0.json["ticket"] as? [String: Any] ?? [:] }
        #expect(updates.map { $0["status"] as? String } == ["open", nil, "solved"], "assigned (by the reply), replied, resolved")
        #expect(((updates[1]["comment"] as? [String: Any])?["body"] as? String)?.contains("Operator's reply: Refund on its way.") == true)
        #expect((updates[1]["comment"] as? [String: Any])?["public"] as? Bool == false, "internal notes, not mail to the user")

        let detail = try await harness.handoffDetail(id, token: alice)
        #expect((detail["externalReferences"] as? [String: String]) == ["zendesk-hook": "4242"], "the ticket id is kept on the handoff")
        let all = try await harness.request("GET", "/admin/deliveries", token: alice)
        #expect(!all.text.contains("zd-token"))
        try await harness.stop()
    }
}
