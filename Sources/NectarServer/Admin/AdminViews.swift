import BotRuntime
import Foundation

struct RunView: Encodable {
    var id: Int64?
    var revision: String?
    var startedAt: Date
    var finishedAt: Date
    var outcome: String
    var trigger: ReconcileTrigger
    var summary: [String: Int]
    var errors: [String]

    init(_ run: ReconcileRun) {
        id = run.id
        revision = run.revision
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        outcome = run.outcome.rawValue
        trigger = run.trigger
        summary = (try? JSONDecoder().decode([String: Int].self, from: Data(run.summary.utf8))) ?? [:]
        errors = run.errors
    }
}

struct RunsPage: Encodable {
    var runs: [RunView]
    /// Pass as `before` for the next (older) page; absent on the last page.
    var nextBefore: Int64?
}

struct BotSummary: Encodable {
    var name: String
    var status: RuntimeStatus
    var revision: String
    var sourcePath: String
    var updatedAt: Date
    var pausedAt: Date?
    var pausedBy: String?
    var activeKeys: Int
    var graceKeys: Int
}

struct BotView: Encodable {
    var name: String
    var status: RuntimeStatus
    var spec: BotSpec
    var specHash: String
    var sourcePath: String
    var revision: String
    var createdAt: Date
    var updatedAt: Date
    var pausedAt: Date?
    var pausedBy: String?
    var pausedReason: String?
    var keys: [StoredKey]

    init(_ detail: BotDetail) throws {
        let object = detail.object
        name = object.name
        status = detail.status
        spec = try JSONDecoder().decode(BotSpec.self, from: Data(object.spec.utf8))
        specHash = object.specHash
        sourcePath = object.sourcePath
        revision = object.revision
        createdAt = object.createdAt
        updatedAt = object.updatedAt
        pausedAt = object.pausedAt
        pausedBy = object.pausedBy
        pausedReason = object.pausedReason
        keys = detail.keys
    }
}

struct OverrideResult: Encodable {
    var bot: String
    var status: RuntimeStatus
    /// False when the bot already was in that state.
    var changed: Bool
    var pausedAt: Date?
    var pausedBy: String?
    var reason: String?
}

struct AuditView: Encodable {
    var at: Date
    var actor: String
    var action: String
    var kind: String
    var name: String
    /// What changed, as JSON (field changes, key ids, a pause's reason).
    var changes: JSONValue
    var run: Int64?

    init(_ entry: AuditEntry) {
        at = entry.at
        actor = entry.actor
        action = entry.action
        kind = entry.objectKind
        name = entry.objectName
        changes = JSONValue(embedding: entry.changes)
        run = entry.runID
    }
}

/// `GET /admin/me`: who the token belongs to, and that operator's tokens (never a secret).
struct MeView: Encodable {
    var name: String
    var role: String
    var teams: [String]
    var tokens: [TokenView]
}

/// An operator token's metadata.
struct TokenView: Encodable {
    var id: String
    var display: String
    var createdAt: Date
    var lastUsedAt: Date?
    var revokedAt: Date?

    init(_ record: OperatorTokenRecord) {
        id = record.id
        display = record.display
        createdAt = record.createdAt
        lastUsedAt = record.lastUsedAt
        revokedAt = record.revokedAt
    }
}
