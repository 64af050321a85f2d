import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// What a new user types: `operators list` like `keys list`, and a
/// misspelled command answered with the one they meant.
@Suite struct ReconcileCLIUsageTests {
    @Test func operatorsListIsTokens() throws {
        try withReconcileScenario { scenario in
            try scenario.apply(try scenario.commit(["bots/operators.yaml": ReconcileYAML.operator("alice")]))
            _ = try scenario.store.issueOperatorToken(operator: "alice")
            let list = try ReconcileCLI.run(["operators", "list", "--db", scenario.dbPath])
            let tokens = try ReconcileCLI.run(["operators", "tokens", "--db", scenario.dbPath])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout == tokens.stdout)
            #expect(list.stdout.contains("alice"))
        }
    }

    @Test(arguments: [
        (["valdate"], "unknown command nectar valdate; did you mean nectar validate?"),
        (["keys", "rotat", "alpha"], "unknown command nectar keys rotat; did you mean nectar keys rotate?"),
        (["operators", "lst"], "unknown command nectar operators lst; did you mean nectar operators list?"),
        (["frobnicate"], "unknown command nectar frobnicate; nectar has validate, plan, apply, serve, drift, keys, operators"),
    ])
    func anUnknownCommandIsOneSentenceWithAHint(arguments: [String], sentence: String) throws {
        let result = try ReconcileCLI.run(arguments)
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(sentence) (see nectar --help)\n")
    }
}
