import EventLog
import Foundation
import Testing

@Suite("Time-ordered ids")
struct IdentifierTests {
    @Test func idsAreVersion7AndSortByTheirMillisecond() throws {
        let start = Date(timeIntervalSince1970: 1_764_547_200.123)   // 2025-12-01T00:00:00.123Z
        let ids = (0..<50).map { UUID.timeOrdered(at: start.addingTimeInterval(Double($0) / 1000)) }
        for id in ids {
            let text = id.uuidString.lowercased()
            #expect(text[text.index(text.startIndex, offsetBy: 14)] == "7", "\(text) is not version 7")
            #expect("89ab".contains(text[text.index(text.startIndex, offsetBy: 19)]), "\(text) has not the RFC 9562 variant")
        }
        // The first 48 bits are the Unix time in milliseconds, so the stored text sorts in time order.
        #expect(ids.map { String($0.uuidString.lowercased().prefix(13)) }
                == (0..<50).map { n -> String in
                    let hex = String(1_764_547_200_123 + UInt64(n), radix: 16)
                    let padded = String(repeating: "0", count: 12 - hex.count) + hex
                    return padded.prefix(8) + "-" + padded.dropFirst(8)
                })
        #expect(ids.map { $0.uuidString.lowercased() } == ids.map { $0.uuidString.lowercased() }.sorted())
        #expect(Set((0..<1_000).map { _ in UUID.timeOrdered(at: start) }).count == 1_000)
    }
}
