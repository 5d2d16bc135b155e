import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// The profile fields `create` and `update` share; unset options keep the current (or default) value.
struct ProfileFields: ParsableArguments {
    @Option(help: "Email server type: \(ServerType.allValueStrings.joined(separator: ", ")).") var type: ServerType?
    @Option(help: "Authentication: s2s (same tenant), oauth (cross tenant), profile-credentials, user-credentials.") var auth: AuthenticationKind?
    @Option(name: .customLong("tenant-id"), help: "OAuth: the Exchange tenant's directory (tenant) id.") var tenantID: String?
    @Option(name: .customLong("application-id"), help: "OAuth: the application (client) id.") var applicationID: String?
    @Option(name: .customLong("client-secret-file"), help: "OAuth: a file holding the client secret (never put secrets on the command line).") var clientSecretFile: String?
    @Option(name: .customLong("user-name"), help: "Profile credentials: the user name.") var userName: String?
    @Option(name: .customLong("password-file"), help: "Profile credentials: a file holding the password.") var passwordFile: String?
    @Option(help: "The profile owner (receives its alerts); default: the actor.") var owner: String?
    @Option(name: .customLong("process-from"), help: "Process email received after this instant.") var processFrom: Instant?
    @Option(name: .customLong("min-polling-minutes"), help: "Minimum polling interval, 0–1440.") var minPolling: Int?
    @Option(name: .customLong("max-connections"), help: "Maximum concurrent connections, 1–300 (default 10).") var maxConnections: Int?
    @Option(name: .customLong("move-failed"), help: "Move failed emails to the Undeliverable folder: on/off.") var moveFailed: Switch?
    @Option(name: .customLong("alert-email"), help: "Email the owner on major events: on/off.") var alertEmail: Switch?
    @Option(name: .customLong("connection-timeout"), help: "Let a mailbox connection time out: on/off.") var timeout: Switch?
    @Option(name: .customLong("timeout-ms"), help: "The mailbox connection timeout, 0–100000 ms.") var timeoutMilliseconds: Int?
    @Option(name: .customLong("auto-discover"), help: "Auto Discover Server Location: on/off (must stay on for Exchange Online).") var autoDiscover: Switch?
    @Option(help: "The EWS endpoint (defaultserverlocation).") var location: String?

    func readSecret(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw ValidationError("\(path) is empty") }
        return secret
    }

    /// `base` with these fields applied (``ProfileChange``, shared with the
    /// server). A secret file is read to check it holds a secret; the secret
    /// itself never enters the command.
    func apply(to base: ProfileSettings, id: ProfileID) throws -> ProfileSettings {
        var change = ProfileChange()
        change.serverType = type
        change.authentication = auth
        change.tenantID = tenantID
        change.applicationID = applicationID
        if let clientSecretFile { _ = try readSecret(clientSecretFile); change.newClientSecret = true }
        change.userName = userName
        if let passwordFile { _ = try readSecret(passwordFile); change.newPassword = true }
        change.owner = owner
        change.processEmailsFrom = processFrom?.date
        change.minPollingMinutes = minPolling
        change.maxConnections = maxConnections
        change.moveFailedToUndeliverable = moveFailed?.isOn
        change.alertEmailToOwner = alertEmail?.isOn
        change.timeoutConnections = timeout?.isOn
        change.timeoutMilliseconds = timeoutMilliseconds
        change.autoDiscover = autoDiscover?.isOn
        change.location = location
        do {
            return try change.apply(to: base)
        } catch {
            let message = switch error {
            case .oauthWithCredentials: "OAuth options and profile-credential options cannot be combined"
            case .oauthFieldsWithoutOAuth: "--tenant-id, --application-id and --client-secret-file apply only to --auth oauth"
            case .credentialFieldsWithoutCredentials: "--user-name and --password-file apply only to --auth profile-credentials"
            case .oauthIncomplete: "oauth needs --tenant-id, --application-id and --client-secret-file"
            case .oauthWithoutSecret: "oauth needs --client-secret-file"
            case .credentialsWithoutUser: "profile-credentials needs --user-name and --password-file"
            case .credentialsWithoutPassword: "profile-credentials needs --password-file"
            }
            throw ValidationError(message)
        }
    }
}

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "profile", abstract: "Manage email server profiles.",
        subcommands: [Create.self, Update.self, SetDefault.self, SetLocation.self, Deactivate.self, TestEnable.self, List.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an email server profile.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The profile's name (at most 100 characters).") var name: String
        @Option(help: "The profile id (default: derived from the name).") var id: String?
        @Flag(name: .customLong("default"), help: "Make it the default profile for new mailboxes.") var makeDefault = false
        @OptionGroup var fields: ProfileFields

        func run() throws {
            let actor = try who.resolvedActor()
            try perform(store, who) { names in
                let env = try who.environment(in: names)
                let profileID = ProfileID(id ?? ProfileChange.slug(name))
                guard case .user(let upn) = actor else { throw ValidationError("a person creates profiles; --as system is not allowed") }
                let base = ProfileSettings(name: name, serverType: .exchangeOnline, authentication: .serverToServer, owner: upn)
                return .createProfile(profileID, env, try fields.apply(to: base, id: profileID), setAsDefault: makeDefault)
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields of a profile.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The profile id.") var profile: String
        @Option(help: "A new name.") var name: String?
        @OptionGroup var fields: ProfileFields

        func run() throws {
            try perform(store, who) { names in
                let id = ProfileID(profile)
                var settings = try names.profile(profile).settings
                if let name { settings.name = name }
                return .updateProfile(id, try fields.apply(to: settings, id: id))
            }
        }
    }

    struct SetDefault: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-default", abstract: "Make a profile the default for new mailboxes.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The profile id.") var profile: String
        func run() throws {
            try perform(store, who) { names in .setDefaultProfile(try names.environment(who.env, forProfile: profile), ProfileID(profile)) }
        }
    }

    struct SetLocation: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-location",
            abstract: "Set a profile's EWS endpoint (defaultserverlocation), as the China procedure does through the SDK.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The profile id.") var profile: String
        @Option(help: "The EWS URL, e.g. https://partner.outlook.cn/EWS/Exchange.asmx.") var ews: String
        func run() throws { try perform(store, who) { _ in .setProfileLocation(ProfileID(profile), ews) } }
    }

    struct Deactivate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deactivate a profile (not the default one).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The profile id.") var profile: String
        func run() throws { try perform(store, who) { _ in .deactivateProfile(ProfileID(profile)) } }
    }

    struct TestEnable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test-enable",
            abstract: "Test & Enable Mailboxes: a job testing every mailbox that synchronizes through the profile.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The profile id.") var profile: String
        @Option(help: "The job id (default: generated).") var job: String?
        func run() throws {
            let id = job ?? "job-\(UUID().uuidString.lowercased().prefix(8))"
            try perform(store, who) { _ in .testProfileMailboxes(ProfileID(profile), job: JobID(id)) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the profiles.")
        @OptionGroup var store: StoreOptions
        func run() throws {
            let ledger = try store.open()
            let state = try reportingFailure(json: store.json) { try ledger.decisionState() }
            let profiles = state.profiles.values.sorted { $0.id < $1.id }
            if store.json {
                Output.printJSON(profiles.map { p in ProfileJSON(id: p.id.rawValue, environment: p.environment.rawValue, active: p.isActive,
                                                                isDefault: state.environments[p.environment]?.defaultProfile == p.id, settings: p.settings) })
                return
            }
            Output.table(["ID", "ENVIRONMENT", "NAME", "TYPE", "AUTHENTICATION", "OWNER", "DEFAULT", "ACTIVE"], profiles.map { p in
                [p.id.rawValue, p.environment.rawValue, p.settings.name, p.settings.serverType.rawValue, p.settings.authentication.label,
                 p.settings.owner.rawValue, state.environments[p.environment]?.defaultProfile == p.id ? "yes" : "no", p.isActive ? "yes" : "no"]
            })
        }
    }
}

struct ProfileJSON: Encodable {
    var id: String
    var environment: String
    var active: Bool
    var isDefault: Bool
    var settings: ProfileSettings
}

// MARK: - settings

struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "settings", abstract: "An environment's email settings.",
                                                    subcommands: [Set.self, Show.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change email settings.",
            discussion: "Turning off --approved-users or --approved-queues needs someone who may approve email addresses in that environment.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Option(help: "Default incoming method: none, outlook, server-side-sync, forward-mailbox.") var incoming: IncomingDelivery?
        @Option(help: "Default outgoing method: none, outlook, server-side-sync.") var outgoing: OutgoingDelivery?
        @Option(help: "Default appointments, contacts and tasks method: none, outlook, server-side-sync.") var act: ACTDelivery?
        @Option(name: .customLong("approved-users"), help: "Process emails only for approved users: on/off.") var approvedUsers: Switch?
        @Option(name: .customLong("approved-queues"), help: "Process emails only for approved queues: on/off.") var approvedQueues: Switch?
        @Option(name: .customLong("self-approve-privilege"), help: "RequirePrivilegeToSelfApproveEmailAddress: on/off.") var selfApprove: Switch?

        func run() throws {
            try perform(store, who) { names in
                .changeEmailSettings(try who.environment(in: names), EmailSettingsChange(
                    incoming: incoming, outgoing: outgoing, appointmentsContactsTasks: act,
                    processEmailsOnlyForApprovedUsers: approvedUsers?.isOn, processEmailsOnlyForApprovedQueues: approvedQueues?.isOn,
                    requirePrivilegeToSelfApprove: selfApprove?.isOn))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show email settings.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The environment.") var env: String?
        func run() throws {
            let ledger = try store.open()
            let state = try reportingFailure(json: store.json) { try ledger.decisionState() }
            let id = try reportingFailure(json: store.json) { try NameResolver(state: state).environment(env) }
            guard let environment = state.environments[id] else {
                try fail(code: "UnknownEnvironment", message: "no environment named \(id)", status: ExitStatus.unknownObject, json: store.json)
            }
            let s = environment.settings
            if store.json {
                Output.printJSON(["environment": AnyEncodable(id.rawValue), "defaultProfile": AnyEncodable(environment.defaultProfile?.rawValue),
                                  "settings": AnyEncodable(s)])
                return
            }
            Output.table(["SETTING", "VALUE"], [
                ["Server profile (default)", environment.defaultProfile?.rawValue ?? "(none)"],
                ["Incoming email", s.incoming.rawValue],
                ["Outgoing email", s.outgoing.rawValue],
                ["Appointments, Contacts, and Tasks", s.appointmentsContactsTasks.rawValue],
                ["Process emails only for approved users", s.processEmailsOnlyForApprovedUsers ? "On" : "Off"],
                ["Process emails only for approved queues", s.processEmailsOnlyForApprovedQueues ? "On" : "Off"],
                ["RequirePrivilegeToSelfApproveEmailAddress", s.requirePrivilegeToSelfApprove ? "On" : "Off"],
            ])
        }
    }
}
