import BotRuntime
import Foundation

/// Decides the key actions of a reconcile: issue, rotate, revoke, expire.
///
/// Time-based rotation needs no commit: every reconcile evaluates the clock
/// it is given, and reports when the next time-based action falls due so
/// that a repeated apply can be skipped until then.
struct KeyPlanner {
    let now: Date
    /// When the last apply recorded the next time-based key action, if that
    /// apply left the state untouched since: then only bots whose spec changed
    /// can have a key action before that time, and only they are examined.
    var knownNextEvent: Date? = nil

    func plan(_ plan: inout ReconcilePlan, desired: DesiredState, live: LiveState) {
        var actions: [ReconcilePlan.KeyAction] = []
        var next: Date?
        func due(_ date: Date) { next = min(next ?? date, date) }
        var arrived: [String: String] = [:]
        for change in plan.changes where change.kind == .bot {
            if change.action == .create { arrived[change.name] = "bot created" }
            if change.action == .restore { arrived[change.name] = "bot restored" }
        }
        var policies = PolicyIndex(desired.policies.map(\.spec))

        var only: Set<String>?
        // Policies changed: any bot's rotation may have changed, examine all.
        let policiesChanged = plan.changes.contains { $0.kind == .keyRotationPolicy }
        if let known = knownNextEvent, now < known, !policiesChanged {
            only = Set(plan.changes.lazy.filter { $0.kind == .bot }.map(\.name))
            next = known
        }
        for declared in desired.bots {
            if let only, !only.contains(declared.spec.name) { continue }
            let bot = declared.spec
            let keys = live.keys[bot.name] ?? []
            let rotation = policies.rotation(for: bot)
            let active = keys.first { $0.state == .active }
            if let active {
                var reason: String?
                if bot.apiKeys.generation > active.generation {
                    reason = "generation \(active.generation) -> \(bot.apiKeys.generation)"
                } else if let every = rotation.rotateEvery {
                    let dueAt = active.createdAt.addingTimeInterval(TimeInterval(every.seconds))
                    if now >= dueAt {
                        let age = StoredKey.ageText(now.timeIntervalSince(active.createdAt))
                        reason = bot.apiKeys.rotateEvery == nil
                            ? rotation.policy.map { "policy \($0): \(age) old, every \(every)" } ?? "\(age) old, every \(every)"
                            : "rotateEvery \(every): \(age) old"
                    } else {
                        due(dueAt)
                    }
                }
                if let reason {
                    actions.append(.init(bot: bot.name, action: .rotate, reason: reason, keyID: active.id,
                                         gracePeriod: rotation.gracePeriod, generation: bot.apiKeys.generation))
                    if let every = rotation.rotateEvery { due(now.addingTimeInterval(TimeInterval(every.seconds))) }
                    if rotation.gracePeriod.seconds > 0 { due(now.addingTimeInterval(TimeInterval(rotation.gracePeriod.seconds))) }
                }
            } else {
                actions.append(.init(bot: bot.name, action: .issue,
                                     reason: arrived[bot.name] ?? "no active key",
                                     generation: bot.apiKeys.generation))
                if let every = rotation.rotateEvery { due(now.addingTimeInterval(TimeInterval(every.seconds))) }
            }
            for key in keys where key.state == .grace {
                if let expires = key.expiresAt, expires > now {
                    due(expires)
                } else {
                    actions.append(.init(bot: bot.name, action: .expire, reason: "grace period ended", keyID: key.id))
                }
            }
        }
        for change in plan.changes where change.kind == .bot && change.action == .delete {
            for key in live.keys[change.name] ?? [] {
                actions.append(.init(bot: change.name, action: .revoke, reason: "bot deleted", keyID: key.id))
            }
        }
        plan.keys = Self.ordered(actions)
        plan.nextKeyEvent = next
    }

    /// One order for every planner: by bot, then issue, rotate, expire, revoke.
    static func ordered(_ actions: [ReconcilePlan.KeyAction]) -> [ReconcilePlan.KeyAction] {
        let rank: [ReconcilePlan.KeyAction.Kind: Int] = [.issue: 0, .rotate: 1, .expire: 2, .revoke: 3]
        return actions.sorted { ($0.bot, rank[$0.action]!) < ($1.bot, rank[$1.action]!) }
    }

    /// The key actions two revisions imply, without live keys (`plan --base`):
    /// new and restored bots get a key, deleted bots lose theirs, a bumped
    /// generation rotates. Rotations that fall due with time are not visible
    /// here; `plan --db` shows them.
    static func planBetweenRevisions(_ plan: inout ReconcilePlan) {
        var actions: [ReconcilePlan.KeyAction] = []
        for change in plan.changes where change.kind == .bot {
            switch change.action {
            case .create, .restore:
                actions.append(.init(bot: change.name, action: .issue, reason: change.action == .create ? "bot created" : "bot restored"))
            case .delete:
                actions.append(.init(bot: change.name, action: .revoke, reason: "bot deleted"))
            case .update:
                // Only a higher generation rotates (as apply decides); lowering it does nothing.
                if let bump = change.fields.first(where: { $0.path == "spec.apiKeys.generation" }),
                   case .number(let from)? = bump.from, case .number(let to)? = bump.to, to > from {
                    actions.append(.init(bot: change.name, action: .rotate,
                                         reason: "generation \(bump.from?.description ?? "?") -> \(bump.to?.description ?? "?")"))
                }
            case .move:
                break
            }
        }
        plan.keys = ordered(actions)
    }
}
