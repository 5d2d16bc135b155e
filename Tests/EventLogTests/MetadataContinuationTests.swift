@testable import EventLog
import Foundation
import SQLite
import Testing

@Suite("Metadata stored once per append: continuations")
struct MetadataContinuationTests {
    /// Compact JSON with sorted keys, as SyncLedger's encoder writes metadata.
    static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// Values whose text needs every kind of care: braces and brackets in
    /// strings, escaped quotes and backslashes, nesting, numbers, literals.
    static func value(_ generator: inout SystemRandomNumberGenerator, depth: Int = 0) -> Any {
        let texts = ["plain", "a \"quoted\" {brace} [bracket], comma", "back\\slash\\", "é ✓ 🙂", "", "new\nline", "}", "\","]
        switch Int.random(in: 0..<(depth < 3 ? 6 : 4), using: &generator) {
        case 0: return texts.randomElement(using: &generator)!
        case 1: return Int.random(in: -1_000_000...1_000_000, using: &generator)
        case 2: return Bool.random(using: &generator)
        case 3: return NSNull()
        case 4: return (0..<Int.random(in: 0...3, using: &generator)).map { _ in value(&generator, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &generator) { object[texts.randomElement(using: &generator)! + "k"] = value(&generator, depth: depth + 1) }
            return object
        }
    }

    @Test("resolving drops the arguments member and nothing else, wherever it sits, for 2,000 random documents")
    func resolvingEqualsEncodingWithoutTheArguments() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var object: [String: Any] = [:]
            for key in ["actor", "aa", "command", "zz", "roles", "\"arguments\"", "argumentsX"] where Bool.random(using: &generator) {
                object[key] = Self.value(&generator)
            }
            let without = try Self.json(object)
            object["arguments"] = Self.value(&generator)
            let with = try Self.json(object)
            #expect(MetadataContinuation.resolve(with) == without, "\(with)")
            #expect(MetadataContinuation.resolve(without) == without)
        }
        #expect(MetadataContinuation.resolve(#" { "arguments" : [1, {"x": "}"}] , "b" : 2 } "#) == #" { "b" : 2 } "#)
        #expect(MetadataContinuation.resolve(#"["arguments"]"#) == nil)
        #expect(MetadataContinuation.resolve(#"{"arguments":"#) == nil)
    }

    @Test func onlyTheExactFormIsAContinuation() {
        #expect(MetadataContinuation.offset(in: #"{"continues":1}"#) == 1)
        #expect(MetadataContinuation.offset(in: MetadataContinuation.text(offset: 512)) == 512)
        for text in [#"{"continues":0}"#, #"{"continues":-1}"#, #"{"continues":"1"}"#, #"{"continues": 1}"#, #"{"continues":1,"x":2}"#, "{}",
                     #"{"continues":99999999999999999999999}"#] {
            #expect(MetadataContinuation.offset(in: text) == nil, "\(text)")
        }
    }

    static let command = #"{"actor":"alice","arguments":{"approve":{"_0":"m1"}},"command":"mailbox.approve"}"#
    static let shared = #"{"actor":"alice","command":"mailbox.approve"}"#

    func newEvent(_ n: Int, _ metadata: String) -> NewEvent {
        NewEvent(id: uuid(n), stream: StreamID("s\(n % 3)"), type: "Counted", data: #"{"n":\#(n)}"#, metadata: metadata)
    }

    @Test("a batch's later events store one continuation each and read back with the shared metadata, however they are read")
    func continuationsReadBackEverywhere() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let other = #"{"actor":"bob","arguments":null,"command":"x"}"#
        let stored = [Self.command, #"{"continues":1}"#, #"{"continues":2}"#, other, #"{"continues":1}"#]
        let appended = try log.append(stored.enumerated().map { newEvent($0.offset + 1, $0.element) })
        let expected = [Self.command, Self.shared, Self.shared, other, #"{"actor":"bob","command":"x"}"#]
        #expect(appended.map(\.storedMetadata) == stored)
        #expect(appended.map(\.metadata) == expected)
        // Walks with pages of 2: the event a continuation names is then also on an earlier page.
        for pageSize in [1, 2, 512] {
            var read: [RecordedEvent] = []
            try log.forEachEvent(pageSize: pageSize) { read.append($0) }
            #expect(read == appended, "pages of \(pageSize)")
        }
        #expect(try (1...5).map { try log.event(withID: uuid($0)) } == appended)
        #expect(try log.events(in: "s2") == appended.filter { $0.stream == "s2" })
        // The hash covers what is stored.
        #expect(appended.allSatisfy { HashChain.expectedHash(of: $0) == $0.hash })
        #expect(try log.verify().isIntact)
        // A retry of the same batch is recognised by its stored metadata.
        #expect(try log.append(stored.enumerated().map { newEvent($0.offset + 1, $0.element) }) == appended)
        // The auditors' view shows the same metadata, beside what is stored.
        let db = try Connection(path: folder.path(), mode: .readOnly)
        defer { db.close() }
        let view = try db.prepare("SELECT metadata, stored_metadata FROM events_readable ORDER BY position")
        var rows: [[String]] = []
        while try view.step() { rows.append([view.text(at: 0), view.text(at: 1)]) }
        #expect(rows == zip(expected, stored).map { [$0, $1] })
    }

    @Test("a continuation must follow the last event of its batch stored in full", arguments: [
        [#"{"continues":1}"#],
        [command, #"{"continues":2}"#],
        [command, #"{"continues":1}"#, #"{"continues":1}"#],
        [command, "{}", #"{"continues":2}"#],
        ["[1]", #"{"continues":1}"#],
    ])
    func misplacedContinuationsAreRefused(_ metadata: [String]) throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([newEvent(100, "{}")])
        let head = try log.head()
        #expect(throws: AppendError.self) { try log.append(metadata.enumerated().map { newEvent($0.offset + 1, $0.element) }) }
        #expect(try log.head() == head)
    }

    @Test("verify reports a continuation a foreign writer put after another event than the last in full")
    func verifyReportsAMisplacedContinuation() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([newEvent(1, Self.command), newEvent(2, #"{"continues":1}"#), newEvent(3, "{}")])
        let head = try log.head()
        _ = consume log
        // Appended by hand, with a correct hash: it names #2, a continuation, not #3.
        let db = try Connection(path: folder.path())
        let canonical = HashChain.canonicalBytes(position: 4, stream: "s1", streamVersion: 2, id: uuid(4), type: "Counted", schemaVersion: 1,
                                                 data: #"{"n":4}"#, metadata: #"{"continues":2}"#, recordedAtMicroseconds: head.recordedAtMicroseconds!)
        try db.run("""
            INSERT INTO events(position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, previous_hash, hash)
            VALUES (4, 's1', 2, ?, 'Counted', 1, '{"n":4}', '{"continues":2}', ?, ?, ?)
            """, .text(uuid(4).lowercasedText), .integer(head.recordedAtMicroseconds!), .blob(head.hash),
                   .blob(HashChain.hash(previous: head.hash, canonical: canonical)))
        db.close()
        let reopened = try EventLog.open(at: folder.path(), options: .init(readOnly: true))
        #expect(try reopened.verify() == .broken(at: 4, reason: .misplacedContinuation))
        // Reading it fails loudly instead of giving it someone else's metadata.
        #expect(throws: SQLiteError.self) { try reopened.event(withID: uuid(4)) }
    }
}
