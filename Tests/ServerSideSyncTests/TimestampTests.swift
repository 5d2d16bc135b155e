import Foundation
import ServerSideSync
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test("Every millisecond text formats back to itself, however its date lies in binary")
    func formatOfParseIsTheText() throws {
        #expect(Timestamp.format(try #require(Timestamp.parse("2038-03-26T00:54:41.219Z"))) == "2038-03-26T00:54:41.219Z")
        var g = SystemRandomNumberGenerator()
        var failures: [String] = []
        for _ in 0..<100_000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...4_102_444_800_000, using: &g)) / 1000)
            let text = Timestamp.format(date)
            if Timestamp.format(try #require(Timestamp.parse(text))) != text || Timestamp.parse(text) != date { failures.append(text) }
        }
        #expect(failures == [])
    }

    @Test("Finer than a millisecond is cut, not rounded")
    func truncates() throws {
        let base = try #require(Timestamp.parse("2026-12-02T10:00:00.123Z")).timeIntervalSince1970
        #expect(Timestamp.format(Date(timeIntervalSince1970: base + 0.000_9)) == "2026-12-02T10:00:00.123Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: base - 0.000_001)) == "2026-12-02T10:00:00.122Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.000_5)) == "1969-12-31T23:59:59.999Z")
    }
}
