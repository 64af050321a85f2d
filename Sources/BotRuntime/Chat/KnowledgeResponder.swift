import Foundation
import Synchronization

/// The embedded `knowledge` responder: finds the passages of the bot's own
/// honey jars that best match the question (BM25 over the in-memory
/// `PassageCorpus`, no database read) and quotes
/// the best one, with a confidence from how strong the match is and how
/// much of the question it covers. Below the bot's `confidenceThreshold` it
/// says it is not sure instead of quoting a weak match. No network.
public struct KnowledgeResponder: Responder {
    /// How many passages are ranked (the best few are returned as sources).
    static let candidates = 5
    static let maxSources = 3
    /// The longest excerpt quoted, in characters.
    static let excerptLength = 600

    private let index: KnowledgeIndex

    /// Answers from `index`, which the bot directory keeps current.
    public init(index: KnowledgeIndex) {
        self.index = index
    }

    public func answer(_ question: ResponderQuestion) async throws -> ResponderAnswer {
        let prompt = ResponderAnswer.estimatedTokens(question.text)
        if let reply = SmallTalk.reply(to: question.text, bot: question.bot) {
            return ResponderAnswer(reply: reply, confidence: 1, sources: [], kind: .smallTalk, promptTokens: prompt,
                                   completionTokens: ResponderAnswer.estimatedTokens(reply))
        }
        let query = QueryTerms(question.text)
        let corpus = index.corpus
        let hits = corpus.search(stems: query.stems, jars: Set(question.bot.honeyJars), limit: Self.candidates)
        let scored = hits.map { hit in (hit, Confidence.of(hit, stems: query.stems, passageStems: corpus.stems(of: hit.id) ?? [])) }
        guard let (best, confidence) = scored.max(by: { $0.1 < $1.1 }), confidence >= question.bot.confidenceThreshold else {
            let reply = Self.notSure(question.bot)
            return ResponderAnswer(reply: reply, confidence: scored.map(\.1).max() ?? 0, sources: [], kind: .notSure,
                                   promptTokens: prompt, completionTokens: ResponderAnswer.estimatedTokens(reply))
        }
        let sources = scored.filter { $0.1 >= question.bot.confidenceThreshold }.sorted { $0.1 > $1.1 }.prefix(Self.maxSources)
            .map { hit, score in
                ChatSource(honeyJar: hit.jar, path: hit.path, title: Self.title(hit), excerpt: corpus.excerpt(of: hit.id) ?? Self.excerpt(hit.body),
                           score: (score * 1000).rounded() / 1000)
            }
        let reply = corpus.excerpt(of: best.id) ?? Self.excerpt(best.body)
        return ResponderAnswer(reply: reply, confidence: (confidence * 1000).rounded() / 1000, sources: Array(sources), kind: .answer,
                               promptTokens: prompt, completionTokens: ResponderAnswer.estimatedTokens(reply))
    }

    /// A passage found for a question, with its confidence, as a source.
    struct Retrieved: Sendable {
        var source: ChatSource
        var score: Double
    }

    /// The best passages of `jars` for `text`, most confident first (for the model responder).
    static func retrieve(_ text: String, jars: [String], index: KnowledgeIndex, limit: Int) -> [Retrieved] {
        let query = QueryTerms(text)
        let corpus = index.corpus
        let hits = corpus.search(stems: query.stems, jars: Set(jars), limit: candidates)
        return hits.map { hit in (hit, Confidence.of(hit, stems: query.stems, passageStems: corpus.stems(of: hit.id) ?? [])) }
            .filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.prefix(limit).map { hit, score in
                let rounded = (score * 1000).rounded() / 1000
                return Retrieved(source: ChatSource(honeyJar: hit.jar, path: hit.path, title: title(hit),
                                                    excerpt: corpus.excerpt(of: hit.id) ?? excerpt(hit.body), score: rounded),
                                 score: rounded)
            }
    }

    static func notSure(_ bot: BotSpec) -> String {
        "I'm not sure I can answer that from what I know, and I'd rather not guess. Could you rephrase it, or ask something else?"
    }

    /// `Document title › Heading` (the heading alone when it already names the document).
    static func title(_ hit: PassageHit) -> String {
        hit.heading.hasPrefix(hit.title) || hit.heading.isEmpty ? (hit.heading.isEmpty ? hit.title : hit.heading)
            : "\(hit.title) › \(hit.heading)"
    }

    /// The passage, cut at a sentence end before `excerptLength` characters.
    static func excerpt(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count > excerptLength else { return trimmed }
        let head = trimmed.prefix(excerptLength)
        if let end = head.lastIndex(where: { $0 == "." || $0 == "!" || $0 == "?" }), head.distance(from: head.startIndex, to: end) > excerptLength / 2 {
            return String(head[...end])
        }
        return String(head).trimmingCharacters(in: .whitespaces) + "…"
    }
}

/// The confidence of one passage for a question, in [0, 1].
///
/// The square root of coverage (the share of the question's content terms
/// the passage holds, its title and heading included), scaled by strength
/// (the BM25 score squashed into [0, 1)) from 0.7 to 1: BM25 depends on
/// the size of the corpus (a three-document jar scores low however good
/// the match), so it only nudges. A question of two or more content terms
/// that shares only one with the passage counts half: one common word
/// ("order", "shop") is not an answer. The constants were chosen on
/// the retrieval fixtures (`Tests/ReconcilerTests/Fixtures/retrieval`) so
/// that the default threshold 0.5 separates answered from unanswered
/// questions there; `docs/chat.md` has the measurements.
enum Confidence {
    /// BM25 at which the strength factor is one half.
    static let halfStrength = 2.0

    static func of(_ hit: PassageHit, stems: [String], passageStems: Set<String>) -> Double {
        guard !stems.isEmpty else { return 0 }
        let matched = stems.filter(passageStems.contains).count
        let coverage = Double(matched) / Double(stems.count)
        let strength = max(0, hit.score) / (max(0, hit.score) + halfStrength)
        let confidence = coverage.squareRoot() * (0.7 + 0.3 * strength)
        return min(1, matched < 2 && stems.count >= 2 ? confidence / 2 : confidence)
    }
}
