/// The guards that stop an apply from deleting too much by mistake.
public struct ApplyPolicy: Sendable, Hashable {
    /// Largest share of live bots one apply may delete, in percent.
    public var maxDeletePercent: Double = 25
    /// Lift the delete guards.
    public var allowMassDelete = false
    /// Allow a revision that declares nothing at all.
    public var allowEmpty = false

    public init(maxDeletePercent: Double = 25, allowMassDelete: Bool = false, allowEmpty: Bool = false) {
        self.maxDeletePercent = maxDeletePercent
        self.allowMassDelete = allowMassDelete
        self.allowEmpty = allowEmpty
    }

    /// Why the plan must not be applied, or nil.
    ///
    /// - An empty desired state while anything is live: refused unless `allowEmpty`.
    /// - Deleting every live bot, or every operator (which revokes all their
    ///   tokens and locks everyone out of the admin API): refused unless
    ///   `allowMassDelete`.
    /// - Deleting more than `maxDeletePercent` of live bots: refused unless
    ///   `allowMassDelete`; deleting a single bot never trips this one.
    public func refusal(for plan: ReconcilePlan, desired: DesiredState, liveBots: Int) -> String? {
        let declared = desired.bots.count + desired.honeyJars.count + desired.policies.count + desired.operators.count
        let deletes = plan.changes.filter { $0.action == .delete }.count
        let revision = desired.revision.map { " \($0.id.short)" } ?? ""
        if declared == 0, deletes > 0 {
            // An empty revision is its own case: --allow-empty is the one
            // explicit consent it needs.
            return allowEmpty ? nil
                : "revision\(revision) declares nothing, which would delete all \(deletes) live objects; pass --allow-empty if that is intended"
        }
        guard !allowMassDelete else { return nil }
        let operatorDeletes = plan.count(.delete, kind: .operator)
        if operatorDeletes > 0, desired.operators.isEmpty {
            return "revision\(revision) would delete every operator (\(operatorDeletes)), which revokes all their tokens; pass --allow-mass-delete if that is intended"
        }
        let botDeletes = plan.count(.delete, kind: .bot)
        guard botDeletes > 0 else { return nil }
        if botDeletes == liveBots {
            return "revision\(revision) would delete every bot (\(botDeletes)); pass --allow-mass-delete if that is intended"
        }
        let percent = Double(botDeletes) * 100 / Double(max(liveBots, 1))
        if botDeletes > 1, percent > maxDeletePercent {
            return String(format: "revision%@ would delete %d of %d bots (%.0f%%, more than the limit of %.0f%%); pass --allow-mass-delete if that is intended",
                          revision, botDeletes, liveBots, percent, maxDeletePercent)
        }
        return nil
    }
}
