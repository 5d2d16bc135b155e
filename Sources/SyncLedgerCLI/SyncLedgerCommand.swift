import ArgumentParser
import Foundation

@main
struct SyncLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncledger",
        abstract: "An event-sourced, hash-chained audit ledger of server-side synchronization administration (Dynamics 365 ↔ Exchange Online).",
        discussion: """
            Every admin action is checked against the permissions model and, when allowed, appended to an append-only SQLite log; \
            refusals are recorded as audited denials. Queries read projections, now or --as-of any instant or position.

            The ledger file is --db (default ./syncledger.sqlite, or SYNCLEDGER_DB). Admin actions take --as UPN (or SYNCLEDGER_ACTOR). \
            Queries never create a ledger; admin commands create a real one when the file is missing, and `init --simulation` \
            creates a simulation ledger, the only kind on which SYNCLEDGER_NOW (RFC 3339) may pin the decision clock (never \
            ahead of the system clock). recorded_at always comes from the system clock.

            Exit codes:
              0 done            64 usage               65 unknown object      69 serve cannot listen
              73 disk full, nothing recorded           74 cannot open / not a ledger
              75 ledger busy past --lock-wait, nothing recorded (retry: same --command-id)
              76 verify found tampering                77 permission refused (audited)
              78 rule refused (audited)
            """,
        version: "0.1.0",
        groupedSubcommands: [
            CommandGroup(name: "Admin actions", subcommands: [
                TenantCommand.self, EnvCommand.self, DirectoryCommand.self, TeamCommand.self, QueueCommand.self, RoleCommand.self,
                ProfileCommand.self, SettingsCommand.self, MailboxCommand.self, ExchangeCommand.self, TickCommand.self, KeyCommand.self,
            ]),
            CommandGroup(name: "Auditor queries", subcommands: [
                StatusCommand.self, AlertsCommand.self, AuditCommand.self, HistoryCommand.self, DiffCommand.self, ExplainCommand.self,
            ]),
            CommandGroup(name: "The log", subcommands: [InitCommand.self, LogCommand.self, ProjectionsCommand.self, ReplayCommand.self, DemoCommand.self]),
            CommandGroup(name: "Server", subcommands: [ServeCommand.self, TokenCommand.self]),
            CommandGroup(name: "Testing", subcommands: [TestCommand.self]),
        ]
    )

    /// The most words a command line may hold. The argument parser's time
    /// grows with the square of the count (20,000 names took 17 s), so long
    /// lists go through `--mailboxes-from FILE` instead.
    static let maximumArguments = 2_000

    static func main() {
        let count = CommandLine.arguments.count - 1
        if count > maximumArguments {
            FileHandle.standardError.write(Data("error: \(count) words on the command line (at most \(maximumArguments)); pass long mailbox lists with --mailboxes-from FILE (one per line, - for standard input)\n".utf8))
            Foundation.exit(ExitStatus.usage)
        }
        // Parsed and run here rather than by `main(nil)` so that input found
        // invalid while running (no actor, a file that cannot be read) is
        // reported with the usage of the subcommand that was run, not the
        // top level's.
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(nil)
        } catch {
            exit(withError: error)
        }
        do {
            var runnable = command
            try runnable.run()
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("""
                Error: \(error.message)
                Usage: \(usageString(for: type(of: command)))
                  See 'syncledger help \(commandPath(of: type(of: command)))' for more information.

                """.utf8))
            Foundation.exit(ExitStatus.usage)
        } catch {
            exit(withError: error)
        }
    }

    /// The words naming `command` below `syncledger`, e.g. `mailbox approve`.
    static func commandPath(of command: any ParsableCommand.Type) -> String {
        func search(_ node: any ParsableCommand.Type, _ path: [String]) -> [String]? {
            if node == command { return path }
            for child in node.configuration.subcommands + node.configuration.groupedSubcommands.flatMap(\.subcommands) {
                let name = child.configuration.commandName ?? child._commandName
                if let found = search(child, path + [name]) { return found }
            }
            return nil
        }
        return (search(Self.self, []) ?? []).joined(separator: " ")
    }
}
