import Foundation
import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("Server profiles, email settings and mailbox configuration")
struct ProfileAndSettingsTests {
    static let second = ProfileSettings(name: "Second EXO", serverType: .exchangeOnline, authentication: .serverToServer, owner: C.sam)
    static let defaultConfiguration = MailboxConfiguration(profile: C.exchangeProfile, incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .serverSideSync)

    @Test func creatingAProfileAsDefault() throws {
        let world = try C.world()
        world.when(.createProfile("second", C.environment, Self.second, setAsDefault: true), by: .u(C.sam), at: C.t0)
            .then(.serverProfileCreated(ServerProfileCreated(profile: "second", environment: C.environment, settings: Self.second)),
                  .defaultServerProfileSet(DefaultServerProfileSet(environment: C.environment, profile: "second", previous: C.exchangeProfile)))
            .when(.createProfile("second", C.environment, Self.second, setAsDefault: false), by: .u(C.sam), at: C.t0).thenRefused(.alreadyExists)
        world.when(.createProfile("x", C.environment, Self.second, setAsDefault: false), by: .u(C.alice), at: C.t0).thenRefused(.notAnAdministrator)
    }

    @Test(arguments: [
        ("name", RefusalCode.invalidValue),
        ("longName", .invalidValue),
        ("connections", .invalidValue),
        ("polling", .invalidValue),
        ("timeout", .invalidValue),
        ("credentials", .unsupportedForExchangeOnline),
        ("autodiscover", .unsupportedForExchangeOnline),
        ("owner", .unknownUser),
        ("location", .invalidValue),
    ])
    func profileSettingsAreValidated(_ defect: String, _ code: RefusalCode) throws {
        var settings = Self.second
        switch defect {
        case "name": settings.name = "  "
        case "longName": settings.name = String(repeating: "x", count: 101)
        case "connections": settings.options.maxConcurrentConnections = 301
        case "polling": settings.options.minPollingIntervalMinutes = 1441
        case "timeout": settings.options.timeoutMailboxConnectionAfterMilliseconds = 100_001
        case "credentials": settings.authentication = .credentialsByUserOrQueue
        case "autodiscover": settings.options.useAutoDiscover = false
        case "owner": settings.owner = "ghost@contoso.com"
        default: settings.serverLocation = "ftp://nowhere"
        }
        try C.world().when(.createProfile("p", C.environment, settings, setAsDefault: false), by: .u(C.sam), at: C.t0).thenRefused(code)
    }

    @Test func updatingSettingDefaultLocationAndDeactivating() throws {
        var changed = Self.second
        changed.options.maxConcurrentConnections = 20
        let world = try C.world().and(.createProfile("second", C.environment, Self.second, setAsDefault: false), by: .u(C.sam), at: C.t0)
        world.when(.updateProfile("second", changed), by: .u(C.sam), at: C.t0)
            .then(.serverProfileUpdated(ServerProfileUpdated(profile: "second", before: Self.second, after: changed)))
        world.when(.updateProfile("second", Self.second), by: .u(C.sam), at: C.t0).thenRefused(.nothingToChange)
        world.when(.setProfileLocation("second", SimulatedExchangeOnline.chinaEndpoint), by: .u(C.sam), at: C.t0)
            .then(.serverProfileLocationSet(ServerProfileLocationSet(profile: "second", location: SimulatedExchangeOnline.chinaEndpoint, previous: nil)))
        world.when(.deactivateProfile(C.exchangeProfile), by: .u(C.sam), at: C.t0).thenRefused(.defaultProfileCannotBeDeactivated)
        world.when(.deactivateProfile("second"), by: .u(C.sam), at: C.t0)
            .then(.serverProfileDeactivated(ServerProfileDeactivated(profile: "second")))
            .when(.setDefaultProfile(C.environment, "second"), by: .u(C.sam), at: C.t0).thenRefused(.profileInactive)
        world.when(.setDefaultProfile(C.environment, C.exchangeProfile), by: .u(C.sam), at: C.t0).thenRefused(.nothingToChange)
        world.when(.setDefaultProfile(C.environment, "second"), by: .u(C.sam), at: C.t0)
            .then(.defaultServerProfileSet(DefaultServerProfileSet(environment: C.environment, profile: "second", previous: C.exchangeProfile)))
        world.when(.setDefaultProfile(C.environment, "ghost"), by: .u(C.sam), at: C.t0).thenRefused(.unknownProfile)
    }

    @Test func turningApprovalOffNeedsAnApprover() throws {
        let world = try C.world()
        let off = EmailSettingsChange(processEmailsOnlyForApprovedUsers: false)
        var after = EmailSettings()
        after.processEmailsOnlyForApprovedUsers = false
        world.when(.changeEmailSettings(C.environment, off), by: .u(C.sam), at: C.t0).thenRefused(.approverRoleCombinationNotAllowed)
        world.when(.changeEmailSettings(C.environment, off), by: .u(C.dana), at: C.t0)
            .then(.emailSettingsChanged(EmailSettingsChanged(environment: C.environment, before: EmailSettings(), after: after)))
        // Other settings need only an administrator.
        var outlook = EmailSettings()
        outlook.outgoing = .outlook
        world.when(.changeEmailSettings(C.environment, EmailSettingsChange(outgoing: .outlook)), by: .u(C.sam), at: C.t0)
            .then(.emailSettingsChanged(EmailSettingsChanged(environment: C.environment, before: EmailSettings(), after: outlook)))
        world.when(.changeEmailSettings(C.environment, EmailSettingsChange(outgoing: .serverSideSync)), by: .u(C.sam), at: C.t0).thenRefused(.nothingToChange)
        world.when(.changeEmailSettings(C.environment, EmailSettingsChange(outgoing: .outlook)), by: .u(C.alice), at: C.t0).thenRefused(.notAnAdministrator)
    }

    @Test func editingMailboxesNeedsReadAndWriteOnMailbox() throws {
        var after = Self.defaultConfiguration
        after.outgoing = .outlook
        let edit = Command.editMailboxes([C.mailbox(C.alice)], MailboxEdit(outgoing: .outlook))
        let world = try C.world().and(.assignRole(C.environment, .systemCustomizer, .user(C.erin)), by: .u(C.sam), at: C.t0)
        world.when(edit, by: .u(C.erin), at: C.t0)
            .then(.mailboxConfigured(MailboxConfigured(mailbox: C.mailbox(C.alice), reason: .edit, before: Self.defaultConfiguration, after: after)))
            .when(edit, by: .u(C.erin), at: C.t0).thenRefused(.nothingToChange)
        world.and(.setRolePrivilege(C.environment, .systemCustomizer, .mailboxWrite, .user), by: .u(C.sam), at: C.t0)
            .when(edit, by: .u(C.erin), at: C.t0).thenRefused(.missingMailboxPrivileges)
        world.when(edit, by: .u(C.alice), at: C.t0).thenRefused(.notAnAdministrator)
        world.when(.editMailboxes([C.mailbox(C.alice)], MailboxEdit()), by: .u(C.sam), at: C.t0).thenRefused(.invalidValue)
        world.when(.editMailboxes([], MailboxEdit(outgoing: .outlook)), by: .u(C.sam), at: C.t0).thenRefused(.invalidValue)
    }

    @Test func actCannotUseServerSideSyncWithPop3() throws {
        let pop = ProfileSettings(name: "POP", serverType: .pop3SMTP, authentication: .credentialsByUserOrQueue, owner: C.sam)
        try C.world().and(.createProfile("pop", C.environment, pop, setAsDefault: false), by: .u(C.sam), at: C.t0)
            .when(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(profile: "pop")), by: .u(C.sam), at: C.t0)
            .thenRefused(.actNotSupportedByServerType)
    }

    @Test func changingTheAddressResetsApprovalAndStatus() throws {
        try C.world()
            .and(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
            .when(.changeEmailAddress(C.mailbox(C.alice), "Alice.Smith@contoso.com"), by: .u(C.sam), at: C.t0)
            .then(.mailboxEmailAddressChanged(MailboxEmailAddressChanged(mailbox: C.mailbox(C.alice), previous: "alice@contoso.com",
                                                                         emailAddress: "alice.smith@contoso.com", approvalBefore: .approved, approvalAfter: .pendingApproval)))
            .when(.changeEmailAddress(C.mailbox(C.alice), "alice.smith@contoso.com"), by: .u(C.sam), at: C.t0).thenRefused(.nothingToChange)
        try C.world().when(.changeEmailAddress(C.mailbox(C.alice), "bad"), by: .u(C.sam), at: C.t0).thenRefused(.invalidValue)
    }
}

@Suite("Determinism and the event format")
struct DeterminismTests {
    /// A history touching most event types.
    func richHistory() throws -> [DomainEvent] {
        try C.world(region: .china)
            .and(.enableChinaExchangeAccess(C.environment), by: .u(C.gabriela), at: C.t0)
            .and(.setProfileLocation(C.exchangeProfile, SimulatedExchangeOnline.chinaEndpoint), by: .u(C.sam), at: C.t0)
            .and(.createTeam(C.environment, "Sales"), by: .u(C.sam), at: C.t0)
            .and(.addTeamMember(C.environment, "Sales", C.alice), by: .u(C.sam), at: C.t0)
            .and(.createQueue(C.environment, "Support", emailAddress: "support@contoso.com"), by: .u(C.sam), at: C.t0)
            .and(.createRole(C.environment, "Desk"), by: .u(C.sam), at: C.t0)
            .and(.setRolePrivilege(C.environment, "Desk", .mailboxRead, .organization), by: .u(C.sam), at: C.t0)
            .and(.removeRole(C.environment, .basicUser, .user(C.alice)), by: .u(C.sam), at: C.t0)
            .and(.assignRole(C.environment, .basicUser, .user(C.alice)), by: .u(C.sam), at: C.t0)
            .and(.createProfile("second", C.environment, ProfileAndSettingsTests.second, setAsDefault: false), by: .u(C.sam), at: C.t0)
            .and(.updateProfile("second", ProfileSettings(name: "Renamed", serverType: .exchangeOnline, authentication: .oauthCrossTenant(tenantID: "t", applicationID: "a", clientSecretFingerprint: "f"), owner: C.sam)), by: .u(C.sam), at: C.t0)
            .and(.changeEmailSettings(C.environment, EmailSettingsChange(outgoing: .outlook)), by: .u(C.sam), at: C.t0)
            .and(.approveEmail(C.mailbox(C.sam)), by: .u(C.gabriela), at: C.t0)
            .and(.rejectEmail(C.mailbox(C.erin)), by: .u(C.gabriela), at: C.t0)
            .and(.recordExchangeOutage(from: C.t0, until: C.at(minutes: 3)), by: .u(C.gabriela), at: C.t0)
            .and(.testAndEnable([C.mailbox(C.alice)], TestOptions(processEmailsFrom: C.t0, syncThisOrgOnly: true)), by: .u(C.alice), at: C.at(minutes: 1))
            .and(.processDueRetries, by: .system, at: C.at(minutes: 6))
            .and(.applyDefaultSettings([C.mailbox(C.dana)], test: true), by: .u(C.sam), at: C.at(minutes: 7))
            .and(.testProfileMailboxes(C.exchangeProfile, job: "j1"), by: .u(C.sam), at: C.at(minutes: 8))
            .and(.changeEmailAddress(C.mailbox(C.dana), "dana.x@contoso.com"), by: .u(C.sam), at: C.at(minutes: 9))
            .and(.createProfile("third", C.environment, ProfileAndSettingsTests.second, setAsDefault: true), by: .u(C.sam), at: C.t0)
            .and(.deactivateProfile(C.exchangeProfile), by: .u(C.sam), at: C.t0)
            .history
    }

    @Test func foldingTheSameEventsTwiceGivesEqualStates() throws {
        let history = try richHistory()
        #expect(history.count > 60)
        #expect(SyncDomain.fold(history) == SyncDomain.fold(history))
    }

    @Test func everyEventRoundTripsThroughItsStoredJSON() throws {
        let history = try richHistory()
        let names = Set(history.map(\.typeName.name))
        #expect(names.count >= 28, "the history covers \(names.count) event types")
        for event in history {
            let (name, version) = event.typeName
            let data = try event.encodedData()
            let decoded = try DomainEvent.decode(type: name, schemaVersion: version, data: data)
            #expect(decoded == event)
            #expect(try decoded.encodedData() == data, "stable bytes for \(name)")
        }
    }

    @Test func aVersion1ApprovalIsUpcast() throws {
        let v1 = #"{"approvedBy":"gabriela@contoso.com","emailAddress":"alice@contoso.com","mailbox":"contoso-prod/user:alice@contoso.com","method":"manual","previousStatus":"Pending Approval"}"#
        let event = try DomainEvent.decode(type: "MailboxEmailApproved", schemaVersion: 1, data: Data(v1.utf8))
        #expect(event == approved(C.alice, by: C.gabriela, tenantAdmin: false))
        #expect(throws: UnknownEventType(type: "MailboxEmailApproved", schemaVersion: 3)) {
            try DomainEvent.decode(type: "MailboxEmailApproved", schemaVersion: 3, data: Data(v1.utf8))
        }
    }

    @Test func timestampsFormatAndParse() {
        let instant = Timestamp.parse("2025-03-01T09:30:15.250Z")!
        #expect(Timestamp.format(instant) == "2025-03-01T09:30:15.250Z")
        #expect(Timestamp.parse("2025-03-01T10:30:15.25+01:00") == instant)
        #expect(Timestamp.parse("2025-03-01") == Timestamp.parse("2025-03-01T00:00:00Z"))
        #expect(Timestamp.format(Timestamp.parse("1969-12-31T23:59:59Z")!) == "1969-12-31T23:59:59.000Z")
        #expect(Timestamp.parse("2025-13-01") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
        #expect(Timestamp.parse("2025-03-01T09:30") == nil)
    }
}
