import Foundation

/// The runtime state the chat path reads and writes, behind one narrow
/// interface: what the live bots and keys are, conversations, passages to
/// retrieve, and batched writes of messages, usage and rate counts.
///
/// `RuntimeStore` implements it over SQLite. The interface is shaped for a
/// shared server database too (several replicas serving one installation):
/// every call is async, writes arrive in batches, and rate counts are
/// stored as increments that add up across writers.
public protocol RuntimeStateStore: HandoffStateStore, NotificationStateStore, DeliveryStateStore {
    /// A number that moves whenever declared state (bots, keys, knowledge)
    /// changes, in this process or another: the directory's change signal.
    func declaredStateVersion() async throws(StoreError) -> Int64
    /// Live (not deleted) bots without their specs.
    func liveBotRows() async throws(StoreError) -> [LiveBotRow]
    /// The stored spec JSON of some bots, by name.
    func botSpecJSON(_ names: [String]) async throws(StoreError) -> [String: String]
    /// Keys that may still authenticate (active and grace).
    func usableKeys() async throws(StoreError) -> [StoredKey]

    /// A conversation by id.
    func conversation(_ id: String) async throws(StoreError) -> ConversationRecord?
    /// The last `limit` messages of a conversation, oldest first.
    func messages(of conversation: String, last limit: Int) async throws(StoreError) -> [ChatMessage]
    /// The best passages of some honey jars for a question, given as
    /// words (FTS5 syntax in them is never interpreted).
    func searchPassages(_ words: [String], jars: [String], limit: Int) async throws(StoreError) -> [PassageHit]
    /// Every passage of every honey jar, for the in-memory index.
    func passages() async throws(StoreError) -> [PassageRow]
    /// Changes whenever passages are written or deleted.
    func knowledgeFingerprint() async throws(StoreError) -> KnowledgeFingerprint

    /// Rate counts of windows that started at or after `since`, summed by scope and window.
    func rateCounts(since: Date) async throws(StoreError) -> [RateCount]
    /// Writes a batch in one transaction.
    func write(_ batch: RuntimeWriteBatch) async throws(StoreError)
    /// The salt for hashing client addresses, made on first use and kept.
    func clientHashSalt() async throws(StoreError) -> String
}

/// A live bot's row: enough to tell whether its spec must be read again.
public struct LiveBotRow: Sendable, Hashable {
    public var name: String
    public var specHash: String
    public var pausedAt: Date?
    public var pausedBy: String?
    public var pausedReason: String?

    public init(name: String, specHash: String, pausedAt: Date?, pausedBy: String?, pausedReason: String?) {
        self.name = name
        self.specHash = specHash
        self.pausedAt = pausedAt
        self.pausedBy = pausedBy
        self.pausedReason = pausedReason
    }
}

/// A passage found for a question.
public struct PassageHit: Sendable, Hashable {
    public var id: Int64
    public var jar: String
    public var path: String
    public var title: String
    public var heading: String
    public var body: String
    /// BM25 relevance, higher is better (SQLite's `bm25()` negated).
    public var score: Double

    public init(id: Int64, jar: String, path: String, title: String, heading: String, body: String, score: Double) {
        self.id = id
        self.jar = jar
        self.path = path
        self.title = title
        self.heading = heading
        self.body = body
        self.score = score
    }
}

/// A count of requests in one calendar window (UTC) of one scope.
public struct RateCount: Sendable, Hashable {
    /// `hour` or `day`.
    public enum Window: String, Sendable, Hashable, CaseIterable {
        case hour, day
    }

    /// `bot:NAME` for keyed traffic, `client:NAME:HASH` for a public client.
    public var scope: String
    public var window: Window
    /// The window's start, in whole hours or days since 1970.
    public var index: Int64
    public var count: Int

    public init(scope: String, window: Window, index: Int64, count: Int) {
        self.scope = scope
        self.window = window
        self.index = index
        self.count = count
    }
}

/// Everything the chat path wrote since the last flush.
public struct RuntimeWriteBatch: Sendable {
    public var conversations: [ConversationRecord] = []
    /// Messages to append, with their conversation and position in it.
    public var messages: [(conversation: String, seq: Int, message: ChatMessage)] = []
    public var usage: [UsageRecord] = []
    /// Increments to add to the stored counts.
    public var rateIncrements: [RateCount] = []
    /// Key id -> when it was last used.
    public var keyUses: [String: Date] = [:]

    public init() {}

    public var isEmpty: Bool {
        conversations.isEmpty && messages.isEmpty && usage.isEmpty && rateIncrements.isEmpty && keyUses.isEmpty
    }

    /// How many rows it writes, for metrics and logs.
    public var rowCount: Int {
        conversations.count + messages.count + usage.count + rateIncrements.count + keyUses.count
    }

    /// Adds `later` after this batch's rows (increments of one window add up).
    public mutating func append(_ later: RuntimeWriteBatch) {
        conversations += later.conversations
        messages += later.messages
        usage += later.usage
        rateIncrements += later.rateIncrements
        keyUses.merge(later.keyUses) { max($0, $1) }
    }
}
