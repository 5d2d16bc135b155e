import Foundation
import ServerSideSync
import SQLite

/// A field's value before and after an event (`nil`: not set, or not known
/// from the event alone).
public struct FieldChange: Hashable, Sendable, Codable {
    public var field: String
    public var before: String?
    public var after: String?

    public init(field: String, before: String?, after: String?) {
        self.field = field
        self.before = before
        self.after = after
    }
}

/// Which audit rows to return.
public struct AuditFilter: Sendable {
    public var mailbox: String?
    public var actor: String?
    public var action: String?
    public var since: Date?
    public var until: Date?
    public var deniedOnly = false
    /// Only rows of this event type (e.g. `MailboxEmailApproved`).
    public var eventType: String?
    /// A page: newest first, rows before this position only (keyset paging),
    /// at most `limit` of them. Without `limit`, every row oldest first.
    public var limit: Int?
    public var before: Int64?

    public init(mailbox: String? = nil, actor: String? = nil, action: String? = nil, since: Date? = nil, until: Date? = nil, deniedOnly: Bool = false,
                eventType: String? = nil, limit: Int? = nil, before: Int64? = nil) {
        self.eventType = eventType
        self.limit = limit
        self.before = before
        self.mailbox = mailbox
        self.actor = actor
        self.action = action
        self.since = since
        self.until = until
        self.deniedOnly = deniedOnly
    }
}

/// The audit trail: one row per event — changes and audited denials alike —
/// with when, who, under which roles, what, on which object, the field-level
/// before → after values, and the command's ids and source.
///
/// The table is append-only (keyed by position), so "as of N" is
/// `position <= N`. Before → after values are not taken from the event: they
/// are the difference between the row versions the event replaced and made
/// in the history of the mailbox grid (for mailbox events) or of the decision
/// state (for every other object), so they are right for every event kind.
public struct AuditTrailProjection: Projection {
    public let name = "audit-trail"
    public let schemaVersion = 3
    public var versionedTables: [VersionedTable] { [] }
    public var appendOnlyTables: [String] { ["audit_trail"] }
    public var dependencies: [String] { ["decision-state", "mailbox-status"] }

    public init() {}

    public func createTables(in db: Connection) throws {
        try db.execute("""
            CREATE TABLE audit_trail (
              position       INTEGER PRIMARY KEY,
              recorded_at    TEXT NOT NULL,   -- when the log appended the event (system clock)
              decided_at     TEXT NOT NULL,   -- when the command was decided (the domain's time; kept by replay)
              actor          TEXT NOT NULL,
              roles          TEXT NOT NULL,   -- JSON array of the roles held
              action         TEXT NOT NULL,   -- the command, e.g. mailbox.approve
              event_type     TEXT NOT NULL,
              object         TEXT NOT NULL,   -- the stream, e.g. mailbox:contoso-prod/user:alice@contoso.com
              changes        TEXT NOT NULL,   -- JSON array of {field, before, after}
              command_id     TEXT NOT NULL,
              correlation_id TEXT NOT NULL,
              source         TEXT NOT NULL,
              outcome        TEXT NOT NULL,   -- done / denied
              refusal_code   TEXT,
              message        TEXT
            ) STRICT;
            CREATE INDEX audit_trail_by_object ON audit_trail(object, position);
            CREATE INDEX audit_trail_by_actor ON audit_trail(actor, position);
            CREATE INDEX audit_trail_by_time ON audit_trail(recorded_at);
            """)
    }

    public func handles(type: String) -> Bool { true }

    public func apply(_ e: ProjectedEvent, in store: ProjectionStore) throws {
        let metadata = try e.metadata()
        let changes = try Self.changes(at: e.position, of: e.event, in: store)
        let changesJSON = FieldChange.json(changes)
        let rolesJSON = JSONBytes.array(of: metadata.roles)
        var outcome = "done", code: String? = nil, message: String? = nil, object = e.recorded.stream.rawValue
        if case .commandRefused(let refusal) = e.event {
            outcome = "denied"
            code = refusal.code
            message = refusal.message
            object = refusal.target ?? object
        }
        try store.db.run("""
            INSERT INTO audit_trail(position, recorded_at, decided_at, actor, roles, action, event_type, object, changes, command_id,
                                    correlation_id, source, outcome, refusal_code, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, .integer(e.position), .text(e.recordedAtText), .text(Timestamp.format(metadata.decidedAt)), .text(metadata.actor), .text(rolesJSON),
            .text(metadata.command), .text(e.recorded.type), .text(object), .text(changesJSON),
            .text(metadata.commandID.lowercasedText), .text(metadata.correlationID.lowercasedText),
            .text(metadata.source.rawValue), .text(outcome), .optionalText(code), .optionalText(message))
    }

    /// The field-level changes the event at `position` made: for a mailbox,
    /// the grid row's version before it against the version it set; for any
    /// other object, the same for each decision-state row it changed (JSON
    /// flattened to dotted fields, prefixed with the row's kind when the event
    /// changed rows of several kinds). Both histories are at `position` already
    /// (their projections run first).
    public static func changes(at position: Int64, of event: DomainEvent, in store: ProjectionStore) throws -> [FieldChange] {
        if case .commandRefused = event { return [] }   // a denial changes nothing; its code and message have their own columns
        if event.stream.hasPrefix("mailbox:") {
            let key: [SQLiteValue] = [.text(String(event.stream.dropFirst("mailbox:".count)))]
            guard let change = try MailboxStatusProjection.table.change(of: key, at: position, in: store) else { return [] }
            return MailboxStatusProjection.changes(before: change.before, after: change.after)
        }
        let rows = DecisionStateProjection.rows(changedBy: event)
        let kinds = Set(rows.map(\.kind))
        var changes: [FieldChange] = []
        for (kind, key) in rows {
            guard let change = try DecisionStateProjection.table.change(of: [.text(kind), .text(key)], at: position, in: store) else { continue }
            let prefix = kinds.count > 1 ? "\(kind)." : ""
            let old = change.before.flatMap { $0[0].string }.map { flatten(Data($0.utf8)) } ?? []
            let new = change.after[0].string.map { flatten(Data($0.utf8)) } ?? []
            let a = Dictionary(old, uniquingKeysWith: { x, _ in x }), b = Dictionary(new, uniquingKeysWith: { x, _ in x })
            for field in Set(a.keys).union(b.keys).sorted() where a[field] != b[field] {
                changes.append(FieldChange(field: prefix + field, before: a[field] ?? nil, after: b[field] ?? nil))
            }
        }
        return changes
    }

    /// The leaves of a JSON document as dotted paths and text values, in path
    /// order. Arrays are leaves, shown as compact JSON, so adding one member to
    /// a set reads as one change rather than a shift of every index.
    static func flatten(_ data: Data) -> [(String, String?)] {
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: data) else { return [] }
        var leaves: [(String, String?)] = []
        func walk(_ value: JSONValue, _ path: String) {
            switch value {
            case .object(let object):
                if object.isEmpty { leaves.append((path, "{}")) }
                for key in object.keys.sorted() { walk(object[key]!, path.isEmpty ? key : "\(path).\(key)") }
            case .null: leaves.append((path, nil))
            default: leaves.append((path, value.compact))
            }
        }
        if case .object = root { walk(root, "") } else { leaves.append(("value", root.compact)) }
        return leaves
    }

    // MARK: Queries

    /// The audit rows up to `position`, filtered, in position order.
    public static func rows(through position: Int64, filter: AuditFilter = AuditFilter(), in db: Connection) throws -> [AuditRow] {
        var clauses = ["position <= ?"]
        var arguments: [SQLiteValue] = [.integer(position)]
        if let mailbox = filter.mailbox { clauses.append("object = ?"); arguments.append(.text("mailbox:\(mailbox)")) }
        if let actor = filter.actor { clauses.append("actor = ?"); arguments.append(.text(actor.lowercased())) }
        if let action = filter.action { clauses.append("action = ?"); arguments.append(.text(action)) }
        if let since = filter.since { clauses.append("recorded_at >= ?"); arguments.append(.text(Timestamp.format(since))) }
        if let until = filter.until { clauses.append("recorded_at <= ?"); arguments.append(.text(Timestamp.format(until))) }
        if filter.deniedOnly { clauses.append("outcome = 'denied'") }
        if let type = filter.eventType { clauses.append("event_type = ?"); arguments.append(.text(type)) }
        if let before = filter.before { clauses.append("position < ?"); arguments.append(.integer(before)) }
        let page = filter.limit.map { " ORDER BY position DESC LIMIT \(max(0, $0))" } ?? " ORDER BY position"
        let statement = try db.prepare("""
            SELECT position, recorded_at, actor, roles, action, event_type, object, changes, command_id, correlation_id, source,
                   outcome, refusal_code, message, decided_at
            FROM audit_trail WHERE \(clauses.joined(separator: " AND "))\(page)
            """)
        try statement.bind(arguments)
        let decoder = JSONDecoder()
        var rows: [AuditRow] = []
        while try statement.step() {
            let s = statement
            rows.append(AuditRow(
                position: s.int64(at: 0), recordedAt: s.text(at: 1), actor: s.text(at: 2),
                roles: try decoder.decode([String].self, from: Data(s.text(at: 3).utf8)), action: s.text(at: 4), eventType: s.text(at: 5),
                object: s.text(at: 6), changes: try decoder.decode([FieldChange].self, from: Data(s.text(at: 7).utf8)),
                commandID: s.text(at: 8), correlationID: s.text(at: 9), source: s.text(at: 10), outcome: s.text(at: 11),
                refusalCode: s.optionalText(at: 12), message: s.optionalText(at: 13), decidedAt: s.text(at: 14)))
        }
        return rows
    }

    /// Who did what at `position`: (actor, command, event type, recorded at, decided at).
    static func step(at position: Int64, in db: Connection) throws
        -> (actor: String, action: String, eventType: String, recordedAt: String, decidedAt: String)? {
        let statement = try db.statement("SELECT actor, action, event_type, recorded_at, decided_at FROM audit_trail WHERE position = ?")
        defer { statement.reset() }
        try statement.bind([.integer(position)])
        guard try statement.step() else { return nil }
        return (statement.text(at: 0), statement.text(at: 1), statement.text(at: 2), statement.text(at: 3), statement.text(at: 4))
    }
}

/// Any JSON value, for walking documents generically.
indirect enum JSONValue: Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Compact JSON text (strings bare at the top level), keys sorted.
    var compact: String {
        switch self {
        case .string(let text): return text
        default: return json
        }
    }

    var json: String {
        switch self {
        case .object(let object): return "{" + object.keys.sorted().map { "\(JSONValue.string($0).json):\(object[$0]!.json)" }.joined(separator: ",") + "}"
        case .array(let array): return "[" + array.map(\.json).joined(separator: ",") + "]"
        case .string(let text):
            let data = (try? JSONEncoder().encode(text)) ?? Data()
            return String(decoding: data, as: UTF8.self)
        case .number(let number): return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// One row of the audit trail.
public struct AuditRow: Hashable, Sendable, Codable {
    public var position: Int64
    public var recordedAt: String
    public var actor: String
    public var roles: [String]
    public var action: String
    public var eventType: String
    public var object: String
    public var changes: [FieldChange]
    public var commandID: String
    public var correlationID: String
    public var source: String
    public var outcome: String
    public var refusalCode: String?
    public var message: String?
    /// When the command was decided (the domain's time; equal to the
    /// original decision after a replay, unlike `recordedAt`).
    public var decidedAt: String
}

/// Every command that recorded events: its id, outcome and position range.
/// The facade reads it to make re-executing a command id idempotent.
///
/// Append-only rather than versioned: a command's events are committed
/// together, so its row is final once the command commits; as of a position
/// it is the rows with `first_position <= N`.
public struct CommandsProjection: Projection {
    public let name = "commands"
    public let schemaVersion = 2
    public var versionedTables: [VersionedTable] { [] }
    public var appendOnlyTables: [String] { ["commands"] }

    public init() {}

    public func createTables(in db: Connection) throws {
        try db.execute("""
            CREATE TABLE commands (
              command_id     TEXT PRIMARY KEY,
              name           TEXT NOT NULL,
              actor          TEXT NOT NULL,
              source         TEXT NOT NULL,
              first_position INTEGER NOT NULL,
              last_position  INTEGER NOT NULL,
              event_count    INTEGER NOT NULL,
              outcome        TEXT NOT NULL,   -- done / denied
              refusal_code   TEXT,
              decided_at     TEXT NOT NULL
            ) STRICT, WITHOUT ROWID;
            """)
    }

    public func handles(type: String) -> Bool { true }

    public func apply(_ e: ProjectedEvent, in store: ProjectionStore) throws {
        let metadata = try e.metadata()
        var outcome = "done", code: String? = nil
        if case .commandRefused(let refusal) = e.event {
            outcome = "denied"
            code = refusal.code
        }
        let position = SQLiteValue.integer(e.position)
        try store.db.run("""
            INSERT INTO commands(command_id, name, actor, source, first_position, last_position, event_count, outcome, refusal_code, decided_at)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
            ON CONFLICT (command_id) DO UPDATE SET last_position = excluded.last_position, event_count = event_count + 1
            """, .text(metadata.commandID.lowercasedText), .text(metadata.command), .text(metadata.actor),
            .text(metadata.source.rawValue), position, position, .text(outcome), .optionalText(code), .text(Timestamp.format(metadata.decidedAt)))
    }

    /// The positions of the first and last event a command recorded, if it was executed.
    public static func positions(of commandID: UUID, in db: Connection) throws -> (first: Int64, last: Int64)? {
        let statement = try db.statement("SELECT first_position, last_position FROM commands WHERE command_id = ?")
        defer { statement.reset() }
        try statement.bind([.text(commandID.lowercasedText)])
        guard try statement.step() else { return nil }
        return (statement.int64(at: 0), statement.int64(at: 1))
    }
}
