import Foundation

// Per-type decoders for the events replays and rebuilds read most: a Test &
// Enable outcome is nine events in ten of a working ledger, and the mailbox
// and directory events make up most of the rest. Each reads the members
// `Codable` would, in any order, and gives up (``JSONReader/Unsupported``) on
// anything else; ``DomainEvent/decode(type:schemaVersion:json:)`` then asks
// `JSONDecoder`. `EventDecoderTests` checks every type against `Codable`.

private typealias R = JSONReader

extension DomainEvent {
    /// Decodes stored data given as text. The frequent types go through their
    /// per-type decoders; the others, and any text such a decoder does not
    /// take, through `Codable` (``decode(type:schemaVersion:data:using:)``),
    /// so the result and the errors are always `Codable`'s.
    public static func decode(type: String, schemaVersion: Int, json: String) throws -> DomainEvent {
        if let event = try? JSONReader.read(json, { try fastDecode(type: type, schemaVersion: schemaVersion, &$0) }) { return event }
        return try decode(type: type, schemaVersion: schemaVersion, data: Data(json.utf8))
    }

    /// The per-type decoders; throws ``JSONReader/Unsupported`` for a type without one.
    static func fastDecode(type: String, schemaVersion: Int, _ r: inout JSONReader) throws -> DomainEvent {
        switch (type, schemaVersion) {
        case ("MailboxTestCompleted", 1): .mailboxTestCompleted(try MailboxTestCompleted(json: &r, version: 1))
        case ("MailboxTestCompleted", 2): .mailboxTestCompleted(try MailboxTestCompleted(json: &r, version: 2))
        case ("MailboxTestCompleted", 3): .mailboxTestCompleted(try MailboxTestCompleted(json: &r, version: 3))
        case ("MailboxCreated", 1): .mailboxCreated(try MailboxCreated(json: &r))
        case ("MailboxConfigured", 1): .mailboxConfigured(try MailboxConfigured(json: &r))
        case ("MailboxEmailApproved", 2): .mailboxEmailApproved(try MailboxEmailApproved(json: &r))
        case ("UserAdded", 1): .userAdded(try UserAdded(json: &r))
        case ("UserJoinedEnvironment", 1): .userJoinedEnvironment(try UserJoinedEnvironment(json: &r))
        case ("ExchangeMailboxAdded", 1): .exchangeMailboxAdded(try ExchangeMailboxAdded(json: &r))
        case ("ExchangeSyncOrgChanged", 1): .exchangeSyncOrgChanged(try ExchangeSyncOrgChanged(json: &r))
        default: throw JSONReader.Unsupported()
        }
    }
}

extension MailboxTestCompleted {
    /// Version 1 stores each alert whole; versions 2 and 3 as ``StoredAlert``,
    /// worded once the test is read. Version 3 stores the outcome compactly
    /// and leaves out members that hold their usual value (``Stored``).
    init(json r: inout JSONReader, version: Int) throws {
        var mailbox: MailboxID?, trigger: TestTrigger?, job: JobID??, requestedBy: UserPrincipalName?, testedAt: Date?
        var profile: ProfileID??, processEmailsFrom: Date??, syncThisOrgOnly: Bool?, statuses: ChannelStatuses?
        var enabled: ChannelFlags?, retryNumber: Int?, nextRetryAt: Date??, alerts: [AlertNotice]?, stored: [StoredAlert]?
        try r.object { key, r in
            switch key {
            case "mailbox": try R.assign(&mailbox, r.value())
            case "trigger": try R.assign(&trigger, r.value())
            case "job": try R.assign(&job, r.optional { try $0.value() })
            case "requestedBy": try R.assign(&requestedBy, r.value())
            case "testedAt": try R.assign(&testedAt, r.date())
            case "profile": try R.assign(&profile, r.optional { try $0.value() })
            case "processEmailsFrom": try R.assign(&processEmailsFrom, r.optional { try $0.date() })
            case "syncThisOrgOnly": try R.assign(&syncThisOrgOnly, r.bool())
            case "statuses" where version >= 3: try R.assign(&statuses, ChannelStatuses(compactJSON: &r))
            case "statuses": try R.assign(&statuses, ChannelStatuses(json: &r) { try ChannelOutcome(json: &$0) })
            case "enabled" where version >= 3: try R.assign(&enabled, ChannelFlags(compactJSON: &r))
            case "enabled": try R.assign(&enabled, ChannelFlags(json: &r) { try $0.bool() })
            case "retryNumber": try R.assign(&retryNumber, r.int())
            case "nextRetryAt": try R.assign(&nextRetryAt, r.optional { try $0.date() })
            case "alerts" where version == 1: try R.assign(&alerts, r.array { try AlertNotice(json: &$0) })
            case "alerts": try R.assign(&stored, r.array { try StoredAlert(json: &$0) })
            default: throw R.Unsupported()
            }
        }
        if version != 1 { alerts = [] }
        if version >= 3 {
            trigger = trigger ?? .testAndEnable
            syncThisOrgOnly = syncThisOrgOnly ?? false
            retryNumber = retryNumber ?? 0
        }
        self.init(mailbox: try R.required(mailbox), trigger: try R.required(trigger), job: job ?? nil,
                  requestedBy: try R.required(requestedBy), testedAt: try R.required(testedAt), profile: profile ?? nil,
                  processEmailsFrom: processEmailsFrom ?? nil, syncThisOrgOnly: try R.required(syncThisOrgOnly),
                  statuses: try R.required(statuses), enabled: try R.required(enabled), retryNumber: try R.required(retryNumber),
                  nextRetryAt: nextRetryAt ?? nil, alerts: try R.required(alerts))
        if version != 1 {
            self.alerts = try R.required(stored).map { alert in
                guard let notice = alert.notice(of: self) else { throw R.Unsupported() }
                return notice
            }
        }
    }
}

extension MailboxTestCompleted.StoredAlert {
    init(json r: inout JSONReader) throws {
        var level: AlertLevel?, code: String?, recipients: [UserPrincipalName]?, mailbox: MailboxID??, profile: ProfileID??
        var address: EmailAddress?, text: String?
        try r.object { key, r in
            switch key {
            case "level": try R.assign(&level, r.value())
            case "code": try R.assign(&code, r.string())
            case "recipients": try R.assign(&recipients, r.array { try $0.value() })
            case "mailbox": try R.assign(&mailbox, r.optional { try $0.value() })
            case "profile": try R.assign(&profile, r.optional { try $0.value() })
            case "address": try R.assign(&address, r.value())
            case "text": try R.assign(&text, r.string())
            default: throw R.Unsupported()
            }
        }
        self.init(level: try R.required(level), code: try R.required(code), recipients: try R.required(recipients))
        if let mailbox { self.mailbox = .value(mailbox) }
        if let profile { self.profile = .value(profile) }
        self.address = address
        self.text = text
    }
}

extension PerChannel {
    init(json r: inout JSONReader, _ value: (inout JSONReader) throws -> Value) throws {
        var incoming: Value?, outgoing: Value?, act: Value?
        try r.object { key, r in
            switch key {
            case "incoming": try R.assign(&incoming, value(&r))
            case "outgoing": try R.assign(&outgoing, value(&r))
            case "appointmentsContactsTasks": try R.assign(&act, value(&r))
            default: throw R.Unsupported()
            }
        }
        self.init(incoming: try R.required(incoming), outgoing: try R.required(outgoing), appointmentsContactsTasks: try R.required(act))
    }
}

extension PerChannel where Value == ChannelOutcome {
    /// Version 3's ``MailboxTestCompleted/CompactStatuses``.
    init(compactJSON r: inout JSONReader) throws {
        func outcome(_ r: inout JSONReader) throws -> ChannelOutcome {
            guard let outcome = ChannelOutcome(storedText: try r.string()) else { throw R.Unsupported() }
            return outcome
        }
        if r.nextIsString {
            self.init(all: try outcome(&r))
        } else {
            try self.init(json: &r, outcome)
        }
    }
}

extension PerChannel where Value == Bool {
    /// Version 3's ``MailboxTestCompleted/CompactFlags``.
    init(compactJSON r: inout JSONReader) throws {
        if r.nextIsArray {
            guard let flags = ChannelFlags(storedKeys: try r.array { try $0.string() }) else { throw R.Unsupported() }
            self = flags
        } else {
            self.init(all: try r.bool())
        }
    }
}

extension ChannelOutcome {
    init(json r: inout JSONReader) throws {
        var status: ChannelStatus?, errorCode: String??, transient: Bool?
        try r.object { key, r in
            switch key {
            case "status": try R.assign(&status, r.value())
            case "errorCode": try R.assign(&errorCode, r.optional { try $0.string() })
            case "transient": try R.assign(&transient, r.bool())
            default: throw R.Unsupported()
            }
        }
        self.init(status: try R.required(status), errorCode: errorCode ?? nil, transient: try R.required(transient))
    }
}

extension AlertNotice {
    init(json r: inout JSONReader) throws {
        var level: AlertLevel?, code: String?, text: String?, mailbox: MailboxID??, profile: ProfileID??, recipients: [UserPrincipalName]?
        try r.object { key, r in
            switch key {
            case "level": try R.assign(&level, r.value())
            case "code": try R.assign(&code, r.string())
            case "text": try R.assign(&text, r.string())
            case "mailbox": try R.assign(&mailbox, r.optional { try $0.value() })
            case "profile": try R.assign(&profile, r.optional { try $0.value() })
            case "recipients": try R.assign(&recipients, r.array { try $0.value() })
            default: throw R.Unsupported()
            }
        }
        self.init(level: try R.required(level), code: try R.required(code), text: try R.required(text), mailbox: mailbox ?? nil,
                  profile: profile ?? nil, recipients: try R.required(recipients))
    }
}

extension MailboxConfiguration {
    init(json r: inout JSONReader) throws {
        var profile: ProfileID??, incoming: IncomingDelivery?, outgoing: OutgoingDelivery?, act: ACTDelivery?
        try r.object { key, r in
            switch key {
            case "profile": try R.assign(&profile, r.optional { try $0.value() })
            case "incoming": try R.assign(&incoming, r.value())
            case "outgoing": try R.assign(&outgoing, r.value())
            case "appointmentsContactsTasks": try R.assign(&act, r.value())
            default: throw R.Unsupported()
            }
        }
        self.init(profile: profile ?? nil, incoming: try R.required(incoming), outgoing: try R.required(outgoing),
                  appointmentsContactsTasks: try R.required(act))
    }
}

extension MailboxCreated {
    init(json r: inout JSONReader) throws {
        var mailbox: MailboxID?, environment: EnvironmentID?, owner: MailboxOwner?, emailAddress: EmailAddress?
        var configuration: MailboxConfiguration?, approval: EmailApprovalStatus?
        try r.object { key, r in
            switch key {
            case "mailbox": try R.assign(&mailbox, r.value())
            case "environment": try R.assign(&environment, r.value())
            case "owner":
                guard let parsed = MailboxOwner(try r.string()) else { throw R.Unsupported() }
                try R.assign(&owner, parsed)
            case "emailAddress": try R.assign(&emailAddress, r.value())
            case "configuration": try R.assign(&configuration, MailboxConfiguration(json: &r))
            case "approval": try R.assign(&approval, r.value())
            default: throw R.Unsupported()
            }
        }
        self.init(mailbox: try R.required(mailbox), environment: try R.required(environment), owner: try R.required(owner),
                  emailAddress: try R.required(emailAddress), configuration: try R.required(configuration), approval: try R.required(approval))
    }
}

extension MailboxConfigured {
    init(json r: inout JSONReader) throws {
        var mailbox: MailboxID?, reason: ConfigurationReason?, before: MailboxConfiguration?, after: MailboxConfiguration?
        try r.object { key, r in
            switch key {
            case "mailbox": try R.assign(&mailbox, r.value())
            case "reason": try R.assign(&reason, r.value())
            case "before": try R.assign(&before, MailboxConfiguration(json: &r))
            case "after": try R.assign(&after, MailboxConfiguration(json: &r))
            default: throw R.Unsupported()
            }
        }
        self.init(mailbox: try R.required(mailbox), reason: try R.required(reason), before: try R.required(before), after: try R.required(after))
    }
}

extension MailboxEmailApproved {
    init(json r: inout JSONReader) throws {
        var mailbox: MailboxID?, emailAddress: EmailAddress?, approvedBy: UserPrincipalName?, method: ApprovalMethod?
        var previousStatus: EmailApprovalStatus?, byAdmin: Bool?
        try r.object { key, r in
            switch key {
            case "mailbox": try R.assign(&mailbox, r.value())
            case "emailAddress": try R.assign(&emailAddress, r.value())
            case "approvedBy": try R.assign(&approvedBy, r.value())
            case "method": try R.assign(&method, r.value())
            case "previousStatus": try R.assign(&previousStatus, r.value())
            case "approvedByMicrosoft365Admin": try R.assign(&byAdmin, r.bool())
            default: throw R.Unsupported()
            }
        }
        self.init(mailbox: try R.required(mailbox), emailAddress: try R.required(emailAddress), approvedBy: try R.required(approvedBy),
                  method: try R.required(method), previousStatus: try R.required(previousStatus),
                  approvedByMicrosoft365Admin: try R.required(byAdmin))
    }
}

extension UserAdded {
    init(json r: inout JSONReader) throws {
        var user: UserPrincipalName?, displayName: String?
        try r.object { key, r in
            switch key {
            case "user": try R.assign(&user, r.value())
            case "displayName": try R.assign(&displayName, r.string())
            default: throw R.Unsupported()
            }
        }
        self.init(user: try R.required(user), displayName: try R.required(displayName))
    }
}

extension UserJoinedEnvironment {
    init(json r: inout JSONReader) throws {
        var environment: EnvironmentID?, user: UserPrincipalName?
        try r.object { key, r in
            switch key {
            case "environment": try R.assign(&environment, r.value())
            case "user": try R.assign(&user, r.value())
            default: throw R.Unsupported()
            }
        }
        self.init(environment: try R.required(environment), user: try R.required(user))
    }
}

extension ExchangeMailboxAdded {
    init(json r: inout JSONReader) throws {
        var emailAddress: EmailAddress?, syncOrg: EnvironmentID??
        try r.object { key, r in
            switch key {
            case "emailAddress": try R.assign(&emailAddress, r.value())
            case "syncOrg": try R.assign(&syncOrg, r.optional { try $0.value() })
            default: throw R.Unsupported()
            }
        }
        self.init(emailAddress: try R.required(emailAddress), syncOrg: syncOrg ?? nil)
    }
}

extension ExchangeSyncOrgChanged {
    init(json r: inout JSONReader) throws {
        var emailAddress: EmailAddress?, syncOrg: EnvironmentID?, previous: EnvironmentID??
        try r.object { key, r in
            switch key {
            case "emailAddress": try R.assign(&emailAddress, r.value())
            case "syncOrg": try R.assign(&syncOrg, r.value())
            case "previous": try R.assign(&previous, r.optional { try $0.value() })
            default: throw R.Unsupported()
            }
        }
        self.init(emailAddress: try R.required(emailAddress), syncOrg: try R.required(syncOrg), previous: previous ?? nil)
    }
}
