import BotRuntime
import Foundation
import Reconciler

/// Issue 11's benchmark: `validate` on declarations built to be slow, each at
/// the declaration limits, next to the floor of a raw libyaml parse of the
/// largest case's file, measured in the same run. Each case is a revision in a
/// temporary repository, loaded as `nectar validate` loads it.
struct PathologicalBenchmark {
    let runs: Int

    struct Case {
        var name: String
        var files: [String: [UInt8]]
        /// What the load must report (a check that the case is what it says).
        var expect: (LoadedRevision) -> Bool
    }

    func run() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-pathological-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        let mapping = Array(Self.bigMapping(keys: 40_000, duplicateAtEnd: true).utf8)
        let floor = Stopwatch.median(runs: runs) { RawYAMLParse.parse([mapping]) }.wall
        print("floor: raw libyaml parse of one \(mapping.count / 1024) KiB file: \(String(format: "%.1f", floor * 1000)) ms")
        print("")
        print("| case | validate ms | / floor |")
        print("|---|---:|---:|")
        for (index, item) in Self.cases(mapping).enumerated() {
            let repository = try GitRepository.create(at: root + "/repo-\(index)", bare: true)
            let commit = try repository.commit(files: item.files, message: item.name)
            var loaded: LoadedRevision?
            let wall = try Stopwatch.median(runs: runs) {
                loaded = try RevisionLoader().load(GitRevisionFiles(repository: repository, revision: commit.id.hex))
            }.wall
            guard let loaded, item.expect(loaded) else {
                throw BenchmarkFailure(message: "case \(item.name) did not report what it should: \(loaded?.diagnostics.prefix(2).map(\.description) ?? [])")
            }
            print("| \(item.name) | \(String(format: "%.1f", wall * 1000)) | \(String(format: "%.1f", wall / floor))x |")
        }
    }

    /// A bot whose labels mapping has `keys` keys (about 0.7 MiB at 40,000,
    /// under the 1 MiB file limit).
    static func bigMapping(keys: Int, duplicateAtEnd: Bool) -> String {
        var yaml = "apiVersion: nectar/v1\nkind: Bot\nmetadata:\n  name: big\n  labels:\n"
        for index in 0..<keys { yaml += "    k\(index): v\(index)\n" }
        if duplicateAtEnd { yaml += "    k0: again\n" }
        return yaml + "spec: {}\n"
    }

    static func cases(_ mapping: [UInt8]) -> [Case] {
        var cases: [Case] = []

        // Glob: the pattern that backtracked exponentially, at the wildcard
        // limit, against 2,000 long names that almost match.
        var globFiles: [String: [UInt8]] = [
            "bots/jar.yaml": Array("apiVersion: nectar/v1\nkind: HoneyJar\nmetadata: {name: docs}\nspec:\n  sources: [\"docs/*a*a*a*a*a*a*a*b\"]\n".utf8),
        ]
        for index in 0..<2_000 { globFiles["docs/\(String(repeating: "a", count: 60))\(index)"] = Array("# A\n".utf8) }
        cases.append(Case(name: "glob `docs/*a*a*a*a*a*a*a*b` (16 wildcards) against 2,000 names of 64 characters", files: globFiles) {
            $0.diagnostics.count == 1 && $0.diagnostics[0].message.contains("matches no file")
        })

        // Did you mean: 5,000 references to unknown jars among 2,000 jars of similar names.
        var jars = ""
        for index in 0..<2_000 {
            jars += "---\napiVersion: nectar/v1\nkind: HoneyJar\nmetadata: {name: jar-\(String(format: "%05d", index))}\nspec:\n  sources: [\"k/*.md\"]\n"
        }
        var bots = ""
        for index in 0..<5_000 {
            bots += "---\napiVersion: nectar/v1\nkind: Bot\nmetadata: {name: bot-\(index)}\nspec:\n  honeyJars: [jor-\(String(format: "%05d", index))]\n"
        }
        cases.append(Case(name: "5,000 unknown honey-jar references among 2,000 jars (did you mean)",
                          files: ["bots/jars.yaml": Array(jars.utf8), "bots/bots.yaml": Array(bots.utf8), "k/a.md": Array("# A\n".utf8)]) {
            $0.diagnostics.count == 5_000
        })

        // Duplicate keys: one mapping of 40,000 keys (about 1 MiB), one duplicated.
        cases.append(Case(name: "a 40,000-key mapping with a duplicate key (\(mapping.count / 1024) KiB)", files: ["bots/big.yaml": mapping]) {
            $0.diagnostics.contains { $0.message.contains("duplicate key \"k0\"") }
        })
        return cases
    }
}
