import ArgumentParser
import Foundation
import Projections
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
        return upn.lowercased() == "system" ? .system : .user(UserPrincipalName(upn))
    }

    /// The environment: `--env`, or the only one the ledger holds.
    func environment(in state: SyncState) throws -> EnvironmentID { try resolveEnvironment(env, in: state) }

    /// A mailbox named by its id, or by an email address / owner UPN in the environment.
    func mailbox(_ reference: String, in state: SyncState) throws -> MailboxID { try resolveMailbox(reference, env: env, in: state) }
}

/// The environment named `env`, or the only one the ledger holds.
func resolveEnvironment(_ env: String?, in state: SyncState) throws -> EnvironmentID {
    if let env { return EnvironmentID(env) }
    let all = state.environments.keys.sorted()
    guard all.count == 1 else {
        if all.isEmpty { throw CLIFailure.notFound("no environment exists yet: run `syncledger env provision` first") }
        throw ValidationError("the ledger holds \(all.count) environments (\(all.map(\.rawValue).joined(separator: ", "))): choose one with --env")
    }
    return all[0]
}

/// A mailbox named by its id, or by its email address, owner UPN or queue name
/// (within `env` when given).
func resolveMailbox(_ reference: String, env: String?, in state: SyncState) throws -> MailboxID {
    if state.mailboxes[MailboxID(reference)] != nil { return MailboxID(reference) }
    let address = reference.lowercased()
    let matches = state.mailboxes.values.filter { mailbox in
        guard env == nil || mailbox.environment.rawValue == env else { return false }
        if mailbox.emailAddress.rawValue == address { return true }
        if case .user(let upn) = mailbox.owner, upn.rawValue == address { return true }
        if case .queue(let name) = mailbox.owner, name.rawValue.lowercased() == address { return true }
        return false
    }
    guard !matches.isEmpty else { throw CLIFailure.notFound("no mailbox \(reference)\(env.map { " in \($0)" } ?? "")") }
    guard matches.count == 1 else {
        throw ValidationError("\(reference) names \(matches.count) mailboxes (\(matches.map(\.id.rawValue).sorted().joined(separator: ", "))): use --env or the mailbox id")
    }
    return matches[0].id
}

/// `--as-of` on queries.
struct CutoffOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Read as of an RFC 3339 instant or a log position #N.", valueName: "cutoff"))
    var asOf: Cutoff = .latest
}

/// Failures the CLI reports itself, with their exit codes.
enum CLIFailure: Error {
    case notFound(String)
    case tampered(String)
}
