import Foundation
import HTTPTypes
import Hummingbird
import ServerSideSync
import SyncLedger

/// One body field of a command route: its JSON name and type, for decoding
/// and for the OpenAPI document alike.
struct BodyField: Sendable {
    enum Kind: Sendable { case string, boolean, integer, strings, instant, choice([String]) }
    var name: String
    var kind: Kind
    var required: Bool
    var help: String

    static func string(_ name: String, _ help: String, required: Bool = true) -> BodyField { .init(name: name, kind: .string, required: required, help: help) }
    static func boolean(_ name: String, _ help: String) -> BodyField { .init(name: name, kind: .boolean, required: false, help: help) }
    static func integer(_ name: String, _ help: String) -> BodyField { .init(name: name, kind: .integer, required: false, help: help) }
    static func strings(_ name: String, _ help: String) -> BodyField { .init(name: name, kind: .strings, required: true, help: help) }
    static func instant(_ name: String, _ help: String) -> BodyField { .init(name: name, kind: .instant, required: false, help: help) }
    static func choice<T: TokenArgument>(_ name: String, _ type: T.Type, _ help: String, required: Bool = false) -> BodyField {
        .init(name: name, kind: .choice(T.tokens), required: required, help: help)
    }
    static let environment = BodyField.string("environment", "The environment; may be left out when the ledger holds one.", required: false)
}

/// A command's body, checked against its fields: unknown keys, wrong types
/// and missing required fields are refused before anything is decided.
struct CommandBody {
    let values: [String: JSONAny]

    init(_ data: Data, fields: [BodyField]) throws {
        let decoded: JSONAny
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            decoded = .object([:])
        } else {
            do { decoded = try JSONDecoder().decode(JSONAny.self, from: data) } catch { throw Problem.invalid("the body is not JSON") }
        }
        guard case .object(let object) = decoded else { throw Problem.invalid("the body must be a JSON object") }
        for key in object.keys.sorted() where !fields.contains(where: { $0.name == key }) {
            throw Problem.invalid("unknown field \(key); expected \(fields.map(\.name).joined(separator: ", "))")
        }
        for field in fields {
            guard let value = object[field.name], value != .null else {
                if field.required { throw Problem.invalid("missing field \(field.name)") }
                continue
            }
            switch (field.kind, value) {
            case (.string, .string(let text)), (.instant, .string(let text)):
                guard !text.isEmpty else { throw Problem.invalid("\(field.name) must not be empty") }
                if case .instant = field.kind, Timestamp.parse(text) == nil { throw Problem.invalid("\(field.name) is not an RFC 3339 instant") }
            case (.choice(let words), .string(let text)):
                guard words.contains(text.lowercased()) else { throw Problem.invalid("\(field.name) must be one of \(words.joined(separator: ", "))") }
            case (.boolean, .bool): break
            case (.integer, .integer(let value)):
                guard Int(exactly: value) != nil else { throw Problem.invalid("\(field.name) is out of range") }
            case (.strings, .array(let items)):
                guard !items.isEmpty else { throw Problem.invalid("\(field.name) must name at least one") }
                guard items.allSatisfy({ if case .string(let s) = $0 { !s.isEmpty } else { false } }) else {
                    throw Problem.invalid("\(field.name) must be an array of non-empty strings")
                }
            default: throw Problem.invalid("\(field.name) has the wrong type")
            }
        }
        values = object
    }

    func string(_ name: String) -> String? { if case .string(let text)? = values[name] { text } else { nil } }
    func require(_ name: String) -> String { string(name) ?? "" }
    func bool(_ name: String) -> Bool? { if case .bool(let flag)? = values[name] { flag } else { nil } }
    func integer(_ name: String) -> Int? { if case .integer(let value)? = values[name] { Int(exactly: value) } else { nil } }
    func strings(_ name: String) -> [String] {
        guard case .array(let items)? = values[name] else { return [] }
        var seen = Set<String>()
        return items.compactMap { if case .string(let s) = $0, seen.insert(s).inserted { s } else { nil } }
    }
    func instant(_ name: String) -> Date? { string(name).flatMap(Timestamp.parse) }
    func choice<T: TokenArgument>(_ name: String, _: T.Type) -> T? { string(name).flatMap { T(token: $0) } }
}

/// One admin command over HTTP: `POST /api/commands/NAME`, NAME being the
/// command's dotted name as the audit trail records it.
struct CommandRoute: Sendable {
    var name: String
    var summary: String
    var fields: [BodyField]
    /// Builds the command from the body, the names as the decision sees them, the instant, and the caller.
    var build: @Sendable (CommandBody, NameResolver, Date, UserPrincipalName) throws -> Command
}

/// The admin commands the API offers. Not offered (CLI only, by choice):
/// `tenant.create` (the tenant exists before anyone can hold a token),
/// `token.issue` (a token must not mint tokens), checkpoint and signing keys
/// and signed mode (key material belongs on the operator's machine), and
/// `exchange.outage` (a fact of the simulated Exchange side).
enum CommandCatalogue {
    static let routes: [CommandRoute] = [
        CommandRoute(name: "directory.add-user", summary: "Add a user to the directory and, with an environment, to it (creating their mailbox).",
                     fields: [.string("user", "The user principal name."), .string("displayName", "Display name (default: the UPN).", required: false),
                              .environment, .boolean("directoryOnly", "Add to the directory only.")]) { body, names, _, _ in
            let upn = body.require("user")
            return .addUser(UserPrincipalName(upn), displayName: body.string("displayName") ?? upn,
                            environment: names.environmentForNewUser(body.string("environment"), directoryOnly: body.bool("directoryOnly") ?? false))
        },
        CommandRoute(name: "directory.grant", summary: "Grant a directory (admin) role.",
                     fields: [.string("user", "The user principal name."), .choice("role", AdminRole.self, "The admin role.", required: true)]) { body, _, _, _ in
            .grantAdminRole(UserPrincipalName(body.require("user")), body.choice("role", AdminRole.self)!)
        },
        CommandRoute(name: "directory.revoke", summary: "Revoke a directory (admin) role.",
                     fields: [.string("user", "The user principal name."), .choice("role", AdminRole.self, "The admin role.", required: true)]) { body, _, _, _ in
            .revokeAdminRole(UserPrincipalName(body.require("user")), body.choice("role", AdminRole.self)!)
        },
        CommandRoute(name: "env.provision", summary: "Provision an environment (creates and defaults the Exchange Online profile when the tenant has it).",
                     fields: [.string("environment", "The environment's name."), .choice("deployment", Deployment.self, "online (default) or on-premises."),
                              .string("version", "The Dynamics 365 version (default 9.2.24011.00100).", required: false),
                              .choice("region", Region.self, "default or china."), .boolean("noExchangeOnline", "The tenant has no Exchange Online."),
                              .instant("provisionedOn", "When it was provisioned (default now)."),
                              .string("profileId", "The id of the Exchange Online profile it creates.", required: false)]) { body, _, now, _ in
            let name = body.require("environment")
            guard let version = DynamicsVersion(parsing: body.string("version") ?? "9.2.24011.00100") else {
                throw Problem.invalid("version is not a Dynamics 365 version (like 9.2.24011.00100)")
            }
            return .provisionEnvironment(ProvisionEnvironment(
                environment: EnvironmentID(name), deployment: body.choice("deployment", Deployment.self) ?? .online,
                version: version,
                exchangeOnlineInTenant: !(body.bool("noExchangeOnline") ?? false), region: body.choice("region", Region.self) ?? .default,
                provisionedOn: body.instant("provisionedOn") ?? now, exchangeProfile: ProfileID(body.string("profileId") ?? "\(name)-exchange-online")))
        },
        CommandRoute(name: "env.enable-china-exchange", summary: "Record that 21Vianet enabled Exchange Online access for a China environment.",
                     fields: [.environment]) { body, names, _, _ in
            .enableChinaExchangeAccess(try names.environment(body.string("environment")))
        },
        CommandRoute(name: "team.create", summary: "Create a team.", fields: [.environment, .string("team", "The team's name.")]) { body, names, _, _ in
            .createTeam(try names.environment(body.string("environment")), TeamName(body.require("team")))
        },
        CommandRoute(name: "team.add-member", summary: "Add a user to a team.",
                     fields: [.environment, .string("team", "The team."), .string("user", "The user principal name.")]) { body, names, _, _ in
            .addTeamMember(try names.environment(body.string("environment")), TeamName(body.require("team")), UserPrincipalName(body.require("user")))
        },
        CommandRoute(name: "queue.create", summary: "Create a queue and its mailbox.",
                     fields: [.environment, .string("queue", "The queue's name."), .string("emailAddress", "The queue's address.")]) { body, names, _, _ in
            .createQueue(try names.environment(body.string("environment")), QueueName(body.require("queue")), emailAddress: EmailAddress(body.require("emailAddress")))
        },
        CommandRoute(name: "role.create", summary: "Create a security role.", fields: [.environment, .string("role", "The role's name.")]) { body, names, _, _ in
            .createRole(try names.environment(body.string("environment")), RoleName(body.require("role")))
        },
        CommandRoute(name: "role.set-privilege", summary: "Set a privilege's level in a security role.",
                     fields: [.environment, .string("role", "The role."), .choice("privilege", Privilege.self, "The privilege.", required: true),
                              .choice("level", PrivilegeLevel.self, "The level.", required: true)]) { body, names, _, _ in
            .setRolePrivilege(try names.environment(body.string("environment")), RoleName(body.require("role")),
                              body.choice("privilege", Privilege.self)!, body.choice("level", PrivilegeLevel.self)!)
        },
        CommandRoute(name: "role.assign", summary: "Assign a security role to a user or a team.",
                     fields: [.environment, .string("role", "The role."), .string("user", "A user principal name.", required: false),
                              .string("team", "A team (instead of a user).", required: false)]) { body, names, _, _ in
            .assignRole(try names.environment(body.string("environment")), RoleName(body.require("role")), try principal(body))
        },
        CommandRoute(name: "role.remove", summary: "Remove a security role from a user or a team.",
                     fields: [.environment, .string("role", "The role."), .string("user", "A user principal name.", required: false),
                              .string("team", "A team (instead of a user).", required: false)]) { body, names, _, _ in
            .removeRole(try names.environment(body.string("environment")), RoleName(body.require("role")), try principal(body))
        },
        CommandRoute(name: "profile.create", summary: "Create an email server profile (owned by the caller unless owner is given).",
                     fields: [.string("name", "The profile's name (at most 100 characters)."), .string("id", "The profile id (default: from the name).", required: false),
                              .environment, .boolean("default", "Make it the default profile for new mailboxes.")] + profileFields) { body, names, _, caller in
            let env = try names.environment(body.string("environment"))
            let name = body.require("name")
            let base = ProfileSettings(name: name, serverType: .exchangeOnline, authentication: .serverToServer, owner: caller)
            return .createProfile(ProfileID(body.string("id") ?? ProfileChange.slug(name)), env, try profileChange(body).apply(to: base),
                                  setAsDefault: body.bool("default") ?? false)
        },
        CommandRoute(name: "profile.update", summary: "Change fields of a profile (fields left out stay as they are).",
                     fields: [.string("profile", "The profile id."), .string("name", "A new name.", required: false)] + profileFields) { body, names, _, _ in
            let id = body.require("profile")
            var settings = try names.profile(id).settings
            if let name = body.string("name") { settings.name = name }
            return .updateProfile(ProfileID(id), try profileChange(body).apply(to: settings))
        },
        CommandRoute(name: "profile.set-default", summary: "Make a server profile the environment's default.",
                     fields: [.environment, .string("profile", "The profile id.")]) { body, names, _, _ in
            let id = body.require("profile")
            return .setDefaultProfile(try names.environment(body.string("environment"), forProfile: id), ProfileID(id))
        },
        CommandRoute(name: "profile.set-location", summary: "Set a profile's Exchange Web Services location.",
                     fields: [.string("profile", "The profile id."), .string("location", "The EWS URL.")]) { body, _, _, _ in
            .setProfileLocation(ProfileID(body.require("profile")), body.require("location"))
        },
        CommandRoute(name: "profile.deactivate", summary: "Deactivate a server profile.", fields: [.string("profile", "The profile id.")]) { body, _, _, _ in
            .deactivateProfile(ProfileID(body.require("profile")))
        },
        CommandRoute(name: "profile.test-enable", summary: "Test & Enable every mailbox synchronizing through a profile (a job).",
                     fields: [.string("profile", "The profile id."), .string("job", "The job id (default: generated).", required: false)]) { body, _, _, _ in
            .testProfileMailboxes(ProfileID(body.require("profile")), job: JobID(body.string("job") ?? "job-\(UUID().uuidString.lowercased().prefix(8))"))
        },
        CommandRoute(name: "settings.set", summary: "Change the environment's email settings (fields left out stay as they are).",
                     fields: [.environment, .choice("incoming", IncomingDelivery.self, "Default incoming method."),
                              .choice("outgoing", OutgoingDelivery.self, "Default outgoing method."),
                              .choice("act", ACTDelivery.self, "Default appointments, contacts and tasks method."),
                              .boolean("approvedUsersOnly", "Process emails only for approved users."),
                              .boolean("approvedQueuesOnly", "Process emails only for approved queues."),
                              .boolean("selfApprovePrivilege", "Require a privilege to approve one's own email address.")]) { body, names, _, _ in
            .changeEmailSettings(try names.environment(body.string("environment")), EmailSettingsChange(
                incoming: body.choice("incoming", IncomingDelivery.self), outgoing: body.choice("outgoing", OutgoingDelivery.self),
                appointmentsContactsTasks: body.choice("act", ACTDelivery.self), processEmailsOnlyForApprovedUsers: body.bool("approvedUsersOnly"),
                processEmailsOnlyForApprovedQueues: body.bool("approvedQueuesOnly"), requirePrivilegeToSelfApprove: body.bool("selfApprovePrivilege")))
        },
        CommandRoute(name: "mailbox.apply-defaults", summary: "Apply Default Email Settings, then Test & Enable (unless test is false).",
                     fields: [.strings("mailboxes", "Mailboxes by id, address, owner UPN or queue name."), .environment,
                              .boolean("test", "Test & Enable afterwards (default true).")]) { body, names, _, _ in
            .applyDefaultSettings(try mailboxes(body, names), test: body.bool("test") ?? true)
        },
        CommandRoute(name: "mailbox.edit", summary: "Set the server profile and delivery methods of mailboxes (no test).",
                     fields: [.strings("mailboxes", "Mailboxes by id, address, owner UPN or queue name."), .environment,
                              .string("profile", "The server profile id.", required: false),
                              .choice("incoming", IncomingDelivery.self, "Incoming email."), .choice("outgoing", OutgoingDelivery.self, "Outgoing email."),
                              .choice("act", ACTDelivery.self, "Appointments, contacts and tasks.")]) { body, names, _, _ in
            .editMailboxes(try mailboxes(body, names), MailboxEdit(
                profile: body.string("profile").map(ProfileID.init), incoming: body.choice("incoming", IncomingDelivery.self),
                outgoing: body.choice("outgoing", OutgoingDelivery.self), appointmentsContactsTasks: body.choice("act", ACTDelivery.self)))
        },
        CommandRoute(name: "mailbox.set-email", summary: "Change a mailbox's email address (resets its approval and status).",
                     fields: [.string("mailbox", "The mailbox."), .environment, .string("address", "The new address.")]) { body, names, _, _ in
            .changeEmailAddress(try names.mailbox(body.require("mailbox"), environment: body.string("environment")), EmailAddress(body.require("address")))
        },
        CommandRoute(name: "mailbox.approve", summary: "Approve a mailbox's email address.",
                     fields: [.string("mailbox", "The mailbox."), .environment]) { body, names, _, _ in
            .approveEmail(try names.mailbox(body.require("mailbox"), environment: body.string("environment")))
        },
        CommandRoute(name: "mailbox.reject", summary: "Reject a mailbox's email address.",
                     fields: [.string("mailbox", "The mailbox."), .environment]) { body, names, _, _ in
            .rejectEmail(try names.mailbox(body.require("mailbox"), environment: body.string("environment")))
        },
        CommandRoute(name: "mailbox.test-enable", summary: "Test & Enable mailboxes against Exchange Online.",
                     fields: [.strings("mailboxes", "Mailboxes by id, address, owner UPN or queue name."), .environment,
                              .boolean("syncThisOrgOnly", "Sync items with Exchange from this org only."),
                              .instant("processEmailsFrom", "Process email received after this instant.")]) { body, names, _, _ in
            .testAndEnable(try mailboxes(body, names), TestOptions(processEmailsFrom: body.instant("processEmailsFrom"),
                                                                    syncThisOrgOnly: body.bool("syncThisOrgOnly") ?? false))
        },
        CommandRoute(name: "exchange.add-mailbox", summary: "Record a mailbox of the (simulated) Exchange Online.",
                     fields: [.string("address", "The mailbox's address."), .string("syncOrg", "The environment it syncs with, if any.", required: false)]) { body, _, _, _ in
            .addExchangeMailbox(EmailAddress(body.require("address")), syncOrg: body.string("syncOrg").map(EnvironmentID.init))
        },
        CommandRoute(name: "tick", summary: "Run the Test & Enable retries that are due now.", fields: []) { _, _, _, _ in .processDueRetries },
        CommandRoute(name: "token.revoke", summary: "Revoke a token by its id (your own, or anyone's as a Global admin).",
                     fields: [.string("id", "The token's id (16 hex digits).")]) { body, _, _, _ in
            .revokeAccessToken(id: body.require("id"))
        },
    ]

    /// The profile fields `profile.create` and `profile.update` take. A
    /// secret sent here (`clientSecret`, `password`) is not recorded: the
    /// setting gets a fresh random marker, as at the CLI.
    static let profileFields: [BodyField] = [
        .choice("serverType", ServerType.self, "Email server type."),
        .choice("authentication", AuthenticationKind.self, "s2s (same tenant), oauth (cross tenant), profile-credentials, user-credentials."),
        .string("tenantId", "OAuth: the Exchange tenant's directory id.", required: false),
        .string("applicationId", "OAuth: the application (client) id.", required: false),
        .string("clientSecret", "OAuth: the client secret (never recorded; a marker shows it was set).", required: false),
        .string("userName", "Profile credentials: the user name.", required: false),
        .string("password", "Profile credentials: the password (never recorded; a marker shows it was set).", required: false),
        .string("owner", "The profile owner (receives its alerts).", required: false),
        .instant("processEmailsFrom", "Process email received after this instant."),
        .integer("minPollingMinutes", "Minimum polling interval, 0–1440."),
        .integer("maxConnections", "Maximum concurrent connections, 1–300."),
        .boolean("moveFailedToUndeliverable", "Move failed emails to the Undeliverable folder."),
        .boolean("alertEmailToOwner", "Email the owner on major events."),
        .boolean("timeoutConnections", "Let a mailbox connection time out."),
        .integer("timeoutMilliseconds", "The mailbox connection timeout, 0–100000 ms."),
        .boolean("autoDiscover", "Auto Discover Server Location (must stay on for Exchange Online)."),
        .string("location", "The EWS endpoint (defaultserverlocation).", required: false),
    ]

    static func profileChange(_ body: CommandBody) -> ProfileChange {
        var change = ProfileChange()
        change.serverType = body.choice("serverType", ServerType.self)
        change.authentication = body.choice("authentication", AuthenticationKind.self)
        change.tenantID = body.string("tenantId")
        change.applicationID = body.string("applicationId")
        change.newClientSecret = body.string("clientSecret") != nil
        change.userName = body.string("userName")
        change.newPassword = body.string("password") != nil
        change.owner = body.string("owner")
        change.processEmailsFrom = body.instant("processEmailsFrom")
        change.minPollingMinutes = body.integer("minPollingMinutes")
        change.maxConnections = body.integer("maxConnections")
        change.moveFailedToUndeliverable = body.bool("moveFailedToUndeliverable")
        change.alertEmailToOwner = body.bool("alertEmailToOwner")
        change.timeoutConnections = body.bool("timeoutConnections")
        change.timeoutMilliseconds = body.integer("timeoutMilliseconds")
        change.autoDiscover = body.bool("autoDiscover")
        change.location = body.string("location")
        return change
    }

    /// A profile change's problem in the body's field names.
    static func message(for problem: ProfileChange.Problem) -> String {
        switch problem {
        case .oauthWithCredentials: "OAuth fields and profile-credential fields cannot be combined"
        case .oauthFieldsWithoutOAuth: "tenantId, applicationId and clientSecret apply only to authentication oauth"
        case .credentialFieldsWithoutCredentials: "userName and password apply only to authentication profile-credentials"
        case .oauthIncomplete: "oauth needs tenantId, applicationId and clientSecret"
        case .oauthWithoutSecret: "oauth needs clientSecret"
        case .credentialsWithoutUser: "profile-credentials needs userName and password"
        case .credentialsWithoutPassword: "profile-credentials needs password"
        }
    }

    static func principal(_ body: CommandBody) throws -> ServerSideSync.Principal {
        switch (body.string("user"), body.string("team")) {
        case (let user?, nil): return .user(UserPrincipalName(user))
        case (nil, let team?): return .team(TeamName(team))
        default: throw Problem.invalid("name exactly one of user and team")
        }
    }

    static func mailboxes(_ body: CommandBody, _ names: NameResolver) throws -> [MailboxID] {
        let environment = body.string("environment")
        return try body.strings("mailboxes").map { try names.mailbox($0, environment: environment) }
    }
}

/// The command routes. The caller's identity is the actor; an
/// `Idempotency-Key` header (a UUID) is the command id, so a retried request
/// returns the first outcome and records nothing twice.
struct CommandRoutes {
    let server: LedgerServer

    func register(on api: RouterGroup<LedgerContext>) {
        for route in CommandCatalogue.routes {
            api.post("commands/\(route.name)") { request, context in
                let identity = try context.requireIdentity()
                let commandID: UUID?
                if let key = request.headers[HTTPField.Name("Idempotency-Key")!] {
                    guard key.utf8.count == 36, let uuid = UUID(uuidString: key) else {
                        throw Problem.invalid("Idempotency-Key must be a UUID (8-4-4-4-12 hexadecimal)")
                    }
                    commandID = uuid
                } else {
                    commandID = nil
                }
                let buffer = try await request.body.collect(upTo: 1 << 20)
                let body = try CommandBody(Data(buffer.readableBytesView), fields: route.fields)
                let ledger = server.ledger
                let execution = try await server.blocking {
                    let now = Date()
                    return try ledger.execute(as: identity, commandID: commandID) { names in
                        do { return try route.build(body, names, now, identity.user) } catch let problem as Problem {
                            throw SyncLedgerError.invalidInput(problem.detail)
                        } catch let problem as ProfileChange.Problem {
                            throw SyncLedgerError.invalidInput(CommandCatalogue.message(for: problem))
                        }
                    }
                }
                return Response(status: execution.isRepeat || execution.events.isEmpty ? .ok : .created, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(bytes: ExecutionDocument.json(execution))))
            }
        }
    }
}

/// What a command recorded, with the CLI's `--json` keys.
struct ExecutionDocument: Encodable, Sendable {
    var commandId: String
    var `repeat`: Bool
    var events: [EventJSON]

    init(_ execution: SyncLedger.Execution) {
        commandId = execution.commandID.uuidString.lowercased()
        self.repeat = execution.isRepeat
        events = execution.events.map(EventJSON.init)
    }
}
