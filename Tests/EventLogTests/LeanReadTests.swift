import EventLog
import Foundation
import Testing

/// `forEachRow`: the walk for folds, which reads fields from SQLite's row
/// without building `RecordedEvent`s.
@Suite("Lean reads")
struct LeanReadTests {
    /// The fields a row view shows, as text, for whole-list comparisons.
    static func line(position: Position, stream: String, version: StreamVersion, type: String, schema: Int, data: String, at: Int64) -> String {
        "#\(position.rawValue) \(stream) v\(version.rawValue) \(type)/\(schema) \(data) @\(at)"
    }

    @Test func rowsShowWhatTheEventsHoldAcrossPagesAndWithinBounds() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        for n in 1...23 {
            try log.append([NewEvent(id: uuid(n), stream: StreamID("s\(n % 3)"), type: n % 2 == 0 ? "Even" : "Odd", schemaVersion: 1 + n % 2,
                                     data: #"{"n":\#(n),"text":"é\#u{1F600}"}"#)])
        }
        var expected: [String] = []
        try log.forEachEvent { e in
            expected.append(Self.line(position: e.position, stream: e.stream.rawValue, version: e.streamVersion, type: e.type,
                                      schema: e.schemaVersion, data: e.data, at: e.recordedAtMicroseconds))
        }
        #expect(expected.count == 23)

        var copied: [String] = [], borrowed: [String] = []
        try log.forEachRow(pageSize: 5) { row in
            copied.append(Self.line(position: row.position, stream: row.stream.rawValue, version: row.streamVersion, type: row.type,
                                    schema: row.schemaVersion, data: row.data, at: row.recordedAtMicroseconds))
            let stream = row.withStream { String(decoding: $0, as: UTF8.self) }
            let type = row.withType { String(decoding: $0, as: UTF8.self) }
            let data = row.withData { String(decoding: $0, as: UTF8.self) }
            borrowed.append(Self.line(position: row.position, stream: stream, version: row.streamVersion, type: type,
                                      schema: row.schemaVersion, data: data, at: row.recordedAtMicroseconds))
        }
        #expect(copied == expected)
        #expect(borrowed == expected)

        var window: [Int64] = []
        try log.forEachRow(from: 7, through: 12, pageSize: 4) { window.append($0.position.rawValue) }
        #expect(window == Array(7...12))
        var none: [Int64] = []
        try log.forEachRow(from: 24) { none.append($0.position.rawValue) }
        #expect(none == [])
    }
}
