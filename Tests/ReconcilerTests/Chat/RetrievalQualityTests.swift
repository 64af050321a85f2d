import BotRuntime
import Foundation
import Testing
@testable import Reconciler

/// How well the `knowledge` responder finds the right document and how well
/// its confidence separates questions its knowledge answers from questions
/// it does not: a corpus of shop documents, in-scope questions phrased
/// differently from the text, and out-of-scope ones.
@Suite struct RetrievalQualityTests {
    struct Questions: Decodable {
        struct InScope: Decodable {
            var question: String
            var expect: String
        }
        var inScope: [InScope]
        var outOfScope: [String]
    }

    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/retrieval")
    }

    /// The area under the ROC curve: the chance that a random in-scope
    /// question gets a higher confidence than a random out-of-scope one.
    static func auroc(positives: [Double], negatives: [Double]) -> Double {
        var wins = 0.0
        for positive in positives {
            for negative in negatives { wins += positive > negative ? 1 : positive == negative ? 0.5 : 0 }
        }
        return wins / Double(positives.count * negatives.count)
    }

    @Test func theRightDocumentComesFirstAndConfidenceSeparatesInScopeFromOutOfScope() async throws {
        let questions = try JSONDecoder().decode(Questions.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("questions.json")))
        #expect(questions.inScope.count >= 40 && questions.outOfScope.count >= 15)
        let documents = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent("knowledge").path)
            .filter { $0.hasSuffix(".md") }
        #expect(documents.count >= 20)
        try await withReconcileScenario { scenario in
            var files = ["bots/jar.yaml": Snippet.honeyJar("faq", sources: #"["knowledge/*.md"]"#),
                         "bots/bot.yaml": Snippet.bot("faq-bot", spec: "{honeyJars: [faq]}")]
            for document in documents {
                files["knowledge/" + document] = try String(contentsOf: Self.fixtures.appendingPathComponent("knowledge/" + document),
                                                            encoding: .utf8)
            }
            let outcome = try scenario.apply(try scenario.commit(files))
            #expect(outcome.run.outcome == .applied, "\(outcome.error ?? "")")
            let store = try scenario.store
            let index = KnowledgeIndex()
            try await index.refresh(from: store)
            let responder = KnowledgeResponder(index: index)
            var bot = try #require(try store.specs(.bot, as: BotSpec.self)["faq-bot"])
            bot.confidenceThreshold = 0  // measure every confidence, quote every best match

            var hits = 0, inScope: [Double] = [], misses: [String] = []
            for item in questions.inScope {
                let answer = try await responder.answer(ResponderQuestion(bot: bot, text: item.question, history: []))
                inScope.append(answer.confidence)
                if answer.sources.first?.path == "knowledge/" + item.expect { hits += 1 } else {
                    misses.append("\(item.question) -> \(answer.sources.first?.path ?? "nothing") (expected \(item.expect))")
                }
            }
            var outOfScope: [Double] = []
            for question in questions.outOfScope {
                outOfScope.append(try await responder.answer(ResponderQuestion(bot: bot, text: question, history: [])).confidence)
            }
            let topOne = Double(hits) / Double(questions.inScope.count)
            let area = Self.auroc(positives: inScope, negatives: outOfScope)
            let answeredAtDefault = inScope.filter { $0 >= 0.5 }.count, refusedAtDefault = outOfScope.filter { $0 < 0.5 }.count
            print("""
                retrieval quality: \(documents.count) documents, \(questions.inScope.count) in-scope and \(questions.outOfScope.count) out-of-scope questions
                  top-1 source hit rate \(String(format: "%.3f", topOne)), AUROC \(String(format: "%.3f", area))
                  at the default threshold 0.5: \(answeredAtDefault)/\(inScope.count) in-scope answered, \(refusedAtDefault)/\(outOfScope.count) out-of-scope declined
                  in-scope confidence min/median \(String(format: "%.2f/%.2f", inScope.min() ?? 0, inScope.sorted()[inScope.count / 2])); out-of-scope max/median \(String(format: "%.2f/%.2f", outOfScope.max() ?? 0, outOfScope.sorted()[outOfScope.count / 2]))
                  in-scope \(inScope.sorted().map { String(format: "%.2f", $0) }.joined(separator: " "))
                  out-of-scope \(outOfScope.sorted().map { String(format: "%.2f", $0) }.joined(separator: " "))
                \(misses.map { "  miss: " + $0 }.joined(separator: "\n"))
                """)
            #expect(topOne >= 0.8, "top-1 source hit rate \(topOne)")
            #expect(area >= 0.85, "AUROC \(area)")
            // The default threshold (0.5) is calibrated: most answerable questions pass it, most others do not.
            #expect(Double(answeredAtDefault) >= 0.8 * Double(inScope.count), "\(answeredAtDefault) answered")
            #expect(Double(refusedAtDefault) >= 0.8 * Double(outOfScope.count), "\(refusedAtDefault) declined")
        }
    }

    /// The in-memory index ranks and scores as the FTS5 index it stands in
    /// for on the request path, on every question of the fixtures.
    @Test func theInMemoryIndexRanksAsFTS5Does() async throws {
        let questions = try JSONDecoder().decode(Questions.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("questions.json")))
        let documents = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent("knowledge").path)
            .filter { $0.hasSuffix(".md") }
        try await withReconcileScenario { scenario in
            var files = ["bots/jar.yaml": Snippet.honeyJar("faq", sources: #"["knowledge/*.md"]"#),
                         "bots/other.yaml": Snippet.honeyJar("other", sources: #"["other/*.md"]"#),
                         "other/a.md": "# Delivery\n\nOther jar: delivery and refunds of another shop.\n",
                         "bots/bot.yaml": Snippet.bot("faq-bot", spec: "{honeyJars: [faq]}")]
            for document in documents {
                files["knowledge/" + document] = try String(contentsOf: Self.fixtures.appendingPathComponent("knowledge/" + document),
                                                            encoding: .utf8)
            }
            #expect(try scenario.apply(try scenario.commit(files)).run.outcome == .applied)
            let store = try scenario.store
            let index = KnowledgeIndex()
            try await index.refresh(from: store)
            var compared = 0
            for question in questions.inScope.map(\.question) + questions.outOfScope {
                let terms = QueryTerms(question)
                let fts = try await store.searchPassages(terms.words, jars: ["faq"], limit: 5)
                let memory = index.corpus.search(stems: terms.stems, jars: ["faq"], limit: 5)
                #expect(memory.map(\.id) == fts.map(\.id), "\(question)")
                for (a, b) in zip(memory, fts) { #expect(abs(a.score - b.score) <= 1e-6 * max(1, abs(b.score)), "\(question)") }
                #expect(memory.allSatisfy { $0.jar == "faq" }, "never another jar's passage")
                compared += fts.count
            }
            #expect(compared > 100)
        }
    }
}
