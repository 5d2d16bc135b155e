import EventLog
import Foundation
import SQLite
import Testing

/// Issue 9, defects 1, 2, 5 and 6: creation, copies, and verify naming the
/// exact row.
@Suite("Hardening: creating, copying and verifying the file")
struct HardeningLogTests {
    /// Edits the events table as an attacker would: drop the trigger, change, put it back.
    func edit(_ path: String, _ sql: String) throws {
        let db = try Connection(path: path)
        try db.execute("DROP TRIGGER events_no_update")
        try db.run(sql)
        try db.execute("""
            CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END
            """)
    }

    // MARK: 1. Atomic creation

    @Test func aNewLogAppearsComplete() throws {
        let folder = TemporaryFolder()
        _ = try openLog(folder)
        // Only the log (and its WAL companions) is left: no temporary file.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        #expect(names == ["log.sqlite"])
        let db = try Connection(path: folder.path(), mode: .readOnly)
        #expect(try db.scalar("PRAGMA application_id")?.int64 == 0x5359_4C47)
        #expect(try db.scalar("SELECT count(*) FROM eventlog_migrations")?.int64 == 7)
    }

    @Test func manyCreatorsOfOnePathShareOneLog() async throws {
        let folder = TemporaryFolder()
        let path = folder.path()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...8 {
                group.addTask {
                    let log = try EventLog.open(at: path)
                    try log.append([event(n, StreamID("s\(n)"))])
                }
            }
            try await group.waitForAll()
        }
        let log = try EventLog.open(at: path)
        #expect(try log.head().position == 8)
        #expect(try log.verify().isIntact)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains(".creating-") }
        #expect(leftovers.isEmpty)
    }

    // MARK: 2. Copies

    @Test func theMainFileAloneHoldsEveryCommitOnceTheLogIsReleased() throws {
        let folder = TemporaryFolder()
        do {
            let log = try openLog(folder)
            for n in 1...5 { try log.append([event(n, "s")]) }
        }
        // A plain copy of the main file, without its -wal, is the whole log.
        try FileManager.default.copyItem(atPath: folder.path(), toPath: folder.path("copy.sqlite"))
        let copy = try EventLog.open(at: folder.path("copy.sqlite"), options: .init(readOnly: true))
        #expect(try copy.head().position == 5)
        #expect(try copy.verify().isIntact)
    }

    @Test func aFileWithTheApplicationIDButNoLogTablesIsRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.path("half.sqlite")
        let db = try Connection(path: path)
        try db.execute("PRAGMA application_id = \(0x5359_4C47)")
        try db.execute("CREATE TABLE unrelated(x)")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: OpenError.noLogTables(path: path)) { try EventLog.open(at: path) }
        #expect(throws: OpenError.noLogTables(path: path)) { try EventLog.open(at: path, options: .init(readOnly: true)) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "left untouched")
    }

    @Test func aBackupIsVerifiedAndNeverOverwrites() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        for n in 1...5 { try log.append([event(n, "s")]) }
        let head = try log.backup(to: folder.path("backup.sqlite"))
        #expect(head == (try log.head()))
        let copy = try EventLog.open(at: folder.path("backup.sqlite"), options: .init(readOnly: true))
        #expect(try copy.verify() == .intact(events: 5, head: head))
        #expect(throws: BackupError.destinationExists(path: folder.path("backup.sqlite"))) { try log.backup(to: folder.path("backup.sqlite")) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains(".backup-") }
        #expect(leftovers.isEmpty)
    }

    // MARK: 5, 6. Verify names the exact row

    @Test func anUndecodableRowIsReportedAtItsOwnPosition() throws {
        let folder = TemporaryFolder()
        let path = try makeLog(folder)
        try edit(path, "UPDATE events SET event_id = 'not-a-uuid' WHERE position = 4")
        let report = try EventLog.open(at: path).verify()
        #expect(report == .broken(at: 4, reason: .unreadable(
            reason: "event at position 4 has a malformed or non-canonical id not-a-uuid")))
    }

    @Test func anUpperCasedEventIDIsAnEdit() throws {
        let folder = TemporaryFolder()
        do {
            let log = try openLog(folder)
            for n in 1...5 {
                let id = UUID(uuidString: String(format: "abcdef00-0000-4000-8000-%012x", n))!
                try log.append([NewEvent(id: id, stream: "s", type: "Counted", data: #"{"n":\#(n)}"#, metadata: #"{"actor":"test"}"#)])
            }
        }
        let path = folder.path()
        try edit(path, "UPDATE events SET event_id = upper(event_id) WHERE position = 3")
        // The hash does not cover the id's letter case, so only the canonical spelling is accepted on reading.
        #expect(try EventLog.open(at: path).verify() == .broken(at: 3, reason: .unreadable(
            reason: "event at position 3 has a malformed or non-canonical id ABCDEF00-0000-4000-8000-000000000003")))
    }
}
