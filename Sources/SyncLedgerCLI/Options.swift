import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// `--db` and `--json`, on every command.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The ledger file (created on first use).", valueName: "path"))
    var db: String = ProcessInfo.processInfo.environment["SYNCLEDGER_DB"] ?? "syncledger.sqlite"

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    /// The clock: `SYNCLEDGER_NOW` (RFC 3339) pins it for scripts and tests.
    func ambient() throws -> Ambient {
        guard let text = ProcessInfo.processInfo.environment["SYNCLEDGER_NOW"] else { return .live }
        guard let instant = Timestamp.parse(text) else {
            throw ValidationError("SYNCLEDGER_NOW is not an RFC 3339 instant: \(text)")
        }
        return .pinned(at: instant)
    }

    /// Opens the ledger, mapping failures to exit codes.
    func open(progress: Bool = false) throws -> SyncLedger {
        let ambient = try ambient()
        return try reportingFailure(json: json) {
            try SyncLedger.open(at: db, options: .init(ambient: ambient, progress: progress ? Progress.reporter(label: "rebuilding projections") : nil))
        }
    }

    /// Opens the ledger read-only for examining evidence: nothing is created,
    /// caught up or written, and event types this binary does not know are fine.
    func openReadOnly() throws -> SyncLedger {
        try reportingFailure(json: json) { try SyncLedger.open(at: db, options: .evidence) }
    }
}

/// `--as`, `--env`, `--source` on admin actions.
struct ActorOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("Who acts: a user principal name (or SYNCLEDGER_ACTOR).", valueName: "upn"))
    var actor: String?

    @Option(help: ArgumentHelp("The environment, when the ledger holds more than one.", valueName: "name"))
    var env: String?

    @Option(help: ArgumentHelp("Where the request comes from: \(CommandSource.allValueStrings.joined(separator: ", ")).", valueName: "source"))
    var source: CommandSource = .cli

    /// The acting user.
    func resolvedActor() throws -> Actor {
        guard let upn = actor ?? ProcessInfo.processInfo.environment["SYNCLEDGER_ACTOR"], !upn.isEmpty else {
            throw ValidationError("say who acts: --as UPN (or set SYNCLEDGER_ACTOR)")
        }
        return NameResolver.actor(upn)
    }

    /// The environment: `--env`, or the only one the ledger holds.
    func environment(in names: NameResolver) throws -> EnvironmentID { try names.environment(env) }

    /// A mailbox named by its id, or by an email address / owner UPN in the environment.
    func mailbox(_ reference: String, in names: NameResolver) throws -> MailboxID { try names.mailbox(reference, environment: env) }
}

/// `--as-of` on queries.
struct CutoffOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Read as of an RFC 3339 instant or a log position #N.", valueName: "cutoff"))
    var asOf: Cutoff = .latest
}

