import BotRuntime
import Testing

struct SpecDurationTests {
    @Test(arguments: [
        ("90s", Int64(90), "1m30s"), ("15m", 900, "15m"), ("1h30m", 5400, "1h30m"), ("24h", 86_400, "1d"),
        ("30d", 2_592_000, "30d"), ("2w", 1_209_600, "2w"), ("0s", 0, "0s"),
    ])
    func parsesAndPrintsCanonically(_ text: String, _ seconds: Int64, _ canonical: String) throws {
        let duration = try #require(SpecDuration(parsing: text))
        #expect(duration.seconds == seconds)
        #expect(duration.description == canonical)
        #expect(SpecDuration(parsing: duration.description) == duration)
    }

    @Test(arguments: ["", "5", "m", "1x", "1h 30m", "-5m", "1.5h", "99999999999999999999s", "10000000w"])
    func rejectsMalformedOrHugeDurations(_ text: String) {
        #expect(SpecDuration(parsing: text) == nil)
    }
}
