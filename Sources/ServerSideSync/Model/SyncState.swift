import Foundation
import HashTreeCollections

/// What the decisions need to know, folded from the events by ``evolve(_:with:)``.
///
/// One value holds the tenant directory, every environment, profile and
/// mailbox, and the simulated Exchange Online facts: per-object records
/// without history, so it stays small (a few hundred bytes a mailbox).
///
/// The collections that grow with the organisation (users, mailboxes,
/// Exchange mailboxes) are persistent hash trees (`TreeDictionary`): a
/// decision works on its own copy of the state, and changing one entry of
/// that copy costs O(log n), where a `Dictionary` copies every entry (the
/// whole map was copied and freed again by every Test & Enable and every
/// user added). They encode exactly as the `Dictionary`s did.
public struct SyncState: Hashable, Sendable, Codable {
    public var tenantName: String?
    public var users: TreeDictionary<UserPrincipalName, DirectoryUser> = [:]
    public var environments: [EnvironmentID: EnvironmentState] = [:]
    public var profiles: [ProfileID: ProfileState] = [:]
    public var mailboxes: TreeDictionary<MailboxID, MailboxState> = [:]
    public var exchange = ExchangeState()
    public var jobs: Set<JobID> = []
    /// The keys registered to sign checkpoints, in registration order.
    public var checkpointKeys: [CheckpointKeyRegistered] = []
    /// Each user's enrolled key for signing commands (base64).
    public var signingKeys: [UserPrincipalName: String] = [:]
    /// Whether every command a person runs must be signed.
    public var signedMode = false
    /// Bearer tokens of the HTTP API, by id (hashes only).
    public var accessTokens: [String: AccessTokenState] = [:]

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case tenantName, users, environments, profiles, mailboxes, exchange, jobs, checkpointKeys, signingKeys, signedMode, accessTokens
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenantName = try c.decodeIfPresent(String.self, forKey: .tenantName)
        users = TreeDictionary(uniqueKeysWithValues: try c.decode([UserPrincipalName: DirectoryUser].self, forKey: .users))
        environments = try c.decode([EnvironmentID: EnvironmentState].self, forKey: .environments)
        profiles = try c.decode([ProfileID: ProfileState].self, forKey: .profiles)
        mailboxes = TreeDictionary(uniqueKeysWithValues: try c.decode([MailboxID: MailboxState].self, forKey: .mailboxes))
        exchange = try c.decode(ExchangeState.self, forKey: .exchange)
        jobs = try c.decode(Set<JobID>.self, forKey: .jobs)
        checkpointKeys = try c.decode([CheckpointKeyRegistered].self, forKey: .checkpointKeys)
        signingKeys = try c.decode([UserPrincipalName: String].self, forKey: .signingKeys)
        signedMode = try c.decode(Bool.self, forKey: .signedMode)
        // Absent from states written before tokens existed.
        accessTokens = try c.decodeIfPresent([String: AccessTokenState].self, forKey: .accessTokens) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(tenantName, forKey: .tenantName)
        try c.encode(users.dictionary, forKey: .users)
        try c.encode(environments, forKey: .environments)
        try c.encode(profiles, forKey: .profiles)
        try c.encode(mailboxes.dictionary, forKey: .mailboxes)
        try c.encode(exchange, forKey: .exchange)
        try c.encode(jobs, forKey: .jobs)
        try c.encode(checkpointKeys, forKey: .checkpointKeys)
        try c.encode(signingKeys, forKey: .signingKeys)
        try c.encode(signedMode, forKey: .signedMode)
        if !accessTokens.isEmpty { try c.encode(accessTokens, forKey: .accessTokens) }
    }
}

/// A user of the tenant directory.
public struct DirectoryUser: Hashable, Sendable, Codable {
    public var upn: UserPrincipalName
    public var displayName: String
    public var adminRoles: Set<AdminRole> = []

    public init(upn: UserPrincipalName, displayName: String, adminRoles: Set<AdminRole> = []) {
        self.upn = upn
        self.displayName = displayName
        self.adminRoles = adminRoles
    }

    /// Sets are written sorted, so the same user always encodes to the same bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(upn, forKey: .upn)
        try container.encode(displayName, forKey: .displayName)
        try container.encode(adminRoles.sorted(), forKey: .adminRoles)
    }
}

/// One environment (Dynamics 365 organization).
public struct EnvironmentState: Hashable, Sendable, Codable {
    public var id: EnvironmentID
    public var deployment: Deployment
    public var version: DynamicsVersion
    public var exchangeOnlineInTenant: Bool
    public var region: Region
    public var provisionedOn: Date
    public var chinaExchangeAccessEnabled = false
    public var settings: EmailSettings
    public var defaultProfile: ProfileID?
    public var members: Set<UserPrincipalName> = []
    public var teams: [TeamName: Set<UserPrincipalName>] = [:]
    public var queues: [QueueName: EmailAddress] = [:]
    public var roles: [RoleName: RoleDefinition] = [:]
    public var assignments: [RoleName: Set<Principal>] = [:]

    public init(id: EnvironmentID, deployment: Deployment, version: DynamicsVersion, exchangeOnlineInTenant: Bool,
                region: Region, provisionedOn: Date, settings: EmailSettings) {
        self.id = id
        self.deployment = deployment
        self.version = version
        self.exchangeOnlineInTenant = exchangeOnlineInTenant
        self.region = region
        self.provisionedOn = provisionedOn
        self.settings = settings
    }

    /// Sets are written sorted, so the same environment always encodes to the same bytes.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(deployment, forKey: .deployment)
        try c.encode(version, forKey: .version)
        try c.encode(exchangeOnlineInTenant, forKey: .exchangeOnlineInTenant)
        try c.encode(region, forKey: .region)
        try c.encode(provisionedOn, forKey: .provisionedOn)
        try c.encode(chinaExchangeAccessEnabled, forKey: .chinaExchangeAccessEnabled)
        try c.encode(settings, forKey: .settings)
        try c.encodeIfPresent(defaultProfile, forKey: .defaultProfile)
        try c.encode(members.sorted(), forKey: .members)
        try c.encode(teams.mapValues { $0.sorted() }, forKey: .teams)
        try c.encode(queues, forKey: .queues)
        try c.encode(roles, forKey: .roles)
        try c.encode(assignments.mapValues { $0.sorted() }, forKey: .assignments)
    }

    /// Whether the Delegated Mailbox Approver role exists here: online, from
    /// version 9.2.22104.00170.
    public var hasDelegatedMailboxApprover: Bool {
        deployment == .online && version >= .delegatedMailboxApprover
    }

    /// China organizations provisioned before this day need 21Vianet to enable Exchange access.
    public static let chinaCutoff = Timestamp.parse("2020-10-17")!
}

/// One email server profile.
public struct ProfileState: Hashable, Sendable, Codable {
    public var id: ProfileID
    public var environment: EnvironmentID
    public var settings: ProfileSettings
    public var isActive = true

    public init(id: ProfileID, environment: EnvironmentID, settings: ProfileSettings, isActive: Bool = true) {
        self.id = id
        self.environment = environment
        self.settings = settings
        self.isActive = isActive
    }
}

/// One mailbox: the columns of the mailbox grid.
public struct MailboxState: Hashable, Sendable, Codable {
    public var id: MailboxID
    public var environment: EnvironmentID
    public var owner: MailboxOwner
    public var emailAddress: EmailAddress
    public var configuration: MailboxConfiguration
    public var approval: EmailApprovalStatus
    public var approvedBy: UserPrincipalName?
    public var approvedByMicrosoft365Admin = false
    public var statuses = ChannelStatuses.notRun
    /// Enabled for processing per channel. False until a test succeeds (SyncLedger
    /// models "enabled" as the outcome of Test & Enable rather than the
    /// column's metadata default of Yes).
    public var enabled = ChannelFlags.none
    public var lastTestedBy: UserPrincipalName?
    public var lastTestedAt: Date?
    /// The retry number of the last test (0 for a first test).
    public var retryNumber = 0
    /// When the next scheduled retry is due.
    public var nextRetryAt: Date?
    /// The settings of the test a retry repeats.
    public var pendingRetry: PendingRetry?

    public init(id: MailboxID, environment: EnvironmentID, owner: MailboxOwner, emailAddress: EmailAddress,
                configuration: MailboxConfiguration, approval: EmailApprovalStatus) {
        self.id = id
        self.environment = environment
        self.owner = owner
        self.emailAddress = emailAddress
        self.configuration = configuration
        self.approval = approval
    }
}

/// What a scheduled retry repeats.
public struct PendingRetry: Hashable, Sendable, Codable {
    public var requestedBy: UserPrincipalName
    public var processEmailsFrom: Date?
    public var syncThisOrgOnly: Bool
    public var job: JobID?
}

/// The simulated Exchange Online's facts.
public struct ExchangeState: Hashable, Sendable, Codable {
    /// Mailboxes that exist in the tenant's Exchange Online, with the
    /// Dynamics organization each syncs with.
    public var mailboxes: TreeDictionary<EmailAddress, EnvironmentID?> = [:]
    /// Outage windows, closed at both ends.
    public var outages: [ClosedRange<Date>] = []

    public init() {}

    private enum CodingKeys: String, CodingKey { case mailboxes, outages }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mailboxes = TreeDictionary(uniqueKeysWithValues: try c.decode([EmailAddress: EnvironmentID?].self, forKey: .mailboxes))
        outages = try c.decode([ClosedRange<Date>].self, forKey: .outages)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mailboxes.dictionary, forKey: .mailboxes)
        try c.encode(outages, forKey: .outages)
    }

    /// Whether an outage covers `instant`.
    public func isUnavailable(at instant: Date) -> Bool { outages.contains { $0.contains(instant) } }
}

extension TreeDictionary {
    /// The same entries as a `Dictionary`, whose encoding the state's stored JSON keeps.
    var dictionary: [Key: Value] { Dictionary(uniqueKeysWithValues: map { ($0.key, $0.value) }) }
}

/// A bearer token as the state knows it: never the token, only its hash.
public struct AccessTokenState: Hashable, Sendable, Codable {
    public var id: String
    public var user: UserPrincipalName
    public var scope: TokenScope
    public var tokenHash: String
    public var expiresAt: Date?
    public var revoked = false

    public init(id: String, user: UserPrincipalName, scope: TokenScope, tokenHash: String, expiresAt: Date?, revoked: Bool = false) {
        self.id = id
        self.user = user
        self.scope = scope
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.revoked = revoked
    }

    /// Whether it authenticates its user at `instant`.
    public func isValid(at instant: Date) -> Bool { !revoked && (expiresAt.map { instant < $0 } ?? true) }
}
