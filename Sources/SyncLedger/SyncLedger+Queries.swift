import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite

/// Which audit rows to return.
public struct AuditFilter: Sendable {
    public var object: String?
    public var mailbox: String?
    public var actor: String?
    public var action: String?
    public var since: Date?
    public var until: Date?
    public var deniedOnly = false

    public init(mailbox: String? = nil, actor: String? = nil, action: String? = nil, since: Date? = nil, until: Date? = nil, deniedOnly: Bool = false) {
        self.mailbox = mailbox
        self.actor = actor
        self.action = action
        self.since = since
        self.until = until
        self.deniedOnly = deniedOnly
    }
}

extension SyncLedger {
    /// Resolves a cutoff to a position of this log.
    public func position(of cutoff: Cutoff) throws(SyncLedgerError) -> Position {
        do { return try cutoff.resolve(in: log) } catch { throw SyncLedgerError.wrap(error) }
    }

    /// Runs `body` on the tables of `projection` as of `cutoff`: the stored
    /// tables for `.latest`, else an in-memory fold up to the cutoff.
    func read<T: Sendable>(_ projection: any Projection, asOf cutoff: Cutoff, _ body: (Connection) throws -> T) throws(SyncLedgerError) -> T {
        do {
            if cutoff == .latest { return try log.withReadTransaction(body) }
            let position = try cutoff.resolve(in: log)
            return try body(try runner.materialize(projection, at: position, from: log).db)
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }

    /// The mailbox grid as of `cutoff`.
    public func mailboxStatus(asOf cutoff: Cutoff = .latest) throws(SyncLedgerError) -> [MailboxStatusRow] {
        try read(MailboxStatusProjection(), asOf: cutoff) { try MailboxStatusRow.all(in: $0) }
    }

    /// Alerts as of `cutoff`, on one wall (`mailbox:ID` or `user:UPN`) or all.
    public func alerts(asOf cutoff: Cutoff = .latest, wall: String? = nil) throws(SyncLedgerError) -> [AlertRow] {
        try read(AlertsProjection(), asOf: cutoff) { db in
            if let wall { return try AlertRow.all(in: db, where: "WHERE wall = ?", [.text(wall)]) }
            return try AlertRow.all(in: db)
        }
    }

    /// The audit trail up to `cutoff`, filtered.
    public func audit(asOf cutoff: Cutoff = .latest, filter: AuditFilter = AuditFilter()) throws(SyncLedgerError) -> [AuditRow] {
        let position = try position(of: cutoff)
        var clauses = ["position <= ?"]
        var arguments: [SQLiteValue] = [.integer(position.rawValue)]
        if let mailbox = filter.mailbox { clauses.append("object = ?"); arguments.append(.text("mailbox:\(mailbox)")) }
        if let actor = filter.actor { clauses.append("actor = ?"); arguments.append(.text(actor.lowercased())) }
        if let action = filter.action { clauses.append("action = ?"); arguments.append(.text(action)) }
        if let since = filter.since { clauses.append("recorded_at >= ?"); arguments.append(.text(Timestamp.format(since))) }
        if let until = filter.until { clauses.append("recorded_at <= ?"); arguments.append(.text(Timestamp.format(until))) }
        if filter.deniedOnly { clauses.append("outcome = 'denied'") }
        let clause = "WHERE " + clauses.joined(separator: " AND ")
        do {
            return try log.withReadTransaction { db in try AuditRow.all(in: db, where: clause, arguments) }
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }

    /// The events of one stream, e.g. `mailbox:contoso-prod/user:alice@contoso.com`.
    public func history(of stream: String) throws(SyncLedgerError) -> [RecordedEvent] {
        do { return try log.events(in: StreamID(stream)) } catch { throw SyncLedgerError.wrap(error) }
    }

    /// What changed in the mailbox grid and the alerts between two cutoffs.
    public func diff(from: Cutoff, to: Cutoff) throws(SyncLedgerError) -> [RowDiff] {
        let a = try position(of: from), b = try position(of: to)
        guard a <= b else { throw .invalidInput("the first cutoff (\(a)) is after the second (\(b))") }
        do { return try runner.diff(from: a, to: b, in: log) } catch { throw SyncLedgerError.wrap(error) }
    }

    /// Which events gave `field` of `mailbox`'s grid row its value as of `cutoff`.
    public func explain(mailbox: String, field: String, asOf cutoff: Cutoff = .latest) throws(SyncLedgerError) -> (value: String?, steps: [FieldHistoryStep]) {
        let position = try position(of: cutoff)
        do {
            return try runner.explain(mailbox: mailbox, field: field, at: position, in: log)
        } catch let error as ExplainError {
            throw .invalidInput(error.description)
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }

    /// Where each projection stands.
    public func projectionStatus() throws(SyncLedgerError) -> [ProjectionStatus] {
        do { return try log.withReadTransaction { try self.runner.status(in: $0) } } catch { throw SyncLedgerError.wrap(error) }
    }

    /// Rebuilds projections (all when `names` is nil) from position 1 in one
    /// transaction; readers see the old tables until it commits.
    @discardableResult
    public func rebuild(_ names: Set<String>? = nil, progress: ((Position, Position) -> Void)? = nil) throws(SyncLedgerError) -> Int64 {
        if let names {
            let known = Set(runner.projections.map(\.name)).union([DecisionStateStore.name])
            if let unknown = names.subtracting(known).sorted().first {
                throw .invalidInput("no projection named \(unknown); known: \(known.sorted().joined(separator: ", "))")
            }
        }
        do {
            let count = try log.withWriteTransaction { tx in try self.runner.rebuild(names, in: tx, progress: progress) }
            cache.withLock { $0 = nil }
            return count
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }

    /// Walks the hash chain (see ``EventLog/verify(from:expectingHead:progress:)``).
    public func verify(expectingHead: LogHead? = nil, progress: ((Position) -> Void)? = nil) throws(SyncLedgerError) -> VerifyReport {
        do { return try log.verify(expectingHead: expectingHead, progress: progress) } catch { throw SyncLedgerError.wrap(error) }
    }
}
