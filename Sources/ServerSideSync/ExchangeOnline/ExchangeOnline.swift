import Foundation

/// Why a channel's test failed, with SyncLedger's stable code.
public enum TestFailure: String, Hashable, Sendable, Codable, CaseIterable {
    case mailboxInactiveOrNoProfile = "MailboxInactiveOrNoProfile"
    case emailAddressNotApproved = "EmailAddressNotApproved"
    case chinaExchangeNotConfigured = "ChinaExchangeNotConfigured"
    case mailboxLocationUndetermined = "MailboxLocationUndetermined"
    case exchangeUnavailable = "ExchangeUnavailable"
    case mailboxSyncsWithAnotherOrg = "MailboxSyncsWithAnotherOrg"
    /// Appointments, contacts and tasks through a POP3 or IMAP server, which
    /// carries no calendars, contacts or tasks.
    case actNotSupportedByServerType = "ACTNotSupportedByServerType"
    /// A transient failure that persisted through every retry.
    case retriesExhausted = "RetriesExhausted"

    /// Whether the failure may heal by itself (and is retried).
    public var isTransient: Bool { self == .exchangeUnavailable }

    /// A sentence for alerts and messages.
    public var text: String {
        switch self {
        case .mailboxInactiveOrNoProfile:
            "The mailbox is inactive or has no active email server profile, so it cannot be processed."
        case .emailAddressNotApproved:
            "The email address requires approval by a Microsoft 365 administrator. Approve it, then run Test & Enable again."
        case .chinaExchangeNotConfigured:
            "This China (21Vianet) organization cannot reach Exchange Online: ask 21Vianet to enable access if it was provisioned before 17 October 2020, and point the profile at https://partner.outlook.cn/EWS/Exchange.asmx."
        case .mailboxLocationUndetermined:
            "The mailbox location could not be determined: no such mailbox exists in the tenant's Exchange Online."
        case .exchangeUnavailable:
            "Exchange Online could not be reached. The test will be retried in 5 minutes."
        case .mailboxSyncsWithAnotherOrg:
            "Appointments, contacts, and tasks cannot sync because the mailbox is configured to sync with another organization. Choose \"Sync items with Exchange from this org only\" or set the method to None in the other organization."
        case .actNotSupportedByServerType:
            "Appointments, contacts, and tasks cannot synchronise through a POP3 or IMAP server. Set the mailbox's ACT method to None or Outlook, or use an Exchange profile."
        case .retriesExhausted:
            "Exchange Online stayed unreachable through 10 retries; the failure is now treated as permanent and the mailbox is disabled."
        }
    }
}

/// The answer of Exchange Online to a test of one mailbox.
public struct ExchangeAnswer: Hashable, Sendable {
    /// Per tested channel, `nil` for success or the failure.
    public var failures: [Channel: TestFailure]
    /// The Exchange mailbox now syncs with this organization (the test claimed it).
    public var claimedSyncOrg: Bool

    public init(failures: [Channel: TestFailure], claimedSyncOrg: Bool) {
        self.failures = failures
        self.claimedSyncOrg = claimedSyncOrg
    }
}

/// What SyncLedger asks of Exchange Online when testing a mailbox. The
/// simulator answers from recorded facts; a real connector could answer too,
/// and either way the answer is recorded in the event, never asked again on replay.
public protocol ExchangeOnline: Sendable {
    /// Tests `channels` of `mailbox` at `instant`.
    ///
    /// - Parameters:
    ///   - approved: Whether the address counts as approved, after any
    ///     self-approval the same command performs.
    func test(_ mailbox: MailboxState, channels: [Channel], approved: Bool, syncThisOrgOnly: Bool,
              state: SyncState, at instant: Date) -> ExchangeAnswer
}

/// The deterministic simulated Exchange Online: decides each test from the
/// recorded state and Exchange facts, by these rules in order (first match wins):
///
/// 1. the mailbox has no profile, or its profile is inactive → permanent failure;
/// 2. approval is required for its kind and the address is not approved → permanent;
/// 3. China region: provisioned before 2020-10-17 and not enabled by 21Vianet,
///    or the profile's endpoint is not `https://partner.outlook.cn/EWS/Exchange.asmx` → permanent;
/// 4. the address does not exist in the tenant's Exchange Online → permanent;
/// 5. an outage covers the instant → transient;
/// 6. appointments, contacts and tasks only: the profile is POP3/IMAP (no
///    calendars, contacts or tasks there) → permanent; or the Exchange mailbox
///    syncs with another organization and "sync with this org only" was not
///    chosen → permanent;
/// 7. otherwise success. A successful ACT test whose Exchange mailbox synced
///    with no organization or (by choice) another one claims it for this one.
public struct SimulatedExchangeOnline: ExchangeOnline {
    /// The EWS endpoint China organizations must use.
    public static let chinaEndpoint = "https://partner.outlook.cn/EWS/Exchange.asmx"

    public init() {}

    public func test(_ mailbox: MailboxState, channels: [Channel], approved: Bool, syncThisOrgOnly: Bool,
                     state: SyncState, at instant: Date) -> ExchangeAnswer {
        func all(_ failure: TestFailure) -> ExchangeAnswer {
            ExchangeAnswer(failures: Dictionary(uniqueKeysWithValues: channels.map { ($0, failure) }), claimedSyncOrg: false)
        }
        guard let env = state.environments[mailbox.environment],
              let profileID = mailbox.configuration.profile, let profile = state.profiles[profileID], profile.isActive else {
            return all(.mailboxInactiveOrNoProfile)
        }
        if env.settings.requiresApproval(for: mailbox.owner) && !approved { return all(.emailAddressNotApproved) }
        if env.region == .china {
            let needsVianet = env.provisionedOn < EnvironmentState.chinaCutoff && !env.chinaExchangeAccessEnabled
            if needsVianet || profile.settings.serverLocation != Self.chinaEndpoint { return all(.chinaExchangeNotConfigured) }
        }
        guard let syncOrg = state.exchange.mailboxes[mailbox.emailAddress] else { return all(.mailboxLocationUndetermined) }
        if state.exchange.isUnavailable(at: instant) { return all(.exchangeUnavailable) }
        var failures: [Channel: TestFailure] = [:]
        var claimed = false
        if channels.contains(.appointmentsContactsTasks) {
            if profile.settings.serverType.exchangeKind == .notExchange {
                failures[.appointmentsContactsTasks] = .actNotSupportedByServerType
            } else if let other = syncOrg, other != mailbox.environment, !syncThisOrgOnly {
                failures[.appointmentsContactsTasks] = .mailboxSyncsWithAnotherOrg
            } else if syncOrg != mailbox.environment {
                claimed = true
            }
        }
        return ExchangeAnswer(failures: failures, claimedSyncOrg: claimed)
    }
}
