import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite
@testable import SyncLedger
import SyncLedgerTesting
import Synchronization
import Testing

@Suite("Rebuilds in bounded transactions")
struct BoundedRebuildTests {
    /// The shadow tables of any rebuild, and the indexes each table has.
    func schema(_ f: Fixture) throws -> (shadows: [String], indexes: [String: Int]) {
        try f.ledger.log.withReadTransaction { db in
            var shadows: [String] = []
            let tables = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB '*__rebuild_*' ORDER BY name")
            while try tables.step() { shadows.append(tables.text(at: 0)) }
            var indexes: [String: Int] = [:]
            let counts = try db.prepare("SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL GROUP BY tbl_name")
            while try counts.step() { indexes[counts.text(at: 0)] = counts.int(at: 1) }
            return (shadows, indexes)
        }
    }

    func start(_ f: Fixture) throws -> ShadowRebuild {
        let log = f.ledger.log
        let shadow = try ShadowRebuild(targets: f.ledger.runner.projections)
        try shadow.fold(through: try log.head().position, events: { after, through, body in
            try log.scanEvents(from: after.next, through: through, body)
        })
        try log.withWriteTransaction { tx in try shadow.createShadows(in: tx.connection) }
        return shadow
    }

    @Test("verify --projections holds no snapshot while it folds, and checks what was committed meanwhile")
    func verifyingFoldsWithoutASnapshot() throws {
        let f = try Fixture()
        _ = try FacadeTests().scenario(f)
        let before = try f.ledger.head().position
        let seen = Mutex<(busy: Int64?, committed: Bool)>((nil, false))
        let mismatch = try f.ledger.verifyProjections(progress: { done, total in
            guard done == total, !seen.withLock({ $0.committed }) else { return }
            // The fold is done: commit a command, then checkpoint the whole WAL.
            // A reader still on the snapshot the fold began with would leave it busy.
            f.clock.advance(seconds: 60)
            _ = try? f.run(.rejectEmail(C.mailbox(C.alice)), by: C.gabriela)
            let busy = try? Connection(path: f.folder.path("ledger.sqlite")).scalar("PRAGMA wal_checkpoint(TRUNCATE)")?.int64
            seen.withLock { $0 = (busy, true) }
        })
        #expect(seen.withLock { $0.committed })
        #expect(seen.withLock { $0.busy } == 0, "a full checkpoint went through during the fold")
        #expect(try f.ledger.head().position > before)
        #expect(mismatch == nil, "the command committed meanwhile was folded and compared too")
        // And a hand-edited row is still found.
        try f.ledger.log.withWriteTransaction { tx in try tx.connection.execute("UPDATE mailbox_status SET email_status = 'Empty'") }
        #expect(try f.ledger.verifyProjections()?.table == "mailbox_status")
    }

    @Test("the copy step reports each transaction's rows: 3 more each time, then the last")
    func theCopyReportsItsProgress() throws {
        let f = try Fixture()
        _ = try FacadeTests().scenario(f)
        let rows = try f.ledger.log.withReadTransaction { db in
            try f.ledger.runner.projections.flatMap(\.tables).reduce(0) { $0 + Int(try db.scalar("SELECT count(*) FROM \"\($1)\"")?.int64 ?? 0) }
        }
        let reports = Mutex<[(done: Int, total: Int)]>([])
        try f.ledger.rebuild(copyChunk: 3, copyProgress: { done, total in reports.withLock { $0.append((done, total)) } })
        let copied = reports.withLock { $0 }
        #expect(rows > 100)
        #expect(copied.map(\.done) == Array(stride(from: 3, through: rows, by: 3)) + [rows])
        #expect(copied.allSatisfy { $0.total == rows })
    }

    @Test func aRebuildCopyingThreeRowsATransactionEqualsTheInlineTables() throws {
        let f = try Fixture()
        _ = try FacadeTests().scenario(f)
        let inline = try f.dumps(), state = try f.decisionRows(), before = try schema(f)
        #expect(before.shadows == [])
        #expect(before.indexes == ["audit_trail": 3])

        let secureDeleteBefore = try f.ledger.log.withWriteTransaction { tx in try tx.connection.scalar("PRAGMA secure_delete")?.int64 }
        let folded = try f.ledger.rebuild(copyChunk: 3)

        #expect(folded == (try f.ledger.head().position.rawValue))
        #expect(try f.dumps() == inline)
        #expect(try f.decisionRows() == state)
        #expect(try f.ledger.verifyProjections() == nil)
        #expect(try schema(f).shadows == [])
        #expect(try schema(f).indexes == before.indexes, "every index came along")
        let secureDelete = { try f.ledger.log.withWriteTransaction { tx in try tx.connection.scalar("PRAGMA secure_delete")?.int64 } }
        #expect(try secureDelete() == secureDeleteBefore, "the swap restores the writer's secure_delete")
        // And again: the indexes' new names do not collide with the next rebuild's.
        try f.ledger.rebuild(["audit-trail"], copyChunk: 1_000)
        #expect(try f.dumps() == inline)
        #expect(try schema(f).indexes == before.indexes)
        do {
            try f.ledger.rebuild(copyChunk: 0)
            Issue.record("a copy chunk of 0 was accepted")
        } catch SyncLedgerError.invalidInput(let message) {
            #expect(message == "copyChunk must be at least 1 (got 0)")
        }
    }

    @Test func commandsCommittedWhileRowsAreCopiedAreInTheSwappedTables() throws {
        let f = try Fixture()
        _ = try FacadeTests().scenario(f)
        let log = f.ledger.log
        let folded = try log.head().position
        let shadow = try start(f)
        var copies = 0
        while !(try log.withWriteTransaction { tx in try shadow.copy(into: tx.connection, rows: 5) }) {
            copies += 1
            if copies == 2 {
                f.clock.advance(seconds: 60)
                try f.run(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(outgoing: .outlook)), by: C.sam)
            }
        }
        f.clock.advance(seconds: 60)
        try f.run(.testAndEnable([C.mailbox(C.sam)], TestOptions()), by: C.sam)
        #expect(copies > 10)
        #expect(try log.head().position.rawValue > folded.rawValue + 1)
        // What the old tables show, kept up to date inline while the copy ran.
        let inline = try f.dumps(), state = try f.decisionRows()

        try log.withWriteTransaction { tx in
            try shadow.swap(in: tx.connection, runner: f.ledger.runner, through: try tx.head().position, events: tx.events)
        }

        #expect(try f.dumps() == inline)
        #expect(try f.decisionRows() == state)
        #expect(try f.ledger.verifyProjections() == nil)
        #expect(try schema(f).shadows == [])
        // Commands go on from the swapped tables.
        f.clock.advance(seconds: 60)
        try f.run(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(outgoing: .serverSideSync)), by: C.sam)
        #expect(try f.ledger.verifyProjections() == nil)
    }

    @Test func aSwapWhoseCopyVanishedChangesNothingAndLeftoversAreDroppedByTheNextRebuild() throws {
        let f = try Fixture()
        _ = try FacadeTests().scenario(f)
        let log = f.ledger.log
        let inline = try f.dumps()
        let shadow = try start(f)
        while !(try log.withWriteTransaction { tx in try shadow.copy(into: tx.connection, rows: 1_000) }) {}
        try log.withWriteTransaction { tx in try tx.connection.execute("DROP TABLE \"\(shadow.shadowName(of: "alerts"))\"") }

        #expect(throws: ShadowRebuildError.self) {
            try log.withWriteTransaction { tx in
                try shadow.swap(in: tx.connection, runner: f.ledger.runner, through: try tx.head().position, events: tx.events)
            }
        }
        f.ledger.runner.reset()
        #expect(try f.dumps() == inline)
        #expect(try schema(f).shadows.count == ProjectionRunner().projections.flatMap(\.tables).count - 1)

        // An abandoned rebuild (a crash, say) leaves shadow tables; the next rebuild drops them.
        let abandoned = try start(f)
        _ = try log.withWriteTransaction { tx in try abandoned.copy(into: tx.connection, rows: 10) }
        try f.ledger.rebuild()
        #expect(try schema(f).shadows == [])
        #expect(try f.dumps() == inline)
        #expect(throws: SQLiteError.self) { _ = try log.withWriteTransaction { tx in try abandoned.copy(into: tx.connection, rows: 10) } }
    }
}
