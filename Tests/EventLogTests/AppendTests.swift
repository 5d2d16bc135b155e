import EventLog
import Foundation
import SQLite
import Testing

@Suite("Append and read")
struct AppendTests {
    @Test func appendedEventsReadBackInOrderWithEveryField() throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let log = try openLog(folder, clock: clock)
        let recorded = try log.append([event(1, "a"), event(2, "b"), event(3, "a")])
        #expect(try allEvents(log) == recorded)
        #expect(recorded.map(Summary.init) == [Summary(1, "a", 1, 1), Summary(2, "b", 1, 2), Summary(3, "a", 2, 3)])
        #expect(recorded.allSatisfy { $0.recordedAt == clock.now && $0.type == "Counted" && $0.schemaVersion == 1 && $0.metadata == #"{"actor":"test"}"# })
        #expect(recorded[0].previousHash == HashChain.genesis)
        #expect(recorded[1].previousHash == recorded[0].hash)
        #expect(try log.events(in: "a").map(Summary.init) == [Summary(1, "a", 1, 1), Summary(3, "a", 2, 3)])
        #expect(try log.head() == LogHead(position: 3, hash: recorded[2].hash, recordedAtMicroseconds: clock.now.microsecondsSince1970))
        #expect(try log.streamVersion(of: "a") == 2)
        #expect(try log.streamVersion(of: "nothing") == .none)
    }

    @Test func textSurvivesUnchanged() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let data = #"{"text":"héllo 🎉 \"quoted\" ' and \\ back"}"#
        try log.append([event(1, "ünïcode stream", data: data)])
        #expect(try allEvents(log).map(\.data) == [data])
        #expect(try allEvents(log).map(\.stream) == ["ünïcode stream"])
    }

    @Test func theHashFollowsTheDocumentedCanonicalEncoding() throws {
        // Expected value computed outside Swift (Python hashlib) from the
        // encoding documented on HashChain.
        let folder = TemporaryFolder()
        let log = try openLog(folder, clock: ManualClock(Date(timeIntervalSince1970: 1_735_689_600)))
        let recorded = try log.append([NewEvent(id: uuid(1), stream: "mailbox-1", type: "MailboxCreated",
                                                data: #"{"email":"alice@contoso.com"}"#, metadata: #"{"actor":"sam"}"#)])
        #expect(hexString(recorded[0].hash) == "22e43af743b93288f68ddc3054223cbd17ee7e8f9fbcf9e4a8ce53daac4e4123")
    }

    @Test func recordedAtNeverDecreasesWhenTheClockGoesBackwards() throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let log = try openLog(folder, clock: clock)
        let start = clock.now
        try log.append([event(1, "a")])
        clock.advance(seconds: -3600)
        try log.append([event(2, "a")])
        clock.set(start.addingTimeInterval(10))
        try log.append([event(3, "a")])
        #expect(try allEvents(log).map(\.recordedAt) == [start, start, start.addingTimeInterval(10)])
        #expect(try log.verify().isIntact)
    }

    @Test func anInstantMapsToTheLastPositionAtOrBeforeIt() throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let log = try openLog(folder, clock: clock)
        let t0 = clock.now
        try log.append([event(1, "a"), event(2, "a")])
        clock.advance(seconds: 60)
        try log.append([event(3, "a")])
        #expect(try log.position(atOrBefore: t0.addingTimeInterval(-1)) == .origin)
        #expect(try log.position(atOrBefore: t0) == 2)
        #expect(try log.position(atOrBefore: t0.addingTimeInterval(59)) == 2)
        #expect(try log.position(atOrBefore: t0.addingTimeInterval(60)) == 3)
    }

    @Test("the binary search over positions finds, for every instant, the last position a scan of the log finds")
    func instantsAgreeWithAScan() throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let log = try openLog(folder, clock: clock)
        #expect(try log.position(atOrBefore: clock.now) == .origin)
        let t0 = clock.now
        // Runs of 1 to 4 events at one instant, 0 to 3 seconds apart.
        var generator = SystemRandomNumberGenerator()
        var n = 0
        while n < 200 {
            let run = Int.random(in: 1...4, using: &generator)
            try log.append((0..<run).map { offset in event(n + offset + 1, "a") })
            n += run
            clock.advance(seconds: Double(Int.random(in: 0...3, using: &generator)))
        }
        let times = try allEvents(log).map(\.recordedAt)
        let end = times.last!.timeIntervalSince(t0)
        for second in stride(from: -1.0, through: end + 1, by: 0.5) {
            let instant = t0.addingTimeInterval(second)
            let scanned = Int64(times.lastIndex(where: { $0 <= instant }).map { $0 + 1 } ?? 0)
            #expect(try log.position(atOrBefore: instant) == Position(scanned), "\(second) s")
        }
    }

    @Test func readsPageThroughLongStreamsAndRanges() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append((1...1100).map { event($0, $0 % 2 == 0 ? "even" : "odd") })
        #expect(try log.events(in: "even").map(\.streamVersion.rawValue) == Array(1...550))
        var seen: [Int64] = []
        try log.forEachEvent(from: 5, through: 40, pageSize: 7) { seen.append($0.position.rawValue) }
        #expect(seen == Array(5...40))
        var afterVersion: [Int64] = []
        try log.forEachEvent(in: "odd", after: 545) { afterVersion.append($0.streamVersion.rawValue) }
        #expect(afterVersion == [546, 547, 548, 549, 550])
    }

    @Test func malformedEventsAreRefusedAndNothingIsWritten() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([event(1, "a")])
        let head = try log.head()
        #expect(throws: AppendError.invalidEvent(id: uuid(3), reason: "data is not valid JSON")) {
            try log.append([event(2, "a"), event(3, "a", data: "{not json")])
        }
        #expect(throws: AppendError.invalidEvent(id: uuid(4), reason: "the stream id is empty")) { try log.append([event(4, "")]) }
        #expect(throws: AppendError.invalidEvent(id: uuid(5), reason: "the id appears twice in the batch")) {
            try log.append([event(5, "a"), event(5, "b")])
        }
        #expect(try log.head() == head)
    }
}

@Suite("Expected versions")
struct ExpectedVersionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var expected: ExpectedVersion
        var existing: Int
        var accepted: Bool
        var testDescription: String { "\(expected) on a stream of \(existing): \(accepted ? "accepted" : "conflict")" }
    }

    @Test(arguments: [
        Case(expected: .any, existing: 0, accepted: true),
        Case(expected: .any, existing: 2, accepted: true),
        Case(expected: .noStream, existing: 0, accepted: true),
        Case(expected: .noStream, existing: 1, accepted: false),
        Case(expected: .exactly(2), existing: 2, accepted: true),
        Case(expected: .exactly(1), existing: 2, accepted: false),
        Case(expected: .exactly(3), existing: 2, accepted: false),
        Case(expected: .exactly(0), existing: 0, accepted: true),
    ])
    func eachExpectationIsCheckedAgainstTheStream(_ c: Case) throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        if c.existing > 0 { try log.append((1...c.existing).map { event($0, "s") }) }
        let head = try log.head()
        if c.accepted {
            let recorded = try log.append([event(100, "s")], to: "s", expecting: c.expected)
            #expect(recorded.map(Summary.init) == [Summary(Int64(c.existing + 1), "s", Int64(c.existing + 1), 100)])
        } else {
            #expect(throws: AppendError.wrongExpectedVersion(stream: "s", expected: c.expected, actual: StreamVersion(Int64(c.existing)))) {
                try log.append([event(100, "s")], to: "s", expecting: c.expected)
            }
            #expect(try log.head() == head)
        }
    }

    @Test func aBatchOverManyStreamsIsAllOrNothing() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([event(1, "a"), event(2, "b")])
        let head = try log.head()
        #expect(throws: AppendError.wrongExpectedVersion(stream: "b", expected: .noStream, actual: 1)) {
            try log.append([event(3, "a"), event(4, "b"), event(5, "c")], expecting: ["a": .exactly(1), "b": .noStream, "c": .noStream])
        }
        #expect(try log.head() == head)
        #expect(try allEvents(log).count == 2)
        let recorded = try log.append([event(3, "a"), event(4, "b"), event(5, "c")], expecting: ["a": .exactly(1), "b": .exactly(1), "c": .noStream])
        #expect(recorded.map(Summary.init) == [Summary(3, "a", 2, 3), Summary(4, "b", 2, 4), Summary(5, "c", 1, 5)])
    }

    @Test func aFailedAppendInsideATransactionKeepsEarlierWork() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let kept = try log.withWriteTransaction { tx -> [RecordedEvent] in
            let first = try tx.append([event(1, "a")], expecting: ["a": .noStream])
            #expect(throws: AppendError.self) { try tx.append([event(2, "a")], expecting: ["a": .noStream]) }
            return first
        }
        #expect(try allEvents(log) == kept)
    }
}

@Suite("Idempotent retries")
struct IdempotencyTests {
    @Test func reAppendingTheSameEventsReturnsTheOriginalsAndWritesNothing() throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let log = try openLog(folder, clock: clock)
        let first = try log.append([event(1, "a"), event(2, "a")], to: "a", expecting: .noStream)
        clock.advance(seconds: 5)
        let again = try log.append([event(1, "a"), event(2, "a")], to: "a", expecting: .noStream)
        #expect(again == first)
        #expect(try allEvents(log) == first)
    }

    @Test func theSameIdWithOtherContentIsRefused() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([event(1, "a")])
        #expect(throws: AppendError.eventIDReused(id: uuid(1), position: 1)) { try log.append([event(1, "a", data: #"{"n":99}"#)]) }
        #expect(throws: AppendError.partialRetry(alreadyRecorded: [uuid(1)])) { try log.append([event(1, "a"), event(2, "a")]) }
        #expect(try allEvents(log).count == 1)
    }
}
