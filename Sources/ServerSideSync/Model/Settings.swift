import Foundation

/// An environment's email settings (PPAC > Settings > Email > Email settings),
/// applied to mailboxes created afterwards.
///
/// Defaults: the methods the documentation recommends (Server-Side
/// Synchronization for all three), "Process emails only for approved users"
/// and "… queues" On (the UI default), and `RequirePrivilegeToSelfApproveEmailAddress`
/// off (the OrgDBOrgSettings default). The default profile is kept by the
/// environment, not here, because it changes through its own command.
public struct EmailSettings: Hashable, Sendable, Codable {
    public var incoming: IncomingDelivery = .serverSideSync
    public var outgoing: OutgoingDelivery = .serverSideSync
    public var appointmentsContactsTasks: ACTDelivery = .serverSideSync
    /// "Process emails only for approved users" (`requireapprovalforuseremail`).
    public var processEmailsOnlyForApprovedUsers = true
    /// "Process emails only for approved queues" (`requireapprovalforqueueemail`).
    public var processEmailsOnlyForApprovedQueues = true
    /// OrgDBOrgSetting `RequirePrivilegeToSelfApproveEmailAddress`.
    public var requirePrivilegeToSelfApprove = false

    public init() {}

    /// Whether approval is required for a mailbox of `owner`'s kind.
    public func requiresApproval(for owner: MailboxOwner) -> Bool {
        owner.isQueue ? processEmailsOnlyForApprovedQueues : processEmailsOnlyForApprovedUsers
    }
}

/// A change to some email settings; `nil` fields stay as they are.
public struct EmailSettingsChange: Hashable, Sendable, Codable {
    public var incoming: IncomingDelivery?
    public var outgoing: OutgoingDelivery?
    public var appointmentsContactsTasks: ACTDelivery?
    public var processEmailsOnlyForApprovedUsers: Bool?
    public var processEmailsOnlyForApprovedQueues: Bool?
    public var requirePrivilegeToSelfApprove: Bool?

    public init(incoming: IncomingDelivery? = nil, outgoing: OutgoingDelivery? = nil, appointmentsContactsTasks: ACTDelivery? = nil,
                processEmailsOnlyForApprovedUsers: Bool? = nil, processEmailsOnlyForApprovedQueues: Bool? = nil,
                requirePrivilegeToSelfApprove: Bool? = nil) {
        self.incoming = incoming
        self.outgoing = outgoing
        self.appointmentsContactsTasks = appointmentsContactsTasks
        self.processEmailsOnlyForApprovedUsers = processEmailsOnlyForApprovedUsers
        self.processEmailsOnlyForApprovedQueues = processEmailsOnlyForApprovedQueues
        self.requirePrivilegeToSelfApprove = requirePrivilegeToSelfApprove
    }

    /// `settings` with this change applied.
    public func applied(to settings: EmailSettings) -> EmailSettings {
        var result = settings
        if let incoming { result.incoming = incoming }
        if let outgoing { result.outgoing = outgoing }
        if let appointmentsContactsTasks { result.appointmentsContactsTasks = appointmentsContactsTasks }
        if let processEmailsOnlyForApprovedUsers { result.processEmailsOnlyForApprovedUsers = processEmailsOnlyForApprovedUsers }
        if let processEmailsOnlyForApprovedQueues { result.processEmailsOnlyForApprovedQueues = processEmailsOnlyForApprovedQueues }
        if let requirePrivilegeToSelfApprove { result.requirePrivilegeToSelfApprove = requirePrivilegeToSelfApprove }
        return result
    }
}

/// How a profile authenticates to its mail server.
///
/// Secrets never enter the domain or the log. A command carries, in the
/// `…Fingerprint` fields (named so by the first event schema), a marker the
/// caller makes afresh each time a secret is set — random, never derived from
/// the secret — so auditors see that and when a secret was set or rotated and
/// nobody can test guesses against it. Ledgers written before this rule may
/// hold salted SHA-256 prefixes there; those stay in the log, which is
/// append-only.
public enum Authentication: Hashable, Sendable, Codable {
    /// Server-to-Server Authentication (Same Tenant).
    case serverToServer
    /// OAuth (Cross Tenant): the Exchange tenant's ids and a client secret.
    case oauthCrossTenant(tenantID: String, applicationID: String, clientSecretFingerprint: String)
    /// Credentials specified in the profile (not supported for Exchange Online).
    case credentialsInProfile(userName: String, passwordFingerprint: String)
    /// Credentials specified by each user or queue (not supported for Exchange Online).
    case credentialsByUserOrQueue

    /// A short label for tables and messages.
    public var label: String {
        switch self {
        case .serverToServer: "Server-to-Server Authentication (Same Tenant)"
        case .oauthCrossTenant: "OAuth (Cross Tenant)"
        case .credentialsInProfile: "Credentials Specified in Email Server Profile"
        case .credentialsByUserOrQueue: "Credentials Specified by a User or Queue"
        }
    }

    /// Whether the profile reaches Exchange in another tenant.
    public var isCrossTenant: Bool { if case .oauthCrossTenant = self { true } else { false } }
}

/// The Advanced section of a server profile, with the documented ranges.
public struct ProfileOptions: Hashable, Sendable, Codable {
    /// Process Email From: mail received after this instant is processed.
    public var processEmailsReceivedAfter: Date?
    /// Minimum Polling Intervals in Minutes, 0–1440 (the default is not
    /// documented; SyncLedger uses 0).
    public var minPollingIntervalMinutes = 0
    /// Maximum Concurrent Connections, 1–300, default 10.
    public var maxConcurrentConnections = 10
    /// Move Failed Emails to Undeliverable Folder, default No.
    public var moveFailedEmailsToUndeliverableFolder = false
    /// Send an alert email to the profile owner on major events, default No.
    public var sendAlertEmailToOwner = false
    /// Whether a single mailbox connection can time out, default Yes.
    public var timeoutMailboxConnection = true
    /// Timeout of a single mailbox connection in milliseconds, 0–100000
    /// (default not documented; SyncLedger uses 100000, the upper limit).
    public var timeoutMailboxConnectionAfterMilliseconds = 100_000
    /// Auto Discover Server Location; must stay Yes for Exchange Online.
    public var useAutoDiscover = true

    public init() {}

    /// The first option outside its documented range, as a message.
    public var rangeViolation: String? {
        if !(0...1440).contains(minPollingIntervalMinutes) { return "Minimum Polling Intervals in Minutes must be 0–1440, not \(minPollingIntervalMinutes)" }
        if !(1...300).contains(maxConcurrentConnections) { return "Maximum Concurrent Connections must be 1–300, not \(maxConcurrentConnections)" }
        if !(0...100_000).contains(timeoutMailboxConnectionAfterMilliseconds) {
            return "the mailbox connection timeout must be 0–100000 milliseconds, not \(timeoutMailboxConnectionAfterMilliseconds)"
        }
        return nil
    }
}

/// Everything about a server profile that its owner can set.
public struct ProfileSettings: Hashable, Sendable, Codable {
    /// Name, required, at most 100 characters.
    public var name: String
    public var serverType: ServerType
    public var authentication: Authentication
    /// The profile owner, who receives profile-level alerts.
    public var owner: UserPrincipalName
    public var options: ProfileOptions
    /// `defaultserverlocation`: the EWS endpoint (set for China through the SDK).
    public var serverLocation: String?

    public init(name: String, serverType: ServerType, authentication: Authentication, owner: UserPrincipalName,
                options: ProfileOptions = ProfileOptions(), serverLocation: String? = nil) {
        self.name = name
        self.serverType = serverType
        self.authentication = authentication
        self.owner = owner
        self.options = options
        self.serverLocation = serverLocation
    }
}

/// A mailbox's synchronization configuration: its profile and delivery methods.
public struct MailboxConfiguration: Hashable, Sendable, Codable {
    public var profile: ProfileID?
    public var incoming: IncomingDelivery
    public var outgoing: OutgoingDelivery
    public var appointmentsContactsTasks: ACTDelivery

    public init(profile: ProfileID?, incoming: IncomingDelivery, outgoing: OutgoingDelivery, appointmentsContactsTasks: ACTDelivery) {
        self.profile = profile
        self.incoming = incoming
        self.outgoing = outgoing
        self.appointmentsContactsTasks = appointmentsContactsTasks
    }

    /// The channels whose method is Server-Side Synchronization, in order.
    public var serverSideSyncChannels: [Channel] {
        var channels: [Channel] = []
        if incoming == .serverSideSync { channels.append(.incoming) }
        if outgoing == .serverSideSync { channels.append(.outgoing) }
        if appointmentsContactsTasks == .serverSideSync { channels.append(.appointmentsContactsTasks) }
        return channels
    }
}

/// The outcome of testing one channel.
public struct ChannelOutcome: Hashable, Sendable, Codable {
    public var status: ChannelStatus
    /// SyncLedger's stable failure code (see ``TestFailure``), `nil` on success.
    public var errorCode: String?
    /// Whether the failure is transient (will be retried) rather than permanent.
    public var transient: Bool

    public init(status: ChannelStatus, errorCode: String? = nil, transient: Bool = false) {
        self.status = status
        self.errorCode = errorCode
        self.transient = transient
    }

    public static let success = ChannelOutcome(status: .success)
    public static let notRun = ChannelOutcome(status: .notRun)
}

/// An alert raised on an Alerts wall (`tracelog`).
public struct AlertNotice: Hashable, Sendable, Codable {
    public var level: AlertLevel
    /// SyncLedger's stable code; the same code for the same mailbox is one alert
    /// whose count grows (DOMAIN B12).
    public var code: String
    public var text: String
    public var mailbox: MailboxID?
    public var profile: ProfileID?
    /// Users whose personal Alerts wall shows it (profile owner, mailbox owner).
    public var recipients: [UserPrincipalName]

    public init(level: AlertLevel, code: String, text: String, mailbox: MailboxID?, profile: ProfileID?, recipients: [UserPrincipalName]) {
        self.level = level
        self.code = code
        self.text = text
        self.mailbox = mailbox
        self.profile = profile
        self.recipients = recipients
    }
}
