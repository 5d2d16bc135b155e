import EventLog
import Foundation
import SQLite
import Testing

@Suite("Append-only and tamper evidence")
struct TamperTests {
    @Test func rawUpdateAndDeleteAreRefusedByTriggers() throws {
        let folder = TemporaryFolder()
        let path = try makeLog(folder)
        let db = try Connection(path: path)
        let update = #expect(throws: SQLiteError.self) { try db.run("UPDATE events SET data = '{}' WHERE position = 2") }
        #expect(update?.message == "events are append-only: UPDATE is not allowed")
        let delete = #expect(throws: SQLiteError.self) { try db.run("DELETE FROM events WHERE position = 5") }
        #expect(delete?.message == "events are append-only: DELETE is not allowed")
        let gap = #expect(throws: SQLiteError.self) {
            try db.run("INSERT INTO events VALUES (9, 's', 9, 'x', 'T', 1, '{}', '{}', 9000000000000000, x'00', x'00')")
        }
        #expect(gap?.message == "events are gapless: position must follow the head")
        let past = #expect(throws: SQLiteError.self) {
            try db.run("INSERT INTO events VALUES (6, 's', 9, 'x', 'T', 1, '{}', '{}', 0, x'00', x'00')")
        }
        #expect(past?.message == "recorded_at must never decrease along positions")
        #expect(try EventLog.open(at: path).verify().isIntact)
    }

    @Test func anAlteredByteIsReportedAtItsPosition() throws {
        let folder = TemporaryFolder()
        let path = try makeLog(folder)
        let db = try Connection(path: path)
        // An attacker drops the trigger, edits, and puts the trigger back.
        try db.execute("DROP TRIGGER events_no_update")
        try db.run(#"UPDATE events SET data = '{"n":4}' WHERE position = 3"#)
        try db.execute("""
            CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END
            """)
        #expect(try EventLog.open(at: path).verify() == .broken(at: 3, reason: .hashMismatch))
    }

    @Test func aDeletedRowIsReportedAsAMissingPosition() throws {
        let folder = TemporaryFolder()
        let path = try makeLog(folder)
        let db = try Connection(path: path)
        try db.execute("DROP TRIGGER events_no_delete")
        try db.run("DELETE FROM events WHERE position = 2")
        #expect(try EventLog.open(at: path).verify() == .broken(at: 2, reason: .missingPosition(found: 3)))
    }

    @Test func aDroppedTriggerIsReportedEvenWhenTheChainIsIntact() throws {
        let folder = TemporaryFolder()
        let path = try makeLog(folder)
        try Connection(path: path).execute("DROP TRIGGER events_no_delete")
        #expect(try EventLog.open(at: path).verify() == .broken(at: .origin, reason: .missingTrigger(name: "events_no_delete")))
    }

    @Test func truncationIsCaughtAgainstAnExternallyKeptHead() throws {
        let folder = TemporaryFolder()
        let path = try makeLog(folder)
        let log = try EventLog.open(at: path)
        guard case .intact(5, let head) = try log.verify() else { Issue.record("expected an intact log of 5"); return }
        #expect(try log.verify(expectingHead: head) == .intact(events: 5, head: head))
        let db = try Connection(path: path)
        try db.execute("DROP TRIGGER events_no_delete")
        try db.run("DELETE FROM events WHERE position = 5")
        try db.execute(#"""
            CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed'); END
            """#)
        let report = try log.verify(expectingHead: head)
        guard case .broken(at: 4, reason: .headMismatch(let found)) = report else { Issue.record("got \(report)"); return }
        #expect(found.position == 4)
    }

    @Test func verifyCanStartFromATrustedAnchor() throws {
        let folder = TemporaryFolder()
        let log = try EventLog.open(at: try makeLog(folder, count: 10))
        let third = try allEvents(log)[2]
        let report = try log.verify(from: ChainAnchor(position: 3, hash: third.hash))
        #expect(report == .intact(events: 7, head: try log.head()))
        #expect(try log.verify(from: ChainAnchor(position: 3, hash: HashChain.genesis)) == .broken(at: 3, reason: .anchorMismatch))
    }

    @Test func backwardsTimeAndBadJSONAreReported() throws {
        let folder = TemporaryFolder()
        let path = try makeLog(folder)
        let db = try Connection(path: path)
        try db.execute("DROP TRIGGER events_no_update")
        try db.execute("PRAGMA ignore_check_constraints = ON")
        try db.run("UPDATE events SET metadata = 'nope' WHERE position = 4")
        try db.run("UPDATE events SET recorded_at = recorded_at - 1 WHERE position = 2")
        // Position 2's hash no longer matches either; the time check runs after the hash check.
        #expect(try EventLog.open(at: path).verify() == .broken(at: 2, reason: .hashMismatch))
    }
}

@Suite("Opening files")
struct OpenTests {
    func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    @Test func aNewLogUsesWALAndFullSyncByDefault() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        #expect(try log.journalMode == "wal")
        #expect(try log.synchronousSetting == 2)
        let relaxed = try EventLog.open(at: folder.path("relaxed.sqlite"), options: .init(durability: .normal))
        #expect(try relaxed.synchronousSetting == 1)
    }

    @Test func garbageIsRefusedAndLeftUntouched() throws {
        let folder = TemporaryFolder()
        let path = folder.path("garbage.sqlite")
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        _ = FileManager.default.createFile(atPath: path, contents: garbage)
        #expect(throws: OpenError.notAnEventLog(path: path, reason: "not an SQLite database")) { try EventLog.open(at: path) }
        #expect(bytes(path) == garbage)
    }

    @Test func anEmptyFileIsRefusedAndLeftUntouched() throws {
        let folder = TemporaryFolder()
        let path = folder.path("empty.sqlite")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: OpenError.notAnEventLog(path: path, reason: "the file is empty")) { try EventLog.open(at: path) }
        #expect(bytes(path).isEmpty)
    }

    @Test func anotherApplicationsDatabaseIsRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.path("other.sqlite")
        try Connection(path: path).execute("CREATE TABLE notes(x)")
        let before = bytes(path)
        #expect(throws: OpenError.notAnEventLog(path: path, reason: "an SQLite database without the SyncLedger application id")) {
            try EventLog.open(at: path)
        }
        #expect(bytes(path) == before)
    }

    @Test func aLogFromANewerVersionIsRefusedAndLeftUntouched() throws {
        let folder = TemporaryFolder()
        let path = folder.path()
        do {
            let log = try openLog(folder)
            try log.append([event(1, "a")])
        }
        try Connection(path: path).run("INSERT INTO eventlog_migrations(identifier) VALUES ('99-from-the-future')")
        let before = bytes(path)
        #expect(throws: OpenError.newerSchema(path: path, unknownMigrations: ["99-from-the-future"])) { try EventLog.open(at: path) }
        #expect(bytes(path) == before)
    }

    @Test func aMissingFileIsCreatedOnlyWhenAllowed() throws {
        let folder = TemporaryFolder()
        let path = folder.path("absent.sqlite")
        #expect(throws: OpenError.missing(path: path)) { try EventLog.open(at: path, options: .init(createIfMissing: false)) }
        #expect(!FileManager.default.fileExists(atPath: path))
        _ = try EventLog.open(at: path)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func reopeningKeepsTheChainGoing() throws {
        let folder = TemporaryFolder()
        do { try openLog(folder).append((1...3).map { event($0, "a") }) }
        let log = try openLog(folder)
        try log.append([event(4, "a")], to: "a", expecting: .exactly(3))
        #expect(try log.verify() == .intact(events: 4, head: try log.head()))
    }
}
