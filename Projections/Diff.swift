import EventLog
import Foundation
import ServerSideSync
import SQLite

/// How one row of a projection differs between two cutoffs.
public struct RowDiff: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable { case added, changed }
    public var table: String
    /// The row's key: the mailbox id, or wall|code|mailbox for alerts.
    public var key: String
    public var kind: Kind
    public var changes: [FieldChange]
    /// The events between the cutoffs on the row's mailbox stream: position and actor.
    public var causes: [Cause]

    public struct Cause: Hashable, Sendable, Codable {
        public var position: Int64
        public var actor: String
        public var type: String
        public var recordedAt: String
    }
}

extension ProjectionRunner {
    /// The rows of the mailbox grid and the alerts that differ between
    /// positions `from` and `to` (`from` <= `to`), field by field, with the
    /// events on each row's mailbox stream between them. A query over the
    /// history tables: the mailboxes the audit trail shows changing between
    /// the two positions (a range of its primary key) name the rows that may
    /// differ, and each is read as of both positions.
    public static func diff(from: Position, to: Position, in db: Connection) throws -> [RowDiff] {
        let statement = try db.prepare("""
            SELECT DISTINCT substr(object, 9) FROM audit_trail
            WHERE position > ? AND position <= ? AND outcome = 'done' AND object LIKE 'mailbox:%' ORDER BY 1
            """)
        try statement.bind([.integer(from.rawValue), .integer(to.rawValue)])
        var mailboxes: [String] = []
        while try statement.step() { mailboxes.append(statement.text(at: 0)) }
        let changed = Set(mailboxes)
        var alertKeys: [[SQLiteValue]] = []
        try AlertsProjection.table.forEachRow(asOf: nil, in: db) { row in
            let mailbox = row.text(at: 2)
            if mailbox.isEmpty || changed.contains(mailbox) { alertKeys.append([row.value(at: 0), row.value(at: 1), row.value(at: 2)]) }
        }
        var result: [RowDiff] = []
        for (table, keys) in [(MailboxStatusProjection.table, mailboxes.map { [SQLiteValue.text($0)] }), (AlertsProjection.table, alertKeys)] {
            let names = table.columns.map(\.name)
            for key in keys {
                let a = try table.values(of: key, asOf: from.rawValue, in: db)
                let b = try table.values(of: key, asOf: to.rawValue, in: db)
                guard a != b else { continue }
                var changes: [FieldChange] = []
                for (index, column) in names.enumerated() where column != "last_position" && column != "ordinal" {
                    let x = a.map { text($0[index]) } ?? nil, y = b.map { text($0[index]) } ?? nil
                    if x != y { changes.append(FieldChange(field: column, before: x, after: y)) }
                }
                if changes.isEmpty { continue }
                let mailbox = text(key[table.key.count == 1 ? 0 : 2]) ?? ""
                let causes = mailbox.isEmpty ? [] : try Self.causes(object: "mailbox:\(mailbox)", after: from, through: to, in: db)
                result.append(RowDiff(table: table.name, key: key.map { text($0) ?? "" }.joined(separator: "|"),
                                      kind: a == nil ? .added : .changed, changes: changes, causes: causes))
            }
        }
        return result
    }

    /// The events that changed `object` after `from` through `to`, from the audit trail.
    static func causes(object: String, after from: Position, through to: Position, in db: Connection) throws -> [RowDiff.Cause] {
        let statement = try db.statement("""
            SELECT position, actor, event_type, recorded_at FROM audit_trail
            WHERE object = ? AND position > ? AND position <= ? AND outcome = 'done' ORDER BY position
            """)
        defer { statement.reset() }
        try statement.bind([.text(object), .integer(from.rawValue), .integer(to.rawValue)])
        var causes: [RowDiff.Cause] = []
        while try statement.step() {
            causes.append(RowDiff.Cause(position: statement.int64(at: 0), actor: statement.text(at: 1), type: statement.text(at: 2),
                                        recordedAt: statement.text(at: 3)))
        }
        return causes
    }
}

/// A value as text, `nil` for NULL.
func text(_ value: SQLiteValue) -> String? {
    switch value {
    case .null: nil
    case .integer(let v): String(v)
    case .real(let v): String(v)
    case .text(let v): v
    case .blob(let v): v.map { String(format: "%02x", $0) }.joined()
    }
}

/// One step in the history of a field's value.
public struct FieldHistoryStep: Hashable, Sendable, Codable {
    public var position: Int64
    /// When the log appended the event.
    public var recordedAt: String
    /// When the command was decided (the domain's time).
    public var decidedAt: String
    public var actor: String
    public var command: String
    public var eventType: String
    public var before: String?
    public var after: String?
}

extension ProjectionRunner {
    /// Why `field` (a `mailbox_status` column) of mailbox `mailbox`'s grid row
    /// has its value at `position`: the row's versions up to the position
    /// where the field changed, oldest first (the last one set the value),
    /// each with the event that made it. A query over `mailbox_status_history`.
    public static func explain(mailbox: String, field: String, at position: Position, in db: Connection) throws -> (value: String?, steps: [FieldHistoryStep]) {
        let table = MailboxStatusProjection.table
        guard let index = table.columns.firstIndex(where: { $0.name == field }) else {
            if field == table.key[0].name { throw ExplainError.keyField(field) }
            throw ExplainError.unknownField(field)
        }
        var steps: [FieldHistoryStep] = []
        var current: String? = nil
        let versions = try table.versions(of: [.text(mailbox)], through: position.rawValue, in: db)
        guard !versions.isEmpty else { throw ExplainError.unknownMailbox(mailbox) }
        for version in versions {
            let value = text(version.values[index])
            guard value != current else { continue }
            let step = try AuditTrailProjection.step(at: version.validFrom, in: db)
            steps.append(FieldHistoryStep(position: version.validFrom, recordedAt: step?.recordedAt ?? "", decidedAt: step?.decidedAt ?? "",
                                          actor: step?.actor ?? "?",
                                          command: step?.action ?? "?", eventType: step?.eventType ?? "?", before: current, after: value))
            current = value
        }
        return (current, steps)
    }
}

/// Why an explanation could not be given.
public enum ExplainError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownField(String)
    case keyField(String)
    case unknownMailbox(String)

    public var description: String {
        switch self {
        case .unknownField(let field): "mailbox_status has no column \(field)"
        case .keyField(let field): "\(field) is the row's key; it never changes"
        case .unknownMailbox(let mailbox): "no mailbox \(mailbox) at that point"
        }
    }
}
