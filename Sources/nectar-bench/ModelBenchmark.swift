import BotRuntime
import Foundation
import Hummingbird
import Logging
import NectarServer
import Reconciler

/// `nectar-bench model`: what nectar adds in front of an OpenAI-compatible
/// endpoint. A Hummingbird app on loopback answers `/v1/chat/completions`
/// at once with a fixed completion (the endpoint); `wrk` loads it directly,
/// then through a real `NectarDaemon` whose bot answers with that endpoint
/// (`POST /v1/bots/bench-model/chat`: key check, rate limit, retrieval for
/// the prompt, the HTTP call, usage write). Reported: req/s and p50/p99
/// latency of both, and the difference at p50 and p99.
struct ModelBenchmark {
    var seconds: Int
    var connections: Int

    func run() async throws {
        guard let wrk = ChatBenchmark.which("wrk") else {
            throw BenchmarkFailure(message: "wrk is not installed (apt-get install wrk)")
        }
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-model-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        let endpointPort = try await Self.startEndpoint()
        var files: [String: [UInt8]] = [:]
        for (path, text) in ChatBenchmark.files(handoff: true) { files[path] = Array(text.utf8) }
        files["bots/bench/model.yaml"] = Array("""
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: bench-model}
            spec:
              systemPrompt: You answer questions about the shop.
              model: {provider: openai, endpoint: bench-llm, name: bench}
              honeyJars: [bench-shop]
              rateLimits: {perHour: 1000000000, perDay: 1000000000}
              handoff: {confidenceThreshold: 0}

            """.utf8)
        let bench = try await BenchDaemon.start(root: root, files: files) { settings in
            settings.modelEndpoints = [ModelEndpointSetting(name: "bench-llm", baseURL: "http://127.0.0.1:\(endpointPort)/v1",
                                                            maxConcurrency: connections)]
        }
        let port = bench.port
        let key = try bench.key("bench-model")

        let question = "How long does standard delivery take?"
        let direct = ChatBenchmark.Scenario(
            name: "endpoint directly", path: "http://127.0.0.1:\(endpointPort)/v1/chat/completions",
            bodies: [try ChatBenchmark.json(["model": "bench", "messages": [["role": "user", "content": question]]])],
            headers: ["Content-Type": "application/json"])
        let through = ChatBenchmark.Scenario(
            name: "through nectar", path: "http://127.0.0.1:\(port)/v1/bots/bench-model/chat",
            bodies: [try ChatBenchmark.json(["message": question])],
            headers: ["Content-Type": "application/json", "Authorization": "Bearer \(key)"])
        let load = ChatBenchmark(bots: 0, seconds: seconds, runs: 1, connections: connections)
        var directRuns: [ChatBenchmark.LoadResult] = [], throughRuns: [ChatBenchmark.LoadResult] = []
        for _ in 0..<3 {
            directRuns.append(try await load.load(wrk, direct, root: root))
            throughRuns.append(try await load.load(wrk, through, root: root))
        }
        try await bench.stop()
        let a = ChatBenchmark.median(directRuns), b = ChatBenchmark.median(throughRuns)
        print("an endpoint answering at once on loopback; wrk \(connections) connections, \(seconds) s per run, median of 3; 2 cores shared")
        print("")
        print(ChatBenchmark.row("scenario", "req/s", "ratio", "p50 ms", "p99 ms", "non-2xx"))
        print(ChatBenchmark.row(direct.name, String(format: "%.0f", a.requestsPerSecond), "1.00", String(format: "%.2f", a.p50),
                                String(format: "%.2f", a.p99), "\(a.non2xx)"))
        print(ChatBenchmark.row(through.name, String(format: "%.0f", b.requestsPerSecond),
                                String(format: "%.2f", b.requestsPerSecond / a.requestsPerSecond), String(format: "%.2f", b.p50),
                                String(format: "%.2f", b.p99), "\(b.non2xx)"))
        print("")
        print(String(format: "added per request: %.2f ms at p50, %.2f ms at p99", b.p50 - a.p50, b.p99 - a.p99))
        if b.non2xx > 0 { throw BenchmarkFailure(message: "nectar answered \(b.non2xx) requests with an error") }
    }

    /// The endpoint: a fixed chat completion, at once.
    static func startEndpoint() async throws -> Int {
        let router = Router()
        let answer = #"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"Standard delivery takes three to five working days."},"finish_reason":"stop"}],"usage":{"prompt_tokens":180,"completion_tokens":12,"total_tokens":192}}"#
        router.post("v1/chat/completions") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        return try await BenchDaemon.serve(router, label: "the endpoint")
    }
}
