import Dispatch
import Foundation
import SQLite
import Synchronization

/// Group commit: the write requests of concurrent callers are drained by one
/// committer into one SQLite transaction, so N callers pay for one `COMMIT`
/// (one fsync at `synchronous=FULL`) instead of N.
///
/// How it runs: a caller enqueues its request. If no committer is running it
/// becomes the committer ("leader"): it takes the writer, runs
/// `BEGIN IMMEDIATE`, then every request waiting at that moment (its own
/// first, at most ``maximumBatch``), each inside its own savepoint, then one
/// `COMMIT`; only then are the callers of that batch woken with their results.
/// Requests that arrived meanwhile wait for the next batch, which the first of
/// them leads. A caller alone pays one mutex and no wake-up.
///
/// Isolation between the requests of one batch: a request whose body throws
/// is rolled back to its savepoint (its events and table writes vanish, the
/// others stay), its caller gets the error, and its `onRollback` runs so the
/// caller can forget what it cached of its own writes. If `BEGIN` or `COMMIT`
/// fails, nothing of the batch is written: every caller gets that error and
/// every `onRollback` runs. No caller is told "done" before its `COMMIT`
/// returned, so durability is exactly that of one transaction per request.
final class GroupCommitter: Sendable {
    /// The most requests one transaction takes.
    static let maximumBatch = 128

    /// One caller's work and, once run, its outcome.
    ///
    /// `@unchecked Sendable` because the body is the caller's non-escaping,
    /// non-`Sendable` closure: it is run by whichever thread leads the batch,
    /// but only while its caller is blocked in ``GroupCommitter/submit(_:to:)``
    /// waiting for it, and the outcome is written before the caller's
    /// semaphore is signalled and read only after it returned — so the body
    /// and the outcome are never touched by two threads at once.
    ///
    /// The leader drops the body as soon as it has run, before any caller is
    /// woken: the body must not outlive its caller's `withoutActuallyEscaping`.
    final class Request: @unchecked Sendable {
        var body: ((WriteTransaction) throws -> any Sendable)?
        let onRollback: @Sendable () -> Void
        let wake = DispatchSemaphore(value: 0)
        var outcome: Result<any Sendable, any Error>?

        init(onRollback: @escaping @Sendable () -> Void, body: @escaping (WriteTransaction) throws -> any Sendable) {
            self.onRollback = onRollback
            self.body = body
        }

        var failed: Bool {
            if case .failure = outcome { return true }
            return false
        }
    }

    private struct Queue {
        var pending: [Request] = []
        /// Whether a leader is running a batch (or has been handed the next one).
        var leading = false
    }

    private let queue = Mutex(Queue())
    /// Transactions run by leaders, and the requests they carried.
    let transactions = Atomic(0), requests = Atomic(0)

    /// Requests enqueued and not yet taken into a batch.
    var waiting: Int { queue.withLock { $0.pending.count } }

    /// Runs `request` in a batch and returns when its outcome is known (after
    /// the batch's `COMMIT`, or after its rollback).
    func submit(_ request: Request, to log: EventLog) {
        let leads = queue.withLock { queue -> Bool in
            queue.pending.append(request)
            guard !queue.leading else { return false }
            queue.leading = true
            return true
        }
        if !leads {
            request.wake.wait()
            // Woken either with an outcome, or to lead the next batch.
            if request.outcome != nil { return }
        }
        // The leader is first in the queue: `leading` was false only when the
        // queue was empty, and leadership is handed to the first waiting request.
        let batch = queue.withLock { queue -> [Request] in
            let count = min(queue.pending.count, Self.maximumBatch)
            defer { queue.pending.removeFirst(count) }
            return Array(queue.pending.prefix(count))
        }
        log.commit(batch)
        transactions.add(1, ordering: .relaxed)
        requests.add(batch.count, ordering: .relaxed)
        let next = queue.withLock { queue -> Request? in
            if let first = queue.pending.first { return first }
            queue.leading = false
            return nil
        }
        for waiting in batch where waiting !== request { waiting.wake.signal() }
        next?.wake.signal()
    }
}

extension EventLog {
    /// How group commit has gone since the log was opened: the transactions
    /// its leaders ran and the write requests they carried (their ratio is
    /// the mean batch size).
    public var groupCommitCounts: (transactions: Int, requests: Int) {
        (committer.transactions.load(ordering: .relaxed), committer.requests.load(ordering: .relaxed))
    }

    /// Write requests waiting for the committer at this moment (diagnostics, tests).
    public var waitingWriteRequests: Int { committer.waiting }

    /// Runs `body` in a write transaction that it may share with other
    /// callers waiting for the writer at the same moment (group commit; see
    /// the doc comment of `GroupCommitter`), and returns once that
    /// transaction has committed.
    ///
    /// `body` runs inside its own savepoint: if it throws, exactly its own
    /// writes are rolled back, `onRollback` runs, and its error is rethrown;
    /// other callers' writes in the same transaction are unaffected. If the
    /// shared `COMMIT` fails, `onRollback` runs and the commit's error is
    /// thrown — nothing of `body` was written. Use `onRollback` to drop
    /// anything cached in memory from what `body` wrote.
    ///
    /// `body` may run on another thread than the caller's (the one leading
    /// the batch) while the caller waits; it must not rely on thread-local
    /// state. Calls from other processes are serialised by SQLite's lock as
    /// with ``withWriteTransaction(_:)``.
    public func withGroupCommit<T: Sendable>(onRollback: @escaping @Sendable () -> Void = {},
                                             _ body: (WriteTransaction) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            let request = GroupCommitter.Request(onRollback: onRollback) { transaction in try body(transaction) }
            committer.submit(request, to: self)
            switch request.outcome {
            case .success(let value)?: return value as! T   // the body returned a T
            case .failure(let error)?: throw error
            case nil: preconditionFailure("a group-commit request returned without an outcome")
            }
        }
    }

    /// Runs `batch` in one transaction on the writer, each request in its
    /// own savepoint, and records every request's outcome.
    func commit(_ batch: [GroupCommitter.Request]) {
        let clock = options.clock
        writer.withLock { (db: inout Connection) in
            let transaction = WriteTransaction(connection: db, clock: clock)
            do {
                try db.beginImmediate()
            } catch {
                for request in batch {
                    request.body = nil
                    request.outcome = .failure(error)
                    request.onRollback()
                }
                return
            }
            for request in batch {
                guard let body = request.body else { continue }
                request.body = nil
                do {
                    // A lone request needs no savepoint: its failure rolls back the transaction.
                    let value = batch.count == 1 ? try body(transaction) : try db.savepoint("request") { try body(transaction) }
                    request.outcome = .success(value)
                } catch {
                    request.outcome = .failure(error)
                    request.onRollback()
                }
            }
            if batch.count == 1 && batch[0].failed {
                db.rollbackQuietly()
                return
            }
            do {
                try db.commit()
            } catch {
                db.rollbackQuietly()
                for request in batch where !request.failed {
                    request.outcome = .failure(error)
                    request.onRollback()
                }
            }
        }
    }
}
