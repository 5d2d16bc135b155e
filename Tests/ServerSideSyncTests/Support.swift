import Foundation
import ServerSideSync
import SyncLedgerTesting

typealias C = Contoso

extension Actor {
    static func u(_ upn: UserPrincipalName) -> Actor { .user(upn) }
}

/// The expected approval event for a user mailbox of the Contoso environment.
func approved(_ owner: UserPrincipalName, by approver: UserPrincipalName, method: ApprovalMethod = .manual,
              previous: EmailApprovalStatus = .pendingApproval, tenantAdmin: Bool) -> DomainEvent {
    .mailboxEmailApproved(MailboxEmailApproved(mailbox: C.mailbox(owner), emailAddress: EmailAddress(owner.rawValue), approvedBy: approver,
                                               method: method, previousStatus: previous, approvedByMicrosoft365Admin: tenantAdmin))
}

/// Statuses with every channel the same.
func statuses(_ outcome: ChannelOutcome) -> ChannelStatuses {
    ChannelStatuses(incoming: outcome, outgoing: outcome, appointmentsContactsTasks: outcome)
}

func failure(_ code: TestFailure) -> ChannelOutcome {
    ChannelOutcome(status: .failure, errorCode: code.rawValue, transient: code.isTransient)
}

let allEnabled = ChannelFlags(incoming: true, outgoing: true, appointmentsContactsTasks: true)

/// The Information alert of a full success for a Contoso user mailbox on the default profile.
func successAlert(_ owner: UserPrincipalName, profile: ProfileID = C.exchangeProfile,
                  channels: String = "Incoming Email, Outgoing Email, Appointments, Contacts, and Tasks") -> AlertNotice {
    AlertNotice(level: .information, code: "MailboxTestSucceeded",
                text: "Mailbox \(owner.rawValue) passed Test & Enable and is enabled for \(channels).",
                mailbox: C.mailbox(owner), profile: profile, recipients: [owner])
}

/// The Error alert of a permanent failure on every channel of a Contoso user mailbox.
func errorAlert(_ owner: UserPrincipalName, _ code: TestFailure, profile: ProfileID? = C.exchangeProfile,
                profileOwner: UserPrincipalName? = C.gabriela,
                channels: String = "Incoming Email, Outgoing Email, Appointments, Contacts, and Tasks") -> AlertNotice {
    AlertNotice(level: .error, code: code.rawValue, text: "\(code.text) Mailbox \(owner.rawValue) is disabled for: \(channels).",
                mailbox: C.mailbox(owner), profile: profile, recipients: profileOwner.map { [$0] } ?? [])
}

/// A MailboxTestCompleted for a Contoso user mailbox with the usual defaults.
func tested(_ owner: UserPrincipalName, by requester: UserPrincipalName, at instant: Date = C.t0, trigger: TestTrigger = .testAndEnable,
            statuses: ChannelStatuses, enabled: ChannelFlags, retry: Int = 0, nextRetryAt: Date? = nil, alerts: [AlertNotice],
            profile: ProfileID? = C.exchangeProfile, job: JobID? = nil, syncThisOrgOnly: Bool = false) -> DomainEvent {
    .mailboxTestCompleted(MailboxTestCompleted(
        mailbox: C.mailbox(owner), trigger: trigger, job: job, requestedBy: requester, testedAt: instant, profile: profile,
        processEmailsFrom: nil, syncThisOrgOnly: syncThisOrgOnly, statuses: statuses, enabled: enabled,
        retryNumber: retry, nextRetryAt: nextRetryAt, alerts: alerts))
}

/// This organization became the sync org of a Contoso user's Exchange mailbox.
func claimed(_ owner: UserPrincipalName, previous: EnvironmentID? = nil) -> DomainEvent {
    .exchangeSyncOrgChanged(ExchangeSyncOrgChanged(emailAddress: EmailAddress(owner.rawValue), syncOrg: C.environment, previous: previous))
}
