import Foundation

/// An email server profile was created.
public struct ServerProfileCreated: Hashable, Sendable, Codable {
    public var profile: ProfileID
    public var environment: EnvironmentID
    public var settings: ProfileSettings
    public init(profile: ProfileID, environment: EnvironmentID, settings: ProfileSettings) {
        self.profile = profile
        self.environment = environment
        self.settings = settings
    }
}

/// A server profile's settings changed.
public struct ServerProfileUpdated: Hashable, Sendable, Codable {
    public var profile: ProfileID
    public var before: ProfileSettings
    public var after: ProfileSettings
    public init(profile: ProfileID, before: ProfileSettings, after: ProfileSettings) {
        self.profile = profile
        self.before = before
        self.after = after
    }
}

/// A profile's EWS endpoint (`defaultserverlocation`) was set through the SDK.
public struct ServerProfileLocationSet: Hashable, Sendable, Codable {
    public var profile: ProfileID
    public var location: String
    public var previous: String?
    public init(profile: ProfileID, location: String, previous: String?) {
        self.profile = profile
        self.location = location
        self.previous = previous
    }
}

/// A server profile was deactivated; its mailboxes are no longer processed.
public struct ServerProfileDeactivated: Hashable, Sendable, Codable {
    public var profile: ProfileID
    public init(profile: ProfileID) { self.profile = profile }
}

/// A mailbox was created for a new user or queue, with the environment's
/// email settings of that moment applied.
public struct MailboxCreated: Hashable, Sendable, Codable {
    public var mailbox: MailboxID
    public var environment: EnvironmentID
    public var owner: MailboxOwner
    public var emailAddress: EmailAddress
    public var configuration: MailboxConfiguration
    public var approval: EmailApprovalStatus
    public init(mailbox: MailboxID, environment: EnvironmentID, owner: MailboxOwner, emailAddress: EmailAddress,
                configuration: MailboxConfiguration, approval: EmailApprovalStatus) {
        self.mailbox = mailbox
        self.environment = environment
        self.owner = owner
        self.emailAddress = emailAddress
        self.configuration = configuration
        self.approval = approval
    }
}

/// Why a mailbox's configuration changed.
public enum ConfigurationReason: String, Hashable, Sendable, Codable {
    /// Bulk edit of server profile and delivery methods.
    case edit
    /// Apply Default Email Settings.
    case applyDefaults = "apply-defaults"
}

/// A mailbox's server profile or delivery methods changed.
public struct MailboxConfigured: Hashable, Sendable, Codable {
    public var mailbox: MailboxID
    public var reason: ConfigurationReason
    public var before: MailboxConfiguration
    public var after: MailboxConfiguration
    public init(mailbox: MailboxID, reason: ConfigurationReason, before: MailboxConfiguration, after: MailboxConfiguration) {
        self.mailbox = mailbox
        self.reason = reason
        self.before = before
        self.after = after
    }
}

/// A mailbox's email address changed; its approval and status columns reset.
public struct MailboxEmailAddressChanged: Hashable, Sendable, Codable {
    public var mailbox: MailboxID
    public var previous: EmailAddress
    public var emailAddress: EmailAddress
    public var approvalBefore: EmailApprovalStatus
    public var approvalAfter: EmailApprovalStatus
    public init(mailbox: MailboxID, previous: EmailAddress, emailAddress: EmailAddress,
                approvalBefore: EmailApprovalStatus, approvalAfter: EmailApprovalStatus) {
        self.mailbox = mailbox
        self.previous = previous
        self.emailAddress = emailAddress
        self.approvalBefore = approvalBefore
        self.approvalAfter = approvalAfter
    }
}

/// How an email address came to be approved.
public enum ApprovalMethod: String, Hashable, Sendable, Codable {
    /// Approve Email in the app or CLI.
    case manual
    /// An external application through the SDK / Web API.
    case programmatic
    /// The mailbox's own user approved it (§5.3), with the privilege.
    case selfApproval = "self-approval"
    /// Test & Enable run by the mailbox's own user approved it (§5.3).
    case selfApprovalByTestAndEnable = "self-approval-by-test-and-enable"
}

/// A mailbox's email address was approved.
///
/// Schema history: v1 lacked `approvedByMicrosoft365Admin`; v1 data is upcast
/// with `false`, because before that column existed nothing recorded it.
public struct MailboxEmailApproved: Hashable, Sendable, Codable {
    public var mailbox: MailboxID
    public var emailAddress: EmailAddress
    public var approvedBy: UserPrincipalName
    public var method: ApprovalMethod
    public var previousStatus: EmailApprovalStatus
    /// `isemailaddressapprovedbyo365admin`: a Global or Exchange admin approved it.
    public var approvedByMicrosoft365Admin: Bool
    public init(mailbox: MailboxID, emailAddress: EmailAddress, approvedBy: UserPrincipalName, method: ApprovalMethod,
                previousStatus: EmailApprovalStatus, approvedByMicrosoft365Admin: Bool) {
        self.mailbox = mailbox
        self.emailAddress = emailAddress
        self.approvedBy = approvedBy
        self.method = method
        self.previousStatus = previousStatus
        self.approvedByMicrosoft365Admin = approvedByMicrosoft365Admin
    }

    /// The first shape of the event, still readable from old logs.
    struct Version1: Codable {
        var mailbox: MailboxID
        var emailAddress: EmailAddress
        var approvedBy: UserPrincipalName
        var method: ApprovalMethod
        var previousStatus: EmailApprovalStatus
    }

    init(upcasting v1: Version1) {
        self.init(mailbox: v1.mailbox, emailAddress: v1.emailAddress, approvedBy: v1.approvedBy, method: v1.method,
                  previousStatus: v1.previousStatus, approvedByMicrosoft365Admin: false)
    }
}

/// A mailbox's email address was rejected.
public struct MailboxEmailRejected: Hashable, Sendable, Codable {
    public var mailbox: MailboxID
    public var emailAddress: EmailAddress
    public var rejectedBy: UserPrincipalName
    public var previousStatus: EmailApprovalStatus
    public init(mailbox: MailboxID, emailAddress: EmailAddress, rejectedBy: UserPrincipalName, previousStatus: EmailApprovalStatus) {
        self.mailbox = mailbox
        self.emailAddress = emailAddress
        self.rejectedBy = rejectedBy
        self.previousStatus = previousStatus
    }
}

/// What started a mailbox test.
public enum TestTrigger: String, Hashable, Sendable, Codable {
    /// Test & Enable Mailbox on one or more mailboxes.
    case testAndEnable = "test-and-enable"
    /// Apply Default Email Settings, which tests afterwards.
    case applyDefaults = "apply-defaults"
    /// Test & Enable Mailboxes on a profile (a job).
    case profileJob = "profile-job"
    /// A scheduled retry after a transient failure.
    case retry
}

/// One value per synchronization channel.
public struct PerChannel<Value: Hashable & Sendable & Codable>: Hashable, Sendable, Codable {
    public var incoming: Value
    public var outgoing: Value
    public var appointmentsContactsTasks: Value

    public init(incoming: Value, outgoing: Value, appointmentsContactsTasks: Value) {
        self.incoming = incoming
        self.outgoing = outgoing
        self.appointmentsContactsTasks = appointmentsContactsTasks
    }

    /// `value` on every channel.
    public init(all value: Value) {
        self.init(incoming: value, outgoing: value, appointmentsContactsTasks: value)
    }

    /// The value of every channel when the three are equal, else `nil`.
    public var commonValue: Value? {
        incoming == outgoing && outgoing == appointmentsContactsTasks ? incoming : nil
    }

    public subscript(channel: Channel) -> Value {
        get {
            switch channel {
            case .incoming: incoming
            case .outgoing: outgoing
            case .appointmentsContactsTasks: appointmentsContactsTasks
            }
        }
        set {
            switch channel {
            case .incoming: incoming = newValue
            case .outgoing: outgoing = newValue
            case .appointmentsContactsTasks: appointmentsContactsTasks = newValue
            }
        }
    }
}

/// Per-channel enablement flags (`enabledforincomingemail`, `…outgoingemail`, `…act`).
public typealias ChannelFlags = PerChannel<Bool>

/// The three status columns of a mailbox.
public typealias ChannelStatuses = PerChannel<ChannelOutcome>

extension PerChannel where Value == Bool {
    /// Enabled for no channel.
    public static var none: ChannelFlags { ChannelFlags(incoming: false, outgoing: false, appointmentsContactsTasks: false) }
}

extension PerChannel where Value == ChannelOutcome {
    /// `Not Run` on every channel.
    public static var notRun: ChannelStatuses { ChannelStatuses(incoming: .notRun, outgoing: .notRun, appointmentsContactsTasks: .notRun) }
}

/// A mailbox was tested against (simulated) Exchange Online, with the outcome
/// the simulator gave at that instant. Replay reads this; it never asks again.
public struct MailboxTestCompleted: Hashable, Sendable, Codable {
    public var mailbox: MailboxID
    public var trigger: TestTrigger
    /// The profile job this test belongs to, if any.
    public var job: JobID?
    /// Who ran Test & Enable (`testandenablelastattemptedby`); the original
    /// requester for retries.
    public var requestedBy: UserPrincipalName
    /// The instant of the test (`testandenablelastattemptedon` / `testmailboxaccesscompletedon`).
    public var testedAt: Date
    /// The profile the mailbox used at the time.
    public var profile: ProfileID?
    /// Process email received after (the dialog's start date), if given.
    public var processEmailsFrom: Date?
    /// "Sync items with Exchange from this org only…" was chosen.
    public var syncThisOrgOnly: Bool
    /// Per channel: `Not Run` (method is not Server-Side Synchronization), `Success` or `Failure`.
    public var statuses: ChannelStatuses
    /// Enablement after the test.
    public var enabled: ChannelFlags
    /// 0 for the first test; 1…10 for scheduled retries.
    public var retryNumber: Int
    /// When the next retry is due, if a transient failure scheduled one.
    public var nextRetryAt: Date?
    /// Alerts raised by this outcome.
    public var alerts: [AlertNotice]
    public init(mailbox: MailboxID, trigger: TestTrigger, job: JobID?, requestedBy: UserPrincipalName, testedAt: Date,
                profile: ProfileID?, processEmailsFrom: Date?, syncThisOrgOnly: Bool, statuses: ChannelStatuses,
                enabled: ChannelFlags, retryNumber: Int, nextRetryAt: Date?, alerts: [AlertNotice]) {
        self.mailbox = mailbox
        self.trigger = trigger
        self.job = job
        self.requestedBy = requestedBy
        self.testedAt = testedAt
        self.profile = profile
        self.processEmailsFrom = processEmailsFrom
        self.syncThisOrgOnly = syncThisOrgOnly
        self.statuses = statuses
        self.enabled = enabled
        self.retryNumber = retryNumber
        self.nextRetryAt = nextRetryAt
        self.alerts = alerts
    }
}

/// A mailbox now exists in the tenant's (simulated) Exchange Online.
public struct ExchangeMailboxAdded: Hashable, Sendable, Codable {
    public var emailAddress: EmailAddress
    /// The Dynamics organization the Exchange mailbox currently syncs with.
    public var syncOrg: EnvironmentID?
    public init(emailAddress: EmailAddress, syncOrg: EnvironmentID?) {
        self.emailAddress = emailAddress
        self.syncOrg = syncOrg
    }
}

/// Exchange Online was (or will be) unavailable during a window.
public struct ExchangeOutageRecorded: Hashable, Sendable, Codable {
    public var from: Date
    public var until: Date
    public init(from: Date, until: Date) {
        self.from = from
        self.until = until
    }
}

/// The Dynamics organization an Exchange mailbox syncs with changed.
public struct ExchangeSyncOrgChanged: Hashable, Sendable, Codable {
    public var emailAddress: EmailAddress
    public var syncOrg: EnvironmentID
    public var previous: EnvironmentID?
    public init(emailAddress: EmailAddress, syncOrg: EnvironmentID, previous: EnvironmentID?) {
        self.emailAddress = emailAddress
        self.syncOrg = syncOrg
        self.previous = previous
    }
}

/// Test & Enable Mailboxes started on a profile.
public struct ProfileTestJobStarted: Hashable, Sendable, Codable {
    public var job: JobID
    public var profile: ProfileID
    public var mailboxes: [MailboxID]
    public var requestedBy: UserPrincipalName
    public init(job: JobID, profile: ProfileID, mailboxes: [MailboxID], requestedBy: UserPrincipalName) {
        self.job = job
        self.profile = profile
        self.mailboxes = mailboxes
        self.requestedBy = requestedBy
    }
}

/// Test & Enable Mailboxes on a profile finished.
public struct ProfileTestJobCompleted: Hashable, Sendable, Codable {
    public var job: JobID
    public var profile: ProfileID
    public var succeeded: Int
    public var failed: Int
    /// Mailboxes with a transient failure and a retry scheduled.
    public var retrying: Int
    public init(job: JobID, profile: ProfileID, succeeded: Int, failed: Int, retrying: Int) {
        self.job = job
        self.profile = profile
        self.succeeded = succeeded
        self.failed = failed
        self.retrying = retrying
    }
}

/// A command was refused; recorded so auditors see attempts as well as changes.
public struct CommandRefused: Hashable, Sendable, Codable {
    /// The command's name, e.g. `mailbox.approve`.
    public var command: String
    /// The object the command aimed at, if any.
    public var target: String?
    public var actor: String
    /// The roles the actor held when refused (directory and security roles).
    public var rolesHeld: [String]
    public var code: String
    public var category: RefusalCategory
    public var message: String
    public init(command: String, target: String?, actor: String, rolesHeld: [String], code: String, category: RefusalCategory, message: String) {
        self.command = command
        self.target = target
        self.actor = actor
        self.rolesHeld = rolesHeld
        self.code = code
        self.category = category
        self.message = message
    }
}
