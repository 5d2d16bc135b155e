/// Where Dynamics 365 customer engagement apps run.
public enum Deployment: String, Hashable, Sendable, Codable, CaseIterable {
    case online
    case onPremises = "on-premises"
}

/// The cloud region of an environment.
public enum Region: String, Hashable, Sendable, Codable, CaseIterable {
    case `default`
    /// Operated by 21Vianet.
    case china
}

/// The email server type of a profile, as the UI offers it.
public enum ServerType: String, Hashable, Sendable, Codable, CaseIterable {
    case exchangeOnline = "Exchange Online"
    case exchangeServer = "Exchange Server"
    case exchangeServerHybrid = "Exchange Server (Hybrid)"
    case exchangeOnlineHybrid = "Exchange Online (Hybrid)"
    case pop3SMTP = "Other (POP3/SMTP)"
    case imapSMTP = "IMAP/SMTP"

    /// The Exchange kind used by the permission matrix's rows.
    public var exchangeKind: ExchangeKind {
        switch self {
        case .exchangeOnline, .exchangeOnlineHybrid: .exchangeOnline
        case .exchangeServer, .exchangeServerHybrid: .exchangeOnPremises
        case .pop3SMTP, .imapSMTP: .notExchange
        }
    }
}

/// How the permission matrix classifies a mail server.
public enum ExchangeKind: String, Hashable, Sendable, Codable {
    case exchangeOnline = "Exchange Online"
    case exchangeOnPremises = "Exchange (on-premises)"
    case notExchange = "not Exchange"
}

/// Incoming email delivery method (`incomingemaildeliverymethod`).
public enum IncomingDelivery: String, Hashable, Sendable, Codable, CaseIterable {
    case none = "None"
    case outlook = "Microsoft Dynamics 365 for Outlook"
    case serverSideSync = "Server-Side Synchronization"
    case forwardMailbox = "Forward Mailbox"
}

/// Outgoing email delivery method (`outgoingemaildeliverymethod`).
public enum OutgoingDelivery: String, Hashable, Sendable, Codable, CaseIterable {
    case none = "None"
    case outlook = "Microsoft Dynamics 365 for Outlook"
    case serverSideSync = "Server-Side Synchronization"
}

/// Appointments, Contacts, and Tasks delivery method (`actdeliverymethod`).
public enum ACTDelivery: String, Hashable, Sendable, Codable, CaseIterable {
    case outlook = "Microsoft Dynamics 365 for Outlook"
    case serverSideSync = "Server-Side Synchronization"
    case none = "None"
}

/// A synchronization channel of a mailbox.
public enum Channel: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case incoming = "Incoming Email"
    case outgoing = "Outgoing Email"
    case appointmentsContactsTasks = "Appointments, Contacts, and Tasks"

    public static func < (a: Channel, b: Channel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A status column's value (`incomingemailstatus`, `outgoingemailstatus`, `actstatus`).
public enum ChannelStatus: String, Hashable, Sendable, Codable {
    case notRun = "Not Run"
    case success = "Success"
    case failure = "Failure"
}

/// Email Address Status (`emailrouteraccessapproval`).
public enum EmailApprovalStatus: String, Hashable, Sendable, Codable {
    case empty = "Empty"
    case approved = "Approved"
    case pendingApproval = "Pending Approval"
    case rejected = "Rejected"
}

/// Alert levels (`tracelog.level`).
public enum AlertLevel: String, Hashable, Sendable, Codable, Comparable, CaseIterable {
    case information = "Information"
    case warning = "Warning"
    case error = "Error"

    /// The `tracelog.level` value: 1, 2, 3.
    public var code: Int { switch self { case .information: 1; case .warning: 2; case .error: 3 } }
    public static func < (a: AlertLevel, b: AlertLevel) -> Bool { a.code < b.code }
}

/// Microsoft 365 (Entra) and Power Platform admin roles held in the tenant directory.
public enum AdminRole: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case globalAdmin = "Global admin"
    case exchangeAdmin = "Exchange admin"
    case serviceAdmin = "Service admin"

    public static func < (a: AdminRole, b: AdminRole) -> Bool { a.rawValue < b.rawValue }
}

/// The privileges of security roles that server-side synchronization cares about.
public enum Privilege: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// Approve Email Addresses for Users or Queues (`prvApproveRejectEmailAddress`).
    case approveEmailAddresses = "approve-email"
    /// Read on the Mailbox table.
    case mailboxRead = "mailbox-read"
    /// Write on the Mailbox table.
    case mailboxWrite = "mailbox-write"

    public static func < (a: Privilege, b: Privilege) -> Bool { a.rawValue < b.rawValue }
}

/// The depth of a privilege.
///
/// SyncLedger models one business unit per environment, so Business Unit and
/// deeper levels cover every mailbox of the environment; User level covers
/// only the holder's own mailbox.
public enum PrivilegeLevel: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case none
    case user
    case businessUnit = "business-unit"
    case parentChildBusinessUnit = "parent-child-business-unit"
    case organization

    public static func < (a: PrivilegeLevel, b: PrivilegeLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Where a command came from, as recorded in metadata and checked by the
/// rules on programmatic approval.
public enum CommandSource: String, Hashable, Sendable, Codable, CaseIterable {
    /// A person at the command line or the app.
    case cli
    /// An external application through the SDK / Web API.
    case api
    /// Code calling the library directly.
    case programmatic
    /// A Dataverse plug-in.
    case plugIn = "plug-in"
    /// A Dataverse workflow.
    case workflow
    /// SyncLedger itself (retries, jobs).
    case system
    /// A person through SyncLedger's HTTP API (`syncledger serve`), proven
    /// by a bearer token or the organisation's identity provider. Not an
    /// external application: the person chose the action, as at the CLI.
    case http

    /// Whether the request comes from code rather than a person: an external
    /// application (`api`) or code calling the library (`programmatic`).
    /// Both approve programmatically (§B7: the approval must come alone).
    public var isProgrammatic: Bool { self == .api || self == .programmatic }
}
