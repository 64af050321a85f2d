import BotRuntime
import Metrics
import Foundation
#if canImport(Crypto)
import Crypto
#endif

/// Issue 4's benchmark: API key verifications per second, next to a bare
/// SHA-256 of the same 39-byte input measured in the same process.
///
/// A temporary database holds 10,000 keys (one per bot). "Cached" is one
/// long-lived `KeyVerifier`: each call parses the key, hashes it, reads the
/// store's state version (one SQLite read) and finds the key in memory.
/// "Uncached" is a verifier with its cache disabled (`cacheCapacity: 0`):
/// each call parses, hashes and reads the key by its hash (one indexed
/// SQLite read). Use is recorded at most once a minute, so not in the loop.
struct KeysBenchmark {
    let runs: Int
    var keyCount = 10_000

    func run() async throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nectar-keys-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try RuntimeStore.open(path: root + "/keys.sqlite")
        let now = Date()
        var keys: [APIKey] = []
        var issues: [KeyIssue] = []
        for index in 0..<keyCount {
            let key = APIKey.generate()
            keys.append(key)
            issues.append(KeyIssue(key: StoredKey(id: APIKey.newKeyID(), bot: String(format: "bot-%05d", index), generation: 1,
                                                  secretHash: key.secretHash, display: key.display, state: .active,
                                                  origin: "reconcile", createdAt: now), sealed: []))
        }
        try store.applyKeyChanges(issues: issues, transitions: [], audit: [])
        print("database: \(keyCount) keys; median of \(runs) runs")

        let valid = keys[keyCount / 2].secret
        let validBytes = Array(valid.utf8)
        let unknown = APIKey.generate().secret
        let lastCharacter: Character = valid.last == "a" ? "b" : "a"
        let badChecksum = String(valid.dropLast()) + String(lastCharacter)
        let cached = KeyVerifier(store: store)
        let uncached = KeyVerifier(store: store, cacheCapacity: 0)
        for (verifier, text, expected) in [(cached, valid, true), (uncached, valid, true), (cached, unknown, false),
                                           (cached, badChecksum, false)] {
            guard verifier.verify(text).isValid == expected else {
                throw BenchmarkFailure(message: "unexpected verification result while warming up")
            }
        }

        // The chat path's check: the daemon's in-memory directory of key
        // digests (refreshed on the store's change signal, not per request).
        let directory = BotDirectory(store: store, metrics: ChatMetrics(factory: NOOPMetricsHandler.instance))
        let snapshot = try await directory.snapshot()
        guard let found = KeyDigest(presented: valid).flatMap(snapshot.key), found.isValid(at: now) else {
            throw BenchmarkFailure(message: "the directory does not know the valid key")
        }

        var sink = 0
        #if canImport(Crypto)
        let baselineName = "bare SHA-256 of the 39-byte key (digest only)"
        let baseline = measure { sink &+= SHA256.hash(data: validBytes).withUnsafeBytes { Int($0[0]) } }
        #else
        let baselineName = "bare SHA-256 of the 39-byte key (with hex encoding)"
        let baseline = measure { sink &+= CanonicalSpec.hash(validBytes).utf8.count }
        #endif
        let rows: [(String, Double)] = [
            (baselineName, baseline),
            ("parse + checksum + SHA-256 hex, no database", measure {
                sink &+= ((try? APIKey(parsing: valid))?.secretHash.utf8.count ?? 0)
            }),
            ("valid key, cached (one state-version read per call)", measure {
                sink &+= cached.verify(valid).isValid ? 1 : 0
            }),
            ("valid key, uncached (cache disabled: one key read per call)", measure {
                sink &+= uncached.verify(valid).isValid ? 1 : 0
            }),
            ("unknown well-formed key, cached as unknown", measure {
                sink &+= cached.verify(unknown).isValid ? 1 : 0
            }),
            ("valid key, chat path: in-memory directory (parse + checksum + SHA-256 + lookup)", measure {
                sink &+= (KeyDigest(presented: valid).flatMap(snapshot.key)?.isValid(at: now) ?? false) ? 1 : 0
            }),
            ("garbage rejected by checksum (no database)", measure {
                sink &+= cached.verify(badChecksum).isValid ? 1 : 0
            }),
        ]
        print("")
        print("| measurement | verifications/s | µs each | cost / bare SHA-256 |")
        print("|---|---:|---:|---:|")
        for (name, opsPerSecond) in rows {
            print(String(format: "| %@ | %@ | %.2f | %.1fx |", name, Self.grouped(opsPerSecond), 1e6 / opsPerSecond,
                         baseline / opsPerSecond))
        }
        if sink == Int.min { print(sink) }  // keeps the measured work alive
    }

    /// Operations per second: the median of `runs` timed loops, each sized to
    /// take about a quarter of a second.
    private func measure(_ operation: () -> Void) -> Double {
        var calibration = 1_000
        var elapsed = 0.0
        while true {
            let start = ContinuousClock.now
            for _ in 0..<calibration { operation() }
            elapsed = (ContinuousClock.now - start).inSeconds
            if elapsed > 0.02 { break }
            calibration *= 10
        }
        let iterations = max(1_000, Int(Double(calibration) * 0.25 / elapsed))
        let wall = Stopwatch.median(runs: runs) {
            for _ in 0..<iterations { operation() }
        }.wall
        return Double(iterations) / wall
    }


    private static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
