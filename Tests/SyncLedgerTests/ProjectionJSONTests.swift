import Foundation
import Projections
@testable import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("The projections' hand-written JSON")
struct ProjectionJSONTests {
    static let pieces = ["alice@contoso.com", "quote \" and back\\slash", "new\nline\ttab\r\u{8}\u{C}", "ctl \u{1}\u{1F} del \u{7F}",
                         "slash / é ✓ 🙂", "\u{2028}\u{2029}", "", "user:x", "contoso-prod/queue:Support"]

    func text(_ g: inout SplitMix) -> String {
        (0..<Int.random(in: 1...3, using: &g)).map { _ in Self.pieces.randomElement(using: &g)! }.joined()
    }

    func date(_ g: inout SplitMix) -> Date {
        // Whole milliseconds from before 1970 to past 2100: what the domain stores.
        Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...5_000_000_000_000, using: &g)) / 1000)
    }

    func maybe<T>(_ g: inout SplitMix, _ make: (inout SplitMix) -> T) -> T? {
        Bool.random(using: &g) ? make(&g) : nil
    }

    func outcome(_ g: inout SplitMix) -> ChannelOutcome {
        ChannelOutcome(status: [.notRun, .success, .failure].randomElement(using: &g)!, errorCode: maybe(&g, text),
                       transient: Bool.random(using: &g))
    }

    func mailbox(_ g: inout SplitMix) -> MailboxState {
        let owner: MailboxOwner = Bool.random(using: &g) ? .user(UserPrincipalName(text(&g))) : .queue(QueueName(text(&g)))
        var state = MailboxState(
            id: MailboxID(text(&g)), environment: EnvironmentID(text(&g)), owner: owner, emailAddress: EmailAddress(text(&g)),
            configuration: MailboxConfiguration(profile: maybe(&g) { ProfileID(text(&$0)) }, incoming: IncomingDelivery.allCases.randomElement(using: &g)!,
                                                outgoing: OutgoingDelivery.allCases.randomElement(using: &g)!,
                                                appointmentsContactsTasks: ACTDelivery.allCases.randomElement(using: &g)!),
            approval: [.empty, .approved, .pendingApproval, .rejected].randomElement(using: &g)!)
        state.approvedBy = maybe(&g) { UserPrincipalName(text(&$0)) }
        state.approvedByMicrosoft365Admin = Bool.random(using: &g)
        state.statuses = ChannelStatuses(incoming: outcome(&g), outgoing: outcome(&g), appointmentsContactsTasks: outcome(&g))
        state.enabled = ChannelFlags(incoming: Bool.random(using: &g), outgoing: Bool.random(using: &g), appointmentsContactsTasks: Bool.random(using: &g))
        state.lastTestedBy = maybe(&g) { UserPrincipalName(text(&$0)) }
        state.lastTestedAt = maybe(&g, date)
        state.retryNumber = [0, 1, 10, -3, Int.max, Int.min].randomElement(using: &g)!
        state.nextRetryAt = maybe(&g, date)
        state.pendingRetry = maybe(&g) { g in
            PendingRetry(requestedBy: UserPrincipalName(text(&g)), processEmailsFrom: maybe(&g, date), syncThisOrgOnly: Bool.random(using: &g),
                         job: maybe(&g) { JobID(text(&$0)) })
        }
        return state
    }

    @Test("2,000 random mailboxes: the same bytes as JSONEncoder, and they decode to the mailbox written")
    func sameBytesAsJSONEncoder() throws {
        var g = SplitMix(state: 20261202)
        let encoder = DomainEvent.makeEncoder(), decoder = DomainEvent.makeDecoder()
        var seenOptionals = Set<Bool>()
        for index in 0..<2_000 {
            let state = mailbox(&g)
            let expected = String(decoding: try encoder.encode(state), as: UTF8.self)
            #expect(state.decisionStateJSON == expected, "mailbox \(index)")
            #expect(try decoder.decode(MailboxState.self, from: Data(state.decisionStateJSON.utf8)) == state, "mailbox \(index)")
            seenOptionals.insert(state.pendingRetry == nil)
        }
        #expect(seenOptionals == [true, false])
    }

    @Test("2,000 random audit rows: changes and roles are the same bytes as JSONEncoder's")
    func auditColumnsSameBytesAsJSONEncoder() throws {
        var g = SplitMix(state: 7)
        let encoder = DomainEvent.makeEncoder()
        for index in 0..<2_000 {
            let changes = (0..<Int.random(in: 0...4, using: &g)).map { _ in
                FieldChange(field: text(&g), before: maybe(&g, text), after: maybe(&g, text))
            }
            let roles = (0..<Int.random(in: 0...3, using: &g)).map { _ in text(&g) }
            #expect(FieldChange.json(changes) == String(decoding: try encoder.encode(changes), as: UTF8.self), "row \(index)")
            #expect(JSONBytes.array(of: roles) == String(decoding: try encoder.encode(roles), as: UTF8.self), "row \(index)")
        }
    }
}
