import ArgumentParser
import Reconciler

/// The guards of `apply` (and what `plan` warns about).
struct ApplyPolicyOptions: ParsableArguments {
    @Option(name: .long, help: "Refuse to delete more than this share of live bots in one apply.")
    var maxDeletePercent: Double = 25

    @Flag(name: .long, help: "Allow deleting every bot or more than --max-delete-percent of them.")
    var allowMassDelete = false

    @Flag(name: .long, help: "Allow a revision that declares nothing at all.")
    var allowEmpty = false

    var policy: ApplyPolicy {
        ApplyPolicy(maxDeletePercent: maxDeletePercent, allowMassDelete: allowMassDelete, allowEmpty: allowEmpty)
    }

    func validate() throws {
        guard (0...100).contains(maxDeletePercent) else {
            throw ValidationError("--max-delete-percent must be between 0 and 100")
        }
    }
}
