import Foundation
import ServerSideSync
import Synchronization
import SyncLedger
import SyncLedgerTesting
import Testing

/// The library's own assertions: they pass on what happened and fail, with a
/// minimal diff, on anything else.
@Suite("SyncLedgerTesting: scenarios on a real ledger")
struct LedgerScenarioTests {
    static let alice = "contoso-prod/user:alice@contoso.com"

    /// The comment of the one issue `body` records.
    func recorded(_ body: () -> Void) -> String? {
        final class Comments: Sendable { let list = Mutex<[String]>([]) }
        let comments = Comments()
        withKnownIssue {
            body()
        } matching: { issue in
            comments.list.withLock { $0.append(issue.comments.map(\.rawValue).joined(separator: "\n")) }
            return true
        }
        let all = comments.list.withLock { $0 }
        return all.count == 1 ? all[0] : "\(all.count) issues: \(all)"
    }

    @Test func aMissedGridChangeFailsWithOnlyTheDifferingField() throws {
        let world = try LedgerScenario().given(C.worldCommands)
        let outcome = world.when(.approveEmail(C.mailbox(C.alice)), by: .user(C.gabriela), at: C.at(minutes: 10))
        let message = recorded {
            outcome.thenGrid { grid in
                grid[Self.alice]?.emailStatus = "Approved"
                grid[Self.alice]?.approvedBy = "gabriela@contoso.com"
                grid[Self.alice]?.approvedAt = "2025-03-01T09:10:00.000Z"
                grid[Self.alice]?.approvedByMicrosoft365Admin = true
            }
        }
        #expect(message == """
            the grid differs (− expected, + actual):
            − contoso-prod/user:alice@contoso.com.lastPosition: 18
            + contoso-prod/user:alice@contoso.com.lastPosition: 32
            """)
    }

    @Test func anUnexpectedChangeToTheAlertsFails() throws {
        let world = try LedgerScenario().given(C.worldCommands).given(.approveEmail(C.mailbox(C.alice)), by: .user(C.gabriela))
        let outcome = world.when(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: .user(C.sam))
        let message = recorded { outcome.thenAlerts { _ in } }
        #expect(message?.hasPrefix("the alerts differ (− expected, + actual):\n+ mailbox:contoso-prod/user:alice@contoso.com|MailboxTestSucceeded|contoso-prod/user:alice@contoso.com: {") == true, "\(message ?? "")")
        // Described, it passes.
        outcome.thenAlerts { alerts in alerts = outcome.after.alerts }
    }

    @Test func theAuditRowsOfARefusalAreExactlyTheDenial() throws {
        let world = try LedgerScenario().given(C.worldCommands)
        let outcome = world.when(.approveEmail(C.mailbox(C.alice)), by: .user(C.sam)).thenRefused(.approverRoleCombinationNotAllowed)
        let denial = try #require(outcome.addedAudit.first)
        #expect(outcome.addedAudit.count == 1)
        #expect(denial.outcome == "denied" && denial.refusalCode == "ApproverRoleCombinationNotAllowed" && denial.actor == "sam@contoso.com")
        outcome.thenAudit([denial])
        var wrong = denial
        wrong.actor = "mallory@contoso.com"
        let message = recorded { outcome.thenAudit([wrong]) }
        #expect(message?.hasPrefix("the audit rows differ (− expected, + actual):\n− {") == true)
        #expect(message?.contains("\"actor\":\"mallory@contoso.com\"") == true)
    }

    @Test func wrongEventsFailWithALineDiff() throws {
        let world = try LedgerScenario().given(C.worldCommands)
        let outcome = world.when(.approveEmail(C.mailbox(C.alice)), by: .user(C.gabriela))
        let message = recorded { outcome.then([]) }
        #expect(message?.hasPrefix("the events differ (− expected, + actual):\n+ MailboxEmailApproved {") == true, "\(message ?? "")")
    }
}
