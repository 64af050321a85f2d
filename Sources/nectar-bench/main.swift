import BotRuntime
import Foundation
import Reconciler

/// nectar-bench: benchmarks that report ratios to a floor measured in the same run.
///
///     swift run -c release nectar-bench validate [--bots 10000] [--runs 5]
///
/// Each measurement runs in its own child process so that its peak memory is
/// its own.
let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
          let number = Int(arguments[index + 1]) else { return value }
    return number
}

func optionString(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

do {
    switch arguments.first {
    case "validate":
        try ValidateBenchmark(bots: option("--bots", default: 10_000), runs: option("--runs", default: 5)).run()
    case "apply":
        try ApplyBenchmark(bots: option("--bots", default: 10_000), runs: option("--runs", default: 5)).run()
    case "drift":
        try DriftBenchmark(bots: option("--bots", default: 10_000), runs: option("--runs", default: 5)).run()
    case "chat":
        // `chat [--bots 10000] [--seconds 10] [--runs 3] [--connections 32] [--question TEXT] [--handoff on|off]`: needs wrk.
        try await ChatBenchmark(bots: option("--bots", default: 10_000), seconds: option("--seconds", default: 10), runs: option("--runs", default: 3),
                                connections: option("--connections", default: 32), question: optionString("--question"),
                                handoff: optionString("--handoff") != "off").run()
    case "notify":
        // `notify [--events 10000] [--seconds 5]`: the outbox drained to a loopback webhook (wrk optional, for chat alongside).
        try await NotifyBenchmark(events: option("--events", default: 10_000), seconds: option("--seconds", default: 5)).run()
    case "model":
        // `model [--seconds 5] [--connections 16]`: what nectar adds in front of an OpenAI-compatible endpoint (needs wrk).
        try await ModelBenchmark(seconds: option("--seconds", default: 5), connections: option("--connections", default: 16)).run()
    case "analytics":
        // `analytics [--runs 5]`: reports over 100,000 and 2,000,000 usage rows.
        try await AnalyticsBenchmark(runs: option("--runs", default: 5)).run()
    case "pathological":
        // `pathological [--runs 3]`: validate on declarations built to be slow.
        try PathologicalBenchmark(runs: option("--runs", default: 3)).run()
    case "keys":
        try await KeysBenchmark(runs: option("--runs", default: 5)).run()
    case "generate":
        // `generate --out PATH [--bots N]`: writes the synthetic repository and keeps it.
        let repository = try GitRepository.create(at: optionString("--out")!, bare: true)
        let commit = try repository.commit(files: SyntheticRepository(botCount: option("--bots", default: 10_000)).files(),
                                           message: "synthetic bots")
        print(commit.id.hex)
    case "measure":
        // Child mode: `measure <what> --repo PATH --runs N` prints one JSON Measurement.
        try ChildMeasurement.run(what: arguments[1], repo: optionString("--repo")!, runs: option("--runs", default: 5))
    default:
        FileHandle.standardError.write(Data("usage: nectar-bench validate|apply|drift|keys|chat|notify|model|analytics|pathological [--bots N] [--runs N]\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("nectar-bench: \(error)\n".utf8))
    exit(1)
}
