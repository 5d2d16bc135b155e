import Foundation

extension Decision {
    mutating func run(_ command: Command) throws(Refusal) {
        switch command {
        case .createTenant(let name, let admin, let displayName): try createTenant(name, admin, displayName)
        case .addUser(let upn, let displayName, let environment): try addUser(upn, displayName, environment)
        case .grantAdminRole(let upn, let role): try grant(role, to: upn)
        case .revokeAdminRole(let upn, let role): try revoke(role, from: upn)
        case .provisionEnvironment(let request): try provision(request)
        case .enableChinaExchangeAccess(let env): try enableChinaAccess(env)
        case .createTeam(let env, let team): try createTeam(env, team)
        case .addTeamMember(let env, let team, let upn): try addMember(env, team, upn)
        case .createQueue(let env, let queue, let address): try createQueue(env, queue, address)
        case .createRole(let env, let role): try createRole(env, role)
        case .setRolePrivilege(let env, let role, let privilege, let level): try setPrivilege(env, role, privilege, level)
        case .assignRole(let env, let role, let principal): try assign(env, role, principal)
        case .removeRole(let env, let role, let principal): try remove(env, role, principal)
        case .createProfile(let id, let env, let settings, let setAsDefault): try createProfile(id, env, settings, setAsDefault)
        case .updateProfile(let id, let settings): try updateProfile(id, settings)
        case .setDefaultProfile(let env, let id): try setDefaultProfile(env, id)
        case .setProfileLocation(let id, let location): try setLocation(id, location)
        case .deactivateProfile(let id): try deactivate(id)
        case .changeEmailSettings(let env, let change): try changeSettings(env, change)
        case .applyDefaultSettings(let ids, let test): try applyDefaults(ids, test: test)
        case .editMailboxes(let ids, let edit): try editMailboxes(ids, edit)
        case .changeEmailAddress(let id, let address): try changeAddress(id, address)
        case .approveEmail(let id, let alsoChanging): try approve(id, alsoChanging: alsoChanging)
        case .rejectEmail(let id): try reject(id)
        case .testAndEnable(let ids, let options): try testAndEnable(ids, options)
        case .testProfileMailboxes(let id, let job): try runProfileJob(id, job)
        case .processDueRetries: try processDueRetries()
        case .addExchangeMailbox(let address, let org): try addExchangeMailbox(address, org)
        case .recordExchangeOutage(let from, let until): try recordOutage(from, until)
        case .registerCheckpointKey(let name, let key): try registerCheckpointKey(name, key)
        case .enrolSigningKey(let upn, let key): try enrolSigningKey(upn, key)
        case .setSignedMode(let enabled): try setSignedMode(enabled)
        case .issueAccessToken(let grant): try issueToken(grant)
        case .revokeAccessToken(let id): try revokeToken(id)
        }
    }

    // MARK: Tenant and directory

    /// Creating the tenant is signing up: anyone may do it, once, and becomes its first Global admin.
    mutating func createTenant(_ name: String, _ admin: UserPrincipalName, _ displayName: String) throws(Refusal) {
        guard state.tenantName == nil else { throw Refusal(.tenantAlreadyExists, "the tenant \(state.tenantName!) already exists") }
        guard !name.isEmpty else { throw Refusal(.invalidValue, "the tenant needs a name") }
        try validateUPN(admin)
        emit(.tenantCreated(TenantCreated(name: name, firstGlobalAdmin: admin)))
        emit(.userAdded(UserAdded(user: admin, displayName: displayName)))
        emit(.adminRoleGranted(AdminRoleGranted(user: admin, role: .globalAdmin)))
    }

    func validateUPN(_ upn: UserPrincipalName) throws(Refusal) {
        guard EmailAddress(upn.rawValue).isWellFormed else {
            throw Refusal(.invalidValue, "\(upn) is not a user principal name (expected name@domain)")
        }
    }

    /// A new directory user needs a Global admin; joining an environment needs
    /// that environment's System Administrator (users come from the directory,
    /// environments only admit them).
    mutating func addUser(_ upn: UserPrincipalName, _ displayName: String, _ environment: EnvironmentID?) throws(Refusal) {
        try requireTenant()
        try validateUPN(upn)
        let isNew = state.users[upn] == nil
        if isNew {
            let actor = try authority(in: nil)
            guard actor.holds(.globalAdmin) else {
                throw Refusal(.notGlobalAdmin, "\(actor.user) may not add \(upn) to the directory: only a Global admin may")
            }
        }
        if let environment {
            let env = try self.environment(environment)
            _ = try requireSystemAdministrator(in: environment, to: "add users")
            if env.members.contains(upn) { throw Refusal(.alreadyExists, "\(upn) is already a user of \(environment)") }
        } else if !isNew {
            throw Refusal(.alreadyExists, "\(upn) is already in the directory")
        }
        if isNew { emit(.userAdded(UserAdded(user: upn, displayName: displayName))) }
        if let environment { try join(upn, environment) }
    }

    /// Makes `upn` a user of `environment` and creates the user's mailbox with
    /// the environment's email settings of this moment (B5). The mailbox's
    /// address is the UPN, as for a new user's primary email.
    mutating func join(_ upn: UserPrincipalName, _ environment: EnvironmentID) throws(Refusal) {
        emit(.userJoinedEnvironment(UserJoinedEnvironment(environment: environment, user: upn)))
        try createMailbox(for: .user(upn), address: EmailAddress(upn.rawValue), in: environment)
    }

    mutating func createMailbox(for owner: MailboxOwner, address: EmailAddress, in environment: EnvironmentID) throws(Refusal) {
        let env = try self.environment(environment)
        let id = MailboxID(environment: environment, owner: owner)
        emit(.mailboxCreated(MailboxCreated(
            mailbox: id, environment: environment, owner: owner, emailAddress: address,
            configuration: defaultConfiguration(of: env),
            approval: env.settings.requiresApproval(for: owner) ? .pendingApproval : .empty)))
    }

    /// The configuration the environment's email settings give a mailbox now:
    /// the default profile (when it is still active) and the default methods.
    ///
    /// A non-Exchange (POP3/IMAP) default profile never gives ACT = Server-Side
    /// Synchronization: ACT becomes None. The commands that set the default
    /// profile and the settings refuse that combination, so this matters only
    /// for a ledger recorded before they did.
    func defaultConfiguration(of env: EnvironmentState) -> MailboxConfiguration {
        let profile = env.defaultProfile.flatMap { state.profiles[$0]?.isActive == true ? $0 : nil }
        var act = env.settings.appointmentsContactsTasks
        if act == .serverSideSync, let id = profile, state.profiles[id]?.settings.serverType.exchangeKind == .notExchange { act = .none }
        return MailboxConfiguration(profile: profile, incoming: env.settings.incoming, outgoing: env.settings.outgoing,
                                    appointmentsContactsTasks: act)
    }

    /// Directory roles are managed by Global admins only.
    mutating func grant(_ role: AdminRole, to upn: UserPrincipalName) throws(Refusal) {
        let actor = try authority(in: nil)
        guard actor.holds(.globalAdmin) else { throw Refusal(.notGlobalAdmin, "\(actor.user) may not grant \(role): only a Global admin may manage directory roles") }
        let target = try user(upn)
        guard !target.adminRoles.contains(role) else { throw Refusal(.alreadyAssigned, "\(upn) already holds \(role)") }
        emit(.adminRoleGranted(AdminRoleGranted(user: upn, role: role)))
    }

    /// Revoking is refused when it would leave the tenant without a Global admin.
    mutating func revoke(_ role: AdminRole, from upn: UserPrincipalName) throws(Refusal) {
        let actor = try authority(in: nil)
        guard actor.holds(.globalAdmin) else { throw Refusal(.notGlobalAdmin, "\(actor.user) may not revoke \(role): only a Global admin may manage directory roles") }
        let target = try user(upn)
        guard target.adminRoles.contains(role) else { throw Refusal(.roleNotAssigned, "\(upn) does not hold \(role)") }
        if role == .globalAdmin && state.users.values.filter({ $0.adminRoles.contains(.globalAdmin) }).count == 1 {
            throw Refusal(.invalidValue, "\(upn) is the last Global admin; grant the role to someone else first")
        }
        emit(.adminRoleRevoked(AdminRoleRevoked(user: upn, role: role)))
    }

    // MARK: Environments

    /// Provisioning needs a Global admin or Service admin. The provisioner
    /// joins the environment as its System Administrator (with a mailbox).
    /// When the tenant has Exchange Online, the "Microsoft Exchange Online"
    /// profile (Server-to-Server) is created and made the default (B4), owned
    /// by the provisioner, before any mailbox exists.
    mutating func provision(_ request: ProvisionEnvironment) throws(Refusal) {
        try requireTenant()
        let actor = try authority(in: nil)
        guard actor.holds(.globalAdmin) || actor.holds(.serviceAdmin) else {
            throw Refusal(.notAllowedToProvision, "\(actor.user) may not provision environments: it needs the Global admin or Service admin role")
        }
        guard !request.environment.rawValue.isEmpty else { throw Refusal(.invalidValue, "the environment needs a name") }
        guard state.environments[request.environment] == nil else { throw Refusal(.alreadyExists, "environment \(request.environment) already exists") }
        if request.exchangeOnlineInTenant && state.profiles[request.exchangeProfile] != nil {
            throw Refusal(.alreadyExists, "profile id \(request.exchangeProfile) is already used")
        }
        emit(.environmentProvisioned(EnvironmentProvisioned(
            environment: request.environment, deployment: request.deployment, version: request.version,
            exchangeOnlineInTenant: request.exchangeOnlineInTenant, region: request.region, provisionedOn: request.provisionedOn,
            settings: EmailSettings(), builtInRoles: RoleDefinition.builtIn(for: request.deployment, version: request.version))))
        if request.exchangeOnlineInTenant {
            let settings = ProfileSettings(name: "Microsoft Exchange Online", serverType: .exchangeOnline,
                                           authentication: .serverToServer, owner: actor.user)
            emit(.serverProfileCreated(ServerProfileCreated(profile: request.exchangeProfile, environment: request.environment, settings: settings)))
            emit(.defaultServerProfileSet(DefaultServerProfileSet(environment: request.environment, profile: request.exchangeProfile, previous: nil)))
        }
        emit(.securityRoleAssigned(SecurityRoleAssigned(environment: request.environment, role: .systemAdministrator, principal: .user(actor.user))))
        try join(actor.user, request.environment)
    }

    /// Records that 21Vianet enabled Exchange access for a China organization;
    /// taken by a Global admin or Service admin on 21Vianet's word.
    mutating func enableChinaAccess(_ id: EnvironmentID) throws(Refusal) {
        let env = try environment(id)
        let actor = try authority(in: nil)
        guard actor.holds(.globalAdmin) || actor.holds(.serviceAdmin) else {
            throw Refusal(.notAllowedToProvision, "\(actor.user) may not record 21Vianet's enablement: it needs the Global admin or Service admin role")
        }
        guard env.region == .china else { throw Refusal(.notAChinaEnvironment, "\(id) is not a China (21Vianet) environment") }
        guard !env.chinaExchangeAccessEnabled else { throw Refusal(.nothingToChange, "21Vianet already enabled Exchange access for \(id)") }
        emit(.chinaExchangeAccessEnabled(ChinaExchangeAccessEnabled(environment: id)))
    }

    mutating func createTeam(_ id: EnvironmentID, _ team: TeamName) throws(Refusal) {
        let env = try environment(id)
        _ = try requireSystemAdministrator(in: id, to: "create teams")
        guard !team.rawValue.isEmpty else { throw Refusal(.invalidValue, "the team needs a name") }
        guard env.teams[team] == nil else { throw Refusal(.alreadyExists, "team \(team) already exists in \(id)") }
        emit(.teamCreated(TeamCreated(environment: id, team: team)))
    }

    mutating func addMember(_ id: EnvironmentID, _ team: TeamName, _ upn: UserPrincipalName) throws(Refusal) {
        let env = try environment(id)
        _ = try requireSystemAdministrator(in: id, to: "change teams")
        guard let members = env.teams[team] else { throw Refusal(.unknownTeam, "no team \(team) in \(id)") }
        guard env.members.contains(upn) else { throw Refusal(.notAMember, "\(upn) is not a user of \(id); add the user first") }
        guard !members.contains(upn) else { throw Refusal(.alreadyAssigned, "\(upn) is already in team \(team)") }
        emit(.teamMemberAdded(TeamMemberAdded(environment: id, team: team, user: upn)))
    }

    mutating func createQueue(_ id: EnvironmentID, _ queue: QueueName, _ address: EmailAddress) throws(Refusal) {
        let env = try environment(id)
        _ = try requireAdministrator(in: id, to: "create queues")
        guard !queue.rawValue.isEmpty else { throw Refusal(.invalidValue, "the queue needs a name") }
        guard address.isWellFormed else { throw Refusal(.invalidValue, "\(address) is not an email address") }
        guard env.queues[queue] == nil else { throw Refusal(.alreadyExists, "queue \(queue) already exists in \(id)") }
        emit(.queueCreated(QueueCreated(environment: id, queue: queue, emailAddress: address)))
        try createMailbox(for: .queue(queue), address: address, in: id)
    }

    // MARK: Security roles

    mutating func createRole(_ id: EnvironmentID, _ role: RoleName) throws(Refusal) {
        let env = try environment(id)
        _ = try requireSystemAdministrator(in: id, to: "create security roles")
        guard !role.rawValue.isEmpty else { throw Refusal(.invalidValue, "the role needs a name") }
        guard env.roles[role] == nil else { throw Refusal(.alreadyExists, "role \(role) already exists in \(id)") }
        emit(.securityRoleCreated(SecurityRoleCreated(environment: id, role: RoleDefinition(name: role, privileges: [], builtIn: false))))
    }

    /// System Administrator and Delegated Mailbox Approver are fixed; other
    /// roles, built-in or custom, can be changed.
    mutating func setPrivilege(_ id: EnvironmentID, _ name: RoleName, _ privilege: Privilege, _ level: PrivilegeLevel) throws(Refusal) {
        let env = try environment(id)
        _ = try requireSystemAdministrator(in: id, to: "change security roles")
        guard let role = env.roles[name] else { throw Refusal(.unknownRole, "no security role \(name) in \(id)") }
        guard name != .systemAdministrator && name != .delegatedMailboxApprover else {
            throw Refusal(.builtInRoleIsFixed, "the \(name) role's privileges cannot be changed")
        }
        let previous = role.level(of: privilege)
        guard previous != level else { throw Refusal(.nothingToChange, "\(name) already has \(privilege) at \(level.rawValue) level") }
        emit(.rolePrivilegeSet(RolePrivilegeSet(environment: id, role: name, privilege: privilege, level: level, previousLevel: previous)))
    }

    /// Checks a role assignment or removal; returns nothing, throws the refusal.
    ///
    /// For the Delegated Mailbox Approver, in this order: the role must exist
    /// (online, 9.2.22104.00170+), it never goes to a team (0x80090905), and
    /// only a Global or Exchange admin may assign or remove it (0x80090904;
    /// they need no security role of their own). Any other role needs the
    /// environment's System Administrator.
    func checkRoleChange(_ env: EnvironmentState, _ role: RoleName, _ principal: Principal, verb: String) throws(Refusal) {
        if role == .delegatedMailboxApprover && !env.hasDelegatedMailboxApprover {
            throw Refusal(.delegatedApproverUnavailable, "the Delegated Mailbox Approver role exists only in online environments from version \(DynamicsVersion.delegatedMailboxApprover); \(env.id) is \(env.deployment.rawValue) \(env.version)")
        }
        guard env.roles[role] != nil else { throw Refusal(.unknownRole, "no security role \(role) in \(env.id)") }
        switch principal {
        case .user(let upn):
            guard env.members.contains(upn) else { throw Refusal(.notAMember, "\(upn) is not a user of \(env.id); add the user first") }
        case .team(let team):
            if role == .delegatedMailboxApprover {
                throw Refusal(.cannotAssignDelegatedApproverToTeam, "CannotAssignDelegatedMailboxApproverRoleToTeam: the Delegated Mailbox Approver role can be given to users only, not to team \(team)")
            }
            guard env.teams[team] != nil else { throw Refusal(.unknownTeam, "no team \(team) in \(env.id)") }
        }
        let actor = try authority(in: env.id)
        if role == .delegatedMailboxApprover {
            guard actor.isTenantAdmin else {
                throw Refusal(.onlyTenantAdminCanAssignDelegatedApprover, "only a Microsoft 365 Global admin or Exchange admin may \(verb) the Delegated Mailbox Approver role; \(actor.user) is neither")
            }
        } else if !actor.isSystemAdministrator {
            throw Refusal(.notSystemAdministrator, "\(actor.user) may not \(verb) security roles in \(env.id): only a System Administrator of that environment may")
        }
    }

    mutating func assign(_ id: EnvironmentID, _ role: RoleName, _ principal: Principal) throws(Refusal) {
        let env = try environment(id)
        try checkRoleChange(env, role, principal, verb: "assign")
        guard env.assignments[role]?.contains(principal) != true else { throw Refusal(.alreadyAssigned, "\(principal) already holds \(role) in \(id)") }
        emit(.securityRoleAssigned(SecurityRoleAssigned(environment: id, role: role, principal: principal)))
    }

    mutating func remove(_ id: EnvironmentID, _ role: RoleName, _ principal: Principal) throws(Refusal) {
        let env = try environment(id)
        try checkRoleChange(env, role, principal, verb: "remove")
        guard env.assignments[role]?.contains(principal) == true else { throw Refusal(.roleNotAssigned, "\(principal) does not hold \(role) in \(id)") }
        emit(.securityRoleRemoved(SecurityRoleRemoved(environment: id, role: role, principal: principal)))
    }

    // MARK: Simulated Exchange Online facts

    /// Facts about the Exchange side are recorded by a Global or Exchange admin
    /// (who can see the tenant's Exchange) or by SyncLedger itself.
    func requireExchangeWitness() throws(Refusal) {
        guard case .user = context.actor else { return }
        let actor = try authority(in: nil)
        guard actor.isTenantAdmin else {
            throw Refusal(.notGlobalAdmin, "\(actor.user) may not record Exchange Online facts: it needs the Global admin or Exchange admin role")
        }
    }

    mutating func addExchangeMailbox(_ address: EmailAddress, _ org: EnvironmentID?) throws(Refusal) {
        try requireExchangeWitness()
        guard address.isWellFormed else { throw Refusal(.invalidValue, "\(address) is not an email address") }
        guard state.exchange.mailboxes[address] == nil else { throw Refusal(.alreadyExists, "\(address) already exists in Exchange Online") }
        emit(.exchangeMailboxAdded(ExchangeMailboxAdded(emailAddress: address, syncOrg: org)))
    }

    /// Registering a checkpoint key is a tenant-wide act of trust: only a
    /// Global admin may do it (SyncLedger's choice; the documentation has no
    /// such key). The name follows signed-note rules: no spaces, no `+`.
    mutating func registerCheckpointKey(_ name: String, _ publicKey: String) throws(Refusal) {
        let actor = try authority(in: nil)
        guard actor.holds(.globalAdmin) else {
            throw Refusal(.notGlobalAdmin, "\(actor.user) may not register a checkpoint key: only a Global admin may")
        }
        guard !name.isEmpty, name.count <= 200, !name.contains(where: { $0.isWhitespace || $0 == "+" }) else {
            throw Refusal(.invalidValue, "a key name is 1–200 characters without spaces or '+'")
        }
        guard let raw = Data(base64Encoded: publicKey), raw.count == 32 else {
            throw Refusal(.invalidValue, "a checkpoint key is a 32-byte Ed25519 public key in base64")
        }
        guard !state.checkpointKeys.contains(where: { $0.publicKey == publicKey || $0.name == name }) else {
            throw Refusal(.alreadyExists, "the key or the name \(name) is already registered")
        }
        emit(.checkpointKeyRegistered(CheckpointKeyRegistered(name: name, publicKey: publicKey, registeredBy: actor.user)))
    }

    /// Who may enrol whose signing key (SyncLedger's choice; the documentation
    /// has no such keys): a Global admin may enrol or replace anyone's key; a
    /// user may enrol their own key once, when they have none — replacing a
    /// key (a lost or stolen one) takes a Global admin, so a stolen session
    /// cannot swap the key that proves who acted.
    mutating func enrolSigningKey(_ upn: UserPrincipalName, _ publicKey: String) throws(Refusal) {
        let actor = try authority(in: nil)
        _ = try user(upn)
        guard let raw = Data(base64Encoded: publicKey), raw.count == 32 else {
            throw Refusal(.invalidValue, "a signing key is a 32-byte Ed25519 public key in base64")
        }
        let previous = state.signingKeys[upn]
        if !actor.holds(.globalAdmin) {
            guard actor.user == upn else {
                throw Refusal(.notGlobalAdmin, "\(actor.user) may not enrol a key for \(upn): only a Global admin may enrol another user's key")
            }
            guard previous == nil else {
                throw Refusal(.notGlobalAdmin, "\(upn) already has a signing key: only a Global admin may replace it")
            }
        }
        guard previous != publicKey else { throw Refusal(.nothingToChange, "\(upn) already has this signing key") }
        emit(.signingKeyEnrolled(SigningKeyEnrolled(user: upn, publicKey: publicKey, enrolledBy: actor.user, previous: previous)))
    }

    /// Signed mode is switched by a Global admin only, either way, and each
    /// switch is an audited event.
    mutating func setSignedMode(_ enabled: Bool) throws(Refusal) {
        let actor = try authority(in: nil)
        guard actor.holds(.globalAdmin) else {
            throw Refusal(.notGlobalAdmin, "\(actor.user) may not switch signed mode: only a Global admin may")
        }
        guard state.signedMode != enabled else { throw Refusal(.nothingToChange, "signed mode is already \(enabled ? "on" : "off")") }
        if enabled, state.signingKeys[actor.user] == nil {
            throw Refusal(.invalidValue, "enrol your own signing key before switching signed mode on, or no one could switch it off")
        }
        emit(.signedModeChanged(SignedModeChanged(enabled: enabled, changedBy: actor.user)))
    }

    /// Who may issue HTTP API tokens (SyncLedger's choice; the documentation
    /// has none): a Global admin, for any directory user. A token stands for
    /// its user, so minting one is as strong as granting a role; issuing your
    /// own is no exception, or a stolen token could mint its own successors.
    /// The expiry, when given, must lie after the decision's instant.
    mutating func issueToken(_ grant: AccessTokenGrant) throws(Refusal) {
        let actor = try authority(in: nil)
        guard actor.holds(.globalAdmin) else {
            throw Refusal(.notGlobalAdmin, "\(actor.user) may not issue a token for \(grant.user): only a Global admin may")
        }
        _ = try user(grant.user)
        guard grant.tokenHash.utf8.count == 64, grant.tokenHash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw Refusal(.invalidValue, "a token hash is SHA-256 as 64 lower-case hex digits")
        }
        if let expiry = grant.expiresAt, expiry <= context.now {
            throw Refusal(.invalidValue, "the token would expire at \(Timestamp.format(expiry)), which is not after now (\(Timestamp.format(context.now)))")
        }
        guard state.accessTokens[grant.id] == nil else { throw Refusal(.alreadyExists, "a token with id \(grant.id) was already issued") }
        emit(.accessTokenIssued(AccessTokenIssued(id: grant.id, user: grant.user, scope: grant.scope, tokenHash: grant.tokenHash,
                                                  expiresAt: grant.expiresAt, issuedBy: actor.user)))
    }

    /// A Global admin may revoke any token; a user may revoke their own
    /// (a person who suspects a leak must not have to wait for an admin).
    mutating func revokeToken(_ id: String) throws(Refusal) {
        let actor = try authority(in: nil)
        guard let token = state.accessTokens[id] else { throw Refusal(.invalidValue, "no token with id \(id)") }
        guard actor.holds(.globalAdmin) || actor.user == token.user else {
            throw Refusal(.notGlobalAdmin, "\(actor.user) may not revoke \(token.user)'s token: only its user or a Global admin may")
        }
        guard !token.revoked else { throw Refusal(.nothingToChange, "token \(id) is already revoked") }
        emit(.accessTokenRevoked(AccessTokenRevoked(id: id, user: token.user, revokedBy: actor.user)))
    }

    mutating func recordOutage(_ from: Date, _ until: Date) throws(Refusal) {
        try requireExchangeWitness()
        guard from <= until else { throw Refusal(.invalidValue, "an outage must end after it starts") }
        emit(.exchangeOutageRecorded(ExchangeOutageRecorded(from: from, until: until)))
    }
}
