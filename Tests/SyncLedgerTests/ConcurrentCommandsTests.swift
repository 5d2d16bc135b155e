import EventLog
import Foundation
import Projections
import ServerSideSync
import Synchronization
@testable import SyncLedger
import SyncLedgerTesting
import Testing

/// Commands from many threads of one process are group-committed: each is
/// decided on the state its predecessors in the shared transaction left, and
/// a command that fails is rolled back alone.
@Suite("Commands from many threads")
struct ConcurrentCommandsTests {
    @Test func eachCommandIsRecordedOnceInOnePieceAndTheReadModelsEqualARebuild() throws {
        let fixture = try Fixture()
        try fixture.buildWorld()
        let ledger = fixture.ledger
        let start = try ledger.head().position
        let mailboxes = [C.gabriela, C.sam, C.erin, C.alice, C.dana].map { C.mailbox($0) }
        let executed = Mutex<[UUID]>([]), failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for n in 0..<10 {
                if n == 5 {
                    // A command whose names do not resolve fails inside whatever transaction it shares.
                    do {
                        try ledger.execute(as: .user(C.gabriela)) { _ in throw SyncLedgerError.notFound("no mailbox nobody@contoso.com") }
                        failures.withLock { $0.append("thread \(thread): the unresolvable command succeeded") }
                    } catch {}
                    continue
                }
                do {
                    let execution = try ledger.execute(.testAndEnable([mailboxes[(thread + n) % mailboxes.count]], TestOptions()),
                                                       as: .user(C.gabriela))
                    executed.withLock { $0.append(execution.commandID) }
                } catch {
                    failures.withLock { $0.append("thread \(thread) command \(n): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let ids = executed.withLock { $0 }
        #expect(ids.count == 72)

        // Every command's events are in the log once, next to each other.
        var positions: [UUID: [Int64]] = [:]
        try ledger.log.forEachEvent(from: start.next) { event in
            positions[try EventMetadata.decode(event.metadata).commandID, default: []].append(event.position.rawValue)
        }
        #expect(Set(positions.keys) == Set(ids))
        #expect(positions.values.filter { $0 != Array($0[0]...$0[$0.count - 1]) } == [])

        // What the commands wrote into the read models inline equals a fold of the log from scratch.
        let inline = try fixture.dumps()
        _ = try ledger.rebuild()
        #expect(try fixture.dumps() == inline)
        #expect(try ledger.verifyProjections() == nil)
    }
}
