import Foundation
import ServerSideSync

// The JSON the projections write most often, by hand: for the audit
// trail's columns, the bytes `JSONEncoder` writes for the same values
// (`DomainEvent.makeEncoder()`); for a mailbox's decision-state row, those
// bytes less the fields its key or a default says. Tests check both on
// random values. A mailbox's decision-state row is
// written on every command that touches a mailbox and for every such event
// of a rebuild, an audit row for every event; `JSONEncoder` was the largest
// single cost of both.

extension MailboxState {
    /// The mailbox's decision-state row: its JSON with keys in sorted order,
    /// less what the row's key or a default already says. The row is keyed
    /// by the mailbox id, so `id` is left out; `approvedByMicrosoft365Admin`,
    /// `retryNumber` and each channel's `transient` appear only when not
    /// false or 0. A row is written for every mailbox event, so its size is
    /// most of the decision-state history: leaving these out keeps the
    /// largest rows (a failed test with a retry scheduled) within one page
    /// of the history's B-tree, where they used to spill onto a page of
    /// their own. ``init(decisionState:id:)`` reads it back.
    public var decisionStateJSON: String {
        var out = JSONBytes(capacity: 640)
        write(into: &out)
        return out.text
    }

    func write(into out: inout JSONBytes) {
        out.object { m, out in
            m.key("approval", into: &out); out.string(approval.rawValue)
            if let approvedBy { m.key("approvedBy", into: &out); out.string(approvedBy.rawValue) }
            if approvedByMicrosoft365Admin { m.key("approvedByMicrosoft365Admin", into: &out); out.bool(true) }
            m.key("configuration", into: &out); configuration.write(into: &out)
            m.key("emailAddress", into: &out); out.string(emailAddress.rawValue)
            m.key("enabled", into: &out); enabled.write(into: &out) { out, flag in out.bool(flag) }
            m.key("environment", into: &out); out.string(environment.rawValue)
            if let lastTestedAt { m.key("lastTestedAt", into: &out); out.date(lastTestedAt) }
            if let lastTestedBy { m.key("lastTestedBy", into: &out); out.string(lastTestedBy.rawValue) }
            if let nextRetryAt { m.key("nextRetryAt", into: &out); out.date(nextRetryAt) }
            m.key("owner", into: &out); out.string(owner.token)
            if let pendingRetry { m.key("pendingRetry", into: &out); pendingRetry.write(into: &out) }
            if retryNumber != 0 { m.key("retryNumber", into: &out); out.integer(retryNumber) }
            m.key("statuses", into: &out); statuses.write(into: &out) { out, outcome in outcome.write(into: &out) }
        }
    }

    /// The row as stored: ``MailboxState`` without `id`, and with the
    /// fields left out when false or 0 optional.
    private struct Stored: Decodable {
        struct Outcome: Hashable, Sendable, Codable {
            var status: ChannelStatus
            var errorCode: String?
            var transient: Bool?
        }

        var approval: EmailApprovalStatus
        var approvedBy: UserPrincipalName?
        var approvedByMicrosoft365Admin: Bool?
        var configuration: MailboxConfiguration
        var emailAddress: EmailAddress
        var enabled: ChannelFlags
        var environment: EnvironmentID
        var lastTestedAt: Date?
        var lastTestedBy: UserPrincipalName?
        var nextRetryAt: Date?
        var owner: MailboxOwner
        var pendingRetry: PendingRetry?
        var retryNumber: Int?
        var statuses: PerChannel<Outcome>
    }

    /// A mailbox from its decision-state row (``decisionStateJSON``) and the row's key.
    public init(decisionState json: Data, id: MailboxID, decoder: JSONDecoder) throws {
        let stored = try decoder.decode(Stored.self, from: json)
        func outcome(_ o: Stored.Outcome) -> ChannelOutcome { ChannelOutcome(status: o.status, errorCode: o.errorCode, transient: o.transient ?? false) }
        self.init(id: id, environment: stored.environment, owner: stored.owner, emailAddress: stored.emailAddress,
                  configuration: stored.configuration, approval: stored.approval)
        approvedBy = stored.approvedBy
        approvedByMicrosoft365Admin = stored.approvedByMicrosoft365Admin ?? false
        statuses = ChannelStatuses(incoming: outcome(stored.statuses.incoming), outgoing: outcome(stored.statuses.outgoing),
                                   appointmentsContactsTasks: outcome(stored.statuses.appointmentsContactsTasks))
        enabled = stored.enabled
        lastTestedBy = stored.lastTestedBy
        lastTestedAt = stored.lastTestedAt
        retryNumber = stored.retryNumber ?? 0
        nextRetryAt = stored.nextRetryAt
        pendingRetry = stored.pendingRetry
    }
}

extension MailboxConfiguration {
    func write(into out: inout JSONBytes) {
        out.object { m, out in
            m.key("appointmentsContactsTasks", into: &out); out.string(appointmentsContactsTasks.rawValue)
            m.key("incoming", into: &out); out.string(incoming.rawValue)
            m.key("outgoing", into: &out); out.string(outgoing.rawValue)
            if let profile { m.key("profile", into: &out); out.string(profile.rawValue) }
        }
    }
}

extension PerChannel {
    func write(into out: inout JSONBytes, _ value: (inout JSONBytes, Value) -> Void) {
        out.object { m, out in
            m.key("appointmentsContactsTasks", into: &out); value(&out, appointmentsContactsTasks)
            m.key("incoming", into: &out); value(&out, incoming)
            m.key("outgoing", into: &out); value(&out, outgoing)
        }
    }
}

extension ChannelOutcome {
    func write(into out: inout JSONBytes) {
        out.object { m, out in
            if let errorCode { m.key("errorCode", into: &out); out.string(errorCode) }
            m.key("status", into: &out); out.string(status.rawValue)
            if transient { m.key("transient", into: &out); out.bool(true) }
        }
    }
}

extension PendingRetry {
    func write(into out: inout JSONBytes) {
        out.object { m, out in
            if let job { m.key("job", into: &out); out.string(job.rawValue) }
            if let processEmailsFrom { m.key("processEmailsFrom", into: &out); out.date(processEmailsFrom) }
            m.key("requestedBy", into: &out); out.string(requestedBy.rawValue)
            m.key("syncThisOrgOnly", into: &out); out.bool(syncThisOrgOnly)
        }
    }
}

extension FieldChange {
    func write(into out: inout JSONBytes) {
        out.object { m, out in
            if let after { m.key("after", into: &out); out.string(after) }
            if let before { m.key("before", into: &out); out.string(before) }
            m.key("field", into: &out); out.string(field)
        }
    }

    /// The audit trail's `changes` column for `changes`.
    public static func json(_ changes: [FieldChange]) -> String {
        var out = JSONBytes(capacity: 2 + changes.count * 96)
        out.array(changes) { out, change in change.write(into: &out) }
        return out.text
    }
}

extension JSONBytes {
    /// The JSON array of `strings` (the audit trail's `roles` column).
    public static func array(of strings: [String]) -> String {
        var out = JSONBytes(capacity: 2 + strings.reduce(0) { $0 + $1.utf8.count + 3 })
        out.array(strings) { out, text in out.string(text) }
        return out.text
    }
}
