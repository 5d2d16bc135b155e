import Foundation

extension SyncDomain {
    /// Decides `command` by `context.actor` at `context.now` against `state`.
    ///
    /// - Returns: The events that record what happened, in order (empty when
    ///   the command has nothing to do, e.g. no retry is due).
    /// - Throws: ``Refusal`` with a stable code; nothing happened.
    public static func decide(_ command: Command, given state: SyncState, context: DecisionContext) throws(Refusal) -> [DomainEvent] {
        try command.refuseHiddenCharacters()
        var decision = Decision(state: state, context: context)
        try decision.run(command)
        return decision.events
    }
}

/// One decision in progress: the events so far and the state they lead to,
/// so later steps of a command (a test after a configuration change) see
/// the earlier ones.
struct Decision {
    private(set) var state: SyncState
    let context: DecisionContext
    private(set) var events: [DomainEvent] = []

    init(state: SyncState, context: DecisionContext) {
        self.state = state
        self.context = context
    }

    mutating func emit(_ event: DomainEvent) {
        events.append(event)
        SyncDomain.apply(event, to: &state)
    }

    var now: Date { context.now }

    // MARK: Lookups that refuse with the right code

    func actingUser() throws(Refusal) -> UserPrincipalName {
        guard case .user(let upn) = context.actor else {
            throw Refusal(.systemOnly, "this action must be taken by a person, not by SyncLedger itself")
        }
        return upn
    }

    func requireTenant() throws(Refusal) {
        guard state.tenantName != nil else { throw Refusal(.noTenant, "no tenant exists yet: create the tenant first") }
    }

    func environment(_ id: EnvironmentID) throws(Refusal) -> EnvironmentState {
        guard let env = state.environments[id] else { throw Refusal(.unknownEnvironment, "no environment named \(id)") }
        return env
    }

    func user(_ upn: UserPrincipalName) throws(Refusal) -> DirectoryUser {
        guard let user = state.users[upn] else { throw Refusal(.unknownUser, "no user \(upn) in the tenant directory") }
        return user
    }

    func profile(_ id: ProfileID) throws(Refusal) -> ProfileState {
        guard let profile = state.profiles[id] else { throw Refusal(.unknownProfile, "no email server profile \(id)") }
        return profile
    }

    func mailbox(_ id: MailboxID) throws(Refusal) -> MailboxState {
        guard let mailbox = state.mailboxes[id] else { throw Refusal(.unknownMailbox, "no mailbox \(id)") }
        return mailbox
    }

    func mailboxes(_ ids: [MailboxID]) throws(Refusal) -> [MailboxState] {
        guard !ids.isEmpty else { throw Refusal(.invalidValue, "name at least one mailbox") }
        var seen = Set<MailboxID>()
        var result: [MailboxState] = []
        for id in ids where seen.insert(id).inserted { result.append(try mailbox(id)) }
        return result
    }

    func authority(in environment: EnvironmentID?) throws(Refusal) -> Authority {
        Authority(user: try actingUser(), in: environment, state: state)
    }

    // MARK: Permission checks shared by several commands

    /// System Administrator in `environment`.
    func requireSystemAdministrator(in environment: EnvironmentID, to action: String) throws(Refusal) -> Authority {
        let authority = try authority(in: environment)
        guard authority.isSystemAdministrator else {
            throw Refusal(.notSystemAdministrator, "\(authority.user) may not \(action) in \(environment): only a System Administrator of that environment may")
        }
        return authority
    }

    /// System Administrator or System Customizer in `environment` (profiles, email settings, queues).
    func requireAdministrator(in environment: EnvironmentID, to action: String) throws(Refusal) -> Authority {
        let authority = try authority(in: environment)
        guard authority.isAdministrator else {
            throw Refusal(.notAnAdministrator, "\(authority.user) may not \(action) in \(environment): it needs the System Administrator or System Customizer role there")
        }
        return authority
    }

    /// An administrator who also holds Read and Write on each mailbox (B6).
    func requireMailboxConfigurer(for mailboxes: [MailboxState], to action: String) throws(Refusal) {
        for mailbox in mailboxes {
            let authority = try requireAdministrator(in: mailbox.environment, to: action)
            guard authority.canReadAndWrite(mailbox) else {
                throw Refusal(.missingMailboxPrivileges, "\(authority.user) may not \(action) \(mailbox.id): it needs Read and Write privileges on the Mailbox table that reach this mailbox (Business Unit level or deeper)")
            }
        }
    }
}
