import BotRuntime
import Foundation

/// Key actions of a plan turned into store writes, sealed copies and key files.
extension ChangeSetBuilder {
    /// Generates the keys the plan issues, seals them to each declared
    /// recipient, and adds the records, transitions and audit entries to
    /// `changes`. Returns the key files to write before the commit; the
    /// secrets exist only in these values, in memory.
    func addKeyChanges(_ plan: ReconcilePlan, encoded: EncodedState, live: LiveState, keyDirectory: KeyDirectory?,
                       to changes: inout ChangeSet) throws -> [KeyDirectory.File] {
        guard !plan.keys.isEmpty else { return [] }
        let actor = "git:\(commit.id.short)"
        var recipients: [String: [String]] = [:]
        let botsWithNewKeys = Set(plan.keys.lazy.filter { $0.action == .issue || $0.action == .rotate }.map(\.bot))
        for bot in encoded.state.bots where botsWithNewKeys.contains(bot.spec.name) {
            recipients[bot.spec.name] = bot.spec.apiKeys.recipients
        }
        var files: [KeyDirectory.File] = []
        for action in plan.keys {
            var details: [String: JSONValue] = ["reason": .string(action.reason)]
            switch action.action {
            case .issue, .rotate:
                let key = APIKey.generate()
                let id = APIKey.newKeyID()
                let generation = action.generation ?? 1
                let stored = StoredKey(id: id, bot: action.bot, generation: generation, secretHash: key.secretHash,
                                       display: key.display, state: .active, origin: "reconcile", createdAt: at)
                var sealed: [SealedKeyRecord] = []
                for recipient in recipients[action.bot] ?? [] {
                    sealed.append(try KeySealing.seal(key, keyID: id, bot: action.bot, to: recipient, at: at))
                }
                changes.keyIssues.append(KeyIssue(key: stored, sealed: sealed))
                details["keyID"] = .string(id)
                details["display"] = .string(key.display)
                details["generation"] = .number(Double(generation))
                if !sealed.isEmpty { details["sealedTo"] = .number(Double(sealed.count)) }
                var until: Date?
                if action.action == .rotate, let old = action.keyID {
                    let grace = action.gracePeriod ?? APIKeySpec.defaultGracePeriod
                    if grace.seconds > 0 {
                        until = at.addingTimeInterval(TimeInterval(grace.seconds))
                        changes.keyTransitions.append(KeyTransition(keyID: old, state: .grace, at: at, expiresAt: until, bot: action.bot))
                    } else {
                        until = at  // valid until this commit; kept in the file until then
                        changes.keyTransitions.append(KeyTransition(keyID: old, state: .revoked, at: at,
                                                                    reason: "rotated with no grace period", bot: action.bot))
                    }
                    details["previousKeyID"] = .string(old)
                }
                if let keyDirectory {
                    let valid = (live.keys[action.bot] ?? []).filter { $0.isValid(at: at) }
                    files.append(.next(bot: action.bot,
                                       active: KeyDirectory.Entry(id: id, key: key.secret, generation: generation, issuedAt: at),
                                       rotatingOut: action.keyID, until: until, valid: valid,
                                       current: valid.isEmpty ? nil : keyDirectory.read(bot: action.bot)))
                }
            case .revoke, .expire:
                guard let id = action.keyID else { continue }
                changes.keyTransitions.append(KeyTransition(keyID: id, state: .revoked, at: at, reason: action.reason, bot: action.bot))
                details["keyID"] = .string(id)
            }
            changes.audit.append(AuditEntry(at: at, actor: actor, action: "key-\(action.action.rawValue)",
                                            objectKind: ObjectKind.bot.rawValue, objectName: action.bot,
                                            changes: String(decoding: JSONValue.object(details).canonicalJSON, as: UTF8.self)))
        }
        return files
    }
}
