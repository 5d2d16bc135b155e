import EventLog
import Foundation
import Synchronization
import Testing

/// Group commit: concurrent write requests share one transaction, each in its
/// own savepoint, and every caller returns after the shared COMMIT.
@Suite("Group commit")
struct GroupCommitTests {
    struct Refused: Error, Equatable {}

    /// Waits (up to 10 s) until `condition` holds.
    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            if Date() > deadline { return false }
            usleep(1_000)
        }
        return true
    }

    @Test func requestsWaitingTogetherShareOneCommitAndAFailureRollsBackOnlyItsOwnEvents() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let leaderInside = DispatchSemaphore(value: 0), releaseLeader = DispatchSemaphore(value: 0)
        let outcomes = Mutex<[String: String]>([:])
        let rolledBack = Mutex<[String]>([])
        let done = DispatchGroup()
        func submit(_ name: String, _ n: Int, failing: Bool = false, holding: Bool = false) {
            DispatchQueue.global().async(group: done) {
                do {
                    let recorded = try log.withGroupCommit(onRollback: { rolledBack.withLock { $0.append(name) } }) { tx in
                        let recorded = try tx.append([event(n, StreamID(name))], expecting: [StreamID(name): .noStream])
                        if holding {
                            leaderInside.signal()
                            releaseLeader.wait()
                        }
                        if failing { throw Refused() }
                        return recorded.map(\.position.rawValue)
                    }
                    outcomes.withLock { $0[name] = "committed at \(recorded)" }
                } catch {
                    outcomes.withLock { $0[name] = "failed: \(error)" }
                }
            }
        }
        // "a" leads a transaction of its own and holds the writer until b, c and d wait behind it.
        submit("a", 1, holding: true)
        leaderInside.wait()
        submit("b", 2)
        #expect(eventually { log.waitingWriteRequests == 1 })
        submit("c", 3, failing: true)
        #expect(eventually { log.waitingWriteRequests == 2 })
        submit("d", 4)
        #expect(eventually { log.waitingWriteRequests == 3 })
        releaseLeader.signal()
        done.wait()

        #expect(outcomes.withLock { $0 } == [
            "a": "committed at [1]", "b": "committed at [2]", "c": "failed: \(Refused())", "d": "committed at [3]",
        ])
        #expect(rolledBack.withLock { $0 } == ["c"])
        #expect(log.groupCommitCounts == (transactions: 2, requests: 4))
        var recorded: [String] = []
        try log.forEachEvent { recorded.append("#\($0.position.rawValue) \($0.stream.rawValue) v\($0.streamVersion.rawValue) \($0.id)") }
        #expect(recorded == ["#1 a v1 \(uuid(1))", "#2 b v1 \(uuid(2))", "#3 d v1 \(uuid(4))"])
        #expect(try log.verify() == .intact(events: 3, head: try log.head()))
        // c's stream is untouched: its first append can still be made.
        #expect(try log.append([event(3, "c")], to: "c", expecting: .noStream).map(\.position.rawValue) == [4])
    }

    @Test func aFailedExpectationInASharedTransactionFailsOnlyThatAppend() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([event(1, "s")], to: "s", expecting: .noStream)
        let leaderInside = DispatchSemaphore(value: 0), releaseLeader = DispatchSemaphore(value: 0)
        let outcomes = Mutex<[Int: String]>([:])
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            _ = try? log.withGroupCommit { _ in
                leaderInside.signal()
                releaseLeader.wait()
            }
        }
        leaderInside.wait()
        // Both expect version 1 of "s": the first in the batch wins, the second is refused.
        for n in [2, 3] {
            DispatchQueue.global().async(group: done) {
                do {
                    let recorded = try log.append([event(n, "s")], to: "s", expecting: .exactly(1))
                    outcomes.withLock { $0[n] = "v\(recorded[0].streamVersion.rawValue)" }
                } catch {
                    outcomes.withLock { $0[n] = "\(error)" }
                }
            }
            #expect(eventually { log.waitingWriteRequests == n - 1 })
        }
        releaseLeader.signal()
        done.wait()
        #expect(outcomes.withLock { $0 } == [
            2: "v2",
            3: "\(AppendError.wrongExpectedVersion(stream: "s", expected: .exactly(1), actual: 2))",
        ])
        #expect(log.groupCommitCounts == (transactions: 3, requests: 4))
        var recorded: [String] = []
        try log.forEachEvent { recorded.append("#\($0.position.rawValue) v\($0.streamVersion.rawValue) \($0.id)") }
        #expect(recorded == ["#1 v1 \(uuid(1))", "#2 v2 \(uuid(2))"])
    }

    @Test func manyThreadsAppendingLoseNothingAndShareCommits() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for n in 1...50 {
                let stream = StreamID("t\(thread)")
                do {
                    try log.append([event(thread * 1_000 + n, stream)], to: stream, expecting: .exactly(StreamVersion(Int64(n - 1))))
                } catch {
                    failures.withLock { $0.append("\(stream) #\(n): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        var versions: [String: [Int64]] = [:]
        var positions: [Int64] = []
        try log.forEachEvent { event in
            versions[event.stream.rawValue, default: []].append(event.streamVersion.rawValue)
            positions.append(event.position.rawValue)
        }
        #expect(positions == Array(1...400))
        #expect(versions == Dictionary(uniqueKeysWithValues: (0..<8).map { ("t\($0)", Array(1...50)) }))
        #expect(log.groupCommitCounts.requests == 400)
        #expect(try log.verify() == .intact(events: 400, head: try log.head()))
    }
}
