import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// The text format prints values from git and from operators; none of their
/// control characters reach a terminal or a CI log.
struct DriftTextTests {
    @Test func controlCharactersInValuesNeverReachTheTextReport() {
        let hostile = "paused\u{1B}[2J\u{1B}[31m by someone\r\nfake: line\u{07}"
        let finding = DriftFinding(kind: .runtimeOverride, objectKind: .bot, object: "alpha", expected: "running",
                                   actual: hostile, resolution: "resume it",
                                   commits: [.init(id: String(repeating: "a", count: 40), summary: "evil\u{1B}]0;title\u{07}",
                                                   author: "x", time: Date(timeIntervalSince1970: 0))])
        let report = DriftReport(revision: String(repeating: "b", count: 40), appliedRevision: nil,
                                 live: .init(source: "database", name: "nectar.sqlite"), checkedAt: Date(timeIntervalSince1970: 0),
                                 bots: ["alpha"], findings: [finding])
        let text = report.text()
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(text.debugDescription)")
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("  actual:   paused[2J[31m by someone  fake: line"), "\(text.debugDescription)")
        #expect(text.split(separator: "\n").count == 7, "heading, count, kind, expected, actual, commit, resolve: no line injected: \(text.debugDescription)")
    }
}
