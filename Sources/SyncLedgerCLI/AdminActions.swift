import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// Opens the ledger, builds the command from the current state, executes it
/// as the actor, and prints what was recorded (or the refusal, with its exit code).
func perform(_ store: StoreOptions, _ who: ActorOptions, _ make: (NameResolver) throws -> Command) throws {
    let actor = try who.resolvedActor()
    let key = try who.signingKey()
    let ledger = try store.openForCommand()
    try reportingFailure(json: store.json) {
        Output.report(try ledger.execute(as: actor, source: who.source, commandID: who.commandID?.uuid, signingKey: key) { names in
            // Input errors found while building the command are usage errors (64), not storage failures.
            do { return try make(names) } catch let error as ValidationError { throw SyncLedgerError.invalidInput(error.message) }
        }, json: store.json)
    }
}

// MARK: - tenant, env

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tenant", abstract: "Set up the tenant.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the tenant with its first Global admin (once per ledger).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The tenant's name.") var name: String
        @Option(help: ArgumentHelp("The first Global admin's user principal name.", valueName: "upn")) var admin: String
        @Option(name: .customLong("display-name"), help: "The admin's display name.") var displayName: String?
        @Option(name: .customLong("command-id"), help: ArgumentHelp("A UUID naming this command, for a safe retry.", valueName: "uuid"))
        var commandID: String?

        func run() throws {
            let who = try ActorOptions.parse(["--as", admin] + (commandID.map { ["--command-id", $0] } ?? []))
            try perform(store, who) { _ in
                .createTenant(name: name, firstGlobalAdmin: UserPrincipalName(admin), displayName: displayName ?? admin)
            }
        }
    }
}

struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "env", abstract: "Provision environments.",
                                                    subcommands: [Provision.self, EnableChinaExchange.self])

    struct Provision: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Provision an environment (a Dynamics 365 organization).",
            discussion: "When the tenant has Exchange Online, the \"Microsoft Exchange Online\" profile is created and made the default.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The environment's name.") var name: String
        @Option(help: "online or on-premises.") var deployment: Deployment = .online
        @Option(help: "The Dynamics 365 version, e.g. 9.2.24011.00100.") var version: DynamicsVersion = "9.2.24011.00100"
        @Option(help: "default or china.") var region: Region = .default
        @Flag(name: .customLong("no-exchange-online"), help: "The tenant has no Exchange Online subscription.") var noExchangeOnline = false
        @Option(name: .customLong("provisioned-on"), help: "When it was provisioned (RFC 3339 or a date; default now).") var provisionedOn: Instant?
        @Option(name: .customLong("profile-id"), help: "The id of the Exchange Online profile it creates.") var profileID: String?

        func run() throws {
            let now = try store.ambient().now()
            try perform(store, who) { _ in
                .provisionEnvironment(ProvisionEnvironment(
                    environment: EnvironmentID(name), deployment: deployment, version: version, exchangeOnlineInTenant: !noExchangeOnline,
                    region: region, provisionedOn: provisionedOn?.date ?? now, exchangeProfile: ProfileID(profileID ?? "\(name)-exchange-online")))
            }
        }
    }

    struct EnableChinaExchange: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable-china-exchange",
                                                        abstract: "Record that 21Vianet enabled Exchange Online access for a China environment.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        func run() throws { try perform(store, who) { .enableChinaExchangeAccess(try who.environment(in: $0)) } }
    }
}

// MARK: - directory, team, queue

struct DirectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "directory", abstract: "Manage the tenant directory.",
                                                    subcommands: [AddUser.self, Grant.self, Revoke.self])

    struct AddUser: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-user",
            abstract: "Add a user to the directory and, with --env, to an environment (creating the user's mailbox there).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The user's principal name.") var upn: String
        @Option(name: .customLong("display-name"), help: "Display name.") var displayName: String?
        @Flag(name: .customLong("directory-only"), help: "Add to the directory only, even when there is one environment.") var directoryOnly = false

        func run() throws {
            try perform(store, who) { names in
                .addUser(UserPrincipalName(upn), displayName: displayName ?? upn,
                         environment: names.environmentForNewUser(who.env, directoryOnly: directoryOnly))
            }
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant a directory role: global-admin, exchange-admin, service-admin.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The user.") var upn: String
        @Argument(help: "The role.") var role: AdminRole
        func run() throws { try perform(store, who) { _ in .grantAdminRole(UserPrincipalName(upn), role) } }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a directory role.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The user.") var upn: String
        @Argument(help: "The role.") var role: AdminRole
        func run() throws { try perform(store, who) { _ in .revokeAdminRole(UserPrincipalName(upn), role) } }
    }
}

struct TeamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "team", abstract: "Manage teams of an environment.",
                                                    subcommands: [Create.self, AddMember.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a team.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The team's name.") var name: String
        func run() throws { try perform(store, who) { .createTeam(try who.environment(in: $0), TeamName(name)) } }
    }

    struct AddMember: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add a user to a team.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The team.") var team: String
        @Argument(help: "The user.") var upn: String
        func run() throws { try perform(store, who) { .addTeamMember(try who.environment(in: $0), TeamName(team), UserPrincipalName(upn)) } }
    }
}

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Manage queues.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a queue and its mailbox.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The queue's name.") var name: String
        @Option(help: "The queue's email address.") var email: String
        func run() throws { try perform(store, who) { .createQueue(try who.environment(in: $0), QueueName(name), emailAddress: EmailAddress(email)) } }
    }
}

// MARK: - role

struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "role", abstract: "Manage security roles of an environment.",
                                                    subcommands: [Create.self, SetPrivilege.self, Assign.self, Remove.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a custom security role (no privileges).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The role's name.") var name: String
        func run() throws { try perform(store, who) { .createRole(try who.environment(in: $0), RoleName(name)) } }
    }

    struct SetPrivilege: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-privilege",
            abstract: "Set a role's privilege level: approve-email, mailbox-read, mailbox-write at none, user, business-unit, parent-child-business-unit, organization.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The role.") var role: String
        @Argument(help: "The privilege.") var privilege: Privilege
        @Argument(help: "The level.") var level: PrivilegeLevel
        func run() throws { try perform(store, who) { .setRolePrivilege(try who.environment(in: $0), RoleName(role), privilege, level) } }
    }

    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign a role to a user or a team.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The role, e.g. \"System Administrator\" or \"Delegated Mailbox Approver\".") var role: String
        @OptionGroup var to: PrincipalOptions
        func run() throws { try perform(store, who) { .assignRole(try who.environment(in: $0), RoleName(role), to.principal) } }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a role from a user or a team.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The role.") var role: String
        @OptionGroup var to: PrincipalOptions
        func run() throws { try perform(store, who) { .removeRole(try who.environment(in: $0), RoleName(role), to.principal) } }
    }
}

/// `--user` or `--team`: who a role goes to.
struct PrincipalOptions: ParsableArguments {
    @Option(help: "The user.") var user: String?
    @Option(help: "The team.") var team: String?

    func validate() throws {
        guard (user == nil) != (team == nil) else { throw ValidationError("name exactly one of --user or --team") }
    }

    var principal: Principal { user.map { .user(UserPrincipalName($0)) } ?? .team(TeamName(team ?? "")) }
}

// MARK: - exchange, tick

struct ExchangeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exchange", abstract: "Record facts of the simulated Exchange Online.",
                                                    subcommands: [AddMailbox.self, Outage.self])

    struct AddMailbox: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-mailbox", abstract: "A mailbox exists in the tenant's Exchange Online.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "Its email address.") var address: String
        @Option(name: .customLong("sync-org"), help: "The organization it currently syncs with.") var syncOrg: String?
        func run() throws { try perform(store, who) { _ in .addExchangeMailbox(EmailAddress(address), syncOrg: syncOrg.map(EnvironmentID.init)) } }
    }

    struct Outage: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Exchange Online is unavailable between two instants.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Option(help: "Start (RFC 3339).") var from: Instant
        @Option(help: "End (RFC 3339).") var until: Instant
        func run() throws { try perform(store, who) { _ in .recordExchangeOutage(from: from.date, until: until.date) } }
    }
}

struct TickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tick", abstract: "Run the Test & Enable retries due now.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var who: ActorOptions
    func run() throws {
        var who = who
        if who.actor == nil && ProcessInfo.processInfo.environment["SYNCLEDGER_ACTOR"] == nil { who.actor = "system" }
        try perform(store, who) { _ in .processDueRetries }
    }
}
