import Foundation

/// The decision logic of server-side synchronization administration, as two
/// pure functions: ``decide(_:given:context:)`` and ``evolve(_:with:)``.
public enum SyncDomain {
    /// The state after `events`, folded from the empty state.
    public static func fold(_ events: some Sequence<DomainEvent>) -> SyncState {
        var state = SyncState()
        for event in events { apply(event, to: &state) }
        return state
    }

    /// The state after `event`. Never fails: an event is a fact that happened;
    /// validation belongs to `decide`.
    public static func evolve(_ state: SyncState, with event: DomainEvent) -> SyncState {
        var s = state
        apply(event, to: &s)
        return s
    }

    /// Applies `event` to `s` in place: the same fold as ``evolve(_:with:)``
    /// without copying the state, for long folds (rebuild, replay).
    public static func apply(_ event: DomainEvent, to s: inout SyncState) {
        switch event {
        case .tenantCreated(let e):
            s.tenantName = e.name
        case .userAdded(let e):
            s.users[e.user] = DirectoryUser(upn: e.user, displayName: e.displayName)
        case .adminRoleGranted(let e):
            s.users[e.user]?.adminRoles.insert(e.role)
        case .adminRoleRevoked(let e):
            s.users[e.user]?.adminRoles.remove(e.role)
        case .environmentProvisioned(let e):
            var env = EnvironmentState(id: e.environment, deployment: e.deployment, version: e.version,
                                       exchangeOnlineInTenant: e.exchangeOnlineInTenant, region: e.region,
                                       provisionedOn: e.provisionedOn, settings: e.settings)
            for role in e.builtInRoles { env.roles[role.name] = role }
            s.environments[e.environment] = env
        case .chinaExchangeAccessEnabled(let e):
            s.environments[e.environment]?.chinaExchangeAccessEnabled = true
        case .userJoinedEnvironment(let e):
            s.environments[e.environment]?.members.insert(e.user)
        case .teamCreated(let e):
            s.environments[e.environment]?.teams[e.team] = []
        case .teamMemberAdded(let e):
            s.environments[e.environment]?.teams[e.team]?.insert(e.user)
        case .queueCreated(let e):
            s.environments[e.environment]?.queues[e.queue] = e.emailAddress
        case .securityRoleCreated(let e):
            s.environments[e.environment]?.roles[e.role.name] = e.role
        case .rolePrivilegeSet(let e):
            if var role = s.environments[e.environment]?.roles[e.role] {
                role.privileges.removeAll { $0.privilege == e.privilege }
                if e.level != .none { role.privileges.append(PrivilegeGrant(e.privilege, e.level)) }
                role.privileges.sort()
                s.environments[e.environment]?.roles[e.role] = role
            }
        case .securityRoleAssigned(let e):
            s.environments[e.environment]?.assignments[e.role, default: []].insert(e.principal)
        case .securityRoleRemoved(let e):
            s.environments[e.environment]?.assignments[e.role]?.remove(e.principal)
        case .emailSettingsChanged(let e):
            s.environments[e.environment]?.settings = e.after
        case .defaultServerProfileSet(let e):
            s.environments[e.environment]?.defaultProfile = e.profile
        case .serverProfileCreated(let e):
            s.profiles[e.profile] = ProfileState(id: e.profile, environment: e.environment, settings: e.settings)
        case .serverProfileUpdated(let e):
            s.profiles[e.profile]?.settings = e.after
        case .serverProfileLocationSet(let e):
            s.profiles[e.profile]?.settings.serverLocation = e.location
        case .serverProfileDeactivated(let e):
            s.profiles[e.profile]?.isActive = false
        case .mailboxCreated(let e):
            s.mailboxes[e.mailbox] = MailboxState(id: e.mailbox, environment: e.environment, owner: e.owner,
                                                  emailAddress: e.emailAddress, configuration: e.configuration, approval: e.approval)
        case .mailboxConfigured(let e):
            s.mailboxes[e.mailbox]?.configuration = e.after
        case .mailboxEmailAddressChanged(let e):
            guard var m = s.mailboxes[e.mailbox] else { break }
            m.emailAddress = e.emailAddress
            m.approval = e.approvalAfter
            m.approvedBy = nil
            m.approvedByMicrosoft365Admin = false
            m.statuses = .notRun
            m.enabled = .none
            m.nextRetryAt = nil
            m.pendingRetry = nil
            m.retryNumber = 0
            s.mailboxes[e.mailbox] = m
        case .mailboxEmailApproved(let e):
            s.mailboxes[e.mailbox]?.approval = .approved
            s.mailboxes[e.mailbox]?.approvedBy = e.approvedBy
            s.mailboxes[e.mailbox]?.approvedByMicrosoft365Admin = e.approvedByMicrosoft365Admin
        case .mailboxEmailRejected(let e):
            s.mailboxes[e.mailbox]?.approval = .rejected
            s.mailboxes[e.mailbox]?.approvedBy = nil
            s.mailboxes[e.mailbox]?.approvedByMicrosoft365Admin = false
        case .mailboxTestCompleted(let e):
            guard var m = s.mailboxes[e.mailbox] else { break }
            m.statuses = e.statuses
            m.enabled = e.enabled
            m.lastTestedBy = e.requestedBy
            m.lastTestedAt = e.testedAt
            m.retryNumber = e.retryNumber
            m.nextRetryAt = e.nextRetryAt
            m.pendingRetry = e.nextRetryAt == nil ? nil
                : PendingRetry(requestedBy: e.requestedBy, processEmailsFrom: e.processEmailsFrom, syncThisOrgOnly: e.syncThisOrgOnly, job: e.job)
            s.mailboxes[e.mailbox] = m
        case .exchangeMailboxAdded(let e):
            s.exchange.mailboxes[e.emailAddress] = .some(e.syncOrg)
        case .exchangeOutageRecorded(let e):
            s.exchange.outages.append(e.from...e.until)
        case .exchangeSyncOrgChanged(let e):
            s.exchange.mailboxes[e.emailAddress] = .some(e.syncOrg)
        case .profileTestJobStarted(let e):
            s.jobs.insert(e.job)
        case .checkpointKeyRegistered(let e):
            s.checkpointKeys.append(e)
        case .signingKeyEnrolled(let e):
            s.signingKeys[e.user] = e.publicKey
        case .signedModeChanged(let e):
            s.signedMode = e.enabled
        case .accessTokenIssued(let e):
            s.accessTokens[e.id] = AccessTokenState(id: e.id, user: e.user, scope: e.scope, tokenHash: e.tokenHash, expiresAt: e.expiresAt)
        case .accessTokenRevoked(let e):
            s.accessTokens[e.id]?.revoked = true
        case .profileTestJobCompleted, .commandRefused:
            break
        }
    }
}
