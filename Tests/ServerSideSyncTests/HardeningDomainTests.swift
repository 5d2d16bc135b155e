import Foundation
@testable import ServerSideSync
import SyncLedgerTesting
import Testing

/// The domain rules found incomplete when the ledger was tried as an admin
/// and an attacker would (issue 9: defects 9, 13, 14, 16, 18).
@Suite("Hardening: domain rules at every entry point")
struct HardeningDomainTests {
    static let pop = ProfileSettings(name: "POP", serverType: .pop3SMTP, authentication: .credentialsByUserOrQueue, owner: C.sam)
    static let second = ProfileSettings(name: "Second EXO", serverType: .exchangeOnline, authentication: .serverToServer, owner: C.sam)

    // MARK: 13. Who may act is checked before the object's state is reported

    @Test func anUnauthorisedApproverLearnsNothingAboutTheAddressState() throws {
        let approved = try C.world().and(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
        // Sam (System Administrator alone) may not approve: the refusal says so, not "already approved".
        approved.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.sam), at: C.t0).thenRefused(.approverRoleCombinationNotAllowed)
        approved.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0).thenRefused(.emailAlreadyApproved)
        let rejected = try C.world().and(.rejectEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
        rejected.when(.rejectEmail(C.mailbox(C.alice)), by: .u(C.sam), at: C.t0).thenRefused(.approverRoleCombinationNotAllowed)
        rejected.when(.rejectEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0).thenRefused(.emailAlreadyRejected)
    }

    @Test func anUnauthorisedAdminLearnsNothingAboutSettingsOrDefaults() throws {
        let world = try C.world()
        // Alice is no administrator: refused as such even when the change would be a no-op.
        world.when(.setDefaultProfile(C.environment, C.exchangeProfile), by: .u(C.alice), at: C.t0).thenRefused(.notAnAdministrator)
        world.when(.changeEmailSettings(C.environment, EmailSettingsChange(appointmentsContactsTasks: .serverSideSync)), by: .u(C.alice), at: C.t0)
            .thenRefused(.notAnAdministrator)
    }

    // MARK: 14. A source that implies a channel behaves like it

    @Test func programmaticSourceApprovesProgrammaticallyAndOnlyAlone() throws {
        let world = try C.world()
        world.when(.approveEmail(C.mailbox(C.alice), alsoChanging: ["emailaddress"]), by: .u(C.gabriela), at: C.t0, source: .programmatic)
            .thenRefused(.programmaticApprovalNotAlone)
        world.when(.approveEmail(C.mailbox(C.alice), alsoChanging: []), by: .u(C.gabriela), at: C.t0, source: .programmatic)
            .then(.mailboxEmailApproved(MailboxEmailApproved(mailbox: C.mailbox(C.alice), emailAddress: "alice@contoso.com", approvedBy: C.gabriela,
                                                             method: .programmatic, previousStatus: .pendingApproval, approvedByMicrosoft365Admin: true)))
    }

    // MARK: 16. POP3/IMAP cannot carry appointments, contacts and tasks — wherever that could arise

    @Test func aPop3ProfileCannotBecomeTheDefaultWhileACTUsesServerSideSync() throws {
        let world = try C.world().and(.createProfile("pop", C.environment, Self.pop, setAsDefault: false), by: .u(C.sam), at: C.t0)
        world.when(.setDefaultProfile(C.environment, "pop"), by: .u(C.sam), at: C.t0).thenRefused(.actNotSupportedByServerType)
        world.when(.createProfile("pop2", C.environment, Self.pop, setAsDefault: true), by: .u(C.sam), at: C.t0).thenRefused(.actNotSupportedByServerType)
        // With ACT off by default it may, and then ACT cannot be switched back to Server-Side Synchronization.
        let actOff = world.and(.changeEmailSettings(C.environment, EmailSettingsChange(appointmentsContactsTasks: ACTDelivery.none)), by: .u(C.sam), at: C.t0)
        let popDefault = actOff.and(.setDefaultProfile(C.environment, "pop"), by: .u(C.sam), at: C.t0)
        popDefault.when(.changeEmailSettings(C.environment, EmailSettingsChange(appointmentsContactsTasks: .serverSideSync)), by: .u(C.sam), at: C.t0)
            .thenRefused(.actNotSupportedByServerType)
        // New users and Apply Default Email Settings then get ACT = None through the POP3 profile.
        let bob: UserPrincipalName = "bob@contoso.com"
        let withBob = popDefault.and(.addUser(bob, displayName: "Bob", environment: C.environment), by: .u(C.gabriela), at: C.t0)
        #expect(withBob.state.mailboxes[C.mailbox(bob)]?.configuration == MailboxConfiguration(
            profile: "pop", incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .none))
    }

    @Test func aLedgerRecordedBeforeTheRuleGivesNewMailboxesACTNoneThroughPop3() throws {
        // A history written before the default-profile rule existed: POP3 default with ACT by SSS.
        let world = try C.world()
        let legacy = Scenario(given: world.history + [
            .serverProfileCreated(ServerProfileCreated(profile: "pop", environment: C.environment, settings: Self.pop)),
            .defaultServerProfileSet(DefaultServerProfileSet(environment: C.environment, profile: "pop", previous: C.exchangeProfile)),
        ])
        let bob: UserPrincipalName = "bob@contoso.com"
        let withBob = legacy.and(.addUser(bob, displayName: "Bob", environment: C.environment), by: .u(C.gabriela), at: C.t0)
        #expect(withBob.state.mailboxes[C.mailbox(bob)]?.configuration.appointmentsContactsTasks == ACTDelivery.none)
        let applied = legacy.and(.applyDefaultSettings([C.mailbox(C.alice)], test: false), by: .u(C.sam), at: C.t0)
        #expect(applied.state.mailboxes[C.mailbox(C.alice)]?.configuration == MailboxConfiguration(
            profile: "pop", incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .none))
    }

    @Test func aProfileCarryingACTCannotBeRetypedToPop3() throws {
        let world = try C.world()
            .and(.createProfile("second", C.environment, Self.second, setAsDefault: false), by: .u(C.sam), at: C.t0)
            .and(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(profile: "second")), by: .u(C.sam), at: C.t0)
        var retyped = Self.second
        retyped.serverType = .pop3SMTP
        retyped.authentication = .credentialsByUserOrQueue
        world.when(.updateProfile("second", retyped), by: .u(C.sam), at: C.t0).thenRefused(.actNotSupportedByServerType)
        // The default profile (exo-default) cannot be retyped while ACT defaults to SSS.
        var retypedDefault = try #require(world.state.profiles[C.exchangeProfile]).settings
        retypedDefault.serverType = .imapSMTP
        retypedDefault.authentication = .credentialsByUserOrQueue
        world.when(.updateProfile(C.exchangeProfile, retypedDefault), by: .u(C.sam), at: C.t0).thenRefused(.actNotSupportedByServerType)
    }

    @Test func theSimulatorFailsACTThroughPop3() throws {
        let world = try C.world().and(.createProfile("pop", C.environment, Self.pop, setAsDefault: false), by: .u(C.sam), at: C.t0)
        var mailbox = try #require(world.state.mailboxes[C.mailbox(C.alice)])
        mailbox.configuration.profile = "pop"
        let answer = SimulatedExchangeOnline().test(mailbox, channels: [.incoming, .outgoing, .appointmentsContactsTasks], approved: true,
                                                    syncThisOrgOnly: false, state: world.state, at: C.t0)
        #expect(answer == ExchangeAnswer(failures: [.appointmentsContactsTasks: .actNotSupportedByServerType], claimedSyncOrg: false))
    }

    // MARK: 9. Invisible and control characters are refused at the boundary

    @Test(arguments: ["Support\u{1B}[31m", "Sup\nport", "Sup\u{200B}port", "Sup\u{202E}port", "Sup\u{7F}port"])
    func namesWithHiddenCharactersAreRefused(_ name: String) throws {
        let world = try C.world()
        let outcome = world.when(.createQueue(C.environment, QueueName(name), emailAddress: "support@contoso.com"), by: .u(C.sam), at: C.t0)
        guard case .failure(let refusal) = outcome.result else { Issue.record("accepted \(name.debugDescription)"); return }
        #expect(refusal.code == .invalidValue)
        #expect(refusal.message.hasPrefix("\"Sup"))
        #expect(!refusal.message.unicodeScalars.contains(where: Command.isHidden), "the message itself carries no hidden character")
    }

    @Test func aLookAlikeUserPrincipalNameIsRefused() throws {
        try C.world().when(.addUser("alice\u{200B}@contoso.com", displayName: "Alice", environment: C.environment), by: .u(C.gabriela), at: C.t0)
            .thenRefused(.invalidValue, message: "\"alice?@contoso.com\" contains an invisible or control character (U+200B); names, user principal names and addresses may not")
        // Letters of any script are fine: only what cannot be seen is refused.
        let accepted = try C.world().when(.addUser("zoe@contoso.com", displayName: "Zoë Ångström", environment: C.environment), by: .u(C.gabriela), at: C.t0)
        #expect((try? accepted.result.get())?.isEmpty == false)
    }
}

/// Defect 18: the matrix's columns name roles held *at least*.
@Suite("Hardening: roles add up in the permission matrix")
struct RolesAddUpTests {
    typealias Role = PermissionMatrix.MatrixRole

    static let rows: [(Deployment, ExchangeKind)] = [
        (.online, .exchangeOnline), (.online, .exchangeOnPremises), (.onPremises, .exchangeOnline), (.onPremises, .exchangeOnPremises),
    ]

    /// Every subset of the five roles the matrix talks about.
    static let castings: [Set<Role>] = (0..<32).map { bits in Set(Role.allCases.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element)) }

    static func authority(holding roles: Set<Role>) -> Authority {
        let upn: UserPrincipalName = "someone@contoso.com"
        var state = SyncState()
        var user = DirectoryUser(upn: upn, displayName: "Someone")
        var env = EnvironmentState(id: "env", deployment: .online, version: "9.2.24011.00100", exchangeOnlineInTenant: true, region: .default,
                                   provisionedOn: C.t0, settings: EmailSettings())
        for role in RoleDefinition.builtIn(for: .online, version: "9.2.24011.00100") { env.roles[role.name] = role }
        if roles.contains(.globalAdmin) { user.adminRoles.insert(.globalAdmin) }
        if roles.contains(.exchangeAdmin) { user.adminRoles.insert(.exchangeAdmin) }
        if roles.contains(.serviceAdmin) { user.adminRoles.insert(.serviceAdmin) }
        if roles.contains(.systemAdmin) { env.assignments[.systemAdministrator, default: []].insert(.user(upn)) }
        if roles.contains(.delegatedApprover) { env.assignments[.delegatedMailboxApprover, default: []].insert(.user(upn)) }
        state.users[upn] = user
        state.environments["env"] = env
        return Authority(user: upn, in: "env", state: state)
    }

    /// The rule in words: some Yes column's roles are all held.
    static func expectedAllowed(_ roles: Set<Role>, at row: PermissionMatrix.Row) -> Bool {
        PermissionMatrix.Column.allCases.contains { column in
            column.roles.isSubset(of: roles) && PermissionMatrix.cell(row, column) != .no && PermissionMatrix.cell(row, column) != .notApplicable
        }
    }

    @Test func moreRolesNeverTakeAnApprovalRightAway() {
        for (deployment, exchange) in Self.rows {
            let row = PermissionMatrix.row(deployment: deployment, exchange: exchange)
            for roles in Self.castings {
                let verdict = PermissionMatrix.verdict(for: Self.authority(holding: roles), at: row, version: "9.2.24011.00100")
                let allowed = if case .allowed = verdict { true } else { false }
                #expect(allowed == Self.expectedAllowed(roles, at: row), "\(roles.map(\.label).sorted()) on \(deployment) + \(exchange)")
                // Monotone: adding any role keeps an allowed casting allowed.
                if allowed {
                    for extra in Role.allCases {
                        let more = PermissionMatrix.verdict(for: Self.authority(holding: roles.union([extra])), at: row, version: "9.2.24011.00100")
                        #expect(more != .refused, "adding \(extra.label) to \(roles.map(\.label).sorted()) took the right away")
                    }
                }
            }
        }
    }

    @Test func aServiceAdminWhoIsAlsoSystemAdminApprovesOnTheOnPremisesExchangeRow() {
        let row = PermissionMatrix.row(deployment: .online, exchange: .exchangeOnPremises)
        #expect(PermissionMatrix.verdict(for: Self.authority(holding: [.serviceAdmin, .systemAdmin]), at: row, version: "9.2.24011.00100")
                == .allowed(by: .systemAdminAlone))
        #expect(PermissionMatrix.verdict(for: Self.authority(holding: [.serviceAdmin]), at: row, version: "9.2.24011.00100") == .refused)
    }

    @Test func everyRefusalNamesCombinationsThatWouldAllowIt() {
        for (deployment, exchange) in Self.rows {
            let row = PermissionMatrix.row(deployment: deployment, exchange: exchange)
            for roles in Self.castings where !Self.expectedAllowed(roles, at: row) {
                let remedy = PermissionMatrix.remedy(for: Self.authority(holding: roles), at: row, version: "9.2.24011.00100")
                #expect(remedy.hasPrefix("it needs "), "\(remedy)")
                // Each "(add X and Y)" suggestion, applied, allows the action.
                var suggestions: [Set<Role>] = []
                var rest = Substring(remedy)
                while let open = rest.range(of: "(add "), let close = rest[open.upperBound...].firstIndex(of: ")") {
                    let names = rest[open.upperBound..<close].components(separatedBy: " and ")
                    suggestions.append(Set(names.compactMap { name in Role.allCases.first { $0.label == name } }))
                    rest = rest[close...]
                }
                #expect(!suggestions.isEmpty, "no suggestion for \(roles.map(\.label).sorted()): \(remedy)")
                for added in suggestions {
                    let verdict = PermissionMatrix.verdict(for: Self.authority(holding: roles.union(added)), at: row, version: "9.2.24011.00100")
                    #expect(verdict != .refused, "adding \(added.map(\.label).sorted()) to \(roles.map(\.label).sorted()) is still refused")
                }
            }
        }
    }

    @Test func theRefusalMessagesForTheCast() throws {
        let row = PermissionMatrix.row(deployment: .online, exchange: .exchangeOnline)
        let version: DynamicsVersion = "9.2.24011.00100"
        #expect(PermissionMatrix.remedy(for: Self.authority(holding: [.globalAdmin]), at: row, version: version)
                == "it needs Global admin + System Administrator (add System Administrator), Exchange admin + System Administrator (add Exchange admin and System Administrator), or Delegated Mailbox Approver + System Administrator (add Delegated Mailbox Approver and System Administrator)")
        #expect(PermissionMatrix.remedy(for: Self.authority(holding: [.serviceAdmin]), at: row, version: version)
                == "it needs Global admin + System Administrator (add Global admin and System Administrator), Exchange admin + System Administrator (add Exchange admin and System Administrator), or Delegated Mailbox Approver + System Administrator (add Delegated Mailbox Approver and System Administrator)")
        let onPremises = PermissionMatrix.row(deployment: .online, exchange: .exchangeOnPremises)
        #expect(PermissionMatrix.remedy(for: Self.authority(holding: [.serviceAdmin]), at: onPremises, version: version)
                == "it needs System Administrator (add System Administrator)")
        // Through the domain: a Global admin alone is told to add System Administrator.
        let world = try C.world()
        world.when(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
            .then(.mailboxEmailApproved(MailboxEmailApproved(mailbox: C.mailbox(C.alice), emailAddress: "alice@contoso.com", approvedBy: C.gabriela,
                                                             method: .manual, previousStatus: .pendingApproval, approvedByMicrosoft365Admin: true)))
    }
}
