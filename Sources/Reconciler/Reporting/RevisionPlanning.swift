import BotRuntime
import Foundation

/// `nectar plan`: a revision compared with another revision or with a database.
public enum RevisionPlanning {
    /// Plans `revision` against `base` of the same repository: a pull request's
    /// effect, with no database involved.
    public static func plan(repository path: String, declarationsPath: String, revision: String, base: String,
                            policy: ApplyPolicy = ApplyPolicy()) throws -> PlanReport {
        let repository = try GitRepository(path: path)
        let loader = RevisionLoader(declarationsPath: declarationsPath)
        let target = try loader.load(try GitRevisionFiles(repository: repository, revision: revision))
        let baseLoaded = try loader.load(try GitRevisionFiles(repository: repository, revision: base))
        let baseInfo = PlanReport.Base(source: "revision", revision: baseLoaded.state.revision?.id.hex, name: base)
        guard target.isValid else {
            return PlanReport(revision: target.state.revision?.id.hex, base: baseInfo, errors: target.diagnostics, plan: nil, refusal: nil)
        }
        let encodedBase = EncodedState(baseLoaded.state)
        var baseJSON: [ObjectKind: [String: String]] = [:]
        for object in encodedBase.objects { baseJSON[object.kind, default: [:]][object.name] = object.specJSON }
        let encoded = EncodedState(target.state)
        var plan = try Planner().plan(desired: encoded, baseline: PlanSide(desired: encodedBase)) { kind, names in
            baseJSON[kind]?.filter { names.contains($0.key) } ?? [:]
        }
        KeyPlanner.planBetweenRevisions(&plan)
        let refusal = policy.refusal(for: plan, desired: target.state, liveBots: baseLoaded.state.bots.count)
        var report = PlanReport(revision: target.state.revision?.id.hex, base: baseInfo, errors: [], plan: plan, refusal: refusal)
        report.baseErrors = baseLoaded.diagnostics
        return report
    }

    /// Plans `revision` against the live state of a runtime database.
    public static func plan(repository path: String, declarationsPath: String, revision: String, store: RuntimeStore,
                            policy: ApplyPolicy = ApplyPolicy(), now: Date = Date()) throws -> PlanReport {
        let live = try store.liveState()
        return try plan(repository: path, declarationsPath: declarationsPath, revision: revision, live: live,
                        base: PlanReport.Base(source: "database", revision: live.appliedRevision, name: store.path),
                        policy: policy, now: now) { kind, names in try store.specJSON(kind, names: names) }
    }

    /// Plans `revision` against a running server's state export (`GET /admin/state`).
    public static func plan(repository path: String, declarationsPath: String, revision: String, export: StateExport,
                            server: String, policy: ApplyPolicy = ApplyPolicy(), now: Date = Date()) throws -> PlanReport {
        try plan(repository: path, declarationsPath: declarationsPath, revision: revision, live: export.liveState,
                 base: PlanReport.Base(source: "server", revision: export.appliedRevision, name: server),
                 policy: policy, now: now) { kind, names in export.specJSON(kind, names: names) }
    }

    private static func plan(repository path: String, declarationsPath: String, revision: String, live: LiveState,
                             base baseInfo: PlanReport.Base, policy: ApplyPolicy, now: Date,
                             specJSON: (ObjectKind, [String]) throws -> [String: String]) throws -> PlanReport {
        let repository = try GitRepository(path: path)
        let target = try RevisionLoader(declarationsPath: declarationsPath)
            .load(try GitRevisionFiles(repository: repository, revision: revision))
        guard target.isValid else {
            return PlanReport(revision: target.state.revision?.id.hex, base: baseInfo, errors: target.diagnostics, plan: nil, refusal: nil)
        }
        var plan = try Planner().plan(desired: EncodedState(target.state), baseline: PlanSide(live: live), baselineSpecs: specJSON)
        KeyPlanner(now: now).plan(&plan, desired: target.state, live: live)
        let liveBots = live.activeCounts[.bot] ?? 0
        let refusal = policy.refusal(for: plan, desired: target.state, liveBots: liveBots)
        return PlanReport(revision: target.state.revision?.id.hex, base: baseInfo, errors: [], plan: plan, refusal: refusal)
    }
}
