import Foundation

extension Decision {
    /// How long after a transient failure the retry is due.
    static let retryDelay: TimeInterval = 5 * 60
    /// How many retries a transient failure gets; the failure of the last one is permanent.
    static let maximumRetries = 10

    /// Test & Enable Mailbox on one or more mailboxes (B6, B8).
    ///
    /// Allowed to an administrator with Read and Write on the mailboxes, or to
    /// a mailbox's own user (User-level Write) on that mailbox. When the own
    /// user runs it and the self-approval conditions hold, the address is
    /// approved first, as part of the test (§5.3).
    mutating func testAndEnable(_ ids: [MailboxID], _ options: TestOptions) throws(Refusal) {
        let targets = try mailboxes(ids)
        let requester = try actingUser()
        for mailbox in targets {
            let actor = try authority(in: mailbox.environment)
            let ownMailbox = mailbox.owner == .user(actor.user)
            let permitted = (actor.isAdministrator && actor.canReadAndWrite(mailbox))
                || (ownMailbox && actor.level(of: .mailboxWrite) >= .user)
            guard permitted else {
                throw Refusal(.notAllowedToTestMailbox, "\(actor.user) may not test and enable \(mailbox.id): it needs System Administrator or System Customizer with Read and Write on Mailbox, or to be the mailbox's own user with User-level Write on Mailbox")
            }
            guard !mailbox.configuration.serverSideSyncChannels.isEmpty else {
                throw Refusal(.nothingToTest, "\(mailbox.id) uses Server-Side Synchronization for no channel; set a delivery method first")
            }
        }
        for mailbox in targets {
            let env = try environment(mailbox.environment)
            let actor = try authority(in: mailbox.environment)
            if mailbox.approval != .approved && env.settings.requiresApproval(for: mailbox.owner) && canSelfApprove(actor, mailbox, in: env) {
                emit(.mailboxEmailApproved(MailboxEmailApproved(
                    mailbox: mailbox.id, emailAddress: mailbox.emailAddress, approvedBy: actor.user, method: .selfApprovalByTestAndEnable,
                    previousStatus: mailbox.approval, approvedByMicrosoft365Admin: actor.isTenantAdmin)))
            }
            runTest(mailbox.id, trigger: .testAndEnable, job: nil, requestedBy: requester, options: options, retryNumber: 0)
        }
    }

    /// Test & Enable Mailboxes on a profile: a job over every mailbox that
    /// uses the profile and synchronizes some channel through it (B9).
    mutating func runProfileJob(_ id: ProfileID, _ job: JobID) throws(Refusal) {
        let profile = try profile(id)
        let requester = try actingUser()
        guard !job.rawValue.isEmpty, !state.jobs.contains(job) else { throw Refusal(.alreadyExists, "job id \(job) is already used") }
        guard profile.isActive else { throw Refusal(.profileInactive, "profile \(id) is inactive") }
        let targets = state.mailboxes.values
            .filter { $0.configuration.profile == id && !$0.configuration.serverSideSyncChannels.isEmpty }
            .sorted { $0.id < $1.id }
        guard !targets.isEmpty else { throw Refusal(.nothingToTest, "no mailbox synchronizes through profile \(id)") }
        try requireMailboxConfigurer(for: targets, to: "test and enable")
        emit(.profileTestJobStarted(ProfileTestJobStarted(job: job, profile: id, mailboxes: targets.map(\.id), requestedBy: requester)))
        var succeeded = 0, failed = 0, retrying = 0
        for mailbox in targets {
            let outcome = runTest(mailbox.id, trigger: .profileJob, job: job, requestedBy: requester, options: TestOptions(), retryNumber: 0)
            if outcome.nextRetryAt != nil { retrying += 1 } else if outcome.isFullSuccess { succeeded += 1 } else { failed += 1 }
        }
        emit(.profileTestJobCompleted(ProfileTestJobCompleted(job: job, profile: id, succeeded: succeeded, failed: failed, retrying: retrying)))
    }

    /// Runs every retry due at this instant (B10). Nothing due records nothing.
    mutating func processDueRetries() throws(Refusal) {
        let due = state.mailboxes.values
            .filter { mailbox in mailbox.pendingRetry != nil && mailbox.nextRetryAt.map { $0 <= now } == true }
            .sorted { ($0.nextRetryAt!, $0.id) < ($1.nextRetryAt!, $1.id) }
        for mailbox in due {
            let retry = mailbox.pendingRetry!
            runTest(mailbox.id, trigger: .retry, job: retry.job, requestedBy: retry.requestedBy,
                    options: TestOptions(processEmailsFrom: retry.processEmailsFrom, syncThisOrgOnly: retry.syncThisOrgOnly),
                    retryNumber: mailbox.retryNumber + 1)
        }
    }

    /// Tests one mailbox against Exchange Online at `now` and records the outcome.
    @discardableResult
    mutating func runTest(_ id: MailboxID, trigger: TestTrigger, job: JobID?, requestedBy: UserPrincipalName,
                          options: TestOptions, retryNumber: Int) -> MailboxTestCompleted {
        let mailbox = state.mailboxes[id]!
        let channels = mailbox.configuration.serverSideSyncChannels
        let answer = context.exchange.test(mailbox, channels: channels, approved: mailbox.approval == .approved,
                                           syncThisOrgOnly: options.syncThisOrgOnly, state: state, at: now)
        var statuses = ChannelStatuses.notRun
        var enabled = mailbox.enabled
        var transient = false
        var permanent: [TestFailure: [Channel]] = [:]
        for channel in Channel.allCases {
            guard channels.contains(channel) else {
                enabled[channel] = false
                continue
            }
            guard var failure = answer.failures[channel] else {
                statuses[channel] = .success
                enabled[channel] = true
                continue
            }
            if failure.isTransient && retryNumber >= Self.maximumRetries { failure = .retriesExhausted }
            statuses[channel] = ChannelOutcome(status: .failure, errorCode: failure.rawValue, transient: failure.isTransient)
            if failure.isTransient {
                transient = true
            } else {
                enabled[channel] = false
                permanent[failure, default: []].append(channel)
            }
        }
        let profileOwner = mailbox.configuration.profile.flatMap { state.profiles[$0]?.settings.owner }
        var mailboxOwner: UserPrincipalName? = nil
        if case .user(let upn) = mailbox.owner { mailboxOwner = upn }
        let nextRetryAt = transient ? now.addingTimeInterval(Self.retryDelay) : nil
        var recorded = MailboxTestCompleted(
            mailbox: id, trigger: trigger, job: job, requestedBy: requestedBy, testedAt: now, profile: mailbox.configuration.profile,
            processEmailsFrom: options.processEmailsFrom, syncThisOrgOnly: options.syncThisOrgOnly, statuses: statuses,
            enabled: enabled, retryNumber: retryNumber, nextRetryAt: nextRetryAt, alerts: [])
        // One wording of these alerts (MailboxTestCompleted.alertText), which stored events are read back with.
        func alert(_ level: AlertLevel, _ code: String, to recipients: UserPrincipalName?) -> AlertNotice {
            let text = recorded.alertText(code: code, level: level, address: mailbox.emailAddress, maximumRetries: Self.maximumRetries)
            assert(text != nil, "no wording for the alert \(code) this test raises")
            return AlertNotice(level: level, code: code, text: text ?? code, mailbox: id, profile: mailbox.configuration.profile,
                               recipients: recipients.map { [$0] } ?? [])
        }
        var alerts: [AlertNotice] = []
        for failure in TestFailure.allCases where permanent[failure] != nil {
            alerts.append(alert(.error, failure.rawValue, to: profileOwner))
        }
        if nextRetryAt != nil { alerts.append(alert(.warning, TestFailure.exchangeUnavailable.rawValue, to: profileOwner)) }
        if recorded.isFullSuccess { alerts.append(alert(.information, MailboxTestCompleted.succeededCode, to: mailboxOwner)) }
        recorded.alerts = alerts
        emit(.mailboxTestCompleted(recorded))
        if answer.claimedSyncOrg, statuses.appointmentsContactsTasks.status == .success {
            let previous = state.exchange.mailboxes[mailbox.emailAddress] ?? nil
            emit(.exchangeSyncOrgChanged(ExchangeSyncOrgChanged(emailAddress: mailbox.emailAddress, syncOrg: mailbox.environment, previous: previous)))
        }
        return recorded
    }
}

extension MailboxTestCompleted {
    /// Every channel that uses Server-Side Synchronization succeeded (and at least one does).
    public var isFullSuccess: Bool {
        let tested = Channel.allCases.map { statuses[$0] }.filter { $0.status != .notRun }
        return !tested.isEmpty && tested.allSatisfy { $0.status == .success }
    }
}
