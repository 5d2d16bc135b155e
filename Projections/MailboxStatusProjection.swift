import EventLog
import Foundation
import ServerSideSync
import SQLite

/// The mailbox grid: one row per mailbox with its configuration, the three
/// status columns, approval and enablement, and the last Test & Enable.
public struct MailboxStatusProjection: Projection {
    public let name = "mailbox-status"
    public let schemaVersion = 1
    public let tables = ["mailbox_status"]

    public init() {}

    public func createTables(in db: Connection) throws {
        try db.execute("""
            CREATE TABLE mailbox_status (
              mailbox_id       TEXT PRIMARY KEY,
              environment      TEXT NOT NULL,
              owner            TEXT NOT NULL,     -- user:UPN or queue:NAME
              email_address    TEXT NOT NULL,
              server_profile   TEXT,
              incoming_method  TEXT NOT NULL,
              outgoing_method  TEXT NOT NULL,
              act_method       TEXT NOT NULL,
              incoming_status  TEXT NOT NULL,     -- Not Run / Success / Failure
              outgoing_status  TEXT NOT NULL,
              act_status       TEXT NOT NULL,
              incoming_error   TEXT,
              outgoing_error   TEXT,
              act_error        TEXT,
              email_status     TEXT NOT NULL,     -- Empty / Approved / Pending Approval / Rejected
              approved_by      TEXT,
              approved_at      TEXT,
              approved_by_microsoft365_admin INTEGER NOT NULL DEFAULT 0,
              enabled_incoming INTEGER NOT NULL DEFAULT 0,
              enabled_outgoing INTEGER NOT NULL DEFAULT 0,
              enabled_act      INTEGER NOT NULL DEFAULT 0,
              last_test_by     TEXT,
              last_test_at     TEXT,
              retry_count      INTEGER NOT NULL DEFAULT 0,
              next_retry_at    TEXT,
              last_position    INTEGER NOT NULL
            ) STRICT;
            """)
    }

    public func handles(type: String) -> Bool { type.hasPrefix("Mailbox") }

    /// Test results are decoded without their alerts, which the grid never
    /// reads (the alerts are most of those events' bytes).
    public func decode(_ recorded: RecordedEvent) throws -> ProjectedEvent {
        guard recorded.type == "MailboxTestCompleted", recorded.schemaVersion == 1 else { return try ProjectedEvent(recorded) }
        let grid = try Self.decoder.decode(TestResultForGrid.self, from: Data(recorded.data.utf8))
        let event = MailboxTestCompleted(
            mailbox: grid.mailbox, trigger: .testAndEnable, job: nil, requestedBy: grid.requestedBy, testedAt: grid.testedAt,
            profile: nil, processEmailsFrom: nil, syncThisOrgOnly: false, statuses: grid.statuses, enabled: grid.enabled,
            retryNumber: grid.retryNumber, nextRetryAt: grid.nextRetryAt, alerts: [])
        return ProjectedEvent(recorded: recorded, event: .mailboxTestCompleted(event))
    }

    /// The fields of a `MailboxTestCompleted` (v1) that the grid shows.
    struct TestResultForGrid: Decodable {
        var mailbox: MailboxID
        var requestedBy: UserPrincipalName
        var testedAt: Date
        var statuses: ChannelStatuses
        var enabled: ChannelFlags
        var retryNumber: Int
        var nextRetryAt: Date?
    }

    static let decoder = DomainEvent.makeDecoder()

    public func apply(_ e: ProjectedEvent, in db: Connection) throws {
        let position = SQLiteValue.integer(e.recorded.position.rawValue)
        switch e.event {
        case .mailboxCreated(let m):
            try db.run("""
                INSERT INTO mailbox_status(mailbox_id, environment, owner, email_address, server_profile, incoming_method, outgoing_method,
                  act_method, incoming_status, outgoing_status, act_status, email_status, last_position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'Not Run', 'Not Run', 'Not Run', ?, ?)
                """, .text(m.mailbox.rawValue), .text(m.environment.rawValue), .text(m.owner.token), .text(m.emailAddress.rawValue),
                .optionalText(m.configuration.profile?.rawValue), .text(m.configuration.incoming.rawValue), .text(m.configuration.outgoing.rawValue),
                .text(m.configuration.appointmentsContactsTasks.rawValue), .text(m.approval.rawValue), position)
        case .mailboxConfigured(let m):
            try db.run("""
                UPDATE mailbox_status SET server_profile = ?, incoming_method = ?, outgoing_method = ?, act_method = ?, last_position = ?
                WHERE mailbox_id = ?
                """, .optionalText(m.after.profile?.rawValue), .text(m.after.incoming.rawValue), .text(m.after.outgoing.rawValue),
                .text(m.after.appointmentsContactsTasks.rawValue), position, .text(m.mailbox.rawValue))
        case .mailboxEmailAddressChanged(let m):
            try db.run("""
                UPDATE mailbox_status SET email_address = ?, email_status = ?, approved_by = NULL, approved_at = NULL,
                  approved_by_microsoft365_admin = 0, incoming_status = 'Not Run', outgoing_status = 'Not Run', act_status = 'Not Run',
                  incoming_error = NULL, outgoing_error = NULL, act_error = NULL, enabled_incoming = 0, enabled_outgoing = 0,
                  enabled_act = 0, retry_count = 0, next_retry_at = NULL, last_position = ?
                WHERE mailbox_id = ?
                """, .text(m.emailAddress.rawValue), .text(m.approvalAfter.rawValue), position, .text(m.mailbox.rawValue))
        case .mailboxEmailApproved(let m):
            try db.run("""
                UPDATE mailbox_status SET email_status = 'Approved', approved_by = ?, approved_at = ?, approved_by_microsoft365_admin = ?,
                  last_position = ? WHERE mailbox_id = ?
                """, .text(m.approvedBy.rawValue), .text(e.recordedAtText), .integer(m.approvedByMicrosoft365Admin ? 1 : 0), position,
                .text(m.mailbox.rawValue))
        case .mailboxEmailRejected(let m):
            try db.run("""
                UPDATE mailbox_status SET email_status = 'Rejected', approved_by = NULL, approved_at = NULL,
                  approved_by_microsoft365_admin = 0, last_position = ? WHERE mailbox_id = ?
                """, position, .text(m.mailbox.rawValue))
        case .mailboxTestCompleted(let t):
            try db.run("""
                UPDATE mailbox_status SET incoming_status = ?, outgoing_status = ?, act_status = ?,
                  incoming_error = ?, outgoing_error = ?, act_error = ?,
                  enabled_incoming = ?, enabled_outgoing = ?, enabled_act = ?,
                  last_test_by = ?, last_test_at = ?, retry_count = ?, next_retry_at = ?, last_position = ?
                WHERE mailbox_id = ?
                """, .text(t.statuses.incoming.status.rawValue), .text(t.statuses.outgoing.status.rawValue),
                .text(t.statuses.appointmentsContactsTasks.status.rawValue), .optionalText(t.statuses.incoming.errorCode),
                .optionalText(t.statuses.outgoing.errorCode), .optionalText(t.statuses.appointmentsContactsTasks.errorCode),
                .integer(t.enabled.incoming ? 1 : 0), .integer(t.enabled.outgoing ? 1 : 0), .integer(t.enabled.appointmentsContactsTasks ? 1 : 0),
                .text(t.requestedBy.rawValue), .text(Timestamp.format(t.testedAt)), .int(t.retryNumber),
                .optionalText(t.nextRetryAt.map(Timestamp.format)), position, .text(t.mailbox.rawValue))
        default:
            break
        }
    }
}

/// One row of the mailbox grid.
public struct MailboxStatusRow: Hashable, Sendable, Codable {
    public var mailbox: String
    public var environment: String
    public var owner: String
    public var emailAddress: String
    public var serverProfile: String?
    public var incomingMethod: String
    public var outgoingMethod: String
    public var actMethod: String
    public var incomingStatus: String
    public var outgoingStatus: String
    public var actStatus: String
    public var incomingError: String?
    public var outgoingError: String?
    public var actError: String?
    public var emailStatus: String
    public var approvedBy: String?
    public var approvedAt: String?
    public var approvedByMicrosoft365Admin: Bool
    public var enabledIncoming: Bool
    public var enabledOutgoing: Bool
    public var enabledACT: Bool
    public var lastTestBy: String?
    public var lastTestAt: String?
    public var retryCount: Int
    public var nextRetryAt: String?
    public var lastPosition: Int64

    /// Reads every row of `mailbox_status` on `db`, ordered by mailbox id.
    public static func all(in db: Connection, where filter: String = "", _ arguments: [SQLiteValue] = []) throws -> [MailboxStatusRow] {
        let statement = try db.prepare("""
            SELECT mailbox_id, environment, owner, email_address, server_profile, incoming_method, outgoing_method, act_method,
                   incoming_status, outgoing_status, act_status, incoming_error, outgoing_error, act_error, email_status,
                   approved_by, approved_at, approved_by_microsoft365_admin, enabled_incoming, enabled_outgoing, enabled_act,
                   last_test_by, last_test_at, retry_count, next_retry_at, last_position
            FROM mailbox_status \(filter) ORDER BY mailbox_id
            """)
        try statement.bind(arguments)
        var rows: [MailboxStatusRow] = []
        while try statement.step() {
            let s = statement
            rows.append(MailboxStatusRow(
                mailbox: s.text(at: 0), environment: s.text(at: 1), owner: s.text(at: 2), emailAddress: s.text(at: 3),
                serverProfile: s.optionalText(at: 4), incomingMethod: s.text(at: 5), outgoingMethod: s.text(at: 6), actMethod: s.text(at: 7),
                incomingStatus: s.text(at: 8), outgoingStatus: s.text(at: 9), actStatus: s.text(at: 10), incomingError: s.optionalText(at: 11),
                outgoingError: s.optionalText(at: 12), actError: s.optionalText(at: 13), emailStatus: s.text(at: 14),
                approvedBy: s.optionalText(at: 15), approvedAt: s.optionalText(at: 16), approvedByMicrosoft365Admin: s.int64(at: 17) == 1,
                enabledIncoming: s.int64(at: 18) == 1, enabledOutgoing: s.int64(at: 19) == 1, enabledACT: s.int64(at: 20) == 1,
                lastTestBy: s.optionalText(at: 21), lastTestAt: s.optionalText(at: 22), retryCount: s.int(at: 23),
                nextRetryAt: s.optionalText(at: 24), lastPosition: s.int64(at: 25)))
        }
        return rows
    }
}
