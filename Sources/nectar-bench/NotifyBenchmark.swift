import AsyncHTTPClient
import BotRuntime
import Foundation
import GRDB
import Hummingbird
import Logging
import NectarServer
import Reconciler
import Synchronization

/// `nectar-bench notify`: the notification outbox drained to a webhook on
/// loopback. A real `NectarDaemon` delivers `--events` outbox events (10,000
/// by default) to a Hummingbird receiver that answers 200; the floor is the
/// same receiver sent the same number of signed POSTs one after another by
/// async-http-client in the same run (a target is delivered to one request
/// at a time, to keep a handoff's events in order). With `wrk` installed, the
/// keyed chat path is also loaded while the outbox drains and after it has
/// drained, to show whether draining slows chat.
struct NotifyBenchmark {
    var events: Int
    var seconds: Int

    func run() async throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-notify-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        let received = DeliveryCount()
        let receiverPort = try await Self.startReceiver(count: received)
        let hook = "http://127.0.0.1:\(receiverPort)/hook"

        var files: [String: [UInt8]] = [:]
        for (path, text) in ChatBenchmark.files(handoff: true) { files[path] = Array(text.utf8) }
        files["bots/bench/bench.yaml"] = Array("""
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: bench}
            spec:
              honeyJars: [bench-shop]
              rateLimits: {perHour: 1000000000, perDay: 1000000000}
              handoff: {keywords: [human], confidenceThreshold: 0, notify: {webhooks: [bench-hook]}}

            """.utf8)
        let bench = try await BenchDaemon.start(root: root, files: files, environment: ["BENCH_HOOK_SECRET": "bench-secret"]) { settings in
            settings.webhooks = [WebhookSetting(name: "bench-hook", url: hook, secretEnv: "BENCH_HOOK_SECRET")]
        }
        let settings = bench.settings, nectarPort = bench.port

        // The floor: the same number of signed POSTs, one after another.
        let event = OutboxEvent(sequence: 1, id: "evt_floor", type: "handoff.created", bot: "bench", handoffID: "hof_floor", at: Date(),
                                payload: Self.payload(index: 0))
        let target = WebhookTarget(name: "bench-hook", url: hook, secret: "bench-secret", format: .json, timeout: .seconds(10))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let floorStart = ContinuousClock.now
        for index in 0..<events {
            guard let request = WebhookSigning.request(event: event, delivery: "dlv_floor\(index)", target: target, publicURL: nil,
                                                       at: Date()) else { continue }
            var http = HTTPClientRequest(url: request.url)
            http.method = .POST
            for (name, value) in request.headers { http.headers.add(name: name, value: value) }
            http.body = .bytes(ByteBuffer(bytes: request.body))
            let response = try await client.execute(http, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 16)
        }
        let floorSeconds = (ContinuousClock.now - floorStart).inSeconds
        try await client.shutdown()
        received.value.store(0, ordering: .relaxed)

        // The outbox: `events` handoff events written in one transaction.
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: settings.database, configuration: configuration)
        let drainStart = ContinuousClock.now
        try await queue.write { db in
            for index in 0..<events {
                try db.execute(sql: """
                    INSERT INTO outbox_event (event_id, type, bot, handoff_id, at, payload) VALUES (?, 'handoff.created', 'bench', ?, ?, ?)
                    """, arguments: ["evt_bench\(index)", "hof_bench\(index % 100)", Date().timeIntervalSince1970, Self.payload(index: index)])
            }
        }

        // Chat while the outbox drains, then after.
        let wrk = ChatBenchmark.which("wrk")
        let chat = ChatBenchmark(bots: 0, seconds: seconds, runs: 1, connections: 32)
        var duringDrain: ChatBenchmark.LoadResult?
        var chatScenario: ChatBenchmark.Scenario?
        if let wrk, let key = try? bench.key("bench") {
            let scenario = ChatBenchmark.Scenario(
                name: "chat", path: "http://127.0.0.1:\(nectarPort)/v1/bots/bench/chat",
                bodies: [try ChatBenchmark.json(["message": "How long does shipping take?"])],
                headers: ["Content-Type": "application/json", "Authorization": "Bearer \(key)"])
            chatScenario = scenario
            duringDrain = try await chat.load(wrk, scenario, root: root)
        }
        _ = try await ChatBenchmark.wait("the outbox drained") { received.value.load(ordering: .relaxed) >= events ? true : nil }
        let drainSeconds = (ContinuousClock.now - drainStart).inSeconds
        var afterDrain: ChatBenchmark.LoadResult?
        if let wrk, let chatScenario { afterDrain = try await chat.load(wrk, chatScenario, root: root) }

        let delivered = try await queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery WHERE status = 'delivered'") ?? 0
        }
        try await bench.stop()

        print("\(events) events, one webhook target on loopback answering 200; \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("")
        print(ChatBenchmark.row("measure", "per s", "ratio"))
        let floorRate = Double(events) / floorSeconds
        let drainRate = Double(events) / drainSeconds
        print(ChatBenchmark.row("floor: sequential signed POSTs by async-http-client", String(format: "%.0f", floorRate), "1.00"))
        print(ChatBenchmark.row("nectar: outbox drained to the webhook", String(format: "%.0f", drainRate),
                                String(format: "%.2f", drainRate / floorRate)))
        if let duringDrain, let afterDrain {
            print(ChatBenchmark.row("keyed chat while the outbox drains (req/s)", String(format: "%.0f", duringDrain.requestsPerSecond),
                                    String(format: "%.2f", duringDrain.requestsPerSecond / afterDrain.requestsPerSecond)))
            print(ChatBenchmark.row("keyed chat after it drained (req/s)", String(format: "%.0f", afterDrain.requestsPerSecond), "1.00"))
        } else {
            print("(wrk is not installed: the chat comparison was skipped)")
        }
        print("")
        print("deliveries recorded as delivered: \(delivered) of \(events)\(delivered == events ? "" : " MISMATCH")")
        if delivered != events { throw BenchmarkFailure(message: "deliveries and events differ") }
    }

    static func payload(index: Int) -> String {
        #"{"actor":"user","bot":"bench","detail":{"reason":"keyword"},"handoff":{"id":"hof_bench\#(index % 100)","number":\#(index),"reason":"keyword","status":"pending","urgency":"medium"},"id":"evt_bench\#(index)","time":"2026-12-02T00:00:00Z","type":"handoff.created"}"#
    }

    /// A receiver that counts POSTs and answers 200.
    static func startReceiver(count: DeliveryCount) async throws -> Int {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            count.value.add(1, ordering: .relaxed)
            return Response(status: .ok)
        }
        return try await BenchDaemon.serve(router, label: "the receiver")
    }
}

/// Requests a receiver counted.
final class DeliveryCount: Sendable {
    let value = Atomic<Int>(0)
}
