import Foundation
import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("Approving email addresses")
struct ApprovalTests {
    @Test func aGlobalAdminWithSystemAdministratorApproves() throws {
        try C.world().when(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
            .then(approved(C.alice, by: C.gabriela, tenantAdmin: true))
    }

    @Test func aSystemAdministratorAloneIsRefusedWithTheRolesItHolds() throws {
        try C.world().when(.approveEmail(C.mailbox(C.alice)), by: .u(C.sam), at: C.t0)
            .thenRefused(.approverRoleCombinationNotAllowed, message: "sam@contoso.com may not approve alice@contoso.com (online apps with Exchange Online): it holds System Administrator; it needs Global admin + System Administrator (add Global admin), Exchange admin + System Administrator (add Exchange admin), or Delegated Mailbox Approver + System Administrator (add Delegated Mailbox Approver)")
    }

    @Test func anExchangeAdminAloneIsRefusedAndWithSystemAdministratorApproves() throws {
        let world = try C.world()
        world.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.erin), at: C.t0).thenRefused(.approverRoleCombinationNotAllowed)
        world.and(.assignRole(C.environment, .systemAdministrator, .user(C.erin)), by: .u(C.gabriela), at: C.t0)
            .when(.approveEmail(C.mailbox(C.alice)), by: .u(C.erin), at: C.t0)
            .then(approved(C.alice, by: C.erin, tenantAdmin: true))
    }

    @Test func aDelegatedMailboxApproverWithSystemAdministratorApproves() throws {
        try C.world().when(.approveEmail(C.mailbox(C.alice)), by: .u(C.dana), at: C.t0)
            .then(approved(C.alice, by: C.dana, tenantAdmin: false))
    }

    @Test func aDelegatedApproverCannotApproveInAnotherEnvironment() throws {
        let other: EnvironmentID = "contoso-test"
        try C.world()
            .and(.provisionEnvironment(ProvisionEnvironment(environment: other, provisionedOn: C.t0, exchangeProfile: "exo-test")), by: .u(C.gabriela), at: C.t0)
            .and(.addUser(C.alice, displayName: "Alice", environment: other), by: .u(C.gabriela), at: C.t0)
            .and(.addUser(C.dana, displayName: "Dana", environment: other), by: .u(C.gabriela), at: C.t0)
            .when(.approveEmail(C.mailbox(C.alice, in: other)), by: .u(C.dana), at: C.t0)
            .thenRefused(.approverRoleCombinationNotAllowed, message: "dana@contoso.com may not approve alice@contoso.com (online apps with Exchange Online): it holds no roles; it needs Global admin + System Administrator (add Global admin and System Administrator), Exchange admin + System Administrator (add Exchange admin and System Administrator), or Delegated Mailbox Approver + System Administrator (add Delegated Mailbox Approver and System Administrator)")
    }

    @Test func onPremisesAppsLetASystemAdministratorAloneApprove() throws {
        try C.world(deployment: .onPremises).when(.approveEmail(C.mailbox(C.alice)), by: .u(C.sam), at: C.t0)
            .then(approved(C.alice, by: C.sam, tenantAdmin: false))
    }

    @Test func anExchangeOnPremisesProfileLetsASystemAdministratorAloneApprove() throws {
        let settings = ProfileSettings(name: "On-prem Exchange", serverType: .exchangeServer,
                                       authentication: .credentialsInProfile(userName: "svc", passwordFingerprint: "ab12"), owner: C.sam)
        try C.world()
            .and(.createProfile("onprem", C.environment, settings, setAsDefault: false), by: .u(C.sam), at: C.t0)
            .and(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(profile: "onprem")), by: .u(C.sam), at: C.t0)
            .when(.approveEmail(C.mailbox(C.alice)), by: .u(C.sam), at: C.t0)
            .then(approved(C.alice, by: C.sam, tenantAdmin: false))
    }

    @Test func withoutTheApprovePrivilegeTheMatrixIsNotEnough() throws {
        // On-premises apps: the matrix admits a System Administrator, but a System
        // Customizer holds no approval privilege and is no System Administrator.
        try C.world(deployment: .onPremises)
            .and(.assignRole(C.environment, .systemCustomizer, .user(C.alice)), by: .u(C.gabriela), at: C.t0)
            .when(.approveEmail(C.mailbox(C.sam)), by: .u(C.alice), at: C.t0)
            .thenRefused(.approverRoleCombinationNotAllowed)
    }

    @Test func theApprovePrivilegeIsRequiredBesidesTheMatrix() throws {
        // The System Administrator role is fixed, so take the privilege away in the state itself.
        var state = try C.world(deployment: .onPremises).state
        state.environments[C.environment]!.roles[.systemAdministrator]!.privileges.removeAll { $0.privilege == .approveEmailAddresses }
        let refusal = #expect(throws: Refusal.self) {
            try SyncDomain.decide(.approveEmail(C.mailbox(C.alice)), given: state, context: DecisionContext(actor: .u(C.sam), now: C.t0))
        }
        #expect(refusal == Refusal(.missingApproveEmailPrivilege, "sam@contoso.com may not approve alice@contoso.com: none of its security roles grants Approve Email Addresses for Users or Queues"))
    }

    @Test func approvingAnApprovedAddressIsRefused() throws {
        try C.world()
            .and(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
            .when(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
            .thenRefused(.emailAlreadyApproved, message: "the address alice@contoso.com of contoso-prod/user:alice@contoso.com is already approved")
    }

    @Test(arguments: [CommandSource.plugIn, .workflow])
    func approvalFromPlugInsAndWorkflowsIsAlwaysRefused(_ source: CommandSource) throws {
        try C.world().when(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0, source: source)
            .thenRefused(.approvalFromPlugInOrWorkflow)
    }

    @Test func programmaticApprovalMustCarryTheApprovalAlone() throws {
        let world = try C.world()
        world.when(.approveEmail(C.mailbox(C.alice), alsoChanging: ["emailaddress"]), by: .u(C.gabriela), at: C.t0, source: .api)
            .thenRefused(.programmaticApprovalNotAlone)
        world.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0, source: .api)
            .then(approved(C.alice, by: C.gabriela, method: .programmatic, tenantAdmin: true))
    }

    @Test func rejectingThenApprovingLater() throws {
        let rejected = DomainEvent.mailboxEmailRejected(MailboxEmailRejected(mailbox: C.mailbox(C.alice), emailAddress: "alice@contoso.com",
                                                                            rejectedBy: C.gabriela, previousStatus: .pendingApproval))
        let world = try C.world()
        let afterReject = world.when(.rejectEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0).then(rejected)
        afterReject.when(.rejectEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0).thenRefused(.emailAlreadyRejected)
        afterReject.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.dana), at: C.t0)
            .then(approved(C.alice, by: C.dana, previous: .rejected, tenantAdmin: false))
        world.when(.rejectEmail(C.mailbox(C.alice)), by: .u(C.sam), at: C.t0).thenRefused(.approverRoleCombinationNotAllowed)
    }

    @Test func anUnknownMailboxIsNotFound() throws {
        try C.world().when(.approveEmail("contoso-prod/user:nobody@contoso.com"), by: .u(C.gabriela), at: C.t0)
            .thenRefused(.unknownMailbox, message: "no mailbox contoso-prod/user:nobody@contoso.com")
    }

    @Test func crossTenantProfilesNeedATenantAdminNotADelegatedApprover() throws {
        let settings = ProfileSettings(name: "Fabrikam EXO", serverType: .exchangeOnline,
                                       authentication: .oauthCrossTenant(tenantID: "1d7b2c8e-0000-4000-8000-000000000001", applicationID: "app", clientSecretFingerprint: "f00d"),
                                       owner: C.sam)
        let world = try C.world()
            .and(.createProfile("cross", C.environment, settings, setAsDefault: false), by: .u(C.sam), at: C.t0)
            .and(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(profile: "cross")), by: .u(C.sam), at: C.t0)
        world.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.dana), at: C.t0).thenRefused(.crossTenantApprovalNeedsTenantAdmin)
        world.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0).then(approved(C.alice, by: C.gabriela, tenantAdmin: true))
    }
}

@Suite("Self-approval (§5.3)")
struct SelfApprovalTests {
    static let aliceSucceeds = tested(C.alice, by: C.alice, statuses: statuses(.success), enabled: allEnabled, alerts: [successAlert(C.alice)])
    /// The first successful ACT test makes this organization the Exchange mailbox's sync org.
    static let aliceClaimed = claimed(C.alice)

    @Test func testAndEnableOnYourOwnMailboxApprovesItWhenAllFourConditionsHold() throws {
        try C.world().when(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: .u(C.alice), at: C.t0)
            .then(approved(C.alice, by: C.alice, method: .selfApprovalByTestAndEnable, tenantAdmin: false), Self.aliceSucceeds, Self.aliceClaimed)
    }

    @Test func conditionOneTheUPNMustBeTheMailboxAddress() throws {
        let notApproved = tested(C.alice, by: C.alice, statuses: statuses(failure(.emailAddressNotApproved)), enabled: .none,
                                 alerts: [errorAlert(C.alice, .emailAddressNotApproved)].map { alert in
                                     var a = alert
                                     a.text = "\(TestFailure.emailAddressNotApproved.text) Mailbox alice.smith@contoso.com is disabled for: Incoming Email, Outgoing Email, Appointments, Contacts, and Tasks."
                                     return a
                                 })
        try C.world()
            .and(.changeEmailAddress(C.mailbox(C.alice), "alice.smith@contoso.com"), by: .u(C.sam), at: C.t0)
            .when(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: .u(C.alice), at: C.t0)
            .then(notApproved)
    }

    @Test func conditionTwoWithTheSettingOnTheUserNeedsThePrivilege() throws {
        let strict = try C.world()
            .and(.changeEmailSettings(C.environment, EmailSettingsChange(requirePrivilegeToSelfApprove: true)), by: .u(C.sam), at: C.t0)
        strict.when(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: .u(C.alice), at: C.t0)
            .then(tested(C.alice, by: C.alice, statuses: statuses(failure(.emailAddressNotApproved)), enabled: .none,
                         alerts: [errorAlert(C.alice, .emailAddressNotApproved)]))
        let privileged = strict
            .and(.createRole(C.environment, "Approvers"), by: .u(C.sam), at: C.t0)
            .and(.setRolePrivilege(C.environment, "Approvers", .approveEmailAddresses, .organization), by: .u(C.sam), at: C.t0)
            .and(.assignRole(C.environment, "Approvers", .user(C.alice)), by: .u(C.sam), at: C.t0)
        privileged.when(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: .u(C.alice), at: C.t0)
            .then(approved(C.alice, by: C.alice, method: .selfApprovalByTestAndEnable, tenantAdmin: false), Self.aliceSucceeds, Self.aliceClaimed)
        // With the privilege the Approve Email button works for one's own mailbox too.
        privileged.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.alice), at: C.t0)
            .then(approved(C.alice, by: C.alice, method: .selfApproval, tenantAdmin: false))
    }

    @Test func withoutThePrivilegeTheButtonIsRefusedAndPointsToTestAndEnable() throws {
        try C.world().when(.approveEmail(C.mailbox(C.alice)), by: .u(C.alice), at: C.t0)
            .thenRefused(.approverRoleCombinationNotAllowed, message: "alice@contoso.com may not approve alice@contoso.com (online apps with Exchange Online): it holds Basic User; it needs Global admin + System Administrator (add Global admin and System Administrator), Exchange admin + System Administrator (add Exchange admin and System Administrator), or Delegated Mailbox Approver + System Administrator (add Delegated Mailbox Approver and System Administrator). To approve your own address, run Test & Enable on your own mailbox: it approves the address as part of the test")
    }

    @Test func conditionThreeTheUserNeedsWriteOnMailbox() throws {
        try C.world()
            .and(.setRolePrivilege(C.environment, .basicUser, .mailboxWrite, .none), by: .u(C.sam), at: C.t0)
            .when(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: .u(C.alice), at: C.t0)
            .thenRefused(.notAllowedToTestMailbox)
    }

    @Test func conditionFourAQueueMailboxIsNeverSelfApproved() throws {
        // A queue whose address is alice's UPN is still not alice's mailbox.
        let queue = MailboxID(environment: C.environment, owner: .queue("Alice desk"))
        try C.world()
            .and(.createQueue(C.environment, "Alice desk", emailAddress: "alice@contoso.com"), by: .u(C.sam), at: C.t0)
            .when(.testAndEnable([queue], TestOptions()), by: .u(C.alice), at: C.t0)
            .thenRefused(.notAllowedToTestMailbox)
    }

    @Test func anAdministratorRunningTestAndEnableDoesNotSelfApproveOthers() throws {
        try C.world().when(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(failure(.emailAddressNotApproved)), enabled: .none,
                         alerts: [errorAlert(C.alice, .emailAddressNotApproved)]))
    }
}

@Suite("Delegated Mailbox Approver assignment (§5.4)")
struct DelegatedApproverTests {
    static let assigned = DomainEvent.securityRoleAssigned(SecurityRoleAssigned(environment: C.environment, role: .delegatedMailboxApprover, principal: .user(C.alice)))

    @Test func onlyAGlobalOrExchangeAdminMayAssignIt() throws {
        let world = try C.world()
        world.when(.assignRole(C.environment, .delegatedMailboxApprover, .user(C.alice)), by: .u(C.sam), at: C.t0)
            .thenRefused(.onlyTenantAdminCanAssignDelegatedApprover, message: "only a Microsoft 365 Global admin or Exchange admin may assign the Delegated Mailbox Approver role; sam@contoso.com is neither")
        world.when(.assignRole(C.environment, .delegatedMailboxApprover, .user(C.alice)), by: .u(C.erin), at: C.t0).then(Self.assigned)
        world.when(.assignRole(C.environment, .delegatedMailboxApprover, .user(C.alice)), by: .u(C.gabriela), at: C.t0).then(Self.assigned)
    }

    @Test func itIsNeverAssignedToATeam() throws {
        try C.world()
            .and(.createTeam(C.environment, "Mail admins"), by: .u(C.sam), at: C.t0)
            .when(.assignRole(C.environment, .delegatedMailboxApprover, .team("Mail admins")), by: .u(C.gabriela), at: C.t0)
            .thenRefused(.cannotAssignDelegatedApproverToTeam)
    }

    @Test(arguments: [(Deployment.online, DynamicsVersion("9.2.22103.00999")), (.onPremises, DynamicsVersion("9.2.24011.00100"))])
    func itDoesNotExistBeforeItsVersionOrOnPremises(_ deployment: Deployment, _ version: DynamicsVersion) throws {
        try C.world(deployment: deployment, version: version)
            .when(.assignRole(C.environment, .delegatedMailboxApprover, .user(C.alice)), by: .u(C.gabriela), at: C.t0)
            .thenRefused(.delegatedApproverUnavailable)
    }

    @Test func removingItFollowsTheSameRules() throws {
        let world = try C.world()
        world.when(.removeRole(C.environment, .delegatedMailboxApprover, .user(C.dana)), by: .u(C.sam), at: C.t0)
            .thenRefused(.onlyTenantAdminCanAssignDelegatedApprover)
        world.when(.removeRole(C.environment, .delegatedMailboxApprover, .user(C.dana)), by: .u(C.erin), at: C.t0)
            .then(.securityRoleRemoved(SecurityRoleRemoved(environment: C.environment, role: .delegatedMailboxApprover, principal: .user(C.dana))))
        world.when(.removeRole(C.environment, .delegatedMailboxApprover, .user(C.alice)), by: .u(C.erin), at: C.t0).thenRefused(.roleNotAssigned)
    }
}
