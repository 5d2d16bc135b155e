import ArgumentParser

@main
struct SyncLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncledger",
        abstract: "An event-sourced, hash-chained audit ledger of server-side synchronization administration (Dynamics 365 ↔ Exchange Online).",
        discussion: """
            Every admin action is checked against the permissions model and, when allowed, appended to an append-only SQLite log; \
            refusals are recorded as audited denials. Queries read projections, now or --as-of any instant or position.

            The ledger file is --db (default ./syncledger.sqlite, or SYNCLEDGER_DB). Admin actions take --as UPN (or SYNCLEDGER_ACTOR). \
            SYNCLEDGER_NOW pins the clock (RFC 3339).

            Exit codes: 0 done · 64 usage · 65 unknown object · 74 cannot open / not a ledger · 75 concurrency conflict · \
            76 verify found tampering · 77 permission refused · 78 rule refused.
            """,
        version: "0.1.0",
        groupedSubcommands: [
            CommandGroup(name: "Admin actions", subcommands: [
                TenantCommand.self, EnvCommand.self, DirectoryCommand.self, TeamCommand.self, QueueCommand.self, RoleCommand.self,
                ProfileCommand.self, SettingsCommand.self, MailboxCommand.self, ExchangeCommand.self, TickCommand.self,
            ]),
            CommandGroup(name: "Auditor queries", subcommands: [
                StatusCommand.self, AlertsCommand.self, AuditCommand.self, HistoryCommand.self, DiffCommand.self, ExplainCommand.self,
            ]),
            CommandGroup(name: "The log", subcommands: [LogCommand.self, ProjectionsCommand.self, ReplayCommand.self, DemoCommand.self]),
        ]
    )
}
