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

/// The audit trail: one row per event — changes and audited denials alike —
/// with when, who, under which roles, what, on which object, the field-level
/// before → after values, and the command's ids and source.
public struct AuditTrailProjection: Projection {
    public let name = "audit-trail"
    public let schemaVersion = 1
    public let tables = ["audit_trail"]

    public init() {}

    public func createTables(in db: Connection) throws {
        try db.execute("""
            CREATE TABLE audit_trail (
              position       INTEGER PRIMARY KEY,
              recorded_at    TEXT NOT NULL,
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

    public func apply(_ e: ProjectedEvent, in db: Connection) throws {
        let metadata = try e.metadata()
        let changes = Self.changes(of: e.event)
        let changesJSON = String(decoding: try DomainEvent.makeEncoder().encode(changes), as: UTF8.self)
        let rolesJSON = String(decoding: try DomainEvent.makeEncoder().encode(metadata.roles), as: UTF8.self)
        var outcome = "done", code: String? = nil, message: String? = nil, object = e.recorded.stream.rawValue
        if case .commandRefused(let refusal) = e.event {
            outcome = "denied"
            code = refusal.code
            message = refusal.message
            object = refusal.target ?? object
        }
        try db.run("""
            INSERT INTO audit_trail(position, recorded_at, actor, roles, action, event_type, object, changes, command_id,
                                    correlation_id, source, outcome, refusal_code, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, .integer(e.recorded.position.rawValue), .text(e.recordedAtText), .text(metadata.actor), .text(rolesJSON),
            .text(metadata.command), .text(e.recorded.type), .text(object), .text(changesJSON),
            .text(metadata.commandID.uuidString.lowercased()), .text(metadata.correlationID.uuidString.lowercased()),
            .text(metadata.source.rawValue), .text(outcome), .optionalText(code), .optionalText(message))
    }

    /// The field-level changes an event records.
    ///
    /// Events that carry `before` and `after` values are diffed field by
    /// field; events that name a previous value show it; other events list
    /// the values they set (before unknown from the event alone).
    public static func changes(of event: DomainEvent) -> [FieldChange] {
        switch event {
        case .mailboxEmailApproved(let e):
            return [FieldChange(field: "emailStatus", before: e.previousStatus.rawValue, after: "Approved"),
                    FieldChange(field: "approvedBy", before: nil, after: e.approvedBy.rawValue),
                    FieldChange(field: "approvalMethod", before: nil, after: e.method.rawValue)]
        case .mailboxEmailRejected(let e):
            return [FieldChange(field: "emailStatus", before: e.previousStatus.rawValue, after: "Rejected")]
        case .mailboxEmailAddressChanged(let e):
            return [FieldChange(field: "emailAddress", before: e.previous.rawValue, after: e.emailAddress.rawValue),
                    FieldChange(field: "emailStatus", before: e.approvalBefore.rawValue, after: e.approvalAfter.rawValue)]
        case .rolePrivilegeSet(let e):
            return [FieldChange(field: "\(e.role.rawValue).\(e.privilege.rawValue)", before: e.previousLevel.rawValue, after: e.level.rawValue)]
        case .defaultServerProfileSet(let e):
            return [FieldChange(field: "defaultServerProfile", before: e.previous?.rawValue, after: e.profile.rawValue)]
        case .serverProfileLocationSet(let e):
            return [FieldChange(field: "serverLocation", before: e.previous, after: e.location)]
        case .serverProfileDeactivated:
            return [FieldChange(field: "state", before: "Active", after: "Inactive")]
        case .securityRoleAssigned(let e):
            return [FieldChange(field: "role.\(e.role.rawValue)", before: nil, after: e.principal.token)]
        case .securityRoleRemoved(let e):
            return [FieldChange(field: "role.\(e.role.rawValue)", before: e.principal.token, after: nil)]
        case .adminRoleGranted(let e):
            return [FieldChange(field: "adminRole.\(e.role.rawValue)", before: nil, after: e.user.rawValue)]
        case .adminRoleRevoked(let e):
            return [FieldChange(field: "adminRole.\(e.role.rawValue)", before: e.user.rawValue, after: nil)]
        case .exchangeSyncOrgChanged(let e):
            return [FieldChange(field: "syncOrg", before: e.previous?.rawValue, after: e.syncOrg.rawValue)]
        case .commandRefused:
            return []   // a denial changes nothing; its code and message have their own columns
        case .mailboxTestCompleted(let e):
            var changes: [FieldChange] = []
            for channel in Channel.allCases {
                let outcome = e.statuses[channel]
                let value = outcome.errorCode.map { "\(outcome.status.rawValue) (\($0))" } ?? outcome.status.rawValue
                changes.append(FieldChange(field: "\(channel.rawValue) Status", before: nil, after: value))
            }
            for channel in Channel.allCases {
                changes.append(FieldChange(field: "enabled.\(channel.rawValue)", before: nil, after: e.enabled[channel] ? "Yes" : "No"))
            }
            if let next = e.nextRetryAt { changes.append(FieldChange(field: "nextRetryAt", before: nil, after: Timestamp.format(next))) }
            return changes
        case .emailSettingsChanged(let e):
            return diff(before: e.before, after: e.after)
        case .serverProfileUpdated(let e):
            return diff(before: e.before, after: e.after)
        case .mailboxConfigured(let e):
            return diff(before: e.before, after: e.after)
        default:
            guard let data = try? event.encodedData() else { return [] }
            return flatten(data).map { FieldChange(field: $0.key, before: nil, after: $0.value) }
        }
    }

    static func diff<T: Encodable>(before: T, after: T) -> [FieldChange] {
        let encoder = DomainEvent.makeEncoder()
        guard let a = try? encoder.encode(before), let b = try? encoder.encode(after) else { return [] }
        let old = Dictionary(uniqueKeysWithValues: flatten(a).map { ($0.key, $0.value) })
        let new = Dictionary(uniqueKeysWithValues: flatten(b).map { ($0.key, $0.value) })
        return Set(old.keys).union(new.keys).sorted().compactMap { key in
            old[key] == new[key] ? nil : FieldChange(field: key, before: old[key] ?? nil, after: new[key] ?? nil)
        }
    }

    /// The leaves of a JSON document as dotted paths and text values, in path order.
    static func flatten(_ data: Data) -> [(key: String, value: String?)] {
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: data) else { return [] }
        var leaves: [(String, String?)] = []
        func walk(_ value: JSONValue, _ path: String) {
            switch value {
            case .object(let object):
                if object.isEmpty { leaves.append((path, "{}")) }
                for key in object.keys.sorted() { walk(object[key]!, path.isEmpty ? key : "\(path).\(key)") }
            case .array(let array):
                if array.isEmpty { leaves.append((path, "[]")) }
                for (index, element) in array.enumerated() { walk(element, "\(path)[\(index)]") }
            case .null: leaves.append((path, nil))
            case .bool(let flag): leaves.append((path, flag ? "true" : "false"))
            case .number(let number):
                leaves.append((path, number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)))
            case .string(let text): leaves.append((path, text))
            }
        }
        walk(root, "")
        return leaves
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

    /// Reads audit rows on `db` in position order.
    public static func all(in db: Connection, where filter: String = "", _ arguments: [SQLiteValue] = []) throws -> [AuditRow] {
        let statement = try db.prepare("""
            SELECT position, recorded_at, actor, roles, action, event_type, object, changes, command_id, correlation_id, source,
                   outcome, refusal_code, message
            FROM audit_trail \(filter) ORDER BY position
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
                refusalCode: s.optionalText(at: 12), message: s.optionalText(at: 13)))
        }
        return rows
    }
}

/// Every command that recorded events: its id, outcome and position range.
/// The facade reads it to make re-executing a command id idempotent, and
/// replay reads it to find the commands between two positions.
public struct CommandsProjection: Projection {
    public let name = "commands"
    public let schemaVersion = 1
    public let tables = ["commands"]

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
            ) STRICT;
            CREATE INDEX commands_by_position ON commands(first_position);
            """)
    }

    public func handles(type: String) -> Bool { true }

    public func apply(_ e: ProjectedEvent, in db: Connection) throws {
        let metadata = try e.metadata()
        var outcome = "done", code: String? = nil
        if case .commandRefused(let refusal) = e.event {
            outcome = "denied"
            code = refusal.code
        }
        let position = SQLiteValue.integer(e.recorded.position.rawValue)
        try db.run("""
            INSERT INTO commands(command_id, name, actor, source, first_position, last_position, event_count, outcome, refusal_code, decided_at)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
            ON CONFLICT (command_id) DO UPDATE SET last_position = excluded.last_position, event_count = event_count + 1
            """, .text(metadata.commandID.uuidString.lowercased()), .text(metadata.command), .text(metadata.actor),
            .text(metadata.source.rawValue), position, position, .text(outcome), .optionalText(code), .text(Timestamp.format(metadata.decidedAt)))
    }
}
