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

    @Test("lowercasedText is uuidString.lowercased(), for 10,000 random ids and the extremes")
    func lowercasedTextIsTheLowercasedUUIDString() {
        var ids = (0..<10_000).map { _ in UUID() }
        ids += [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))]
        for id in ids { #expect(id.lowercasedText == id.uuidString.lowercased()) }
        #expect(ids.last?.lowercasedText == "ffffffff-ffff-ffff-ffff-ffffffffffff")
    }

    @Test("the random part of time-ordered ids covers all 74 bits")
    func theRandomBitsVary() {
        // OR and AND over many ids: every random bit is seen both set and clear.
        let ids = (0..<2_000).map { _ in UUID.timeOrdered(at: Date(timeIntervalSince1970: 0)) }
        var any = [UInt8](repeating: 0, count: 16), all = [UInt8](repeating: 255, count: 16)
        for id in ids {
            withUnsafeBytes(of: id.uuid) { bytes in
                for index in 0..<16 { any[index] |= bytes[index]; all[index] &= bytes[index] }
            }
        }
        #expect(any == [0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(all == [0, 0, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0])
    }
}
