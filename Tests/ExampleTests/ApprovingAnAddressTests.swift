import ServerSideSync
import SyncLedger
import SyncLedgerTesting
import Testing

@Suite("Approving Alice's address")
struct ApprovingAnAddressTests {
    typealias C = Contoso
    static let alice = "contoso-prod/user:alice@contoso.com"

    @Test func aGlobalAdminApprovesAndTheGridShowsIt() throws {
        let world = try LedgerScenario().given(C.worldCommands)
        world.when(.approveEmail(C.mailbox(C.alice)), by: .user(C.gabriela), at: C.at(minutes: 10))
            .then(.mailboxEmailApproved(MailboxEmailApproved(
                mailbox: C.mailbox(C.alice), emailAddress: "alice@contoso.com", approvedBy: C.gabriela,
                method: .manual, previousStatus: .pendingApproval, approvedByMicrosoft365Admin: true)))
            .thenGrid { grid in
                grid[Self.alice]?.emailStatus = "Approved"
                grid[Self.alice]?.approvedBy = "gabriela@contoso.com"
                grid[Self.alice]?.approvedAt = "2025-03-01T09:10:00.000Z"
                grid[Self.alice]?.approvedByMicrosoft365Admin = true
                grid[Self.alice]?.lastPosition = 32
            }
            .thenAlerts { _ in }
    }

    @Test func aSystemAdministratorAloneIsRefusedAndNothingChanges() throws {
        try LedgerScenario().given(C.worldCommands)
            .when(.approveEmail(C.mailbox(C.alice)), by: .user(C.sam))
            .thenRefused(.approverRoleCombinationNotAllowed)
    }
}
