import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// A revision that removes every operator revokes every operator token at
/// once; it is guarded like one that removes every bot.
@Suite struct ReconcileOperatorGuardTests {
    static func files(operators: [String]) -> [String: String] {
        var files = ReconcileYAML.botFiles(["alpha"])
        if !operators.isEmpty {
            files["bots/operators.yaml"] = operators.map(ReconcileYAML.operator).joined(separator: "---\n")
        }
        return files
    }

    @Test func removingEveryOperatorIsRefusedAndKeepsTheirTokens() throws {
        try withReconcileScenario { scenario in
            try scenario.apply(try scenario.commit(Self.files(operators: ["alice", "bob"])))
            let token = try scenario.store.issueOperatorToken(operator: "alice").token.secret
            let next = try scenario.commit(Self.files(operators: []), message: "remove every operator")
            let refused = try scenario.apply(next)
            #expect(refused.run.outcome == .refused)
            #expect(refused.error == "revision \(next.id.short) would delete every operator (2), which revokes all their tokens; pass --allow-mass-delete if that is intended")
            #expect(try scenario.planAgainstStore(next).refusal == refused.error)
            #expect(try scenario.store.operatorIdentity(presenting: token)?.name == "alice", "nothing was revoked")

            let allowed = try scenario.apply(next, policy: ApplyPolicy(allowMassDelete: true))
            #expect(allowed.run.outcome == .applied)
            #expect(try scenario.store.operatorIdentity(presenting: token) == nil)
        }
    }

    @Test func removingSomeOperatorsIsNotGuarded() throws {
        try withReconcileScenario { scenario in
            try scenario.apply(try scenario.commit(Self.files(operators: ["alice", "bob"])))
            let outcome = try scenario.apply(try scenario.commit(Self.files(operators: ["alice"])))
            #expect(outcome.run.outcome == .applied)
        }
    }
}
