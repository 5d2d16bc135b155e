import EventLog
import Foundation
import Testing

@Suite("Instants in microseconds")
struct InstantTests {
    @Test("Whole microseconds and milliseconds come back as themselves, from 1970 to 2100")
    func roundTrips() {
        var g = SystemRandomNumberGenerator()
        var failures: [Int64] = []
        for _ in 0..<100_000 {
            let microseconds = Int64.random(in: 0...4_102_444_800_000_000, using: &g)
            if Date(microsecondsSince1970: microseconds).microsecondsSince1970 != microseconds { failures.append(microseconds) }
            let milliseconds = microseconds / 1_000
            if Date(timeIntervalSince1970: Double(milliseconds) / 1_000).microsecondsSince1970 != milliseconds * 1_000 {
                failures.append(milliseconds * 1_000)
            }
        }
        #expect(failures == [])
        // One that rounding down alone got wrong: 2038-06-12T06:10:40.253Z lies at …252.9998 µs.
        #expect(Date(timeIntervalSince1970: 2_159_935_840.253).microsecondsSince1970 == 2_159_935_840_253_000)
    }

    @Test("Finer than a microsecond is cut")
    func truncates() {
        #expect(Date(timeIntervalSince1970: 1_700_000_000.000_001_5).microsecondsSince1970 == 1_700_000_000_000_001)
        #expect(Date(timeIntervalSince1970: -0.000_000_5).microsecondsSince1970 == -1)
        #expect(Date(timeIntervalSince1970: 0.000_000_6).microsecondsSince1970 == 0)
    }
}
