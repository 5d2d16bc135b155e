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
              kind TEXT NOT NULL,   -- tenant, user, environment, profile, mailbox, exchange-mailbox, exchange-outages, job
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
        let statement = try db.prepare("SELECT kind, key, json FROM decision_state")
        while try statement.step() {
            let kind = statement.text(at: 0), key = statement.text(at: 1), json = Data(statement.text(at: 2).utf8)
            switch kind {
            case "tenant": state.tenantName = try decoder.decode(String.self, from: json)
            case "user": state.users[UserPrincipalName(key)] = try decoder.decode(DirectoryUser.self, from: json)
            case "environment": state.environments[EnvironmentID(key)] = try decoder.decode(EnvironmentState.self, from: json)
            case "profile": state.profiles[ProfileID(key)] = try decoder.decode(ProfileState.self, from: json)
            case "mailbox": state.mailboxes[MailboxID(key)] = try decoder.decode(MailboxState.self, from: json)
            case "exchange-mailbox": state.exchange.mailboxes[EmailAddress(key)] = .some(try decoder.decode(EnvironmentID?.self, from: json))
            case "exchange-outages": state.exchange.outages = try decoder.decode([ClosedRange<Date>].self, from: json)
            case "job": state.jobs.insert(JobID(key))
            default: throw SQLiteError(code: .corrupt, message: "unknown decision-state kind \(kind)", sql: nil)
            }
        }
        return state
    }

    /// Writes the rows that differ between `old` and `new`, looking only at
    /// the kinds of objects the streams in `touched` can change.
    public static func save(from old: SyncState, to new: SyncState, touched: Set<String>, in db: Connection) throws {
        let encoder = DomainEvent.makeEncoder()
        func put(_ kind: String, _ key: String, _ value: (some Encodable)?) throws {
            if let value {
                let json = String(decoding: try encoder.encode(value), as: UTF8.self)
                try db.run("INSERT INTO decision_state(kind, key, json) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET json = excluded.json",
                           .text(kind), .text(key), .text(json))
            } else {
                try db.run("DELETE FROM decision_state WHERE kind = ? AND key = ?", .text(kind), .text(key))
            }
        }
        func sync<K: Hashable & RawRepresentable<String>, V: Equatable & Encodable>(_ kind: String, _ a: [K: V], _ b: [K: V], only keys: [K]? = nil) throws {
            for key in keys ?? Array(Set(a.keys).union(b.keys)) where a[key] != b[key] {
                try put(kind, key.rawValue, b[key])
            }
        }
        for stream in touched {
            if stream == DomainEvent.tenantStream {
                if old.tenantName != new.tenantName { try put("tenant", "", new.tenantName) }
                try sync("user", old.users, new.users)
            } else if stream == DomainEvent.exchangeStream {
                if old.exchange.mailboxes != new.exchange.mailboxes {
                    for key in Set(old.exchange.mailboxes.keys).union(new.exchange.mailboxes.keys)
                    where old.exchange.mailboxes[key] != new.exchange.mailboxes[key] {
                        if let org = new.exchange.mailboxes[key] { try put("exchange-mailbox", key.rawValue, .some(org)) }
                        else { try put("exchange-mailbox", key.rawValue, Optional<EnvironmentID?>.none) }
                    }
                }
                if old.exchange.outages != new.exchange.outages { try put("exchange-outages", "", new.exchange.outages) }
            } else if stream.hasPrefix("environment:") {
                try sync("environment", old.environments, new.environments, only: [EnvironmentID(String(stream.dropFirst(12)))])
            } else if stream.hasPrefix("profile:") {
                try sync("profile", old.profiles, new.profiles, only: [ProfileID(String(stream.dropFirst(8)))])
            } else if stream.hasPrefix("mailbox:") {
                try sync("mailbox", old.mailboxes, new.mailboxes, only: [MailboxID(String(stream.dropFirst(8)))])
            } else if stream.hasPrefix("job:") {
                for job in new.jobs.subtracting(old.jobs) { try put("job", job.rawValue, true) }
            }
        }
    }

    /// Replaces every row with `state`.
    public static func writeAll(_ state: SyncState, in db: Connection) throws {
        try db.execute("DELETE FROM decision_state")
        let everything = Set([DomainEvent.tenantStream, DomainEvent.exchangeStream])
            .union(state.environments.keys.map(DomainEvent.environmentStream))
            .union(state.profiles.keys.map(DomainEvent.profileStream))
            .union(state.mailboxes.keys.map(DomainEvent.mailboxStream))
            .union(state.jobs.map(DomainEvent.jobStream))
        try save(from: SyncState(), to: state, touched: everything, in: db)
    }
}
