import BotRuntime
import Foundation

/// Wall time of the best of several runs, and the process's peak memory.
struct Measurement: Codable {
    var name: String
    var seconds: Double
    /// Processor time (user + system, all threads) per run.
    var cpuSeconds: Double
    var peakMemoryBytes: Int
    var runs: Int

    var milliseconds: Double { seconds * 1000 }
    var peakMiB: Double { Double(peakMemoryBytes) / 1_048_576 }
}

enum Stopwatch {
    /// Runs `body` `runs` times and returns the median wall time and the
    /// mean processor time per run, in seconds.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let cpuBefore = processorTime()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            times.append(elapsed.inSeconds)
        }
        let cpu = (processorTime() - cpuBefore) / Double(runs)
        times.sort()
        return (times[times.count / 2], cpu)
    }

    /// User plus system processor time of this process so far, in seconds.
    static func processorTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The peak resident set size of this process so far, in bytes.
    static func peakMemory() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
