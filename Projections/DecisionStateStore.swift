import EventLog
import Foundation
import ServerSideSync
import SQLite

/// The state decisions need (``SyncState``), kept in a table beside the log
/// so a command does not replay the log: one JSON row per object (user,
/// environment, profile, mailbox, Exchange mailbox, job).
///
/// The facade writes the rows an accepted command changed, in the command's
/// transaction, and moves the checkpoint with them. Rebuilding it folds the
/// log in memory and writes every row.
public enum DecisionStateStore {
    public static let name = "decision-state"
    public static let schemaVersion = 1
    static let table = "decision_state"

    public static func createTables(in db: Connection) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS decision_state (
              kind TEXT NOT NULL,   -- tenant, user, environment, member, profile, mailbox, exchange-mailbox, exchange-outages, job
              key  TEXT NOT NULL,
              json TEXT NOT NULL,
              PRIMARY KEY (kind, key)
            ) STRICT, WITHOUT ROWID;
            """)
    }

    /// Reads the whole state from the table.
    public static func load(from db: Connection) throws -> SyncState {
        let decoder = DomainEvent.makeDecoder()
        var state = SyncState()
        var members: [EnvironmentID: Set<UserPrincipalName>] = [:]
        let statement = try db.prepare("SELECT kind, key, json FROM decision_state")
        while try statement.step() {
            let kind = statement.text(at: 0), key = statement.text(at: 1), json = Data(statement.text(at: 2).utf8)
            switch kind {
            case "tenant": state.tenantName = try decoder.decode(String.self, from: json)
            case "user": state.users[UserPrincipalName(key)] = try decoder.decode(DirectoryUser.self, from: json)
            case "environment":
                let id = EnvironmentID(key)
                let members = state.environments[id]?.members ?? []
                state.environments[id] = try decoder.decode(EnvironmentState.self, from: json)
                state.environments[id]?.members.formUnion(members)
            case "member":
                // key: ENVIRONMENT␟UPN (members are rows of their own so a join writes one small row).
                let parts = key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
                members[EnvironmentID(parts[0]), default: []].insert(UserPrincipalName(parts[1]))
            case "profile": state.profiles[ProfileID(key)] = try decoder.decode(ProfileState.self, from: json)
            case "mailbox": state.mailboxes[MailboxID(key)] = try decoder.decode(MailboxState.self, from: json)
            case "exchange-mailbox": state.exchange.mailboxes[EmailAddress(key)] = .some(try decoder.decode(EnvironmentID?.self, from: json))
            case "exchange-outages": state.exchange.outages = try decoder.decode([ClosedRange<Date>].self, from: json)
            case "job": state.jobs.insert(JobID(key))
            default: throw SQLiteError(code: .corrupt, message: "unknown decision-state kind \(kind)", sql: nil)
            }
        }
        for (id, users) in members { state.environments[id]?.members.formUnion(users) }
        return state
    }

    /// The rows `event` can change, as (kind, key) pairs.
    static func rows(changedBy event: DomainEvent) -> [(kind: String, key: String)] {
        switch event {
        case .tenantCreated(let e): [("tenant", ""), ("user", e.firstGlobalAdmin.rawValue)]
        case .userAdded(let e): [("user", e.user.rawValue)]
        case .adminRoleGranted(let e): [("user", e.user.rawValue)]
        case .adminRoleRevoked(let e): [("user", e.user.rawValue)]
        case .userJoinedEnvironment(let e): [("member", "\(e.environment.rawValue)\u{1F}\(e.user.rawValue)")]
        case .environmentProvisioned, .chinaExchangeAccessEnabled, .teamCreated, .teamMemberAdded, .queueCreated, .securityRoleCreated,
             .rolePrivilegeSet, .securityRoleAssigned, .securityRoleRemoved, .emailSettingsChanged, .defaultServerProfileSet:
            [("environment", String(event.stream.dropFirst("environment:".count)))]
        case .serverProfileCreated, .serverProfileUpdated, .serverProfileLocationSet, .serverProfileDeactivated:
            [("profile", String(event.stream.dropFirst("profile:".count)))]
        case .mailboxCreated, .mailboxConfigured, .mailboxEmailAddressChanged, .mailboxEmailApproved, .mailboxEmailRejected, .mailboxTestCompleted:
            [("mailbox", String(event.stream.dropFirst("mailbox:".count)))]
        case .exchangeMailboxAdded(let e): [("exchange-mailbox", e.emailAddress.rawValue)]
        case .exchangeSyncOrgChanged(let e): [("exchange-mailbox", e.emailAddress.rawValue)]
        case .exchangeOutageRecorded: [("exchange-outages", "")]
        case .profileTestJobStarted(let e): [("job", e.job.rawValue)]
        case .profileTestJobCompleted, .commandRefused: []
        }
    }

    /// Writes the rows `events` changed, with their values in `state` (the
    /// state after the events).
    public static func save(_ events: [DomainEvent], state: SyncState, in db: Connection) throws {
        var seen = Set<String>()
        for event in events {
            for (kind, key) in rows(changedBy: event) where seen.insert("\(kind)\u{1F}\(key)").inserted {
                try write(kind: kind, key: key, from: state, in: db)
            }
        }
    }

    /// Writes (or deletes, when absent from `state`) one row.
    static func write(kind: String, key: String, from state: SyncState, in db: Connection) throws {
        let encoder = DomainEvent.makeEncoder()
        func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var value: String?
        switch kind {
        case "tenant": value = try state.tenantName.map(json)
        case "user": value = try state.users[UserPrincipalName(key)].map(json)
        case "environment":
            if var env = state.environments[EnvironmentID(key)] {
                env.members = []   // members are rows of their own
                value = try json(env)
            }
        case "member":
            let parts = key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
            value = state.environments[EnvironmentID(parts[0])]?.members.contains(UserPrincipalName(parts[1])) == true ? "true" : nil
        case "profile": value = try state.profiles[ProfileID(key)].map(json)
        case "mailbox": value = try state.mailboxes[MailboxID(key)].map(json)
        case "exchange-mailbox":
            if let org = state.exchange.mailboxes[EmailAddress(key)] { value = try json(org) }
        case "exchange-outages": value = try json(state.exchange.outages)
        case "job": value = state.jobs.contains(JobID(key)) ? "true" : nil
        default: break
        }
        if let value {
            try db.run("INSERT INTO decision_state(kind, key, json) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET json = excluded.json",
                       .text(kind), .text(key), .text(value))
        } else {
            try db.run("DELETE FROM decision_state WHERE kind = ? AND key = ?", .text(kind), .text(key))
        }
    }

    /// Replaces every row with `state`.
    public static func writeAll(_ state: SyncState, in db: Connection) throws {
        try db.execute("DELETE FROM decision_state")
        var rows: [(String, String)] = state.exchange.outages.isEmpty ? [] : [("exchange-outages", "")]
        if state.tenantName != nil { rows.append(("tenant", "")) }
        rows += state.users.keys.map { ("user", $0.rawValue) }
        for (id, env) in state.environments {
            rows.append(("environment", id.rawValue))
            rows += env.members.map { ("member", "\(id.rawValue)\u{1F}\($0.rawValue)") }
        }
        rows += state.profiles.keys.map { ("profile", $0.rawValue) }
        rows += state.mailboxes.keys.map { ("mailbox", $0.rawValue) }
        rows += state.exchange.mailboxes.keys.map { ("exchange-mailbox", $0.rawValue) }
        rows += state.jobs.map { ("job", $0.rawValue) }
        for (kind, key) in rows { try write(kind: kind, key: key, from: state, in: db) }
    }
}
