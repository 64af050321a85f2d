import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler

/// The official `openai` Python SDK as a client of nectar (installed by
/// `scripts/setup`): a completion, a stream, the models list, and the
/// SDK's own exception for a bad key.
@Suite struct OpenAISDKDaemonTests {
    static let script = #"""
        import json, sys
        import openai
        port, key = sys.argv[1], sys.argv[2]
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        out = {}
        reply = client.chat.completions.create(model="support", messages=[{"role": "user", "content": "How long does international delivery take?"}])
        out["content"] = reply.choices[0].message.content
        out["finish"] = reply.choices[0].finish_reason
        out["conversation"] = (reply.model_extra or {}).get("nectar", {}).get("conversationId")
        stream = client.chat.completions.create(model="support", stream=True,
            messages=[{"role": "user", "content": "How long does international delivery take?"}])
        out["streamed"] = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        out["models"] = [model.id for model in client.models.list()]
        try:
            openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="nb_wrong", max_retries=0).chat.completions.create(
                model="support", messages=[{"role": "user", "content": "hi"}])
            out["badKey"] = "accepted"
        except openai.AuthenticationError as error:
            out["badKey"] = "AuthenticationError"
        try:
            client.chat.completions.create(model="someone-else", messages=[{"role": "user", "content": "hi"}])
            out["otherBot"] = "accepted"
        except openai.PermissionDeniedError:
            out["otherBot"] = "PermissionDeniedError"
        print(json.dumps(out))
        """#

    @Test func theOfficialOpenAIPythonSDKTalksToABot() async throws {
        let harness = try await ChatFixture.start(["support": ChatFixture.bot("support")])
        let result = try await Self.python(["-c", Self.script, String(harness.port), try harness.key("support")])
        #expect(result.status == 0, "the openai package is installed by scripts/setup: \(result.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect((out["content"] as? String)?.contains("seven to ten working days") == true, "\(out)")
        #expect(out["finish"] as? String == "stop")
        #expect((out["conversation"] as? String)?.hasPrefix("conv_") == true)
        #expect(out["streamed"] as? String == out["content"] as? String)
        #expect(out["models"] as? [String] == ["support"])
        #expect(out["badKey"] as? String == "AuthenticationError")
        #expect(out["otherBot"] as? String == "PermissionDeniedError")
        try await harness.stop()
    }

    /// Runs python3, waiting off Swift's cooperative pool (the daemon under
    /// test serves from it).
    static func python(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = ["python3"] + arguments
                    let out = Pipe(), err = Pipe()
                    process.standardOutput = out
                    process.standardError = err
                    try process.run()
                    let stdout = out.fileHandleForReading.readDataToEndOfFile()
                    let stderr = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: stdout, as: UTF8.self),
                                                    String(decoding: stderr, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
