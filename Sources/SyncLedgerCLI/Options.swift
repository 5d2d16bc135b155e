import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// `--db` and `--json`, on every command.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The ledger file (or SYNCLEDGER_DB). Admin commands create it when missing; queries never do.", valueName: "path"))
    var db: String = ProcessInfo.processInfo.environment["SYNCLEDGER_DB"] ?? "syncledger.sqlite"

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    @Option(name: .customLong("lock-wait"),
            help: ArgumentHelp("Seconds to wait for another process's write lock before giving up with exit 75 (or SYNCLEDGER_LOCK_WAIT).",
                               valueName: "seconds"))
    var lockWait: Double = ProcessInfo.processInfo.environment["SYNCLEDGER_LOCK_WAIT"].flatMap(Double.init) ?? 30

    mutating func validate() throws {
        guard !db.isEmpty else { throw ValidationError("--db needs a path; it is empty") }
        guard lockWait.isFinite, lockWait >= 0, lockWait <= 86_400 else { throw ValidationError("--lock-wait must be between 0 and 86400 seconds") }
    }

    /// The decision clock: `SYNCLEDGER_NOW` (RFC 3339) pins it, which admin
    /// commands accept only on a simulation ledger (`init --simulation`) and
    /// never ahead of the system clock. `recorded_at` is always the system's.
    func ambient() throws -> Ambient {
        guard let text = ProcessInfo.processInfo.environment["SYNCLEDGER_NOW"], !text.isEmpty else { return .live }
        guard let instant = Timestamp.parse(text) else {
            throw ValidationError("SYNCLEDGER_NOW is not an RFC 3339 instant: \(text)")
        }
        return .pinned(at: instant)
    }

    /// Opens the ledger for a query or maintenance, mapping failures to exit
    /// codes. A missing file is refused ("cannot open", naming the path):
    /// only admin commands create ledgers.
    func open(progress: Bool = false) throws -> SyncLedger {
        try open(creating: false, progress: progress)
    }

    /// Opens the ledger for an admin command, creating it when missing.
    func openForCommand() throws -> SyncLedger {
        try open(creating: true, progress: false)
    }

    private func open(creating: Bool, progress: Bool) throws -> SyncLedger {
        let ambient = try ambient()
        let ledger = try reportingFailure(json: json) {
            var options = SyncLedger.Options(ambient: ambient, createIfMissing: creating,
                                             progress: progress ? Progress.reporter(label: "rebuilding projections") : nil)
            options.lockWait = .milliseconds(Int64(lockWait * 1000))
            return try SyncLedger.open(at: db, options: options)
        }
        Self.announceMode(of: ledger)
        return ledger
    }

    /// Every command on a simulation ledger says so (on stderr, so tables and
    /// JSON on stdout stay as they are).
    static func announceMode(of ledger: SyncLedger) {
        if ledger.isSimulation {
            FileHandle.standardError.write(Data("note: \(ledger.path) is a SIMULATION ledger: its decision times may be pinned and are not real times\n".utf8))
        }
    }

    /// Opens the ledger read-only for examining evidence: nothing is created,
    /// caught up or written, and event types this binary does not know are fine.
    func openReadOnly() throws -> SyncLedger {
        let ledger = try reportingFailure(json: json) { try SyncLedger.open(at: db, options: .evidence) }
        Self.announceMode(of: ledger)
        return ledger
    }
}

/// `--as`, `--env`, `--source` on admin actions.
struct ActorOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("Who acts: a user principal name (or SYNCLEDGER_ACTOR).", valueName: "upn"))
    var actor: String?

    @Option(help: ArgumentHelp("The environment, when the ledger holds more than one.", valueName: "name"))
    var env: String?

    @Option(help: ArgumentHelp("Where the request comes from: \(CommandSource.allValueStrings.filter { $0 != "http" }.joined(separator: ", ")).", valueName: "source"))
    var source: CommandSource = .cli

    @Option(name: .customLong("command-id"),
            help: ArgumentHelp("""
                A UUID naming this command. Running it again with the same id never records it twice: it prints the first \
                outcome. Pass one to retry safely after a crash or time-out (generated when omitted).
                """, valueName: "uuid"))
    var commandID: CommandID?

    @Option(name: .customLong("key"),
            help: ArgumentHelp("Sign the command with this private key file (`key generate`; or SYNCLEDGER_KEY). Required in signed mode.", valueName: "file"))
    var key: String?

    func validate() throws {
        // `http` means "authenticated by the server's credential check"; a command line cannot claim it.
        guard source != .http else { throw ValidationError("--source http is recorded only by `syncledger serve`, for requests it authenticated") }
    }

    /// The signing key, read from `--key` or `SYNCLEDGER_KEY`.
    func signingKey() throws -> SigningKey? {
        guard let path = key ?? ProcessInfo.processInfo.environment["SYNCLEDGER_KEY"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return try reportingFailure(json: false) { try SyncLedger.signingKey(fromFile: try readTextFile(path, what: "key file")) }
    }

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

/// A `--command-id`: a UUID in its usual 8-4-4-4-12 hexadecimal form.
struct CommandID: ExpressibleByArgument {
    var uuid: UUID
    init?(argument: String) {
        guard argument.utf8.count == 36, let uuid = UUID(uuidString: argument) else { return nil }
        self.uuid = uuid
    }
}

/// `--as-of` on queries.
struct CutoffOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Read as of an RFC 3339 instant or a log position #N.", valueName: "cutoff"))
    var asOf: Cutoff = .latest
}

