import BotRuntime
import Foundation
import Reconciler

/// Issue 2's benchmark: validating a generated repository of many bots,
/// against a raw libyaml event parse of the same documents.
struct ValidateBenchmark {
    let bots: Int
    let runs: Int

    func run() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = SyntheticRepository(botCount: bots).files()
        let repository = try GitRepository.create(at: directory, bare: true)
        let commit = try repository.commit(files: files, message: "\(bots) bots")
        let packed = directory + "-packed"
        defer { try? FileManager.default.removeItem(atPath: packed) }
        try GitRepository.create(at: packed, bare: true).commit(files: files, message: "\(bots) bots")
        try GitRepository(path: packed).pack(commit.id)
        let yamlBytes = files.filter { RevisionLoader.isDeclarationFile($0.key) }.values.reduce(0) { $0 + $1.count }
        print("repository: \(bots) bots, \(files.count) files, \(yamlBytes / 1024) KiB of YAML at \(commit.id.short)")

        let floor = try ChildMeasurement.spawn("floor", repo: packed, runs: runs)
        var rows = [floor]
        rows.append(try ChildMeasurement.spawn("git-read", repo: packed, runs: runs))
        let validate = try ChildMeasurement.spawn("validate", repo: packed, runs: runs)
        rows.append(validate)
        var loose = try ChildMeasurement.spawn("validate", repo: directory, runs: runs)
        loose.name += ", loose objects (fresh commits, before gc)"
        rows.append(loose)
        rows.append(try ChildMeasurement.spawn("validate-cached", repo: packed, runs: runs))
        print("")
        print("| measurement | median wall time | wall / floor | CPU time | CPU / floor CPU | peak memory |")
        print("|---|---:|---:|---:|---:|---:|")
        for row in rows {
            print(String(format: "| %@ | %.1f ms | %.2fx | %.1f ms | %.2fx | %.0f MiB |", row.name, row.milliseconds,
                         row.seconds / floor.seconds, row.cpuSeconds * 1000, row.cpuSeconds / floor.cpuSeconds, row.peakMiB))
        }
        print("")
        print(String(format: "validation / floor = %.2fx wall, %.2fx CPU (target: within 3x)",
                     validate.seconds / floor.seconds, validate.cpuSeconds / floor.cpuSeconds))
    }
}

/// One measurement, run in a child process of the benchmark.
enum ChildMeasurement {
    static func spawn(_ what: String, repo: String, runs: Int) throws -> Measurement {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["measure", what, "--repo", repo, "--runs", String(runs)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure(message: "measurement \(what) failed with status \(process.terminationStatus)")
        }
        return try JSONDecoder().decode(Measurement.self, from: data)
    }

    static func run(what: String, repo: String, runs: Int) throws {
        let repository = try GitRepository(path: repo)
        let files = try GitRevisionFiles(repository: repository, revision: "HEAD")
        let seconds: (wall: Double, cpu: Double)
        let name: String
        switch what {
        case "floor":
            name = "floor: raw libyaml event parse (bytes in memory)"
            let buffers = try files.files(under: "bots").filter { RevisionLoader.isDeclarationFile($0.path) }
                .map { file -> [UInt8] in
                    guard case .bytes(let bytes) = try files.read(file, maxBytes: .max) else { return [] }
                    return bytes
                }
            seconds = Stopwatch.median(runs: runs) { RawYAMLParse.parse(buffers) }
        case "validate":
            name = "nectar validate: git read + parse + decode + cross-checks, cold"
            var result: LoadedRevision?
            seconds = try Stopwatch.median(runs: runs) {
                result = try RevisionLoader().load(files)
            }
            guard let result, result.isValid else {
                throw BenchmarkFailure(message: "the generated repository did not validate: \(result?.diagnostics.prefix(3) ?? [])")
            }
        case "git-read":
            name = "git alone: list and read every declaration blob"
            seconds = try Stopwatch.median(runs: runs) {
                for file in try files.files(under: "bots") where RevisionLoader.isDeclarationFile(file.path) {
                    _ = try files.read(file, maxBytes: 1 << 20)
                }
            }
        case "validate-cached":
            name = "validate again with the blob cache warm (unchanged revision)"
            let loader = RevisionLoader(cache: DeclarationCache())
            _ = try loader.load(files)
            seconds = try Stopwatch.median(runs: runs) { _ = try loader.load(files) }
        default:
            throw BenchmarkFailure(message: "unknown measurement \(what)")
        }
        let measurement = Measurement(name: name, seconds: seconds.wall, cpuSeconds: seconds.cpu,
                                      peakMemoryBytes: Stopwatch.peakMemory(), runs: runs)
        print(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
