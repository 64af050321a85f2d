import Foundation
import Synchronization

/// The passages of every honey jar, indexed in memory: the `knowledge`
/// responder's search without a database read per question.
///
/// Scores are BM25 as SQLite FTS5 computes them for the passage index
/// (`bm25(knowledge_passage_fts, 2.0, 1.0, 0.0)`: k1 1.2, b 0.75, a heading
/// hit weighing twice a body hit, IDF over all passages), over Porter stems
/// of the same Unicode-folded tokens, so the in-memory search ranks like the
/// FTS5 index it replaces on the request path. Built from the store when the
/// declared state moves (`KnowledgeIndex.refresh`), immutable afterwards.
public struct PassageCorpus: Sendable {
    struct Passage: Sendable {
        var id: Int64
        var jar: String
        /// The jar's number in `jarNumbers` (compared instead of the name on every posting).
        var jarNumber: Int32
        var path: String
        var title: String
        var heading: String
        var body: String
        /// Tokens of heading, body and the jar key (as FTS5 counts them).
        var length: Int
        /// Stems of title, heading and body: what confidence compares.
        var stems: Set<String>
        /// What an answer quotes (`KnowledgeResponder.excerpt`), made once.
        var excerpt: String
    }

    struct Posting: Sendable {
        var passage: Int32
        /// 2 x hits in the heading + hits in the body.
        var weight: Float
    }

    static let k1 = 1.2
    static let b = 0.75

    let passages: [Passage]
    let postings: [String: [Posting]]
    let byID: [Int64: Int]
    /// Every jar's number.
    let jarNumbers: [String: Int32]
    let averageLength: Double

    public static let empty = PassageCorpus(rows: [])

    public init(rows: [PassageRow]) {
        var passages: [Passage] = []
        var postings: [String: [Posting]] = [:]
        var totalLength = 0
        var jarNumbers: [String: Int32] = [:]
        passages.reserveCapacity(rows.count)
        for row in rows {
            let index = Int32(passages.count)
            let heading = QueryTerms.tokens(row.heading).map(PorterStemmer.stem)
            let body = QueryTerms.tokens(row.body).map(PorterStemmer.stem)
            var weights: [String: Float] = [:]
            for stem in heading { weights[stem, default: 0] += 2 }
            for stem in body { weights[stem, default: 0] += 1 }
            for (stem, weight) in weights { postings[stem, default: []].append(Posting(passage: index, weight: weight)) }
            let length = heading.count + body.count + 1
            totalLength += length
            var stems = Set(heading).union(body)
            stems.formUnion(QueryTerms.tokens(row.title).map(PorterStemmer.stem))
            let jarNumber = jarNumbers[row.jar] ?? Int32(jarNumbers.count)
            jarNumbers[row.jar] = jarNumber
            passages.append(Passage(id: row.id, jar: row.jar, jarNumber: jarNumber, path: row.path, title: row.title, heading: row.heading,
                                    body: row.body, length: length, stems: stems, excerpt: KnowledgeResponder.excerpt(row.body)))
        }
        self.passages = passages
        self.postings = postings
        self.jarNumbers = jarNumbers
        byID = Dictionary(passages.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        averageLength = passages.isEmpty ? 1 : Double(totalLength) / Double(passages.count)
    }

    public var count: Int { passages.count }

    /// The best `limit` passages of `jars` holding any of `stems`, best first.
    public func search(stems: [String], jars: Set<String>, limit: Int) -> [PassageHit] {
        guard !stems.isEmpty, !jars.isEmpty, limit > 0 else { return [] }
        let total = Double(passages.count)
        let wanted = Set(jars.compactMap { jarNumbers[$0] })
        guard !wanted.isEmpty else { return [] }
        var scores: [Int32: Double] = [:]
        for stem in Set(stems) {
            guard let list = postings[stem] else { continue }
            // FTS5 floors a non-positive IDF (a term in most passages) at 1e-6.
            let idf = max(1e-6, log((total - Double(list.count) + 0.5) / (Double(list.count) + 0.5)))
            for posting in list {
                let passage = passages[Int(posting.passage)]
                guard wanted.contains(passage.jarNumber) else { continue }
                let tf = Double(posting.weight)
                let norm = Self.k1 * (1 - Self.b + Self.b * Double(passage.length) / averageLength)
                scores[posting.passage, default: 0] += idf * tf * (Self.k1 + 1) / (tf + norm)
            }
        }
        return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map { index, score in
            let passage = passages[Int(index)]
            return PassageHit(id: passage.id, jar: passage.jar, path: passage.path, title: passage.title, heading: passage.heading,
                              body: passage.body, score: score)
        }
    }

    /// The stems of a passage by id (title, heading and body).
    func stems(of id: Int64) -> Set<String>? {
        byID[id].map { passages[$0].stems }
    }

    /// The excerpt of a passage by id.
    func excerpt(of id: Int64) -> String? {
        byID[id].map { passages[$0].excerpt }
    }
}

/// The current corpus, swapped whole when the store's knowledge changes.
public final class KnowledgeIndex: Sendable {
    private struct State {
        var corpus = PassageCorpus.empty
        var fingerprint: KnowledgeFingerprint?
    }

    private let state = Mutex(State())

    public init() {}

    public var corpus: PassageCorpus { state.withLock { $0.corpus } }

    /// Reads the passages again when they changed since the last read.
    public func refresh(from store: any RuntimeStateStore) async throws(StoreError) {
        let fingerprint = try await store.knowledgeFingerprint()
        guard state.withLock({ $0.fingerprint }) != fingerprint else { return }
        let corpus = PassageCorpus(rows: try await store.passages())
        state.withLock { state in
            state.corpus = corpus
            state.fingerprint = fingerprint
        }
    }
}

/// One stored passage, as the in-memory index reads it.
public struct PassageRow: Sendable, Hashable {
    public var id: Int64
    public var jar: String
    public var path: String
    public var title: String
    public var heading: String
    public var body: String

    public init(id: Int64, jar: String, path: String, title: String, heading: String, body: String) {
        self.id = id
        self.jar = jar
        self.path = path
        self.title = title
        self.heading = heading
        self.body = body
    }
}

/// What changes whenever a passage is written or deleted: their count and
/// largest id, and a hash of every document's jar, path and git blob id.
public struct KnowledgeFingerprint: Sendable, Hashable {
    public var count: Int64
    public var maxID: Int64
    public var documents: String

    public init(count: Int64, maxID: Int64, documents: String) {
        self.count = count
        self.maxID = maxID
        self.documents = documents
    }
}
