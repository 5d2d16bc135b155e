import Foundation
import Projections
@testable import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("The projections' hand-written JSON")
struct ProjectionJSONTests {
    func outcome(_ g: inout SplitMix) -> ChannelOutcome {
        ChannelOutcome(status: g.pick([.notRun, .success, .failure]), errorCode: g.maybe { $0.text() }, transient: g.bool())
    }

    func mailbox(_ g: inout SplitMix) -> MailboxState {
        let owner: MailboxOwner = g.bool() ? .user(UserPrincipalName(g.text())) : .queue(QueueName(g.text()))
        var state = MailboxState(
            id: MailboxID(g.text()), environment: EnvironmentID(g.text()), owner: owner, emailAddress: EmailAddress(g.text()),
            configuration: MailboxConfiguration(profile: g.maybe { ProfileID($0.text()) }, incoming: IncomingDelivery.allCases.randomElement(using: &g)!,
                                                outgoing: OutgoingDelivery.allCases.randomElement(using: &g)!,
                                                appointmentsContactsTasks: ACTDelivery.allCases.randomElement(using: &g)!),
            approval: [.empty, .approved, .pendingApproval, .rejected].randomElement(using: &g)!)
        state.approvedBy = g.maybe { UserPrincipalName($0.text()) }
        state.approvedByMicrosoft365Admin = g.bool()
        state.statuses = ChannelStatuses(incoming: outcome(&g), outgoing: outcome(&g), appointmentsContactsTasks: outcome(&g))
        state.enabled = ChannelFlags(incoming: g.bool(), outgoing: g.bool(), appointmentsContactsTasks: g.bool())
        state.lastTestedBy = g.maybe { UserPrincipalName($0.text()) }
        state.lastTestedAt = g.maybe { $0.date() }
        state.retryNumber = [0, 1, 10, -3, Int.max, Int.min].randomElement(using: &g)!
        state.nextRetryAt = g.maybe { $0.date() }
        state.pendingRetry = g.maybe { g in
            PendingRetry(requestedBy: UserPrincipalName(g.text()), processEmailsFrom: g.maybe { $0.date() }, syncThisOrgOnly: g.bool(),
                         job: g.maybe { JobID($0.text()) })
        }
        return state
    }

    @Test("2,000 random mailboxes: JSONEncoder's bytes less the id and the false or 0 fields, read back to the mailbox written")
    func mailboxRowsAreJSONEncodersLessWhatTheKeySays() throws {
        var g = SplitMix(state: 20261202)
        let encoder = DomainEvent.makeEncoder(), decoder = DomainEvent.makeDecoder()
        var seenOptionals = Set<Bool>(), seenDefaults = Set<Bool>()
        for index in 0..<2_000 {
            let state = mailbox(&g)
            // What JSONEncoder writes for the same fields, with those the row leaves out set to nil.
            func outcome(_ o: ChannelOutcome) -> Row.Outcome { Row.Outcome(status: o.status, errorCode: o.errorCode, transient: o.transient ? true : nil) }
            let row = Row(approval: state.approval, approvedBy: state.approvedBy,
                          approvedByMicrosoft365Admin: state.approvedByMicrosoft365Admin ? true : nil, configuration: state.configuration,
                          emailAddress: state.emailAddress, enabled: state.enabled, environment: state.environment, lastTestedAt: state.lastTestedAt,
                          lastTestedBy: state.lastTestedBy, nextRetryAt: state.nextRetryAt, owner: state.owner, pendingRetry: state.pendingRetry,
                          retryNumber: state.retryNumber == 0 ? nil : state.retryNumber,
                          statuses: PerChannel(incoming: outcome(state.statuses.incoming), outgoing: outcome(state.statuses.outgoing),
                                               appointmentsContactsTasks: outcome(state.statuses.appointmentsContactsTasks)))
            let expected = String(decoding: try encoder.encode(row), as: UTF8.self)
            #expect(state.decisionStateJSON == expected, "mailbox \(index)")
            #expect(try MailboxState(decisionState: Data(state.decisionStateJSON.utf8), id: state.id, decoder: decoder) == state, "mailbox \(index)")
            seenOptionals.insert(state.pendingRetry == nil)
            seenDefaults.insert(state.retryNumber == 0 && !state.approvedByMicrosoft365Admin)
        }
        #expect(seenOptionals == [true, false] && seenDefaults == [true, false])
    }

    /// The fields of a mailbox's decision-state row, for JSONEncoder (which leaves nil out).
    struct Row: Encodable {
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

    @Test("2,000 random audit rows: changes and roles are the same bytes as JSONEncoder's")
    func auditColumnsSameBytesAsJSONEncoder() throws {
        var g = SplitMix(state: 7)
        let encoder = DomainEvent.makeEncoder()
        for index in 0..<2_000 {
            let changes = (0..<Int.random(in: 0...4, using: &g)).map { _ in
                FieldChange(field: g.text(), before: g.maybe { $0.text() }, after: g.maybe { $0.text() })
            }
            let roles = (0..<Int.random(in: 0...3, using: &g)).map { _ in g.text() }
            #expect(FieldChange.json(changes) == String(decoding: try encoder.encode(changes), as: UTF8.self), "row \(index)")
            #expect(JSONBytes.array(of: roles) == String(decoding: try encoder.encode(roles), as: UTF8.self), "row \(index)")
        }
    }
}
