import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

struct MailboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mailbox",
        abstract: "Configure, approve and test mailboxes. A mailbox is named by its id, email address, owner UPN or queue name.",
        subcommands: [ApplyDefaults.self, Edit.self, SetEmail.self, Approve.self, Reject.self, TestEnable.self, Show.self])

    struct ApplyDefaults: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply-defaults",
            abstract: "Apply Default Email Settings, then Test & Enable (unless --no-test).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @OptionGroup var mailboxes: MailboxList
        @Flag(name: .customLong("no-test"), help: "Do not test and enable afterwards.") var noTest = false
        func run() throws {
            try perform(store, who) { names in .applyDefaultSettings(try mailboxes.resolve(who, in: names), test: !noTest) }
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the server profile and delivery methods of mailboxes (no test).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @OptionGroup var mailboxes: MailboxList
        @Option(help: "The server profile id.") var profile: String?
        @Option(help: "Incoming: none, outlook, server-side-sync, forward-mailbox.") var incoming: IncomingDelivery?
        @Option(help: "Outgoing: none, outlook, server-side-sync.") var outgoing: OutgoingDelivery?
        @Option(help: "Appointments, contacts and tasks: none, outlook, server-side-sync.") var act: ACTDelivery?
        func run() throws {
            try perform(store, who) { names in
                .editMailboxes(try mailboxes.resolve(who, in: names),
                               MailboxEdit(profile: profile.map(ProfileID.init), incoming: incoming, outgoing: outgoing, appointmentsContactsTasks: act))
            }
        }
    }

    struct SetEmail: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-email",
            abstract: "Change a mailbox's email address (resets its approval and status columns).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The mailbox.") var mailbox: String
        @Argument(help: "The new address.") var address: String
        func run() throws { try perform(store, who) { .changeEmailAddress(try who.mailbox(mailbox, in: $0), EmailAddress(address)) } }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a mailbox's email address.",
            discussion: "--programmatic records the request as an external application's (source api); --also-changing lists other columns the same request changes, which makes it refused.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The mailbox.") var mailbox: String
        @Flag(help: "Approve as an external application through the SDK / Web API.") var programmatic = false
        @Option(name: .customLong("also-changing"), help: "Programmatic: other columns the request changes (comma-separated).") var alsoChanging: String?
        func run() throws {
            var who = who
            if programmatic { who.source = .api }
            let others = alsoChanging?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
            try perform(store, who) { .approveEmail(try who.mailbox(mailbox, in: $0), alsoChanging: others) }
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a mailbox's email address.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The mailbox.") var mailbox: String
        func run() throws { try perform(store, who) { .rejectEmail(try who.mailbox(mailbox, in: $0)) } }
    }

    struct TestEnable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test-enable",
            abstract: "Test & Enable Mailbox: test each channel against Exchange Online and enable the mailbox on success.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @OptionGroup var mailboxes: MailboxList
        @Flag(name: .customLong("sync-this-org-only"), help: "Sync items with Exchange from this org only, even if Exchange was set to sync with a different org.")
        var syncThisOrgOnly = false
        @Option(name: .customLong("process-from"), help: "Process email received after this date.") var processFrom: Instant?
        func run() throws {
            try perform(store, who) { names in
                .testAndEnable(try mailboxes.resolve(who, in: names), TestOptions(processEmailsFrom: processFrom?.date, syncThisOrgOnly: syncThisOrgOnly))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one mailbox's row of the grid.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var cutoff: CutoffOptions
        @Option(help: "The environment.") var env: String?
        @Argument(help: "The mailbox.") var mailbox: String
        func run() throws {
            let ledger = try store.open()
            try reportingFailure(json: store.json) {
                let row = try ledger.mailbox(mailbox, environment: env, asOf: cutoff.asOf)
                if store.json { Output.printJSON(row); return }
                let fields: [(String, String?)] = [
                    ("Mailbox", row.mailbox), ("Environment", row.environment), ("Owner", row.owner), ("Email address", row.emailAddress),
                    ("Server profile", row.serverProfile), ("Incoming Email", row.incomingMethod), ("Outgoing Email", row.outgoingMethod),
                    ("Appointments, Contacts, and Tasks", row.actMethod), ("Incoming Email Status", status(row.incomingStatus, row.incomingError)),
                    ("Outgoing Email Status", status(row.outgoingStatus, row.outgoingError)), ("ACT Status", status(row.actStatus, row.actError)),
                    ("Email Address Status", row.emailStatus), ("Approved by", row.approvedBy), ("Approved at", row.approvedAt),
                    ("Enabled (in/out/ACT)", "\(yesNo(row.enabledIncoming))/\(yesNo(row.enabledOutgoing))/\(yesNo(row.enabledACT))"),
                    ("Last Test & Enable", row.lastTestBy.map { "\($0) at \(row.lastTestAt ?? "?")" }),
                    ("Retries", row.nextRetryAt.map { "\(row.retryCount), next at \($0)" } ?? String(row.retryCount)),
                ]
                Output.table(["FIELD", "VALUE"], fields.map { [$0.0, $0.1 ?? "—"] })
            }
        }
    }
}

func status(_ value: String, _ error: String?) -> String { error.map { "\(value) (\($0))" } ?? value }
func yesNo(_ flag: Bool) -> String { flag ? "Yes" : "No" }

/// The mailboxes a bulk command acts on: named as arguments, or one per line
/// in a file (`-` = standard input) for long lists. A name given several
/// times counts once, in the order first given.
struct MailboxList: ParsableArguments {
    @Argument(help: "The mailboxes (id, email address, owner UPN or queue name).") var names: [String] = []
    @Option(name: .customLong("mailboxes-from"),
            help: ArgumentHelp("Also read mailbox names from this file, one per line (- for standard input). Use it for long lists.", valueName: "file"))
    var file: String?

    func validate() throws {
        if names.isEmpty && file == nil { throw ValidationError("name at least one mailbox (or --mailboxes-from FILE)") }
    }

    /// Every name, de-duplicated, resolved to mailbox ids.
    func resolve(_ who: ActorOptions, in resolver: NameResolver) throws -> [MailboxID] {
        var all = names
        if let file {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data else { throw SyncLedgerError.invalidInput("cannot read \(file)") }
            all += String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var seen = Swift.Set<String>()
        return try all.filter { seen.insert($0).inserted }.map { try who.mailbox($0, in: resolver) }
    }
}
