import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite

/// A point of the log to read projections at.
public enum Cutoff: Hashable, Sendable, CustomStringConvertible {
    /// The head: everything recorded so far.
    case latest
    /// Up to and including this position.
    case position(Position)
    /// Up to the last position recorded at or before this instant.
    case instant(Date)

    /// Parses `#N` (a position) or an RFC 3339 instant (or a bare date).
    public init?(parsing text: String) {
        if text.hasPrefix("#") {
            let digits = text.dropFirst()
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else { return nil }
            self = .position(Position(value))
        } else if let instant = Timestamp.parse(text) {
            self = .instant(instant)
        } else {
            return nil
        }
    }

    /// The position this cutoff stands for, as `db` sees the log (an instant
    /// is resolved through the index on `recorded_at`). A position beyond the
    /// head is refused rather than silently read as the head: an auditor
    /// asking about `#999999` must learn that the log does not reach it.
    func resolve(in db: Connection) throws -> Position {
        try resolve(in: db, head: try db.headPosition())
    }

    /// The same, with the head already read.
    func resolve(in db: Connection, head: Position) throws -> Position {
        switch self {
        case .latest: return head
        case .position(let position):
            guard position <= head else {
                throw SyncLedgerError.invalidInput("position \(position) is beyond the head of the log (\(head))")
            }
            return position
        case .instant(let instant): return try db.position(atOrBefore: instant)
        }
    }

    public var description: String {
        switch self {
        case .latest: "latest"
        case .position(let position): position.description
        case .instant(let instant): Timestamp.format(instant)
        }
    }
}

extension SyncLedger {
    /// Runs `body` in one read transaction (one consistent snapshot) with the
    /// position `cutoff` resolves to there, `nil` for the head (read the
    /// current tables).
    func read<T: Sendable>(asOf cutoff: Cutoff, _ body: (Connection, Int64?) throws -> T) throws(SyncLedgerError) -> T {
        do {
            return try log.withReadTransaction { db in
                if cutoff == .latest { return try body(db, nil) }
                let head = try db.headPosition()
                let position = try cutoff.resolve(in: db, head: head)
                return try body(db, position == head ? nil : position.rawValue)
            }
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }

    /// Runs `body` in one read transaction.
    func read<T: Sendable>(_ body: (Connection) throws -> T) throws(SyncLedgerError) -> T {
        do { return try log.withReadTransaction(body) } catch { throw SyncLedgerError.wrap(error) }
    }

    /// Resolves a cutoff to a position of this log.
    public func position(of cutoff: Cutoff) throws(SyncLedgerError) -> Position {
        try read { db in try cutoff.resolve(in: db) }
    }

    /// The last position and its hash.
    public func head() throws(SyncLedgerError) -> LogHead {
        do { return try log.head() } catch { throw SyncLedgerError.wrap(error) }
    }

    /// The mailbox grid as of `cutoff`, optionally one environment's: the
    /// current table, or one indexed read of its history — no fold.
    public func mailboxStatus(asOf cutoff: Cutoff = .latest, environment: String? = nil) throws(SyncLedgerError) -> [MailboxStatusRow] {
        try read(asOf: cutoff) { db, position in try MailboxStatusProjection.rows(asOf: position, environment: environment, in: db) }
    }

    /// One page of the mailbox grid as of `cutoff`, in mailbox-id order, with
    /// the position it was read at (the head for `.latest`). A page of the
    /// past is one indexed seek per row, whatever the size of the log.
    /// `after` names the last mailbox id of the previous page (keyset paging,
    /// one seek however deep the page); `offset` skips rows instead.
    public func mailboxStatusPage(asOf cutoff: Cutoff = .latest, environment: String? = nil, after: String? = nil, offset: Int = 0,
                                  limit: Int = 100) throws(SyncLedgerError) -> (position: Position, rows: [MailboxStatusRow]) {
        guard offset >= 0, limit >= 0 else { throw .invalidInput("offset and limit must not be negative") }
        struct Page: Sendable { var position: Position; var rows: [MailboxStatusRow] }
        let page: Page = try read { db in
            let head = try db.headPosition()
            let position = try cutoff.resolve(in: db, head: head)
            return Page(position: position, rows: try MailboxStatusProjection.rows(
                asOf: position == head ? nil : position.rawValue, environment: environment, after: after, page: (offset, limit), in: db))
        }
        return (page.position, page.rows)
    }

    /// One mailbox's grid row as of `cutoff`; the mailbox may be named by id,
    /// email address, owner UPN or queue name (as it was at the cutoff). An id
    /// is one indexed read; a name is matched against the grid's own columns as
    /// of the cutoff, never by loading the whole decision state.
    ///
    /// - Throws: ``SyncLedgerError/notFound(_:)`` when no such mailbox existed
    ///   then; ``SyncLedgerError/invalidInput(_:)`` when the name fits several.
    public func mailbox(_ reference: String, environment: String? = nil, asOf cutoff: Cutoff = .latest) throws(SyncLedgerError) -> MailboxStatusRow {
        let found: Result<MailboxStatusRow, SyncLedgerError> = try read(asOf: cutoff) { db, position in
            if let row = try MailboxStatusProjection.row(of: reference, asOf: position, in: db) {
                if environment == nil || row.environment == environment { return .success(row) }
            } else if try MailboxStatusProjection.row(of: reference, asOf: nil, in: db) != nil {
                return .failure(.notFound("mailbox \(reference) did not exist at \(cutoff)"))
            }
            let rows = try MailboxStatusProjection.rows(named: reference, asOf: position, environment: environment, in: db)
            guard rows.count <= 1 else {
                return .failure(.invalidInput("\(reference) names \(rows.count) mailboxes (\(rows.map(\.mailbox).joined(separator: ", "))): use --env or the mailbox id"))
            }
            guard let row = rows.first else {
                return .failure(.notFound("no mailbox \(reference)\(environment.map { " in \($0)" } ?? "") at \(cutoff)"))
            }
            return .success(row)
        }
        return try found.get()
    }

    /// Alerts as of `cutoff`, on one wall (`mailbox:ID` or `user:UPN`) or all.
    public func alerts(asOf cutoff: Cutoff = .latest, wall: String? = nil) throws(SyncLedgerError) -> [AlertRow] {
        try read(asOf: cutoff) { db, position in try AlertsProjection.rows(asOf: position, wall: wall, in: db) }
    }

    /// The audit trail up to `cutoff`, filtered.
    public func audit(asOf cutoff: Cutoff = .latest, filter: AuditFilter = AuditFilter()) throws(SyncLedgerError) -> [AuditRow] {
        try read { db in try AuditTrailProjection.rows(through: try cutoff.resolve(in: db).rawValue, filter: filter, in: db) }
    }

    /// The decision state (directory, environments, profiles, mailboxes) as of
    /// `cutoff`: what a command would have been decided on there.
    public func decisionState(asOf cutoff: Cutoff = .latest) throws(SyncLedgerError) -> SyncState {
        try read(asOf: cutoff) { db, position in try DecisionStateProjection.load(asOf: position, from: db) }
    }

    /// Resolves names against the state as of `cutoff`.
    public func resolver(asOf cutoff: Cutoff = .latest) throws(SyncLedgerError) -> NameResolver {
        NameResolver(state: try decisionState(asOf: cutoff))
    }

    /// The events of one stream, e.g. `mailbox:contoso-prod/user:alice@contoso.com`.
    ///
    /// - Throws: ``SyncLedgerError/notFound(_:)`` when the stream has no
    ///   events (a mistyped name is not an empty history).
    public func history(of stream: String) throws(SyncLedgerError) -> [RecordedEvent] {
        let events: [RecordedEvent]
        do { events = try log.events(in: StreamID(stream)) } catch { throw SyncLedgerError.wrap(error) }
        guard !events.isEmpty else { throw .notFound("no stream named \(stream) (streams look like mailbox:ENV/user:UPN, profile:ID, environment:NAME, tenant, refusals)") }
        return events
    }

    /// Calls `body` with every event from `start` through `end` (the head when
    /// `nil`), in position order, a page at a time. Works on any ledger,
    /// including one holding event types this binary does not know.
    public func forEachEvent(from start: Position = 1, through end: Position? = nil, _ body: (RecordedEvent) throws -> Void) throws(SyncLedgerError) {
        do { try log.forEachEvent(from: max(start, 1), through: end, body) } catch { throw SyncLedgerError.wrap(error) }
    }

    /// What changed in the mailbox grid and the alerts between two cutoffs.
    public func diff(from: Cutoff, to: Cutoff) throws(SyncLedgerError) -> [RowDiff] {
        let result: Result<[RowDiff], SyncLedgerError> = try read { db in
            let a = try from.resolve(in: db), b = try to.resolve(in: db)
            guard a <= b else { return .failure(.invalidInput("the first cutoff (\(a)) is after the second (\(b))")) }
            return .success(try ProjectionRunner.diff(from: a, to: b, in: db))
        }
        return try result.get()
    }

    /// The grid columns ``explain(mailbox:field:asOf:)`` can explain, as the
    /// history table names them (`email_status`, `incoming_status`, …).
    public static var explainableFields: [String] { MailboxStatusProjection.table.columns.map(\.name) }

    /// Which events gave `field` of `mailbox`'s grid row its value as of `cutoff`.
    public func explain(mailbox: String, field: String, asOf cutoff: Cutoff = .latest) throws(SyncLedgerError) -> (value: String?, steps: [FieldHistoryStep]) {
        struct Explanation: Sendable { var value: String?; var steps: [FieldHistoryStep] }
        let result: Result<Explanation, SyncLedgerError> = try read { db in
            do {
                let (value, steps) = try ProjectionRunner.explain(mailbox: mailbox, field: field, at: try cutoff.resolve(in: db), in: db)
                return .success(Explanation(value: value, steps: steps))
            } catch let error as ExplainError {
                if case .unknownMailbox = error { return .failure(.notFound(error.description)) }
                return .failure(.invalidInput(error.description))
            }
        }
        let explanation = try result.get()
        return (explanation.value, explanation.steps)
    }

    /// Where each projection stands.
    public func projectionStatus() throws(SyncLedgerError) -> [ProjectionStatus] {
        try read { db in try self.runner.status(in: db) }
    }

    /// The names of the projections.
    public var projectionNames: [String] { runner.projections.map(\.name) }

    /// The bytes of read-model rows a rebuild's fold holds in memory unless told otherwise.
    public static let defaultRebuildMemoryBudget = ProjectionStore.defaultMemoryBudget

    /// Rebuilds projections from position 1: all when `names` is nil, and
    /// with them any dependency that is stale.
    ///
    /// No transaction of the rebuild is large, and commands and queries go on
    /// meanwhile (``ShadowRebuild``): the log is folded into a temporary
    /// scratch file, read a page per short read transaction; the rows are
    /// copied into new tables beside the old ones, `copyChunk` rows per write
    /// transaction; then one write transaction swaps the tables and applies
    /// the events committed in the meantime. Readers see the old tables until
    /// the swap commits. A failure leaves the old tables as they were. The
    /// scratch file goes where SQLite puts temporary files (`SQLITE_TMPDIR`,
    /// else `TMPDIR`, else `/var/tmp` or `/tmp`) and needs about the
    /// projections' size. Rebuilds in this process run one at a time.
    ///
    /// - Parameters:
    ///   - memoryBudget: The bytes of read-model rows the fold may hold in
    ///     memory (``ProjectionStore``); rows past it are folded in the scratch
    ///     file's tables, more slowly.
    ///   - progress: Called with (position folded, head) every 10,000 events and at the end of the fold.
    ///   - copyProgress: Called with (rows copied, rows in all) after each copy transaction.
    /// - Returns: The events folded (the log as it was when the rebuild began).
    @discardableResult
    public func rebuild(_ names: Set<String>? = nil, copyChunk: Int = ShadowRebuild.defaultCopyChunk,
                        memoryBudget: Int = SyncLedger.defaultRebuildMemoryBudget,
                        progress: ((Position, Position) -> Void)? = nil,
                        copyProgress: ((Int, Int) -> Void)? = nil) throws(SyncLedgerError) -> Int64 {
        guard !options.readOnly else { throw .invalidInput("the ledger was opened read-only") }
        if let names {
            let known = Set(projectionNames)
            if let unknown = names.subtracting(known).sorted().first {
                throw .invalidInput("no projection named \(unknown); known: \(known.sorted().joined(separator: ", "))")
            }
        }
        guard copyChunk > 0 else { throw .invalidInput("copyChunk must be at least 1 (got \(copyChunk))") }
        guard memoryBudget >= 0 else { throw .invalidInput("memoryBudget must not be negative (got \(memoryBudget))") }
        do {
            return try rebuilding.withLock { _ in try rebuildBounded(names, copyChunk: copyChunk, memoryBudget: memoryBudget, progress: progress, copyProgress: copyProgress) }
        } catch {
            runner.reset()
            throw SyncLedgerError.wrap(error)
        }
    }

    private func rebuildBounded(_ names: Set<String>?, copyChunk: Int, memoryBudget: Int, progress: ((Position, Position) -> Void)?,
                                copyProgress: ((Int, Int) -> Void)?) throws -> Int64 {
        let (head, targets) = try log.withReadTransaction { db in (try db.headPosition(), try self.runner.rebuildTargets(names, in: db)) }
        let shadow = try ShadowRebuild(targets: targets, memoryBudget: memoryBudget)
        let count = try shadow.fold(through: head, events: { after, through, body in
            try self.log.scanEvents(from: after.next, through: through, body)
        }, progress: progress)
        do {
            try log.withWriteTransaction { tx in
                try self.runner.prepare(tx.connection)
                try shadow.createShadows(in: tx.connection)
            }
            let total = copyProgress == nil ? 0 : try shadow.rowsToCopy()
            var done = false
            while !done {
                done = try log.withWriteTransaction { tx in try shadow.copy(into: tx.connection, rows: copyChunk) }
                copyProgress?(shadow.rowsCopied, total)
            }
            try log.withWriteTransaction { tx in
                try shadow.swap(in: tx.connection, runner: self.runner, through: try tx.head().position, events: tx.events)
            }
        } catch {
            try? log.withWriteTransaction { tx in try shadow.dropShadows(in: tx.connection) }
            throw error
        }
        log.checkpointWAL()
        return count
    }

    /// Walks the hash chain, reading only. It never decodes events, so it
    /// works on a ledger holding event types this binary does not know.
    ///
    /// - Parameters:
    ///   - anchor: Start after this trusted point instead of position 1.
    ///   - expectingHead: A head kept elsewhere; a shorter or different log is reported.
    ///
    /// With `checkpoint` (whose signature the caller checked), the same walk
    /// also recomputes the Merkle tree from the events: the first
    /// `checkpoint.size` must hash to its root, the log must not be shorter,
    /// and the stored tree must match the events.
    public func verify(from anchor: ChainAnchor? = nil, expectingHead: LogHead? = nil, checkpoint: Checkpoint? = nil,
                       progress: ((Position) -> Void)? = nil) throws(SyncLedgerError) -> VerifyReport {
        do {
            let report = try log.verify(from: anchor, expectingHead: expectingHead, treeHead: checkpoint.map { ($0.size, $0.root) }, progress: progress)
            guard report.isIntact else { return report }
            return try verifySignatures() ?? report
        } catch { throw SyncLedgerError.wrap(error) }
    }

    /// Writes a verified, self-contained copy of the ledger to `destination`
    /// (which must not exist): one consistent snapshot taken while others may
    /// keep writing, its chain walked and its head matched against this log
    /// before it is kept. Copy ledgers this way, not with `cp` of the main
    /// file, which may lack what is still in the `-wal` file.
    ///
    /// - Returns: The head of the copy.
    public func backup(to destination: String) throws(SyncLedgerError) -> LogHead {
        do { return try log.backup(to: destination) } catch let error as BackupError {
            switch error {
            case .destinationExists: throw .invalidInput(error.description)
            case .copyDoesNotVerify: throw .storage(error.description)
            }
        } catch { throw SyncLedgerError.wrap(error) }
    }

    /// Rebuilds every read model from the log in a scratch database and
    /// compares it, row by row, with what the file stores: current rows,
    /// history versions, the audit trail and the decision state. Reads the
    /// file only.
    ///
    /// The fold, the long part, reads the log a page per short read
    /// transaction, so it holds no snapshot and checkpoints go on while it
    /// runs. One read transaction then folds the events committed meanwhile
    /// and compares the tables at its own head.
    ///
    /// - Returns: The first difference, or `nil` when every table matches.
    public func verifyProjections(progress: ((Position, Position) -> Void)? = nil) throws(SyncLedgerError) -> ProjectionMismatch? {
        do {
            let expected = try ExpectedProjections()
            try expected.fold(through: try log.head().position, events: { after, through, body in
                try self.log.scanEvents(from: after.next, through: through, body)
            }, progress: progress)
            return try read { db in
                let head = try db.headPosition()
                try expected.fold(through: head, events: { after, through, body in try db.forEachEvent(after: after, through: through, body) })
                return try ProjectionRunner().compareStored(db, head: head, expected: expected)
            }
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }
}
