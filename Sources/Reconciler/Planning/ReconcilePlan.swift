import BotRuntime
import Foundation

/// What reconciling a revision would do, in apply order.
public struct ReconcilePlan: Sendable, Codable {
    /// What happens to one object.
    public enum Action: String, Sendable, Codable, CaseIterable {
        /// Declared, not live.
        case create
        /// Declared and live, with a different spec.
        case update
        /// Live, no longer declared: soft-deleted.
        case delete
        /// Declared again after a deletion: the same object comes back, with its history.
        case restore
        /// Same spec, declared in another file or blob.
        case move
    }

    /// A change to one declared object.
    public struct ObjectChange: Sendable, Codable, Hashable {
        public var kind: ObjectKind
        public var name: String
        public var action: Action
        /// Where the object is declared (for deletes: where it was).
        public var source: String
        /// Field-level differences (updates and restores).
        public var fields: [FieldChange]
    }

    /// A change to one knowledge document of a honey jar.
    public struct DocumentChange: Sendable, Codable, Hashable {
        public enum Action: String, Sendable, Codable { case add, change, remove }
        public var jar: String
        public var path: String
        public var action: Action
        /// The document's blob at the target revision (absent for removals).
        public var blobID: String?
    }

    /// A key action, filled in by key rotation (issue: API keys).
    public struct KeyAction: Sendable, Codable, Hashable {
        /// What happens to the bot's keys.
        public enum Kind: String, Sendable, Codable, CaseIterable {
            /// A first key (new or restored bot, or a bot without an active key).
            case issue
            /// A new active key; the previous one goes into its grace period.
            case rotate
            /// Every key of a deleted bot, at once.
            case revoke
            /// A rotated-out key whose grace period ended.
            case expire
        }

        public var bot: String
        public var action: Kind
        /// Why, as shown in plans: `generation 1 -> 2`, `policy gold-tier: 31d old, every 30d`.
        public var reason: String
        /// The key concerned, for revoke and expire.
        public var keyID: String?
        /// For rotate: how long the previous key stays valid.
        public var gracePeriod: SpecDuration?
        /// The generation a new key is issued for.
        public var generation: Int?

        public init(bot: String, action: Kind, reason: String, keyID: String? = nil,
                    gracePeriod: SpecDuration? = nil, generation: Int? = nil) {
            self.bot = bot
            self.action = action
            self.reason = reason
            self.keyID = keyID
            self.gracePeriod = gracePeriod
            self.generation = generation
        }
    }

    /// When the next time-based key action falls due (not encoded).
    public var nextKeyEvent: Date?

    /// The revision being planned.
    public var revision: String?
    /// What it is compared with: another revision, or the database's applied revision.
    public var baseRevision: String?
    /// Object changes, in apply order (kind, then name); unchanged objects are counted, not listed.
    public var changes: [ObjectChange] = []
    /// Document changes, by jar and path.
    public var documents: [DocumentChange] = []
    /// Key issues, rotations and revocations.
    public var keys: [KeyAction] = []
    /// Objects declared and unchanged, by kind.
    public var unchanged: [ObjectKind: Int] = [:]
    /// Unchanged objects whose file now has another blob (reformatted, or
    /// another document of the file changed): not a change, but the store
    /// keeps the blob id current. Not part of the encoded plan.
    public var refreshedBlobs: [ObjectKind: [String]] = [:]

    enum CodingKeys: String, CodingKey {
        case revision, baseRevision, changes, documents, keys, unchanged
    }

    /// Whether applying the plan changes anything.
    public var hasChanges: Bool { !changes.isEmpty || !documents.isEmpty || !keys.isEmpty }

    /// How many objects get each action.
    public func count(_ action: Action, kind: ObjectKind? = nil) -> Int {
        changes.filter { $0.action == action && (kind == nil || $0.kind == kind) }.count
    }

    /// `2 to create, 1 to update, 0 to delete, 14 unchanged; 3 documents changed`.
    public var summary: String {
        var parts = [Action.create, .update, .delete].map { "\(count($0)) to \($0.rawValue)" }
        if count(.restore) > 0 { parts.append("\(count(.restore)) to restore") }
        if count(.move) > 0 { parts.append("\(count(.move)) moved") }
        parts.append("\(unchanged.values.reduce(0, +)) unchanged")
        var text = parts.joined(separator: ", ")
        if !documents.isEmpty { text += "; \(documents.count) knowledge \(documents.count == 1 ? "document" : "documents") changed" }
        if !keys.isEmpty { text += "; \(keys.count) key \(keys.count == 1 ? "action" : "actions")" }
        return text
    }
}
