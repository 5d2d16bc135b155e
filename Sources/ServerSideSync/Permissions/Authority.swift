/// What an actor may do in an environment, computed from the directory and
/// the environment's security roles (assigned directly or through teams).
public struct Authority: Hashable, Sendable {
    public var user: UserPrincipalName
    /// Microsoft 365 / Power Platform admin roles (tenant-wide).
    public var adminRoles: Set<AdminRole>
    /// Security roles held in the environment, directly or through a team.
    public var securityRoles: Set<RoleName>
    /// The deepest level of each privilege over all held roles.
    public var privileges: [Privilege: PrivilegeLevel]

    public init(user: UserPrincipalName, in environment: EnvironmentID?, state: SyncState) {
        self.user = user
        adminRoles = state.users[user]?.adminRoles ?? []
        securityRoles = []
        privileges = [:]
        guard let environment, let env = state.environments[environment] else { return }
        let teams = env.teams.filter { $0.value.contains(user) }.map { Principal.team($0.key) }
        let principals = Set([Principal.user(user)] + teams)
        for (role, holders) in env.assignments where !holders.isDisjoint(with: principals) {
            securityRoles.insert(role)
            for grant in env.roles[role]?.privileges ?? [] {
                privileges[grant.privilege] = max(privileges[grant.privilege] ?? .none, grant.level)
            }
        }
    }

    public func holds(_ role: AdminRole) -> Bool { adminRoles.contains(role) }
    public func holds(_ role: RoleName) -> Bool { securityRoles.contains(role) }
    public func level(of privilege: Privilege) -> PrivilegeLevel { privileges[privilege] ?? .none }

    public var isSystemAdministrator: Bool { holds(.systemAdministrator) }
    /// System Administrator or System Customizer.
    public var isAdministrator: Bool { holds(.systemAdministrator) || holds(.systemCustomizer) }
    public var isTenantAdmin: Bool { holds(.globalAdmin) || holds(.exchangeAdmin) }

    /// Whether Read and Write on the Mailbox table reach `mailbox`: User level
    /// covers the holder's own mailbox, deeper levels every mailbox (one
    /// business unit per environment).
    public func canReadAndWrite(_ mailbox: MailboxState) -> Bool {
        let needed: PrivilegeLevel = mailbox.owner == .user(user) ? .user : .businessUnit
        return level(of: .mailboxRead) >= needed && level(of: .mailboxWrite) >= needed
    }

    /// Every role held, as text, for audit records: admin roles first, then security roles.
    public var rolesHeld: [String] {
        adminRoles.sorted().map(\.rawValue) + securityRoles.sorted().map(\.rawValue)
    }
}

extension RoleDefinition {
    /// The roles every environment starts with.
    ///
    /// - System Administrator: every privilege at Organization level; cannot be edited.
    /// - System Customizer: Mailbox Read and Write at Organization level, no
    ///   approval privilege (SyncLedger's choice: it is an admin role for
    ///   configuring mailboxes, not for approving them).
    /// - Basic User: Mailbox Read and Write at User level (own mailbox).
    /// - Delegated Mailbox Approver (online, 9.2.22104.00170 and later): the
    ///   approval privilege at Organization level.
    public static func builtIn(for deployment: Deployment, version: DynamicsVersion) -> [RoleDefinition] {
        var roles = [
            RoleDefinition(name: .systemAdministrator, privileges: Privilege.allCases.map { PrivilegeGrant($0, .organization) }, builtIn: true),
            RoleDefinition(name: .systemCustomizer, privileges: [PrivilegeGrant(.mailboxRead, .organization), PrivilegeGrant(.mailboxWrite, .organization)], builtIn: true),
            RoleDefinition(name: .basicUser, privileges: [PrivilegeGrant(.mailboxRead, .user), PrivilegeGrant(.mailboxWrite, .user)], builtIn: true),
        ]
        if deployment == .online && version >= .delegatedMailboxApprover {
            roles.append(RoleDefinition(name: .delegatedMailboxApprover, privileges: [PrivilegeGrant(.approveEmailAddresses, .organization)], builtIn: true))
        }
        return roles
    }
}
