import EventLog
import Foundation
import ServerSideSync
import SQLite

/// The mailbox grid: one row per mailbox with its configuration, the three
/// status columns, approval and enablement, and the last Test & Enable —
/// system-versioned in `mailbox_status_history`.
public struct MailboxStatusProjection: Projection {
    public let name = "mailbox-status"
    public let schemaVersion = 3

    /// The grid's table: key `mailbox_id`; `valid_from` is the position of the
    /// event that last changed the row.
    public static let table = VersionedTable("mailbox_status", key: [.init("mailbox_id", "TEXT NOT NULL")], columns: [
        .init("environment", "TEXT NOT NULL"),
        .init("owner", "TEXT NOT NULL"),                  // user:UPN or queue:NAME
        .init("email_address", "TEXT NOT NULL"),
        .init("server_profile", "TEXT"),
        .init("incoming_method", "TEXT NOT NULL"),
        .init("outgoing_method", "TEXT NOT NULL"),
        .init("act_method", "TEXT NOT NULL"),
        .init("incoming_status", "TEXT NOT NULL"),        // Not Run / Success / Failure
        .init("outgoing_status", "TEXT NOT NULL"),
        .init("act_status", "TEXT NOT NULL"),
        .init("incoming_error", "TEXT"),
        .init("outgoing_error", "TEXT"),
        .init("act_error", "TEXT"),
        .init("email_status", "TEXT NOT NULL"),           // Empty / Approved / Pending Approval / Rejected
        .init("approved_by", "TEXT"),
        .init("approved_at", "TEXT"),
        .init("approved_by_microsoft365_admin", "INTEGER NOT NULL"),
        .init("enabled_incoming", "INTEGER NOT NULL"),
        .init("enabled_outgoing", "INTEGER NOT NULL"),
        .init("enabled_act", "INTEGER NOT NULL"),
        .init("last_test_by", "TEXT"),
        .init("last_test_at", "TEXT"),
        .init("retry_count", "INTEGER NOT NULL"),
        .init("next_retry_at", "TEXT"),
    ])
    public var versionedTables: [VersionedTable] { [Self.table] }

    public init() {}

    public func handles(type: String) -> Bool { type.hasPrefix("Mailbox") }

    public func apply(_ e: ProjectedEvent, in store: ProjectionStore) throws {
        let id: MailboxID
        switch e.event {
        case .mailboxCreated(let m): id = m.mailbox
        case .mailboxConfigured(let m): id = m.mailbox
        case .mailboxEmailAddressChanged(let m): id = m.mailbox
        case .mailboxEmailApproved(let m): id = m.mailbox
        case .mailboxEmailRejected(let m): id = m.mailbox
        case .mailboxTestCompleted(let t): id = t.mailbox
        default: return
        }
        let key: [SQLiteValue] = [.text(id.rawValue)]
        var row: MailboxStatusRow
        var previous: (values: [SQLiteValue], validFrom: Int64)? = nil
        if case .mailboxCreated(let m) = e.event {
            row = MailboxStatusRow(
                mailbox: m.mailbox.rawValue, environment: m.environment.rawValue, owner: m.owner.token, emailAddress: m.emailAddress.rawValue,
                serverProfile: m.configuration.profile?.rawValue, incomingMethod: m.configuration.incoming.rawValue,
                outgoingMethod: m.configuration.outgoing.rawValue, actMethod: m.configuration.appointmentsContactsTasks.rawValue,
                incomingStatus: "Not Run", outgoingStatus: "Not Run", actStatus: "Not Run", emailStatus: m.approval.rawValue)
        } else {
            guard let current = try Self.table.current(key, in: store) else { return }
            previous = current
            row = MailboxStatusRow(key: key, values: current.values, validFrom: current.validFrom)
        }
        switch e.event {
        case .mailboxConfigured(let m):
            row.serverProfile = m.after.profile?.rawValue
            row.incomingMethod = m.after.incoming.rawValue
            row.outgoingMethod = m.after.outgoing.rawValue
            row.actMethod = m.after.appointmentsContactsTasks.rawValue
        case .mailboxEmailAddressChanged(let m):
            row.emailAddress = m.emailAddress.rawValue
            row.emailStatus = m.approvalAfter.rawValue
            row.approvedBy = nil
            row.approvedAt = nil
            row.approvedByMicrosoft365Admin = false
            (row.incomingStatus, row.outgoingStatus, row.actStatus) = ("Not Run", "Not Run", "Not Run")
            (row.incomingError, row.outgoingError, row.actError) = (nil, nil, nil)
            (row.enabledIncoming, row.enabledOutgoing, row.enabledACT) = (false, false, false)
            row.retryCount = 0
            row.nextRetryAt = nil
        case .mailboxEmailApproved(let m):
            row.emailStatus = "Approved"
            row.approvedBy = m.approvedBy.rawValue
            // Domain times come from the decision, not the append: a replayed
            // approval keeps the instant it was decided at.
            row.approvedAt = Timestamp.format(try e.metadata().decidedAt)
            row.approvedByMicrosoft365Admin = m.approvedByMicrosoft365Admin
        case .mailboxEmailRejected:
            row.emailStatus = "Rejected"
            row.approvedBy = nil
            row.approvedAt = nil
            row.approvedByMicrosoft365Admin = false
        case .mailboxTestCompleted(let t):
            row.incomingStatus = t.statuses.incoming.status.rawValue
            row.outgoingStatus = t.statuses.outgoing.status.rawValue
            row.actStatus = t.statuses.appointmentsContactsTasks.status.rawValue
            row.incomingError = t.statuses.incoming.errorCode
            row.outgoingError = t.statuses.outgoing.errorCode
            row.actError = t.statuses.appointmentsContactsTasks.errorCode
            row.enabledIncoming = t.enabled.incoming
            row.enabledOutgoing = t.enabled.outgoing
            row.enabledACT = t.enabled.appointmentsContactsTasks
            row.lastTestBy = t.requestedBy.rawValue
            row.lastTestAt = Timestamp.format(t.testedAt)
            row.retryCount = t.retryNumber
            row.nextRetryAt = t.nextRetryAt.map(Timestamp.format)
        default:
            break
        }
        try Self.table.write(key, row.values, at: e.position, previous: previous, in: store)
    }

    // MARK: Queries

    /// The grid as of `position` (the current rows when `nil`), optionally
    /// one environment's mailboxes only, ordered by mailbox id.
    ///   - after: Only mailboxes whose id sorts after this one (keyset paging:
    ///     a seek on the key, however deep the page).
    public static func rows(asOf position: Int64?, environment: String? = nil, after: String? = nil, page: (offset: Int, limit: Int)? = nil,
                            in db: Connection) throws -> [MailboxStatusRow] {
        var rows: [MailboxStatusRow] = []
        var clauses: [String] = [], arguments: [SQLiteValue] = []
        if let environment { clauses.append("h.environment = ?"); arguments.append(.text(environment)) }
        // The as-of form walks the current table's key, so the seek goes there.
        if let after { clauses.append("\(position == nil ? "h" : "c").mailbox_id > ?"); arguments.append(.text(after)) }
        let filter = clauses.isEmpty ? nil : clauses.joined(separator: " AND ")
        try table.forEachRow(asOf: position, where: filter, arguments, page: page, in: db) { s in
            rows.append(MailboxStatusRow(s))
        }
        return rows
    }

    /// The rows as of `position` (current when `nil`) of the mailboxes a
    /// person's name for them fits: the email address or owner UPN (stored
    /// lower-case), or a queue name (any case); within `environment` when given.
    public static func rows(named name: String, asOf position: Int64?, environment: String? = nil, in db: Connection) throws -> [MailboxStatusRow] {
        var rows: [MailboxStatusRow] = []
        let lowered = name.lowercased()
        var filter = "(h.email_address = ? OR h.owner = ? OR lower(h.owner) = ?)"
        var arguments: [SQLiteValue] = [.text(lowered), .text("user:\(lowered)"), .text("queue:\(lowered)")]
        if let environment { filter += " AND h.environment = ?"; arguments.append(.text(environment)) }
        try table.forEachRow(asOf: position, where: filter, arguments, in: db) { rows.append(MailboxStatusRow($0)) }
        return rows
    }

    /// One mailbox's row as of `position` (current when `nil`), or `nil` when
    /// it did not exist then.
    public static func row(of mailbox: String, asOf position: Int64?, in db: Connection) throws -> MailboxStatusRow? {
        let key: [SQLiteValue] = [.text(mailbox)]
        let found = try position.map { try table.version(of: key, asOf: $0, in: db) } ?? table.current(key, in: db)
        return found.map { MailboxStatusRow(key: key, values: $0.values, validFrom: $0.validFrom) }
    }

    /// The label of each column as a person reads it in the audit trail and
    /// in explanations: the grid's own column names.
    static let labels: [String: String] = [
        "environment": "Environment", "owner": "Owner", "email_address": "Primary Email",
        "server_profile": "Server Profile", "incoming_method": "Incoming Email", "outgoing_method": "Outgoing Email",
        "act_method": "Appointments, Contacts, and Tasks",
        "incoming_status": "Incoming Email Status", "outgoing_status": "Outgoing Email Status",
        "act_status": "Appointments, Contacts, and Tasks Status",
        "email_status": "Primary Email Status", "approved_by": "Approved By", "approved_at": "Approved At",
        "approved_by_microsoft365_admin": "Approved by a Microsoft 365 Admin",
        "enabled_incoming": "Enabled for Incoming Email", "enabled_outgoing": "Enabled for Outgoing Email",
        "enabled_act": "Enabled for Appointments, Contacts, and Tasks",
        "last_test_by": "Last Test By", "last_test_at": "Last Test At", "retry_count": "Retry Count", "next_retry_at": "Next Retry At",
    ]

    /// The field-level changes between two versions of a row (`before` nil:
    /// the row was created), as a person reads them: labelled, each status
    /// shown with its error code (`Failure (EmailAddressNotApproved)`), flags
    /// as Yes/No.
    static func changes(before: [SQLiteValue]?, after: [SQLiteValue]) -> [FieldChange] {
        let names = table.columns.map(\.name)
        func display(_ values: [SQLiteValue]?, _ index: Int) -> String? {
            guard let values else { return nil }
            let column = names[index]
            if column.hasSuffix("_status"), column != "email_status", let error = text(values[index + 3]) {
                return "\(text(values[index]) ?? "") (\(error))"
            }
            if table.columns[index].declaration.hasPrefix("INTEGER"), column != "retry_count" {
                return values[index] == .integer(1) ? "Yes" : "No"
            }
            return text(values[index])
        }
        var changes: [FieldChange] = []
        for index in names.indices where !names[index].hasSuffix("_error") {
            let x = display(before, index), y = display(after, index)
            if x != y { changes.append(FieldChange(field: labels[names[index]] ?? names[index], before: x, after: y)) }
        }
        return changes
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
    public var approvedByMicrosoft365Admin: Bool = false
    public var enabledIncoming: Bool = false
    public var enabledOutgoing: Bool = false
    public var enabledACT: Bool = false
    public var lastTestBy: String?
    public var lastTestAt: String?
    public var retryCount: Int = 0
    public var nextRetryAt: String?
    /// The position of the event that last changed the row.
    public var lastPosition: Int64 = 0

    init(mailbox: String, environment: String, owner: String, emailAddress: String, serverProfile: String?, incomingMethod: String,
         outgoingMethod: String, actMethod: String, incomingStatus: String, outgoingStatus: String, actStatus: String, emailStatus: String) {
        self.mailbox = mailbox
        self.environment = environment
        self.owner = owner
        self.emailAddress = emailAddress
        self.serverProfile = serverProfile
        self.incomingMethod = incomingMethod
        self.outgoingMethod = outgoingMethod
        self.actMethod = actMethod
        self.incomingStatus = incomingStatus
        self.outgoingStatus = outgoingStatus
        self.actStatus = actStatus
        self.emailStatus = emailStatus
    }

    /// A row from a statement positioned on key, value columns, `valid_from`.
    init(_ s: Statement) {
        mailbox = s.text(at: 0); environment = s.text(at: 1); owner = s.text(at: 2); emailAddress = s.text(at: 3)
        serverProfile = s.optionalText(at: 4); incomingMethod = s.text(at: 5); outgoingMethod = s.text(at: 6); actMethod = s.text(at: 7)
        incomingStatus = s.text(at: 8); outgoingStatus = s.text(at: 9); actStatus = s.text(at: 10)
        incomingError = s.optionalText(at: 11); outgoingError = s.optionalText(at: 12); actError = s.optionalText(at: 13)
        emailStatus = s.text(at: 14); approvedBy = s.optionalText(at: 15); approvedAt = s.optionalText(at: 16)
        approvedByMicrosoft365Admin = s.int64(at: 17) == 1
        enabledIncoming = s.int64(at: 18) == 1; enabledOutgoing = s.int64(at: 19) == 1; enabledACT = s.int64(at: 20) == 1
        lastTestBy = s.optionalText(at: 21); lastTestAt = s.optionalText(at: 22); retryCount = s.int(at: 23)
        nextRetryAt = s.optionalText(at: 24); lastPosition = s.int64(at: 25)
    }

    /// A row from its key and value columns.
    init(key: [SQLiteValue], values v: [SQLiteValue], validFrom: Int64) {
        func t(_ i: Int) -> String { v[i].string ?? "" }
        func o(_ i: Int) -> String? { v[i].string }
        func b(_ i: Int) -> Bool { v[i] == .integer(1) }
        mailbox = key[0].string ?? ""
        environment = t(0); owner = t(1); emailAddress = t(2); serverProfile = o(3); incomingMethod = t(4); outgoingMethod = t(5)
        actMethod = t(6); incomingStatus = t(7); outgoingStatus = t(8); actStatus = t(9); incomingError = o(10); outgoingError = o(11)
        actError = o(12); emailStatus = t(13); approvedBy = o(14); approvedAt = o(15); approvedByMicrosoft365Admin = b(16)
        enabledIncoming = b(17); enabledOutgoing = b(18); enabledACT = b(19); lastTestBy = o(20); lastTestAt = o(21)
        retryCount = Int(v[22].int64 ?? 0); nextRetryAt = o(23); lastPosition = validFrom
    }

    /// The value columns, in the table's order.
    var values: [SQLiteValue] {
        func flag(_ value: Bool) -> SQLiteValue { .integer(value ? 1 : 0) }
        return [.text(environment), .text(owner), .text(emailAddress), .optionalText(serverProfile), .text(incomingMethod),
                .text(outgoingMethod), .text(actMethod), .text(incomingStatus), .text(outgoingStatus), .text(actStatus),
                .optionalText(incomingError), .optionalText(outgoingError), .optionalText(actError), .text(emailStatus),
                .optionalText(approvedBy), .optionalText(approvedAt), flag(approvedByMicrosoft365Admin), flag(enabledIncoming),
                flag(enabledOutgoing), flag(enabledACT), .optionalText(lastTestBy), .optionalText(lastTestAt), .int(retryCount),
                .optionalText(nextRetryAt)]
    }
}
