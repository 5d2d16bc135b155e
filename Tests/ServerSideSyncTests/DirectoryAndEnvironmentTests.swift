import Foundation
import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("Tenant, directory and environments")
struct DirectoryAndEnvironmentTests {
    @Test func creatingTheTenantMakesTheFirstGlobalAdminOnce() {
        Scenario().when(.createTenant(name: "Contoso", firstGlobalAdmin: "Gabriela@Contoso.com", displayName: "Gabriela"), by: .u(C.gabriela), at: C.t0)
            .then(.tenantCreated(TenantCreated(name: "Contoso", firstGlobalAdmin: C.gabriela)),
                  .userAdded(UserAdded(user: C.gabriela, displayName: "Gabriela")),
                  .adminRoleGranted(AdminRoleGranted(user: C.gabriela, role: .globalAdmin)))
            .when(.createTenant(name: "Again", firstGlobalAdmin: C.sam, displayName: "Sam"), by: .u(C.sam), at: C.t0)
            .thenRefused(.tenantAlreadyExists)
        Scenario().when(.createTenant(name: "Contoso", firstGlobalAdmin: "not-an-upn", displayName: "X"), by: .u(C.gabriela), at: C.t0)
            .thenRefused(.invalidValue)
        Scenario().when(.addUser(C.sam, displayName: "Sam", environment: nil), by: .u(C.gabriela), at: C.t0).thenRefused(.noTenant)
    }

    @Test func provisioningCreatesTheExchangeOnlineProfileAsDefaultAndTheProvisionersMailbox() {
        let tenant = Scenario().and(.createTenant(name: "Contoso", firstGlobalAdmin: C.gabriela, displayName: "Gabriela"), by: .u(C.gabriela), at: C.t0)
        let request = ProvisionEnvironment(environment: C.environment, version: "9.2.24011.00100", provisionedOn: C.t0, exchangeProfile: C.exchangeProfile)
        let configuration = MailboxConfiguration(profile: C.exchangeProfile, incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .serverSideSync)
        tenant.when(.provisionEnvironment(request), by: .u(C.gabriela), at: C.t0)
            .then(.environmentProvisioned(EnvironmentProvisioned(environment: C.environment, deployment: .online, version: "9.2.24011.00100",
                                                                 exchangeOnlineInTenant: true, region: .default, provisionedOn: C.t0,
                                                                 settings: EmailSettings(), builtInRoles: RoleDefinition.builtIn(for: .online, version: "9.2.24011.00100"))),
                  .serverProfileCreated(ServerProfileCreated(profile: C.exchangeProfile, environment: C.environment,
                                                             settings: ProfileSettings(name: "Microsoft Exchange Online", serverType: .exchangeOnline,
                                                                                       authentication: .serverToServer, owner: C.gabriela))),
                  .defaultServerProfileSet(DefaultServerProfileSet(environment: C.environment, profile: C.exchangeProfile, previous: nil)),
                  .securityRoleAssigned(SecurityRoleAssigned(environment: C.environment, role: .systemAdministrator, principal: .user(C.gabriela))),
                  .userJoinedEnvironment(UserJoinedEnvironment(environment: C.environment, user: C.gabriela)),
                  .mailboxCreated(MailboxCreated(mailbox: C.mailbox(C.gabriela), environment: C.environment, owner: .user(C.gabriela),
                                                 emailAddress: "gabriela@contoso.com", configuration: configuration, approval: .pendingApproval)))
            .when(.provisionEnvironment(request), by: .u(C.gabriela), at: C.t0)
            .thenRefused(.alreadyExists)
        tenant.and(.addUser(C.sam, displayName: "Sam", environment: nil), by: .u(C.gabriela), at: C.t0)
            .when(.provisionEnvironment(request), by: .u(C.sam), at: C.t0)
            .thenRefused(.notAllowedToProvision)
    }

    @Test func builtInRolesFollowTheVersionGate() {
        #expect(RoleDefinition.builtIn(for: .online, version: "9.2.22104.00170").map(\.name) == [.systemAdministrator, .systemCustomizer, .basicUser, .delegatedMailboxApprover])
        #expect(RoleDefinition.builtIn(for: .online, version: "9.2.22103.00999").map(\.name) == [.systemAdministrator, .systemCustomizer, .basicUser])
        #expect(RoleDefinition.builtIn(for: .onPremises, version: "9.2.24011.00100").map(\.name) == [.systemAdministrator, .systemCustomizer, .basicUser])
    }

    @Test func addingUsersNeedsAGlobalAdminForTheDirectoryAndASystemAdministratorForTheEnvironment() throws {
        let world = try C.world()
        let frank: UserPrincipalName = "frank@contoso.com"
        world.when(.addUser(frank, displayName: "Frank", environment: nil), by: .u(C.gabriela), at: C.t0)
            .then(.userAdded(UserAdded(user: frank, displayName: "Frank")))
            .when(.addUser(frank, displayName: "Frank", environment: C.environment), by: .u(C.sam), at: C.t0)
            .then(.userJoinedEnvironment(UserJoinedEnvironment(environment: C.environment, user: frank)),
                  .mailboxCreated(MailboxCreated(mailbox: C.mailbox(frank), environment: C.environment, owner: .user(frank), emailAddress: "frank@contoso.com",
                                                 configuration: MailboxConfiguration(profile: C.exchangeProfile, incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .serverSideSync),
                                                 approval: .pendingApproval)))
        world.when(.addUser(frank, displayName: "Frank", environment: C.environment), by: .u(C.sam), at: C.t0).thenRefused(.notGlobalAdmin)
        world.when(.addUser(C.alice, displayName: "Alice", environment: C.environment), by: .u(C.gabriela), at: C.t0).thenRefused(.alreadyExists)
        world.when(.addUser(C.alice, displayName: "Alice", environment: "nowhere"), by: .u(C.gabriela), at: C.t0).thenRefused(.unknownEnvironment)
    }

    @Test func withApprovalOffNewMailboxesStartEmpty() throws {
        let frank: UserPrincipalName = "frank@contoso.com"
        try C.world()
            .and(.changeEmailSettings(C.environment, EmailSettingsChange(incoming: .forwardMailbox, processEmailsOnlyForApprovedUsers: false)), by: .u(C.gabriela), at: C.t0)
            .when(.addUser(frank, displayName: "Frank", environment: C.environment), by: .u(C.gabriela), at: C.t0)
            .then(.userAdded(UserAdded(user: frank, displayName: "Frank")),
                  .userJoinedEnvironment(UserJoinedEnvironment(environment: C.environment, user: frank)),
                  .mailboxCreated(MailboxCreated(mailbox: C.mailbox(frank), environment: C.environment, owner: .user(frank), emailAddress: "frank@contoso.com",
                                                 configuration: MailboxConfiguration(profile: C.exchangeProfile, incoming: .forwardMailbox, outgoing: .serverSideSync, appointmentsContactsTasks: .serverSideSync),
                                                 approval: .empty)))
    }

    @Test func directoryRolesAreManagedByGlobalAdmins() throws {
        let world = try C.world()
        world.when(.grantAdminRole(C.sam, .serviceAdmin), by: .u(C.gabriela), at: C.t0)
            .then(.adminRoleGranted(AdminRoleGranted(user: C.sam, role: .serviceAdmin)))
            .when(.revokeAdminRole(C.sam, .serviceAdmin), by: .u(C.gabriela), at: C.t0)
            .then(.adminRoleRevoked(AdminRoleRevoked(user: C.sam, role: .serviceAdmin)))
        world.when(.grantAdminRole(C.sam, .globalAdmin), by: .u(C.erin), at: C.t0).thenRefused(.notGlobalAdmin)
        world.when(.grantAdminRole(C.erin, .exchangeAdmin), by: .u(C.gabriela), at: C.t0).thenRefused(.alreadyAssigned)
        world.when(.revokeAdminRole(C.sam, .exchangeAdmin), by: .u(C.gabriela), at: C.t0).thenRefused(.roleNotAssigned)
        world.when(.revokeAdminRole(C.gabriela, .globalAdmin), by: .u(C.gabriela), at: C.t0).thenRefused(.invalidValue)
        world.when(.grantAdminRole("ghost@contoso.com", .exchangeAdmin), by: .u(C.gabriela), at: C.t0).thenRefused(.unknownUser)
    }

    @Test func chinaEnablementIsRecordedOnceForChinaEnvironmentsOnly() throws {
        try C.world(region: .china).when(.enableChinaExchangeAccess(C.environment), by: .u(C.gabriela), at: C.t0)
            .then(.chinaExchangeAccessEnabled(ChinaExchangeAccessEnabled(environment: C.environment)))
            .when(.enableChinaExchangeAccess(C.environment), by: .u(C.gabriela), at: C.t0).thenRefused(.nothingToChange)
        try C.world().when(.enableChinaExchangeAccess(C.environment), by: .u(C.gabriela), at: C.t0).thenRefused(.notAChinaEnvironment)
        try C.world(region: .china).when(.enableChinaExchangeAccess(C.environment), by: .u(C.sam), at: C.t0).thenRefused(.notAllowedToProvision)
    }

    @Test func teamsAndQueues() throws {
        let world = try C.world()
        world.when(.createTeam(C.environment, "Sales"), by: .u(C.sam), at: C.t0)
            .then(.teamCreated(TeamCreated(environment: C.environment, team: "Sales")))
            .when(.addTeamMember(C.environment, "Sales", C.alice), by: .u(C.sam), at: C.t0)
            .then(.teamMemberAdded(TeamMemberAdded(environment: C.environment, team: "Sales", user: C.alice)))
            .when(.addTeamMember(C.environment, "Sales", C.alice), by: .u(C.sam), at: C.t0).thenRefused(.alreadyAssigned)
        world.when(.createTeam(C.environment, "Sales"), by: .u(C.alice), at: C.t0).thenRefused(.notSystemAdministrator)
        world.when(.addTeamMember(C.environment, "Nope", C.alice), by: .u(C.sam), at: C.t0).thenRefused(.unknownTeam)
        let queueMailbox = MailboxID(environment: C.environment, owner: .queue("Support"))
        world.when(.createQueue(C.environment, "Support", emailAddress: "Support@Contoso.com"), by: .u(C.sam), at: C.t0)
            .then(.queueCreated(QueueCreated(environment: C.environment, queue: "Support", emailAddress: "support@contoso.com")),
                  .mailboxCreated(MailboxCreated(mailbox: queueMailbox, environment: C.environment, owner: .queue("Support"), emailAddress: "support@contoso.com",
                                                 configuration: MailboxConfiguration(profile: C.exchangeProfile, incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .serverSideSync),
                                                 approval: .pendingApproval)))
            .when(.createQueue(C.environment, "Support", emailAddress: "support@contoso.com"), by: .u(C.sam), at: C.t0).thenRefused(.alreadyExists)
        world.when(.createQueue(C.environment, "Bad", emailAddress: "no at sign"), by: .u(C.sam), at: C.t0).thenRefused(.invalidValue)
    }

    @Test func rolesThroughTeamsCount() throws {
        // A team holding System Administrator makes its member one.
        try C.world()
            .and(.createTeam(C.environment, "Admins"), by: .u(C.sam), at: C.t0)
            .and(.addTeamMember(C.environment, "Admins", C.erin), by: .u(C.sam), at: C.t0)
            .and(.assignRole(C.environment, .systemAdministrator, .team("Admins")), by: .u(C.sam), at: C.t0)
            .when(.approveEmail(C.mailbox(C.alice)), by: .u(C.erin), at: C.t0)
            .then(approved(C.alice, by: C.erin, tenantAdmin: true))
    }

    @Test func customRolesAndPrivileges() throws {
        let world = try C.world()
        world.when(.createRole(C.environment, "Mail desk"), by: .u(C.sam), at: C.t0)
            .then(.securityRoleCreated(SecurityRoleCreated(environment: C.environment, role: RoleDefinition(name: "Mail desk", privileges: [], builtIn: false))))
            .when(.setRolePrivilege(C.environment, "Mail desk", .mailboxWrite, .user), by: .u(C.sam), at: C.t0)
            .then(.rolePrivilegeSet(RolePrivilegeSet(environment: C.environment, role: "Mail desk", privilege: .mailboxWrite, level: .user, previousLevel: .none)))
            .when(.setRolePrivilege(C.environment, "Mail desk", .mailboxWrite, .user), by: .u(C.sam), at: C.t0).thenRefused(.nothingToChange)
        world.when(.setRolePrivilege(C.environment, .systemAdministrator, .mailboxWrite, .user), by: .u(C.sam), at: C.t0).thenRefused(.builtInRoleIsFixed)
        world.when(.setRolePrivilege(C.environment, "Ghost", .mailboxWrite, .user), by: .u(C.sam), at: C.t0).thenRefused(.unknownRole)
        world.when(.assignRole(C.environment, .systemCustomizer, .user("ghost@contoso.com")), by: .u(C.sam), at: C.t0).thenRefused(.notAMember)
        world.when(.assignRole(C.environment, .systemCustomizer, .user(C.alice)), by: .u(C.alice), at: C.t0).thenRefused(.notSystemAdministrator)
        world.when(.assignRole(C.environment, .systemAdministrator, .user(C.sam)), by: .u(C.gabriela), at: C.t0).thenRefused(.alreadyAssigned)
    }

    @Test func exchangeFactsAreRecordedByTenantAdminsOrTheSystem() throws {
        let world = try C.world()
        world.when(.addExchangeMailbox("new@contoso.com", syncOrg: "other-org"), by: .system, at: C.t0)
            .then(.exchangeMailboxAdded(ExchangeMailboxAdded(emailAddress: "new@contoso.com", syncOrg: "other-org")))
        world.when(.addExchangeMailbox("alice@contoso.com", syncOrg: nil), by: .u(C.erin), at: C.t0).thenRefused(.alreadyExists)
        world.when(.addExchangeMailbox("x@contoso.com", syncOrg: nil), by: .u(C.sam), at: C.t0).thenRefused(.notGlobalAdmin)
        world.when(.recordExchangeOutage(from: C.at(minutes: 10), until: C.t0), by: .u(C.erin), at: C.t0).thenRefused(.invalidValue)
        world.when(.recordExchangeOutage(from: C.t0, until: C.at(minutes: 10)), by: .u(C.erin), at: C.t0)
            .then(.exchangeOutageRecorded(ExchangeOutageRecorded(from: C.t0, until: C.at(minutes: 10))))
    }
}
