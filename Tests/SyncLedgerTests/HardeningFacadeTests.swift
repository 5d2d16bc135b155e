@testable import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite
@testable import SyncLedger
import SyncLedgerTesting
import Testing

/// Issue 9, defects 3, 10 and 17, through the facade.
@Suite("Hardening: locks, full disks, clocks", .serialized)
struct HardeningFacadeTests {
    // MARK: 3. A busy lock and a full disk have their own errors

    @Test func aLockHeldPastTheWaitIsBusyAndRecordsNothing() throws {
        let f = try Fixture()
        try f.buildWorld()
        let head = try f.ledger.head()
        var options = SyncLedger.Options(ambient: f.clock.ambient)
        options.lockWait = .milliseconds(400)
        let waiting = try SyncLedger.open(at: f.ledger.path, options: options)
        let other = try Connection(path: f.ledger.path, busyTimeout: .milliseconds(10))
        try other.execute("BEGIN IMMEDIATE")
        let started = ContinuousClock.now
        let result = Result { () throws(SyncLedgerError) in try waiting.execute(.approveEmail(C.mailbox(C.alice)), as: .user(C.gabriela)) }
        let waited = ContinuousClock.now - started
        try other.execute("ROLLBACK")
        guard case .failure(.busy(let message)) = result else {
            Issue.record("expected busy, got \(result)")
            return
        }
        #expect(message.hasPrefix("the ledger is busy: another process held its write lock for longer than the lock wait; nothing was recorded."))
        #expect(waited >= .milliseconds(400) && waited < .seconds(5), "waited \(waited)")
        #expect(try f.ledger.head() == head)
        // Once the lock is free the same command goes through.
        #expect(try waiting.execute(.approveEmail(C.mailbox(C.alice)), as: .user(C.gabriela)).events.count == 1)
    }

    @Test func aFullDiskIsReportedAsSuchAndRecordsNothing() throws {
        let f = try Fixture()
        try f.buildWorld()
        let head = try f.ledger.head()
        // Cap the file at its current size: the next write cannot grow it (SQLITE_FULL).
        try f.ledger.log.writer.withLock { db in
            let pages = try db.scalar("PRAGMA page_count")?.int64 ?? 0
            _ = try db.scalar("PRAGMA max_page_count = \(pages)")
        }
        let big = (0..<200).map { UserPrincipalName("user\($0)@contoso.com") }
        var failure: SyncLedgerError?
        for upn in big {
            do { try f.run(.addUser(upn, displayName: String(repeating: "x", count: 500), environment: C.environment), by: C.gabriela) } catch {
                failure = error as? SyncLedgerError
                break
            }
        }
        guard case .noSpace(let message)? = failure else {
            Issue.record("expected noSpace, got \(String(describing: failure))")
            return
        }
        #expect(message.hasPrefix("the disk is full: nothing was recorded."))
        #expect(try f.ledger.verify().isIntact)
        #expect(try f.ledger.head() == head, "the first command that needed a new page recorded nothing")
    }

    // MARK: 10. recorded_at is the system's; pinned decision clocks only in simulation

    @Test func aRealLedgerRefusesAPinnedClock() throws {
        let folder = TemporaryFolder()
        let pinned = ManualAmbient(at: C.t0)
        let real = try SyncLedger.open(at: folder.path(), options: .init(ambient: pinned.ambient))
        #expect(!real.isSimulation)
        let result = Result { () throws(SyncLedgerError) in try real.execute(Fixture.world[0].0, as: .user(C.gabriela)) }
        guard case .failure(.invalidInput(let message)) = result else { Issue.record("accepted: \(result)"); return }
        #expect(message.hasPrefix("a pinned clock (SYNCLEDGER_NOW) is allowed only on a simulation ledger"))
        #expect(try real.head().position == 0)
        // The system clock is fine; its events are recorded and decided now.
        let live = try SyncLedger.open(at: folder.path())
        let before = Date()
        let recorded = try live.execute(Fixture.world[0].0, as: .user(C.gabriela)).events
        let metadata = try EventMetadata.decode(recorded[0].metadata)
        #expect(abs(metadata.decidedAt.timeIntervalSince(before)) < 5)
        #expect(abs(recorded[0].recordedAt.timeIntervalSince(before)) < 5)
    }

    @Test func aSimulationPinsDecisionsButNeverRecordedAtNorTheFuture() throws {
        let f = try Fixture()
        #expect(f.ledger.isSimulation)
        let before = Date()
        let recorded = try f.run(Fixture.world[0].0, by: C.gabriela).events
        // Decided at the simulated instant; recorded at the system's.
        #expect(try EventMetadata.decode(recorded[0].metadata).decidedAt == C.t0)
        #expect(abs(recorded[0].recordedAt.timeIntervalSince(before)) < 5)
        // A clock ahead of the system's is refused, and nothing is poisoned.
        f.clock.set(Timestamp.parse("9999-12-31T00:00:00Z")!)
        let result = Result { () throws(SyncLedgerError) in try f.ledger.execute(Fixture.world[1].0, as: .user(C.gabriela)) }
        guard case .failure(.invalidInput(let message)) = result else { Issue.record("accepted: \(result)"); return }
        #expect(message == "the pinned clock 9999-12-31T00:00:00.000Z is ahead of the system clock; a simulation may replay the past, never the future")
        f.clock.set(C.t0.addingTimeInterval(60))
        let next = try f.run(Fixture.world[1].0, by: C.gabriela).events
        #expect(abs(next[0].recordedAt.timeIntervalSince(Date())) < 5)
    }

    // MARK: 17. A replayed ledger keeps the decision times

    @Test func replayKeepsEveryDomainTimeOfTheOriginal() throws {
        let f = try Fixture()
        try f.buildWorld()
        f.clock.advance(seconds: 600)
        try f.run(.approveEmail(C.mailbox(C.alice)), by: C.gabriela)
        f.clock.advance(seconds: 600)
        try f.run(.testAndEnable([C.mailbox(C.alice), C.mailbox(C.erin)], TestOptions()), by: C.sam)
        let targetFolder = TemporaryFolder()
        let target = try SyncLedger.open(at: targetFolder.path())   // a real ledger on the system clock
        let report = try f.ledger.replay(from: .position(.origin), through: .latest, onto: target, dryRun: false)
        #expect(report.allSatisfy { $0.outcome == "accepted" }, "\(report.filter { $0.outcome != "accepted" })")
        func times(_ rows: [MailboxStatusRow]) -> [[String?]] { rows.map { [$0.mailbox, $0.approvedAt, $0.lastTestAt, $0.nextRetryAt] } }
        #expect(times(try target.mailboxStatus()) == times(try f.ledger.mailboxStatus()))
        #expect(try target.mailboxStatus().first { $0.emailAddress == "alice@contoso.com" }?.approvedAt == Timestamp.format(C.t0.addingTimeInterval(600)))
        func alertTimes(_ rows: [AlertRow]) -> [[String]] { rows.map { [$0.wall, $0.code, $0.firstAt, $0.lastAt] } }
        #expect(alertTimes(try target.alerts()) == alertTimes(try f.ledger.alerts()))
        #expect(try target.audit().map(\.decidedAt) == (try f.ledger.audit().map(\.decidedAt)))
    }
}
