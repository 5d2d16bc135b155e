import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// Prints the mailbox grid.
func printGrid(_ rows: [MailboxStatusRow]) {
    Output.table(["MAILBOX", "EMAIL", "PROFILE", "INCOMING", "OUTGOING", "ACT", "EMAIL STATUS", "ENABLED"], rows.map { r in
        [r.owner, r.emailAddress, r.serverProfile ?? "—", status(r.incomingStatus, r.incomingError), status(r.outgoingStatus, r.outgoingError),
         status(r.actStatus, r.actError), r.emailStatus, "\(yesNo(r.enabledIncoming))/\(yesNo(r.enabledOutgoing))/\(yesNo(r.enabledACT))"]
    })
}

func printAlerts(_ rows: [AlertRow]) {
    Output.table(["WALL", "LEVEL", "CODE", "COUNT", "LAST", "TEXT"], rows.map { [$0.wall, $0.level, $0.code, String($0.count), $0.lastAt, $0.text] })
}

func printAudit(_ rows: [AuditRow]) {
    Output.table(["#", "WHEN", "ACTOR", "ROLES", "ACTION", "OBJECT", "OUTCOME", "CHANGES"], rows.map { r in
        let outcome = r.outcome == "denied" ? "denied \(r.refusalCode ?? "")" : r.outcome
        let changes = r.changes.prefix(3).map { "\($0.field): \($0.before ?? "∅") → \($0.after ?? "∅")" }.joined(separator: "; ")
            + (r.changes.count > 3 ? "; …" : "")
        return [String(r.position), r.recordedAt, r.actor, r.roles.joined(separator: ", "), r.action, r.object, outcome, changes]
    })
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "The mailbox grid: status columns, approval, enablement.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var cutoff: CutoffOptions
    @Option(help: "Only this environment.") var env: String?
    func run() throws {
        let ledger = try store.open()
        try reportingFailure(json: store.json) {
            let rows = try ledger.mailboxStatus(asOf: cutoff.asOf).filter { env == nil || $0.environment == env }
            if store.json { Output.printJSON(rows) } else { printGrid(rows) }
        }
    }
}

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "Alerts walls of mailboxes and users.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var cutoff: CutoffOptions
    @Option(help: "A mailbox's wall (its id).") var mailbox: String?
    @Option(help: "A user's wall (profile owners, mailbox owners).") var owner: String?
    @Option(help: "Only this level: information, warning, error.") var level: AlertLevel?
    func validate() throws { if mailbox != nil && owner != nil { throw ValidationError("choose --mailbox or --owner, not both") } }
    func run() throws {
        let ledger = try store.open()
        try reportingFailure(json: store.json) {
            var wall: String?
            if let mailbox { wall = "mailbox:\(try ledger.resolver().mailbox(mailbox).rawValue)" }
            if let owner { wall = "user:\(owner.lowercased())" }
            let rows = try ledger.alerts(asOf: cutoff.asOf, wall: wall).filter { level == nil || $0.level == level!.rawValue }
            if store.json { Output.printJSON(rows) } else { printAlerts(rows) }
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit",
        abstract: "The audit trail: every change and every denied attempt, with actor, roles and before → after values.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var cutoff: CutoffOptions
    @Option(help: "Only events on this mailbox (its id).") var mailbox: String?
    @Option(help: "Only this actor.") var actor: String?
    @Option(help: "Only this action, e.g. mailbox.approve.") var action: String?
    @Option(help: "From this instant.") var since: Instant?
    @Option(help: "Up to this instant.") var until: Instant?
    @Flag(help: "Only denied attempts.") var denied = false
    @Option(name: .customLong("event-type"), help: "Only events of this type, e.g. MailboxEmailApproved.") var eventType: String?
    @Flag(help: "CSV instead of a table.") var csv = false
    func run() throws {
        let ledger = try store.open()
        try reportingFailure(json: store.json) {
            var mailboxID: String?
            if let mailbox { mailboxID = try ledger.resolver().mailbox(mailbox).rawValue }
            let rows = try ledger.audit(asOf: cutoff.asOf, filter: AuditFilter(mailbox: mailboxID, actor: actor, action: action,
                                                                                since: since?.date, until: until?.date, deniedOnly: denied,
                                                                                eventType: eventType))
            if store.json { Output.printJSON(rows); return }
            if csv {
                print(csvLine(["position", "recorded_at", "actor", "roles", "action", "event_type", "object", "outcome", "refusal_code", "changes"]))
                for r in rows {
                    let changes = r.changes.map { "\($0.field): \($0.before ?? "") -> \($0.after ?? "")" }.joined(separator: "; ")
                    print(csvLine([String(r.position), r.recordedAt, r.actor, r.roles.joined(separator: "; "), r.action, r.eventType, r.object,
                                   r.outcome, r.refusalCode ?? "", changes]))
                }
                return
            }
            printAudit(rows)
        }
    }
}

/// One CSV line, quoting every field that needs it (RFC 4180).
func csvLine(_ fields: [String]) -> String {
    fields.map { field in
        field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }.joined(separator: ",")
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history",
        abstract: "The events of one stream, e.g. mailbox:contoso-prod/user:alice@contoso.com, profile:ID, environment:NAME, tenant, refusals.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The stream.") var stream: String
    func run() throws {
        let ledger = try store.open()
        try reportingFailure(json: store.json) {
            let events = try ledger.history(of: stream)
            if store.json { Output.printJSON(events.map(EventJSON.init)); return }
            Output.table(["#", "VERSION", "WHEN", "TYPE", "ACTOR", "DATA"], events.map { e in
                [e.position.description, e.streamVersion.description, Timestamp.format(e.recordedAt), e.type,
                 (try? EventMetadata.decode(e.metadata).actor) ?? "?", e.data]
            })
        }
    }
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff",
        abstract: "What changed in the mailbox grid and the alerts between two cutoffs, and which events did it.")
    @OptionGroup var store: StoreOptions
    @Option(help: "From this cutoff (RFC 3339 or #N).") var from: Cutoff
    @Option(help: "To this cutoff (default: latest).") var to: Cutoff = .latest
    func run() throws {
        let ledger = try store.open()
        try reportingFailure(json: store.json) {
            let diffs = try ledger.diff(from: from, to: to)
            if store.json { Output.printJSON(diffs); return }
            if diffs.isEmpty { print("no changes"); return }
            for d in diffs {
                print(Output.printable("\(d.kind.rawValue) \(d.table) \(d.key)"))
                for c in d.changes { print(Output.printable("    \(c.field): \(c.before ?? "∅") → \(c.after ?? "∅")")) }
                for c in d.causes { print(Output.printable("    by \(c.position) \(c.type) — \(c.actor) at \(c.recordedAt)")) }
            }
        }
    }
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain",
        abstract: "Which events gave a field of a mailbox's grid row its value (e.g. --field email_status).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var cutoff: CutoffOptions
    @Option(help: "The environment.") var env: String?
    @Argument(help: "The mailbox.") var mailbox: String
    @Option(help: "A column of mailbox_status, e.g. email_status, incoming_status, server_profile.") var field: String
    func run() throws {
        let ledger = try store.open()
        try reportingFailure(json: store.json) {
            let id = try ledger.resolver().mailbox(mailbox, environment: env)
            let (value, steps) = try ledger.explain(mailbox: id.rawValue, field: field, asOf: cutoff.asOf)
            if store.json { Output.printJSON(["value": AnyEncodable(value), "steps": AnyEncodable(steps)]); return }
            print(Output.printable("\(field) of \(id) is \(value ?? "∅")"))
            Output.table(["#", "DECIDED", "ACTOR", "COMMAND", "EVENT", "BEFORE", "AFTER"], steps.map {
                [String($0.position), $0.decidedAt, $0.actor, $0.command, $0.eventType, $0.before ?? "∅", $0.after ?? "∅"]
            })
        }
    }
}
