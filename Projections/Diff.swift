import EventLog
import Foundation
import ServerSideSync
import SQLite

/// How one row of a projection differs between two cutoffs.
public struct RowDiff: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable { case added, removed, changed }
    public var table: String
    /// The row's key (the first column: mailbox id, or wall|code|mailbox for alerts).
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
    /// The rows of the folded projections (mailbox status, alerts) that differ
    /// between positions `from` and `to` (`from` < `to`), field by field, with
    /// the events on each row's mailbox stream between them.
    public func diff(from: Position, to: Position, in log: EventLog) throws -> [RowDiff] {
        var result: [RowDiff] = []
        for projection in projections where Self.foldedNames.contains(projection.name) {
            let before = try materialize(projection, at: from, from: log).db
            let after = try materialize(projection, at: to, from: log).db
            for table in projection.tables {
                let (columns, old) = try keyedRows(table, in: before)
                let (_, new) = try keyedRows(table, in: after)
                for key in Set(old.keys).union(new.keys).sorted() {
                    let a = old[key], b = new[key]
                    guard a != b else { continue }
                    let kind: RowDiff.Kind = a == nil ? .added : (b == nil ? .removed : .changed)
                    var changes: [FieldChange] = []
                    for (index, column) in columns.enumerated() where column != "alert_id" && column != "last_position" {
                        let x = a.map { text($0[index]) } ?? nil, y = b.map { text($0[index]) } ?? nil
                        if x != y { changes.append(FieldChange(field: column, before: x, after: y)) }
                    }
                    if changes.isEmpty { continue }
                    let mailbox = (b ?? a)!.count > 0 ? mailboxOf(table: table, row: (b ?? a)!, columns: columns) : nil
                    let causes = try mailbox.map { try self.causes(stream: "mailbox:\($0)", after: from, through: to, in: log) } ?? []
                    result.append(RowDiff(table: table, key: key, kind: kind, changes: changes, causes: causes))
                }
            }
        }
        return result
    }

    func keyedRows(_ table: String, in db: Connection) throws -> ([String], [String: [SQLiteValue]]) {
        let statement = try db.prepare("SELECT * FROM \"\(table)\"")
        let columns = (0..<statement.columnCount).map { statement.columnName(at: $0) }
        var rows: [String: [SQLiteValue]] = [:]
        while try statement.step() {
            let row = (0..<statement.columnCount).map { statement.value(at: $0) }
            let key: String
            if table == "alerts", let wall = columns.firstIndex(of: "wall"), let code = columns.firstIndex(of: "code"), let mailbox = columns.firstIndex(of: "mailbox") {
                key = "\(text(row[wall]) ?? "")|\(text(row[code]) ?? "")|\(text(row[mailbox]) ?? "")"
            } else {
                key = text(row[0]) ?? ""
            }
            rows[key] = row
        }
        return (columns, rows)
    }

    func mailboxOf(table: String, row: [SQLiteValue], columns: [String]) -> String? {
        let column = table == "alerts" ? "mailbox" : "mailbox_id"
        guard let index = columns.firstIndex(of: column), let value = text(row[index]), !value.isEmpty else { return nil }
        return value
    }

    func causes(stream: String, after from: Position, through to: Position, in log: EventLog) throws -> [RowDiff.Cause] {
        var causes: [RowDiff.Cause] = []
        try log.forEachEvent(in: StreamID(stream)) { event in
            guard event.position > from && event.position <= to else { return }
            let actor = (try? EventMetadata.decode(event.metadata).actor) ?? "?"
            causes.append(RowDiff.Cause(position: event.position.rawValue, actor: actor, type: event.type, recordedAt: Timestamp.format(event.recordedAt)))
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
    public var recordedAt: String
    public var actor: String
    public var command: String
    public var eventType: String
    public var before: String?
    public var after: String?
}

extension ProjectionRunner {
    /// Why `field` of mailbox `mailbox`'s status row has its value at
    /// `position`: every event of the mailbox's stream up to the position that
    /// changed the field, oldest first (the last one set the current value).
    public func explain(mailbox: String, field: String, at position: Position, in log: EventLog) throws -> (value: String?, steps: [FieldHistoryStep]) {
        let projection = MailboxStatusProjection()
        let memory = try Connection(path: ":memory:")
        try projection.createTables(in: memory)
        guard try memory.scalar("SELECT count(*) FROM pragma_table_info('mailbox_status') WHERE name = ?", .text(field))?.int64 == 1 else {
            throw ExplainError.unknownField(field)
        }
        var steps: [FieldHistoryStep] = []
        var current: String? = nil
        try log.forEachEvent(in: StreamID("mailbox:\(mailbox)")) { recorded in
            guard recorded.position <= position, projection.handles(type: recorded.type) else { return }
            try projection.apply(try ProjectedEvent(recorded), in: memory)
            let value = try memory.scalar("SELECT \"\(field)\" FROM mailbox_status WHERE mailbox_id = ?", .text(mailbox)).flatMap(text)
            if value != current {
                let metadata = try EventMetadata.decode(recorded.metadata)
                steps.append(FieldHistoryStep(position: recorded.position.rawValue, recordedAt: Timestamp.format(recorded.recordedAt),
                                              actor: metadata.actor, command: metadata.command, eventType: recorded.type, before: current, after: value))
                current = value
            }
        }
        guard !steps.isEmpty else { throw ExplainError.unknownMailbox(mailbox) }
        return (current, steps)
    }
}

/// Why an explanation could not be given.
public enum ExplainError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownField(String)
    case unknownMailbox(String)

    public var description: String {
        switch self {
        case .unknownField(let field): "mailbox_status has no column \(field)"
        case .unknownMailbox(let mailbox): "no mailbox \(mailbox) at that point"
        }
    }
}
