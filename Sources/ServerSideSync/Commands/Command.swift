import Foundation

/// Provisioning an environment.
public struct ProvisionEnvironment: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var deployment: Deployment
    public var version: DynamicsVersion
    public var exchangeOnlineInTenant: Bool
    public var region: Region
    public var provisionedOn: Date
    /// The id of the "Microsoft Exchange Online" profile created when the
    /// tenant has Exchange Online (chosen by the caller; ids are injected).
    public var exchangeProfile: ProfileID

    public init(environment: EnvironmentID, deployment: Deployment = .online, version: DynamicsVersion = "9.2.24011.00100",
                exchangeOnlineInTenant: Bool = true, region: Region = .default, provisionedOn: Date, exchangeProfile: ProfileID) {
        self.environment = environment
        self.deployment = deployment
        self.version = version
        self.exchangeOnlineInTenant = exchangeOnlineInTenant
        self.region = region
        self.provisionedOn = provisionedOn
        self.exchangeProfile = exchangeProfile
    }
}

/// A bulk edit of mailboxes; `nil` fields stay as they are.
public struct MailboxEdit: Hashable, Sendable, Codable {
    public var profile: ProfileID?
    public var incoming: IncomingDelivery?
    public var outgoing: OutgoingDelivery?
    public var appointmentsContactsTasks: ACTDelivery?

    public init(profile: ProfileID? = nil, incoming: IncomingDelivery? = nil, outgoing: OutgoingDelivery? = nil,
                appointmentsContactsTasks: ACTDelivery? = nil) {
        self.profile = profile
        self.incoming = incoming
        self.outgoing = outgoing
        self.appointmentsContactsTasks = appointmentsContactsTasks
    }
}

/// The Test & Enable dialog's choices.
public struct TestOptions: Hashable, Sendable, Codable {
    /// Process email received after this instant.
    public var processEmailsFrom: Date?
    /// "Sync items with Exchange from this org only, even if Exchange was set
    /// to sync with a different org."
    public var syncThisOrgOnly: Bool

    public init(processEmailsFrom: Date? = nil, syncThisOrgOnly: Bool = false) {
        self.processEmailsFrom = processEmailsFrom
        self.syncThisOrgOnly = syncThisOrgOnly
    }
}

/// Every admin action SyncLedger decides.
public enum Command: Hashable, Sendable, Codable {
    /// Sets up the tenant with its first Global admin (once).
    case createTenant(name: String, firstGlobalAdmin: UserPrincipalName, displayName: String)
    /// Adds a user to the directory (if new) and, when an environment is
    /// named, to that environment, creating the user's mailbox there.
    case addUser(UserPrincipalName, displayName: String, environment: EnvironmentID?)
    case grantAdminRole(UserPrincipalName, AdminRole)
    case revokeAdminRole(UserPrincipalName, AdminRole)
    case provisionEnvironment(ProvisionEnvironment)
    /// 21Vianet enabled a China organization to reach Exchange Online.
    case enableChinaExchangeAccess(EnvironmentID)
    case createTeam(EnvironmentID, TeamName)
    case addTeamMember(EnvironmentID, TeamName, UserPrincipalName)
    /// Creates a queue and its mailbox.
    case createQueue(EnvironmentID, QueueName, emailAddress: EmailAddress)
    case createRole(EnvironmentID, RoleName)
    case setRolePrivilege(EnvironmentID, RoleName, Privilege, PrivilegeLevel)
    case assignRole(EnvironmentID, RoleName, Principal)
    case removeRole(EnvironmentID, RoleName, Principal)
    case createProfile(ProfileID, EnvironmentID, ProfileSettings, setAsDefault: Bool)
    case updateProfile(ProfileID, ProfileSettings)
    case setDefaultProfile(EnvironmentID, ProfileID)
    /// Sets `defaultserverlocation` (the EWS endpoint), as the China procedure does through the SDK.
    case setProfileLocation(ProfileID, String)
    case deactivateProfile(ProfileID)
    case changeEmailSettings(EnvironmentID, EmailSettingsChange)
    /// Apply Default Email Settings, then Test & Enable unless `test` is false.
    case applyDefaultSettings([MailboxID], test: Bool)
    case editMailboxes([MailboxID], MailboxEdit)
    case changeEmailAddress(MailboxID, EmailAddress)
    /// Approve Email. From an external application (source `api`),
    /// `alsoChanging` lists other columns the same request changes.
    case approveEmail(MailboxID, alsoChanging: [String] = [])
    case rejectEmail(MailboxID)
    case testAndEnable([MailboxID], TestOptions)
    /// Test & Enable Mailboxes on a profile: a job over its mailboxes.
    case testProfileMailboxes(ProfileID, job: JobID)
    /// Runs the retries that are due at the context's instant (a clock tick).
    case processDueRetries
    case addExchangeMailbox(EmailAddress, syncOrg: EnvironmentID?)
    case recordExchangeOutage(from: Date, until: Date)
    /// Records the public key (32-byte Ed25519, base64) that signs checkpoints under `name`.
    case registerCheckpointKey(name: String, publicKey: String)
    /// Enrols `user`'s Ed25519 public key (base64) for signing commands.
    case enrolSigningKey(UserPrincipalName, publicKey: String)
    /// Switches signed mode on or off.
    case setSignedMode(Bool)
    /// Issues a bearer token for `user` to use SyncLedger's HTTP API. Only
    /// the token's SHA-256 (hex) reaches the command, the log and the state:
    /// the token itself is shown once to whoever issued it.
    case issueAccessToken(AccessTokenGrant)
    /// Revokes the token with this id (the first 16 hex digits of its hash).
    case revokeAccessToken(id: String)

    /// A stable dotted name for audit records, e.g. `mailbox.approve`.
    public var name: String {
        switch self {
        case .createTenant: "tenant.create"
        case .addUser: "directory.add-user"
        case .grantAdminRole: "directory.grant"
        case .revokeAdminRole: "directory.revoke"
        case .provisionEnvironment: "env.provision"
        case .enableChinaExchangeAccess: "env.enable-china-exchange"
        case .createTeam: "team.create"
        case .addTeamMember: "team.add-member"
        case .createQueue: "queue.create"
        case .createRole: "role.create"
        case .setRolePrivilege: "role.set-privilege"
        case .assignRole: "role.assign"
        case .removeRole: "role.remove"
        case .createProfile: "profile.create"
        case .updateProfile: "profile.update"
        case .setDefaultProfile: "profile.set-default"
        case .setProfileLocation: "profile.set-location"
        case .deactivateProfile: "profile.deactivate"
        case .changeEmailSettings: "settings.set"
        case .applyDefaultSettings: "mailbox.apply-defaults"
        case .editMailboxes: "mailbox.edit"
        case .changeEmailAddress: "mailbox.set-email"
        case .approveEmail: "mailbox.approve"
        case .rejectEmail: "mailbox.reject"
        case .testAndEnable: "mailbox.test-enable"
        case .testProfileMailboxes: "profile.test-enable"
        case .processDueRetries: "tick"
        case .addExchangeMailbox: "exchange.add-mailbox"
        case .recordExchangeOutage: "exchange.outage"
        case .registerCheckpointKey: "key.register"
        case .enrolSigningKey: "key.enrol"
        case .setSignedMode: "key.signed-mode"
        case .issueAccessToken: "token.issue"
        case .revokeAccessToken: "token.revoke"
        }
    }

    /// The object the command aims at, for audit records.
    public var target: String? {
        switch self {
        case .createTenant(let name, _, _): "tenant:\(name)"
        case .addUser(let upn, _, _), .grantAdminRole(let upn, _), .revokeAdminRole(let upn, _): "user:\(upn)"
        case .provisionEnvironment(let p): "environment:\(p.environment)"
        case .enableChinaExchangeAccess(let env), .changeEmailSettings(let env, _): "environment:\(env)"
        case .createTeam(let env, let team), .addTeamMember(let env, let team, _): "environment:\(env)/team:\(team)"
        case .createQueue(let env, let queue, _): "environment:\(env)/queue:\(queue)"
        case .createRole(let env, let role), .setRolePrivilege(let env, let role, _, _),
             .assignRole(let env, let role, _), .removeRole(let env, let role, _): "environment:\(env)/role:\(role)"
        case .createProfile(let id, _, _, _), .updateProfile(let id, _), .setProfileLocation(let id, _),
             .deactivateProfile(let id), .testProfileMailboxes(let id, _), .setDefaultProfile(_, let id): "profile:\(id)"
        case .applyDefaultSettings(let ids, _), .editMailboxes(let ids, _), .testAndEnable(let ids, _):
            ids.count == 1 ? "mailbox:\(ids[0])" : "\(ids.count) mailboxes"
        case .changeEmailAddress(let id, _), .approveEmail(let id, _), .rejectEmail(let id): "mailbox:\(id)"
        case .processDueRetries: nil
        case .addExchangeMailbox(let address, _): "exchange:\(address)"
        case .recordExchangeOutage: "exchange"
        case .registerCheckpointKey(let name, _): "checkpoint-key:\(name)"
        case .enrolSigningKey(let upn, _): "user:\(upn)"
        case .setSignedMode: "tenant"
        case .issueAccessToken(let grant): "user:\(grant.user)"
        case .revokeAccessToken(let id): "token:\(id)"
        }
    }
}

/// What a bearer token may do.
public enum TokenScope: String, Hashable, Sendable, Codable, CaseIterable {
    /// Everything its user's roles allow: admin commands and queries.
    case admin
    /// Queries only: every command sent with it is refused (and audited).
    case auditor
}

/// A token to issue: whose it is, what it may do, until when, and its hash.
public struct AccessTokenGrant: Hashable, Sendable, Codable {
    public var user: UserPrincipalName
    public var scope: TokenScope
    /// SHA-256 of the token's text, 64 lower-case hex digits.
    public var tokenHash: String
    /// When it stops working; `nil` = until revoked.
    public var expiresAt: Date?

    public init(user: UserPrincipalName, scope: TokenScope, tokenHash: String, expiresAt: Date?) {
        self.user = user
        self.scope = scope
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
    }

    /// The token's id: the first 16 hex digits of its hash (shown, listed and revoked by).
    public var id: String { String(tokenHash.prefix(16)) }
}

/// Who acts.
public enum Actor: Hashable, Sendable, Codable, CustomStringConvertible {
    case user(UserPrincipalName)
    /// SyncLedger itself (scheduled retries, jobs) and the simulated Exchange side.
    case system

    public var description: String {
        switch self {
        case .user(let upn): upn.rawValue
        case .system: "system"
        }
    }
}

/// Everything a decision reads besides the state: who acts, when, from where,
/// and the (simulated) Exchange Online to test against. Injected, so decisions
/// are pure and repeatable.
public struct DecisionContext: Sendable {
    public var actor: Actor
    public var now: Date
    public var source: CommandSource
    public var exchange: any ExchangeOnline

    public init(actor: Actor, now: Date, source: CommandSource = .cli, exchange: any ExchangeOnline = SimulatedExchangeOnline()) {
        self.actor = actor
        self.now = now
        self.source = source
        self.exchange = exchange
    }
}
