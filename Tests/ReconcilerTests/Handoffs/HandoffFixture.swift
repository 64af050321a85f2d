import BotRuntime
import Foundation
import NectarServer
import Synchronization
import Testing
@testable import Reconciler

/// Daemons with bots that hand off, and operators of every kind: `alice`
/// (admin), `carol` (agent of team-support, which owns the bots), `dave`
/// (agent of team-sales), `erin` (agent of team-support too), `ci` (auditor).
enum HandoffFixture {
    static let operators = Snippet.documents(
        "apiVersion: nectar/v1\nkind: Operator\nmetadata: {name: alice}\nspec: {email: alice@example.com, role: admin}",
        "apiVersion: nectar/v1\nkind: Operator\nmetadata: {name: carol}\nspec: {email: carol@example.com, role: agent, teams: [team-support]}",
        "apiVersion: nectar/v1\nkind: Operator\nmetadata: {name: dave}\nspec: {email: dave@example.com, role: agent, teams: [team-sales]}",
        "apiVersion: nectar/v1\nkind: Operator\nmetadata: {name: erin}\nspec: {email: erin@example.com, role: agent, teams: [team-support]}",
        "apiVersion: nectar/v1\nkind: Operator\nmetadata: {name: ci}\nspec: {email: ci@example.com, role: auditor}")

    /// A bot of team-support with handoff rules (SLA: critical 15m, high 1h, medium 4h, low 24h).
    static func bot(_ name: String, visibility: String = "private", enabled: Bool = true, owner: String = "team-support") -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata: {name: \(name), owner: \(owner)}
        spec:
          displayName: Bot \(name)
          honeyJars: [shop]
          visibility: \(visibility)
          confidenceThreshold: 0.3
          rateLimits: {perHour: 100000, perDay: 1000000}
          handoff:
            enabled: \(enabled)
            keywords: [help, "speak to a person", escalate]
            confidenceThreshold: 0.25
            urgency: {critical: [outage, "data loss"], high: [urgent, refund], low: [whenever]}
            sla: {critical: 15m, high: 1h, medium: 4h, low: 24h}

        """
    }

    /// A started daemon with `bots`, the operators above, and a clock.
    static func start(_ bots: [String: String], clock: TestClock = TestClock(),
                      slaCheckInterval: Duration = .milliseconds(50)) async throws -> DaemonHarness {
        let harness = try DaemonHarness()
        var files = ChatFixture.files(bots)
        files["bots/operators.yaml"] = operators
        try harness.commit(files)
        try await harness.start(harness.settings(), now: clock.now, slaCheckInterval: slaCheckInterval)
        return harness
    }
}

/// A clock tests move by hand (starts at the real time).
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    var now: @Sendable () -> Date { { [self] in Date().addingTimeInterval(offset.withLock { $0 }) } }

    func advance(by seconds: TimeInterval) {
        offset.withLock { $0 += seconds }
    }
}

extension DaemonHarness {
    /// An operator's request with a JSON body.
    func admin(_ method: String, _ path: String, token: String?, json: [String: Any]? = nil) async throws -> HTTPResult {
        try await request(method, path, token: token, body: try json.map { try JSONSerialization.data(withJSONObject: $0) },
                          headers: json == nil ? [:] : ["Content-Type": "application/json"])
    }

    /// A chat message that opens (or continues) a handoff: its handoff object.
    func handoff(of result: HTTPResult) -> [String: Any]? {
        result.json["handoff"] as? [String: Any]
    }

    /// `GET /admin/handoffs/{id}` as `token`.
    func handoffDetail(_ id: String, token: String) async throws -> [String: Any] {
        try await request("GET", "/admin/handoffs/\(id)", token: token).json
    }

    /// The kinds of a handoff's events, in order.
    func eventKinds(_ id: String, token: String) async throws -> [String] {
        (try await handoffDetail(id, token: token)["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
    }
}
