import Foundation

/// One reconcile attempt, as recorded.
public struct ReconcileRun: Sendable, Hashable, Codable {
    /// How an attempt ended.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// Changes were applied.
        case applied
        /// The revision matched the live state: nothing to do.
        case noop
        /// The revision was invalid or could not be read; nothing was applied.
        case failed
        /// A guard (mass delete, empty state) stopped the apply.
        case refused
    }

    public var id: Int64?
    public var revision: String?
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: Outcome
    /// What started it.
    public var trigger: ReconcileTrigger
    /// The plan summary, as JSON.
    public var summary: String
    /// One sentence per error.
    public var errors: [String]

    public init(id: Int64? = nil, revision: String?, startedAt: Date, finishedAt: Date, outcome: Outcome,
                trigger: ReconcileTrigger, summary: String, errors: [String]) {
        self.id = id
        self.revision = revision
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.trigger = trigger
        self.summary = summary
        self.errors = errors
    }

    /// At most this many errors are stored with a run (the rest are counted).
    public static let maxStoredErrors = 100
    /// Longer errors are cut to this many characters when stored.
    public static let maxStoredErrorLength = 2_000

    /// `errors` as stored: at most `maxStoredErrors`, each at most
    /// `maxStoredErrorLength` characters, and a last line counting the rest,
    /// so a revision with a million bad lines cannot bloat the history.
    public var storedErrors: [String] {
        var kept = errors.prefix(Self.maxStoredErrors).map { error in
            error.count > Self.maxStoredErrorLength ? String(error.prefix(Self.maxStoredErrorLength - 1)) + "…" : error
        }
        if errors.count > Self.maxStoredErrors {
            kept.append("… and \(errors.count - Self.maxStoredErrors) more errors, not stored")
        }
        return kept
    }
}

/// What started a reconcile run: `startup`, `poll`, `webhook`, `keys`,
/// `cli`, or `admin:NAME` (the operator who asked). Stored as its text.
public struct ReconcileTrigger: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The daemon's first run.
    public static let startup = ReconcileTrigger(rawValue: "startup")
    /// The poll interval passed.
    public static let poll = ReconcileTrigger(rawValue: "poll")
    /// A signed push webhook arrived.
    public static let webhook = ReconcileTrigger(rawValue: "webhook")
    /// Key actions fell due on the applied revision while the branch head is stalled.
    public static let keys = ReconcileTrigger(rawValue: "keys")
    /// `nectar apply`.
    public static let cli = ReconcileTrigger(rawValue: "cli")
    /// An operator asked through the admin API.
    public static func admin(_ name: String) -> ReconcileTrigger { ReconcileTrigger(rawValue: "admin:\(name)") }

    /// `admin`, `webhook`, `poll`, ...: the kind, for metrics (the operator's name stays in the run's trigger).
    public var kind: String { String(rawValue.split(separator: ":").first ?? "poll") }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
