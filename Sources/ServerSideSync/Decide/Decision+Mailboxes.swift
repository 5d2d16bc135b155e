import Foundation

extension Decision {
    // MARK: Configuration

    /// Apply Default Email Settings: each mailbox gets its environment's
    /// default profile and methods, then (unless `test` is false) is tested.
    /// A mailbox already configured that way records no configuration change.
    mutating func applyDefaults(_ ids: [MailboxID], test: Bool) throws(Refusal) {
        let targets = try mailboxes(ids)
        try requireMailboxConfigurer(for: targets, to: "apply default email settings to")
        var changed = false
        for mailbox in targets {
            let env = try environment(mailbox.environment)
            let after = defaultConfiguration(of: env)
            if after != mailbox.configuration {
                emit(.mailboxConfigured(MailboxConfigured(mailbox: mailbox.id, reason: .applyDefaults, before: mailbox.configuration, after: after)))
                changed = true
            }
        }
        guard test else {
            if !changed { throw Refusal(.nothingToChange, "the mailboxes already have the default email settings") }
            return
        }
        let requester = try actingUser()
        for mailbox in targets where !state.mailboxes[mailbox.id]!.configuration.serverSideSyncChannels.isEmpty {
            runTest(mailbox.id, trigger: .applyDefaults, job: nil, requestedBy: requester, options: TestOptions(), retryNumber: 0)
        }
    }

    /// Bulk edit: server profile and delivery methods; no implicit test.
    mutating func editMailboxes(_ ids: [MailboxID], _ edit: MailboxEdit) throws(Refusal) {
        let targets = try mailboxes(ids)
        guard edit != MailboxEdit() else { throw Refusal(.invalidValue, "say what to change: a profile or a delivery method") }
        try requireMailboxConfigurer(for: targets, to: "edit")
        var changed = false
        for mailbox in targets {
            var after = mailbox.configuration
            if let id = edit.profile {
                let profile = try profile(id)
                guard profile.environment == mailbox.environment else {
                    throw Refusal(.profileInAnotherEnvironment, "profile \(id) belongs to \(profile.environment), not to \(mailbox.id)'s environment")
                }
                guard profile.isActive else { throw Refusal(.profileInactive, "profile \(id) is inactive") }
                after.profile = id
            }
            if let value = edit.incoming { after.incoming = value }
            if let value = edit.outgoing { after.outgoing = value }
            if let value = edit.appointmentsContactsTasks { after.appointmentsContactsTasks = value }
            try checkACT(after, for: mailbox.id)
            if after != mailbox.configuration {
                emit(.mailboxConfigured(MailboxConfigured(mailbox: mailbox.id, reason: .edit, before: mailbox.configuration, after: after)))
                changed = true
            }
        }
        if !changed { throw Refusal(.nothingToChange, "the mailboxes already have these settings") }
    }

    /// Appointments, contacts and tasks cannot synchronize through a POP3 or
    /// IMAP server (SyncLedger extends the documented POP3 rule to IMAP, which
    /// carries no calendars either).
    func checkACT(_ configuration: MailboxConfiguration, for mailbox: MailboxID) throws(Refusal) {
        guard configuration.appointmentsContactsTasks == .serverSideSync,
              let id = configuration.profile, let profile = state.profiles[id],
              profile.settings.serverType.exchangeKind == .notExchange else { return }
        throw Refusal(.actNotSupportedByServerType, "appointments, contacts, and tasks of \(mailbox) cannot use Server-Side Synchronization with a \(profile.settings.serverType.rawValue) profile")
    }

    /// Changing the address resets approval (Pending Approval when the
    /// environment requires it, else Empty), the status columns and enablement (B5).
    mutating func changeAddress(_ id: MailboxID, _ address: EmailAddress) throws(Refusal) {
        let mailbox = try mailbox(id)
        try requireMailboxConfigurer(for: [mailbox], to: "change the email address of")
        guard address.isWellFormed else { throw Refusal(.invalidValue, "\(address) is not an email address") }
        guard address != mailbox.emailAddress else { throw Refusal(.nothingToChange, "\(id) already has the address \(address)") }
        let env = try environment(mailbox.environment)
        emit(.mailboxEmailAddressChanged(MailboxEmailAddressChanged(
            mailbox: id, previous: mailbox.emailAddress, emailAddress: address, approvalBefore: mailbox.approval,
            approvalAfter: env.settings.requiresApproval(for: mailbox.owner) ? .pendingApproval : .empty)))
    }

    // MARK: Approval

    /// The approval row's Exchange kind and whether the profile is cross-tenant.
    func approvalContext(of mailbox: MailboxState) -> (ExchangeKind, Bool) {
        guard let id = mailbox.configuration.profile, let profile = state.profiles[id] else { return (.exchangeOnline, false) }
        return (profile.settings.serverType.exchangeKind, profile.settings.authentication.isCrossTenant)
    }

    /// Whether `actor` meets the four self-approval conditions (§5.3) for `mailbox`:
    /// the UPN is the mailbox's address, the setting is off or the actor holds
    /// the privilege, the actor has User-level Write on Mailbox, and it is not a queue's.
    func canSelfApprove(_ actor: Authority, _ mailbox: MailboxState, in env: EnvironmentState) -> Bool {
        guard case .user(let owner) = mailbox.owner, owner == actor.user else { return false }
        return actor.user.rawValue == mailbox.emailAddress.rawValue
            && (!env.settings.requirePrivilegeToSelfApprove || actor.level(of: .approveEmailAddresses) > .none)
            && actor.level(of: .mailboxWrite) >= .user
    }

    /// Approve Email (B7). Plug-ins and workflows are always refused; an
    /// external application (source `api`) must send the approval alone.
    /// Approvers follow the matrix; the mailbox's own user may approve it with
    /// the privilege when the self-approval conditions hold (without the
    /// privilege the button is hidden and Test & Enable approves instead).
    mutating func approve(_ id: MailboxID, alsoChanging: [String]) throws(Refusal) {
        let mailbox = try mailbox(id)
        if context.source == .plugIn || context.source == .workflow {
            throw Refusal(.approvalFromPlugInOrWorkflow, "email addresses cannot be approved from a \(context.source.rawValue); approve from the app or from an external application")
        }
        if context.source.isProgrammatic && !alsoChanging.isEmpty {
            throw Refusal(.programmaticApprovalNotAlone, "a programmatic approval must change the approval status alone; this request also changes \(alsoChanging.joined(separator: ", "))")
        }
        let env = try environment(mailbox.environment)
        let actor = try authority(in: mailbox.environment)
        let (exchange, crossTenant) = approvalContext(of: mailbox)
        var method: ApprovalMethod = context.source.isProgrammatic ? .programmatic : .manual
        do {
            try requireApprover(actor, in: env, exchange: exchange, crossTenant: crossTenant, action: "approve \(mailbox.emailAddress)")
        } catch {
            guard canSelfApprove(actor, mailbox, in: env) else { throw error }
            guard actor.level(of: .approveEmailAddresses) > .none else {
                throw Refusal(error.code, error.message + ". To approve your own address, run Test & Enable on your own mailbox: it approves the address as part of the test")
            }
            method = .selfApproval
        }
        // The address's state is reported only to someone who may act on it.
        guard mailbox.approval != .approved else {
            throw Refusal(.emailAlreadyApproved, "the address \(mailbox.emailAddress) of \(id) is already approved")
        }
        emit(.mailboxEmailApproved(MailboxEmailApproved(
            mailbox: id, emailAddress: mailbox.emailAddress, approvedBy: actor.user, method: method,
            previousStatus: mailbox.approval, approvedByMicrosoft365Admin: actor.isTenantAdmin)))
    }

    /// Reject Email needs the same authority as approval.
    mutating func reject(_ id: MailboxID) throws(Refusal) {
        let mailbox = try mailbox(id)
        let env = try environment(mailbox.environment)
        let actor = try authority(in: mailbox.environment)
        let (exchange, crossTenant) = approvalContext(of: mailbox)
        try requireApprover(actor, in: env, exchange: exchange, crossTenant: crossTenant, action: "reject \(mailbox.emailAddress)")
        guard mailbox.approval != .rejected else { throw Refusal(.emailAlreadyRejected, "the address \(mailbox.emailAddress) of \(id) is already rejected") }
        emit(.mailboxEmailRejected(MailboxEmailRejected(mailbox: id, emailAddress: mailbox.emailAddress, rejectedBy: actor.user, previousStatus: mailbox.approval)))
    }
}
