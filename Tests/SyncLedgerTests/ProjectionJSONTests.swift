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

    @Test("2,000 random mailboxes: what JSONEncoder writes less the id and the false or 0 fields, read back to the mailbox written")
    func mailboxRowsAreJSONEncodersLessWhatTheKeySays() throws {
        var g = SplitMix(state: 20261202)
        let encoder = DomainEvent.makeEncoder(), decoder = DomainEvent.makeDecoder()
        var seenOptionals = Set<Bool>(), seenDefaults = Set<Bool>()
        for index in 0..<2_000 {
            let state = mailbox(&g)
            // What JSONEncoder writes for the whole mailbox, less the fields the row leaves out.
            var expected = try #require(try JSONSerialization.jsonObject(with: try encoder.encode(state)) as? [String: Any])
            expected["id"] = nil
            if !state.approvedByMicrosoft365Admin { expected["approvedByMicrosoft365Admin"] = nil }
            if state.retryNumber == 0 { expected["retryNumber"] = nil }
            var statuses = try #require(expected["statuses"] as? [String: [String: Any]])
            for (channel, outcome) in [("incoming", state.statuses.incoming), ("outgoing", state.statuses.outgoing),
                                       ("appointmentsContactsTasks", state.statuses.appointmentsContactsTasks)] where !outcome.transient {
                statuses[channel]?["transient"] = nil
            }
            expected["statuses"] = statuses
            let json = state.decisionStateJSON
            let written = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            func canonical(_ object: [String: Any]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(try canonical(written) == canonical(expected), "mailbox \(index)")
            // Keys in sorted order at the top level, as JSONEncoder writes them.
            let keys = written.keys.sorted { json.range(of: "\"\($0)\":")!.lowerBound < json.range(of: "\"\($1)\":")!.lowerBound }
            #expect(keys == keys.sorted(), "mailbox \(index)")
            #expect(try MailboxState(decisionState: Data(state.decisionStateJSON.utf8), id: state.id, decoder: decoder) == state, "mailbox \(index)")
            seenOptionals.insert(state.pendingRetry == nil)
            seenDefaults.insert(state.retryNumber == 0 && !state.approvedByMicrosoft365Admin)
        }
        #expect(seenOptionals == [true, false] && seenDefaults == [true, false])
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
