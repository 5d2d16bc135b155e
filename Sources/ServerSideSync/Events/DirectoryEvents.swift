import Foundation

/// The tenant was set up, with its first Global admin.
public struct TenantCreated: Hashable, Sendable, Codable {
    public var name: String
    public var firstGlobalAdmin: UserPrincipalName
    public init(name: String, firstGlobalAdmin: UserPrincipalName) {
        self.name = name
        self.firstGlobalAdmin = firstGlobalAdmin
    }
}

/// A user was added to the tenant directory.
public struct UserAdded: Hashable, Sendable, Codable {
    public var user: UserPrincipalName
    public var displayName: String
    public init(user: UserPrincipalName, displayName: String) {
        self.user = user
        self.displayName = displayName
    }
}

/// A Microsoft 365 / Power Platform admin role was granted to a user.
public struct AdminRoleGranted: Hashable, Sendable, Codable {
    public var user: UserPrincipalName
    public var role: AdminRole
    public init(user: UserPrincipalName, role: AdminRole) {
        self.user = user
        self.role = role
    }
}

/// A Microsoft 365 / Power Platform admin role was taken from a user.
public struct AdminRoleRevoked: Hashable, Sendable, Codable {
    public var user: UserPrincipalName
    public var role: AdminRole
    public init(user: UserPrincipalName, role: AdminRole) {
        self.user = user
        self.role = role
    }
}

/// One privilege of a security role, at a level.
public struct PrivilegeGrant: Hashable, Sendable, Codable, Comparable {
    public var privilege: Privilege
    public var level: PrivilegeLevel
    public init(_ privilege: Privilege, _ level: PrivilegeLevel) {
        self.privilege = privilege
        self.level = level
    }
    public static func < (a: PrivilegeGrant, b: PrivilegeGrant) -> Bool { a.privilege < b.privilege }
}

/// A security role's definition.
public struct RoleDefinition: Hashable, Sendable, Codable {
    public var name: RoleName
    public var privileges: [PrivilegeGrant]
    /// Built-in roles come with the environment; System Administrator cannot be edited.
    public var builtIn: Bool
    public init(name: RoleName, privileges: [PrivilegeGrant], builtIn: Bool) {
        self.name = name
        self.privileges = privileges.sorted()
        self.builtIn = builtIn
    }

    /// The level this role grants for `privilege` (`.none` when absent).
    public func level(of privilege: Privilege) -> PrivilegeLevel {
        privileges.first { $0.privilege == privilege }?.level ?? .none
    }
}

/// An environment (Dynamics 365 organization) was provisioned in the tenant.
public struct EnvironmentProvisioned: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var deployment: Deployment
    public var version: DynamicsVersion
    /// Whether the tenant has an Exchange Online subscription.
    public var exchangeOnlineInTenant: Bool
    public var region: Region
    /// When the organization was provisioned (matters for China, before 2020-10-17).
    public var provisionedOn: Date
    /// The email settings it starts with.
    public var settings: EmailSettings
    /// The built-in security roles it comes with.
    public var builtInRoles: [RoleDefinition]
    public init(environment: EnvironmentID, deployment: Deployment, version: DynamicsVersion, exchangeOnlineInTenant: Bool,
                region: Region, provisionedOn: Date, settings: EmailSettings, builtInRoles: [RoleDefinition]) {
        self.environment = environment
        self.deployment = deployment
        self.version = version
        self.exchangeOnlineInTenant = exchangeOnlineInTenant
        self.region = region
        self.provisionedOn = provisionedOn
        self.settings = settings
        self.builtInRoles = builtInRoles
    }
}

/// 21Vianet enabled a China organization (provisioned before 2020-10-17) to
/// connect to Exchange Online.
public struct ChinaExchangeAccessEnabled: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public init(environment: EnvironmentID) { self.environment = environment }
}

/// A directory user became a user of an environment.
public struct UserJoinedEnvironment: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var user: UserPrincipalName
    public init(environment: EnvironmentID, user: UserPrincipalName) {
        self.environment = environment
        self.user = user
    }
}

/// A team was created in an environment.
public struct TeamCreated: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var team: TeamName
    public init(environment: EnvironmentID, team: TeamName) {
        self.environment = environment
        self.team = team
    }
}

/// A user joined a team.
public struct TeamMemberAdded: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var team: TeamName
    public var user: UserPrincipalName
    public init(environment: EnvironmentID, team: TeamName, user: UserPrincipalName) {
        self.environment = environment
        self.team = team
        self.user = user
    }
}

/// A queue was created in an environment (its mailbox is created alongside).
public struct QueueCreated: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var queue: QueueName
    public var emailAddress: EmailAddress
    public init(environment: EnvironmentID, queue: QueueName, emailAddress: EmailAddress) {
        self.environment = environment
        self.queue = queue
        self.emailAddress = emailAddress
    }
}

/// A custom security role was created.
public struct SecurityRoleCreated: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var role: RoleDefinition
    public init(environment: EnvironmentID, role: RoleDefinition) {
        self.environment = environment
        self.role = role
    }
}

/// A privilege level of a security role changed.
public struct RolePrivilegeSet: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var role: RoleName
    public var privilege: Privilege
    public var level: PrivilegeLevel
    public var previousLevel: PrivilegeLevel
    public init(environment: EnvironmentID, role: RoleName, privilege: Privilege, level: PrivilegeLevel, previousLevel: PrivilegeLevel) {
        self.environment = environment
        self.role = role
        self.privilege = privilege
        self.level = level
        self.previousLevel = previousLevel
    }
}

/// A security role was assigned to a user or team.
public struct SecurityRoleAssigned: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var role: RoleName
    public var principal: Principal
    public init(environment: EnvironmentID, role: RoleName, principal: Principal) {
        self.environment = environment
        self.role = role
        self.principal = principal
    }
}

/// A security role was removed from a user or team.
public struct SecurityRoleRemoved: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var role: RoleName
    public var principal: Principal
    public init(environment: EnvironmentID, role: RoleName, principal: Principal) {
        self.environment = environment
        self.role = role
        self.principal = principal
    }
}

/// The environment's email settings changed.
public struct EmailSettingsChanged: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var before: EmailSettings
    public var after: EmailSettings
    public init(environment: EnvironmentID, before: EmailSettings, after: EmailSettings) {
        self.environment = environment
        self.before = before
        self.after = after
    }
}

/// A profile became the environment's default for new mailboxes.
public struct DefaultServerProfileSet: Hashable, Sendable, Codable {
    public var environment: EnvironmentID
    public var profile: ProfileID
    public var previous: ProfileID?
    public init(environment: EnvironmentID, profile: ProfileID, previous: ProfileID?) {
        self.environment = environment
        self.profile = profile
        self.previous = previous
    }
}

/// A public key that signs the ledger's checkpoints was registered: an
/// auditor holding a checkpoint can check its signature against a key the
/// ledger itself recorded, by whom and when.
public struct CheckpointKeyRegistered: Hashable, Sendable, Codable {
    /// The key's name in signed checkpoints (the signature line's name).
    public var name: String
    /// The Ed25519 public key, 32 bytes in standard base64.
    public var publicKey: String
    public var registeredBy: UserPrincipalName
    public init(name: String, publicKey: String, registeredBy: UserPrincipalName) {
        self.name = name
        self.publicKey = publicKey
        self.registeredBy = registeredBy
    }
}

/// A user's Ed25519 public key for signing commands was enrolled (or replaced).
public struct SigningKeyEnrolled: Hashable, Sendable, Codable {
    public var user: UserPrincipalName
    /// 32 bytes, standard base64.
    public var publicKey: String
    public var enrolledBy: UserPrincipalName
    /// The key it replaced, if any.
    public var previous: String?
    public init(user: UserPrincipalName, publicKey: String, enrolledBy: UserPrincipalName, previous: String?) {
        self.user = user
        self.publicKey = publicKey
        self.enrolledBy = enrolledBy
        self.previous = previous
    }
}

/// Signed mode was switched on or off: while on, every command a person runs
/// must carry their signature by their enrolled key.
public struct SignedModeChanged: Hashable, Sendable, Codable {
    public var enabled: Bool
    public var changedBy: UserPrincipalName
    public init(enabled: Bool, changedBy: UserPrincipalName) {
        self.enabled = enabled
        self.changedBy = changedBy
    }
}

/// A bearer token for the HTTP API was issued. The log holds its hash only,
/// so reading the log never yields a usable token.
public struct AccessTokenIssued: Hashable, Sendable, Codable {
    /// The first 16 hex digits of the hash: how the token is listed and revoked.
    public var id: String
    public var user: UserPrincipalName
    public var scope: TokenScope
    /// SHA-256 of the token, 64 lower-case hex digits.
    public var tokenHash: String
    public var expiresAt: Date?
    public var issuedBy: UserPrincipalName
    public init(id: String, user: UserPrincipalName, scope: TokenScope, tokenHash: String, expiresAt: Date?, issuedBy: UserPrincipalName) {
        self.id = id
        self.user = user
        self.scope = scope
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.issuedBy = issuedBy
    }
}

/// A bearer token was revoked: from this event on it authenticates no one.
public struct AccessTokenRevoked: Hashable, Sendable, Codable {
    public var id: String
    public var user: UserPrincipalName
    public var revokedBy: UserPrincipalName
    public init(id: String, user: UserPrincipalName, revokedBy: UserPrincipalName) {
        self.id = id
        self.user = user
        self.revokedBy = revokedBy
    }
}
