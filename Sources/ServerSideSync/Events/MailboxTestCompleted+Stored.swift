import Foundation

// MARK: The alerts' wording

extension MailboxTestCompleted {
    /// The code of the alert a fully successful test raises.
    public static let succeededCode = "MailboxTestSucceeded"

    /// The text of an alert this test raises, from the alert's code and level,
    /// the test's outcome and the mailbox's email address; `nil` when no
    /// template fits. The decision words its alerts with it, and stored events
    /// (v2) keep the code instead of the text and are worded with it again
    /// when read.
    ///
    /// - `Warning` / `ExchangeUnavailable`: the retry due (needs `nextRetryAt`);
    /// - `Error` / a ``TestFailure``: the channels that failure disabled (needs `address`);
    /// - `Information` / `MailboxTestSucceeded`: the channels tested (needs `address`).
    ///
    /// The wording is part of the stored form: an event stored without its
    /// text reads in the wording of the binary that reads it, so a changed
    /// template that must not change old events needs a new schema version.
    public func alertText(code: String, level: AlertLevel, address: EmailAddress?, maximumRetries: Int) -> String? {
        switch level {
        case .warning:
            let (next, overflow) = retryNumber.addingReportingOverflow(1)
            guard code == TestFailure.exchangeUnavailable.rawValue, let nextRetryAt, !overflow else { return nil }
            return "\(TestFailure.exchangeUnavailable.text) Retry \(next) of \(maximumRetries) is due at \(Timestamp.format(nextRetryAt))."
        case .error:
            guard let failure = TestFailure(rawValue: code), let address else { return nil }
            let disabled = Channel.allCases.filter { statuses[$0] == ChannelOutcome(status: .failure, errorCode: code, transient: false) }
            guard !disabled.isEmpty else { return nil }
            return "\(failure.text) Mailbox \(address) is disabled for: \(disabled.map(\.rawValue).joined(separator: ", "))."
        case .information:
            guard code == Self.succeededCode, let address else { return nil }
            let tested = Channel.allCases.filter { statuses[$0].status != .notRun }
            return "Mailbox \(address) passed Test & Enable and is enabled for \(tested.map(\.rawValue).joined(separator: ", "))."
        }
    }
}

// MARK: The stored forms, versions 2 and 3

extension MailboxTestCompleted {
    /// The retries the stored wording names ("Retry 2 of 10"): fixed with the
    /// stored form, whatever the retry rule becomes.
    static let storedMaximumRetries = 10

    /// The stored data, version 3 (written) or 2 (read, and written by tests).
    ///
    /// Version 2 is version 1 without what each alert repeats. An alert keeps
    /// its level, code and recipients; its `mailbox` and `profile` only when
    /// they differ from the test's (`null` for none); and instead of its text,
    /// nothing when ``alertText(code:level:address:maximumRetries:)`` words it
    /// from the test alone, the email address when it words it with one, or
    /// else the text itself.
    ///
    /// Version 3 also writes the outcome as texts (``CompactStatuses``,
    /// ``CompactFlags``) and leaves out the members that hold their usual
    /// value: `trigger` when it is `test-and-enable`, `syncThisOrgOnly` when
    /// false, `retryNumber` when 0. A missing member reads as that value.
    ///
    /// Either version reads back exactly the event that was written.
    struct Stored: Codable {
        var event: MailboxTestCompleted
        var version = 3

        init(_ event: MailboxTestCompleted, version: Int = 3) {
            self.event = event
            self.version = version
        }

        /// One per stored property of the event (a test checks the count, so a
        /// property added later cannot be left out of the stored form unseen).
        enum Key: String, CodingKey, CaseIterable {
            case mailbox, trigger, job, requestedBy, testedAt, profile, processEmailsFrom, syncThisOrgOnly, statuses, enabled, retryNumber,
                 nextRetryAt, alerts
        }

        func encode(to encoder: any Encoder) throws {
            let e = event, compact = version >= 3
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(e.mailbox, forKey: .mailbox)
            if !compact || e.trigger != .testAndEnable { try c.encode(e.trigger, forKey: .trigger) }
            try c.encodeIfPresent(e.job, forKey: .job)
            try c.encode(e.requestedBy, forKey: .requestedBy)
            try c.encode(e.testedAt, forKey: .testedAt)
            try c.encodeIfPresent(e.profile, forKey: .profile)
            try c.encodeIfPresent(e.processEmailsFrom, forKey: .processEmailsFrom)
            if !compact || e.syncThisOrgOnly { try c.encode(e.syncThisOrgOnly, forKey: .syncThisOrgOnly) }
            if compact {
                try c.encode(CompactStatuses(e.statuses), forKey: .statuses)
                try c.encode(CompactFlags(e.enabled), forKey: .enabled)
            } else {
                try c.encode(e.statuses, forKey: .statuses)
                try c.encode(e.enabled, forKey: .enabled)
            }
            if !compact || e.retryNumber != 0 { try c.encode(e.retryNumber, forKey: .retryNumber) }
            try c.encodeIfPresent(e.nextRetryAt, forKey: .nextRetryAt)
            try c.encode(e.alerts.map { StoredAlert($0, of: e) }, forKey: .alerts)
        }

        /// Reads version 3.
        init(from decoder: any Decoder) throws {
            try self.init(from: decoder, version: 3)
        }

        init(from decoder: any Decoder, version: Int) throws {
            let c = try decoder.container(keyedBy: Key.self)
            let compact = version >= 3
            func usual<T: Decodable>(_ key: Key, _ value: T) throws -> T {
                compact ? try c.decodeIfPresent(T.self, forKey: key) ?? value : try c.decode(T.self, forKey: key)
            }
            var e = MailboxTestCompleted(
                mailbox: try c.decode(MailboxID.self, forKey: .mailbox), trigger: try usual(.trigger, TestTrigger.testAndEnable),
                job: try c.decodeIfPresent(JobID.self, forKey: .job), requestedBy: try c.decode(UserPrincipalName.self, forKey: .requestedBy),
                testedAt: try c.decode(Date.self, forKey: .testedAt), profile: try c.decodeIfPresent(ProfileID.self, forKey: .profile),
                processEmailsFrom: try c.decodeIfPresent(Date.self, forKey: .processEmailsFrom),
                syncThisOrgOnly: try usual(.syncThisOrgOnly, false),
                statuses: compact ? try c.decode(CompactStatuses.self, forKey: .statuses).value : try c.decode(ChannelStatuses.self, forKey: .statuses),
                enabled: compact ? try c.decode(CompactFlags.self, forKey: .enabled).value : try c.decode(ChannelFlags.self, forKey: .enabled),
                retryNumber: try usual(.retryNumber, 0), nextRetryAt: try c.decodeIfPresent(Date.self, forKey: .nextRetryAt), alerts: [])
            let stored = try c.decode([StoredAlert].self, forKey: .alerts)
            e.alerts = try stored.map { alert in
                guard let notice = alert.notice(of: e) else {
                    throw DecodingError.dataCorruptedError(forKey: .alerts, in: c, debugDescription: "alert \(alert.code) has neither a text nor a template that words it")
                }
                return notice
            }
            event = e
            self.version = version
        }

        /// Version 2, for reading older events (and for tests, writing them).
        struct Version2: Codable {
            var event: MailboxTestCompleted
            init(_ event: MailboxTestCompleted) { self.event = event }
            init(from decoder: any Decoder) throws { event = try Stored(from: decoder, version: 2).event }
            func encode(to encoder: any Encoder) throws { try Stored(event, version: 2).encode(to: encoder) }
        }
    }

    /// A channel's key in the stored data, as in ``PerChannel``'s own coding.
    enum StoredChannel: String, CodingKey, CaseIterable {
        case incoming, outgoing, appointmentsContactsTasks

        var channel: Channel {
            switch self {
            case .incoming: .incoming
            case .outgoing: .outgoing
            case .appointmentsContactsTasks: .appointmentsContactsTasks
            }
        }
    }

    /// The three outcomes as version 3 stores them: one text when the three
    /// are equal (`"Success"`), else an object of three texts keyed by
    /// channel. An outcome's text is its status, then ` (transient)` when it
    /// is transient, then `:` and the error code when it has one:
    /// `"Failure:EmailAddressNotApproved"`, `"Failure (transient):ExchangeUnavailable"`.
    /// Statuses hold no colon, so the first colon ends the status.
    struct CompactStatuses: Codable {
        var value: ChannelStatuses

        init(_ value: ChannelStatuses) { self.value = value }

        func encode(to encoder: any Encoder) throws {
            if let all = value.commonValue {
                var c = encoder.singleValueContainer()
                try c.encode(all.storedText)
                return
            }
            var c = encoder.container(keyedBy: StoredChannel.self)
            for key in StoredChannel.allCases { try c.encode(value[key.channel].storedText, forKey: key) }
        }

        init(from decoder: any Decoder) throws {
            if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
                guard let outcome = ChannelOutcome(storedText: text) else {
                    throw DecodingError.dataCorruptedError(in: single, debugDescription: "not a channel outcome: \(text)")
                }
                value = ChannelStatuses(all: outcome)
                return
            }
            let c = try decoder.container(keyedBy: StoredChannel.self)
            func outcome(_ key: StoredChannel) throws -> ChannelOutcome {
                let text = try c.decode(String.self, forKey: key)
                guard let outcome = ChannelOutcome(storedText: text) else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a channel outcome: \(text)")
                }
                return outcome
            }
            value = ChannelStatuses(incoming: try outcome(.incoming), outgoing: try outcome(.outgoing),
                                    appointmentsContactsTasks: try outcome(.appointmentsContactsTasks))
        }
    }

    /// The enablement flags as version 3 stores them: `true` or `false` when
    /// the three are equal, else the array of the enabled channels' keys in
    /// channel order (`["incoming"]`). A key may appear once.
    struct CompactFlags: Codable {
        var value: ChannelFlags

        init(_ value: ChannelFlags) { self.value = value }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            if let all = value.commonValue {
                try c.encode(all)
            } else {
                try c.encode(StoredChannel.allCases.filter { value[$0.channel] }.map(\.rawValue))
            }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let all = try? c.decode(Bool.self) {
                value = ChannelFlags(all: all)
                return
            }
            guard let flags = ChannelFlags(storedKeys: try c.decode([String].self)) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a list of distinct channel keys")
            }
            value = flags
        }
    }

    /// One alert as versions 2 and 3 store it.
    struct StoredAlert: Codable {
        /// A member that is left out when it equals the test's.
        enum Member<Value> {
            case sameAsTest
            case value(Value?)
        }

        var level: AlertLevel
        var code: String
        var recipients: [UserPrincipalName]
        var mailbox: Member<MailboxID> = .sameAsTest
        var profile: Member<ProfileID> = .sameAsTest
        var address: EmailAddress?
        var text: String?

        init(level: AlertLevel, code: String, recipients: [UserPrincipalName]) {
            self.level = level
            self.code = code
            self.recipients = recipients
        }

        /// `alert` as stored within `test`.
        init(_ alert: AlertNotice, of test: MailboxTestCompleted) {
            self.init(level: alert.level, code: alert.code, recipients: alert.recipients)
            mailbox = alert.mailbox == test.mailbox ? .sameAsTest : .value(alert.mailbox)
            profile = alert.profile == test.profile ? .sameAsTest : .value(alert.profile)
            let words = { (address: EmailAddress?) in
                test.alertText(code: alert.code, level: alert.level, address: address, maximumRetries: MailboxTestCompleted.storedMaximumRetries)
            }
            if words(nil) == alert.text { return }
            // The address is what the text holds where a placeholder address would be.
            if let template = words(EmailAddress(rawValue: "\u{1}")), let hole = template.utf8.firstIndex(of: 1) {
                let prefix = template.utf8[..<hole], suffix = template.utf8[template.utf8.index(after: hole)...]
                let text = alert.text.utf8
                if text.count > prefix.count + suffix.count, text.starts(with: prefix), text.reversed().starts(with: suffix.reversed()) {
                    let candidate = EmailAddress(rawValue: String(decoding: text.dropFirst(prefix.count).dropLast(suffix.count), as: UTF8.self))
                    if words(candidate) == alert.text {
                        address = candidate
                        return
                    }
                }
            }
            self.text = alert.text
        }

        /// The alert within `test`, worded again unless its text was kept.
        func notice(of test: MailboxTestCompleted) -> AlertNotice? {
            guard let text = text ?? test.alertText(code: code, level: level, address: address,
                                                    maximumRetries: MailboxTestCompleted.storedMaximumRetries) else { return nil }
            let mailbox: MailboxID? = switch self.mailbox { case .sameAsTest: test.mailbox; case .value(let v): v }
            let profile: ProfileID? = switch self.profile { case .sameAsTest: test.profile; case .value(let v): v }
            return AlertNotice(level: level, code: code, text: text, mailbox: mailbox, profile: profile, recipients: recipients)
        }

        enum Key: String, CodingKey { case level, code, recipients, mailbox, profile, address, text }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(level, forKey: .level)
            try c.encode(code, forKey: .code)
            try c.encode(recipients, forKey: .recipients)
            if case .value(let v) = mailbox { try c.encode(v, forKey: .mailbox) }
            if case .value(let v) = profile { try c.encode(v, forKey: .profile) }
            try c.encodeIfPresent(address, forKey: .address)
            try c.encodeIfPresent(text, forKey: .text)
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            self.init(level: try c.decode(AlertLevel.self, forKey: .level), code: try c.decode(String.self, forKey: .code),
                      recipients: try c.decode([UserPrincipalName].self, forKey: .recipients))
            if c.contains(.mailbox) { mailbox = .value(try c.decodeNil(forKey: .mailbox) ? nil : try c.decode(MailboxID.self, forKey: .mailbox)) }
            if c.contains(.profile) { profile = .value(try c.decodeNil(forKey: .profile) ? nil : try c.decode(ProfileID.self, forKey: .profile)) }
            address = try c.decodeIfPresent(EmailAddress.self, forKey: .address)
            text = try c.decodeIfPresent(String.self, forKey: .text)
        }
    }
}

extension ChannelOutcome {
    /// What follows the status in the stored text of a transient outcome.
    static let transientMark = " (transient)"

    /// The outcome as version 3 of ``MailboxTestCompleted`` stores it
    /// (``MailboxTestCompleted/CompactStatuses``).
    var storedText: String {
        let head = transient ? status.rawValue + Self.transientMark : status.rawValue
        guard let errorCode else { return head }
        return "\(head):\(errorCode)"
    }

    /// The outcome stored as `text`; `nil` when the text before the first
    /// colon (or the whole text) is not a status, with or without the mark of
    /// a transient outcome.
    init?(storedText text: String) {
        let colon = text.firstIndex(of: ":")
        var head = text[..<(colon ?? text.endIndex)]
        let transient = head.hasSuffix(Self.transientMark)
        if transient { head = head.dropLast(Self.transientMark.count) }
        guard let status = ChannelStatus(rawValue: String(head)) else { return nil }
        self.init(status: status, errorCode: colon.map { String(text[text.index(after: $0)...]) }, transient: transient)
    }
}

extension PerChannel where Value == Bool {
    /// The flags whose channels' stored keys are `keys` (each at most once);
    /// `nil` for an unknown or repeated key.
    init?(storedKeys keys: [String]) {
        self = .none
        var seen: Set<String> = []
        for key in keys {
            guard let channel = MailboxTestCompleted.StoredChannel(rawValue: key)?.channel, seen.insert(key).inserted else { return nil }
            self[channel] = true
        }
    }
}
