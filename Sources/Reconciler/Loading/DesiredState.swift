import BotRuntime

/// A knowledge file selected by a honey jar.
public struct KnowledgeDocument: Sendable, Hashable, Codable {
    /// Repository-relative path.
    public var path: String
    /// The blob id of its content at the revision.
    public var blobID: ObjectID
}

/// Everything one revision declares: the value the planner diffs against the
/// runtime's live state.
public struct DesiredState: Sendable, Hashable {
    /// The commit that was loaded (nil for a work tree).
    public var revision: CommitInfo?
    /// Bots, in file order (by path, then position in the file).
    public var bots: [Declared<BotSpec>] = []
    /// Honey jars, in file order.
    public var honeyJars: [Declared<HoneyJarSpec>] = []
    /// Key rotation policies, in file order.
    public var policies: [Declared<KeyRotationPolicySpec>] = []
    /// Operators, in file order.
    public var operators: [Declared<OperatorSpec>] = []
    /// The documents each honey jar selects, keyed by jar name, sorted by path.
    public var knowledge: [String: [KnowledgeDocument]] = [:]

    /// Creates an empty state.
    public init(revision: CommitInfo? = nil) {
        self.revision = revision
    }

    /// `3 bots, 2 honey jars, 1 policy, 2 operators`.
    public var summary: String {
        func count(_ n: Int, _ singular: String, _ plural: String) -> String { "\(n) \(n == 1 ? singular : plural)" }
        return [
            count(bots.count, "bot", "bots"),
            count(honeyJars.count, "honey jar", "honey jars"),
            count(policies.count, "policy", "policies"),
            count(operators.count, "operator", "operators"),
        ].joined(separator: ", ")
    }
}

/// The result of loading a revision: the desired state and every problem found.
/// A revision with any diagnostic must not be applied.
public struct LoadedRevision: Sendable {
    /// What the revision declares (only the declarations that decoded cleanly
    /// when there are diagnostics).
    public var state: DesiredState
    /// Every problem of the revision, sorted by file and position.
    public var diagnostics: [Diagnostic]
    /// Declaration files read, and how many of them came from the blob cache.
    public var filesRead: Int
    public var filesFromCache: Int

    /// Whether the revision may be applied.
    public var isValid: Bool { diagnostics.isEmpty }
}
