import Foundation
import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("Test & Enable against the simulated Exchange Online (B8)")
struct TestAndEnableTests {
    /// The world with alice's address approved by gabriela.
    func approvedWorld(_ world: Scenario? = nil) throws -> Scenario {
        try (world ?? C.world()).and(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
    }

    let testAlice = Command.testAndEnable([C.mailbox(C.alice)], TestOptions())

    @Test func rule7FullSuccessEnablesAndTellsTheMailboxOwner() throws {
        try approvedWorld().when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(.success), enabled: allEnabled, alerts: [successAlert(C.alice)]), claimed(C.alice))
    }

    @Test func rule1AMailboxWithoutAProfileFails() throws {
        // No Exchange Online in the tenant: no default profile, so new mailboxes have none.
        let world = try C.world(exchangeOnlineInTenant: false)
        try approvedWorld(world).when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(failure(.mailboxInactiveOrNoProfile)), enabled: .none,
                         alerts: [errorAlert(C.alice, .mailboxInactiveOrNoProfile, profile: nil, profileOwner: nil)], profile: nil))
    }

    @Test func rule1AMailboxOnAnInactiveProfileFails() throws {
        let other = ProfileSettings(name: "Second", serverType: .exchangeOnline, authentication: .serverToServer, owner: C.sam)
        try approvedWorld()
            .and(.createProfile("second", C.environment, other, setAsDefault: true), by: .u(C.sam), at: C.t0)
            .and(.deactivateProfile(C.exchangeProfile), by: .u(C.sam), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(failure(.mailboxInactiveOrNoProfile)), enabled: .none,
                         alerts: [errorAlert(C.alice, .mailboxInactiveOrNoProfile)]))
    }

    @Test func rule2AnUnapprovedAddressFailsWhenApprovalIsRequired() throws {
        try C.world().when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(failure(.emailAddressNotApproved)), enabled: .none,
                         alerts: [errorAlert(C.alice, .emailAddressNotApproved)]))
    }

    @Test func rule2DoesNotApplyOnceApprovalIsNoLongerRequired() throws {
        try C.world()
            .and(.changeEmailSettings(C.environment, EmailSettingsChange(processEmailsOnlyForApprovedUsers: false)), by: .u(C.gabriela), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(.success), enabled: allEnabled, alerts: [successAlert(C.alice)]), claimed(C.alice))
    }

    @Test func rule3ChinaNeedsVianetBeforeTheCutoffAndTheChinaEndpoint() throws {
        let old = try approvedWorld(C.world(region: .china, provisionedOn: Timestamp.parse("2019-05-01")!))
        let chinaFailure = tested(C.alice, by: C.sam, statuses: statuses(failure(.chinaExchangeNotConfigured)), enabled: .none,
                                  alerts: [errorAlert(C.alice, .chinaExchangeNotConfigured)])
        let pointed = old.and(.setProfileLocation(C.exchangeProfile, SimulatedExchangeOnline.chinaEndpoint), by: .u(C.sam), at: C.t0)
        pointed.when(testAlice, by: .u(C.sam), at: C.t0).then(chinaFailure)
        old.and(.enableChinaExchangeAccess(C.environment), by: .u(C.gabriela), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0).then(chinaFailure)
        pointed.and(.enableChinaExchangeAccess(C.environment), by: .u(C.gabriela), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(.success), enabled: allEnabled, alerts: [successAlert(C.alice)]), claimed(C.alice))
        // Provisioned after 2020-10-17: the endpoint alone is enough.
        try approvedWorld(C.world(region: .china, provisionedOn: Timestamp.parse("2021-01-01")!))
            .and(.setProfileLocation(C.exchangeProfile, SimulatedExchangeOnline.chinaEndpoint), by: .u(C.sam), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(.success), enabled: allEnabled, alerts: [successAlert(C.alice)]), claimed(C.alice))
    }

    @Test func rule4AnAddressUnknownToExchangeOnlineFails() throws {
        try approvedWorld()
            .and(.changeEmailAddress(C.mailbox(C.alice), "alice.new@contoso.com"), by: .u(C.sam), at: C.t0)
            .and(.approveEmail(C.mailbox(C.alice)), by: .u(C.gabriela), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: statuses(failure(.mailboxLocationUndetermined)), enabled: .none,
                         alerts: [AlertNotice(level: .error, code: "MailboxLocationUndetermined",
                                              text: "\(TestFailure.mailboxLocationUndetermined.text) Mailbox alice.new@contoso.com is disabled for: Incoming Email, Outgoing Email, Appointments, Contacts, and Tasks.",
                                              mailbox: C.mailbox(C.alice), profile: C.exchangeProfile, recipients: [C.gabriela])]))
    }

    func retryWarning(_ number: Int, due: Date) -> AlertNotice {
        AlertNotice(level: .warning, code: "ExchangeUnavailable",
                    text: "\(TestFailure.exchangeUnavailable.text) Retry \(number) of 10 is due at \(Timestamp.format(due)).",
                    mailbox: C.mailbox(C.alice), profile: C.exchangeProfile, recipients: [C.gabriela])
    }

    @Test func rule5AnOutageIsTransientAndSchedulesARetry() throws {
        try approvedWorld()
            .and(.recordExchangeOutage(from: C.t0, until: C.at(minutes: 7)), by: .u(C.gabriela), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.at(minutes: 1))
            .then(tested(C.alice, by: C.sam, at: C.at(minutes: 1), statuses: statuses(failure(.exchangeUnavailable)), enabled: .none,
                         nextRetryAt: C.at(minutes: 6), alerts: [retryWarning(1, due: C.at(minutes: 6))]))
            // Not due yet: nothing happens.
            .when(.processDueRetries, by: .system, at: C.at(minutes: 5)).then([])
            // Due, still in the outage: retry 1 fails transiently again.
            .when(.processDueRetries, by: .system, at: C.at(minutes: 6))
            .then(tested(C.alice, by: C.sam, at: C.at(minutes: 6), trigger: .retry, statuses: statuses(failure(.exchangeUnavailable)), enabled: .none,
                         retry: 1, nextRetryAt: C.at(minutes: 11), alerts: [retryWarning(2, due: C.at(minutes: 11))]))
            // After the outage retry 2 succeeds and clears the schedule.
            .when(.processDueRetries, by: .system, at: C.at(minutes: 11))
            .then(tested(C.alice, by: C.sam, at: C.at(minutes: 11), trigger: .retry, statuses: statuses(.success), enabled: allEnabled,
                         retry: 2, alerts: [successAlert(C.alice)]), claimed(C.alice))
            .when(.processDueRetries, by: .system, at: C.at(minutes: 60)).thenNothing()
    }

    @Test func tenTransientRetriesThenThePermanentFailureDisablesTheMailbox() throws {
        var scenario = try approvedWorld()
            .and(.recordExchangeOutage(from: C.t0, until: C.at(minutes: 600)), by: .u(C.gabriela), at: C.t0)
            .and(testAlice, by: .u(C.sam), at: C.t0)
        for retry in 1...9 {
            let at = C.at(minutes: Double(5 * retry))
            let due = C.at(minutes: Double(5 * (retry + 1)))
            scenario = scenario.when(.processDueRetries, by: .system, at: at)
                .then(tested(C.alice, by: C.sam, at: at, trigger: .retry, statuses: statuses(failure(.exchangeUnavailable)), enabled: .none,
                             retry: retry, nextRetryAt: due, alerts: [retryWarning(retry + 1, due: due)]))
        }
        scenario.when(.processDueRetries, by: .system, at: C.at(minutes: 50))
            .then(tested(C.alice, by: C.sam, at: C.at(minutes: 50), trigger: .retry, statuses: statuses(failure(.retriesExhausted)), enabled: .none,
                         retry: 10, alerts: [errorAlert(C.alice, .retriesExhausted)]))
            .when(.processDueRetries, by: .system, at: C.at(minutes: 55)).thenNothing()
    }

    @Test func rule6ActFailsWhenTheMailboxSyncsWithAnotherOrg() throws {
        let world = try approvedWorld()
        var state = world.state
        state.exchange.mailboxes["alice@contoso.com"] = .some("fabrikam-prod")
        let context = DecisionContext(actor: .u(C.sam), now: C.t0)
        let actFailure = ChannelOutcome(status: .failure, errorCode: "MailboxSyncsWithAnotherOrg", transient: false)
        let expected = tested(C.alice, by: C.sam, statuses: ChannelStatuses(incoming: .success, outgoing: .success, appointmentsContactsTasks: actFailure),
                              enabled: ChannelFlags(incoming: true, outgoing: true, appointmentsContactsTasks: false),
                              alerts: [errorAlert(C.alice, .mailboxSyncsWithAnotherOrg, channels: "Appointments, Contacts, and Tasks")])
        #expect(try SyncDomain.decide(testAlice, given: state, context: context) == [expected])
        // Choosing "sync with this org only" claims the mailbox for this organization.
        let claiming = Command.testAndEnable([C.mailbox(C.alice)], TestOptions(syncThisOrgOnly: true))
        #expect(try SyncDomain.decide(claiming, given: state, context: context) == [
            tested(C.alice, by: C.sam, statuses: statuses(.success), enabled: allEnabled, alerts: [successAlert(C.alice)], syncThisOrgOnly: true),
            claimed(C.alice, previous: "fabrikam-prod"),
        ])
    }

    @Test func channelsNotOnServerSideSyncStayNotRun() throws {
        try approvedWorld()
            .and(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(outgoing: .outlook, appointmentsContactsTasks: ACTDelivery.none)), by: .u(C.sam), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0)
            .then(tested(C.alice, by: C.sam, statuses: ChannelStatuses(incoming: .success, outgoing: .notRun, appointmentsContactsTasks: .notRun),
                         enabled: ChannelFlags(incoming: true, outgoing: false, appointmentsContactsTasks: false),
                         alerts: [successAlert(C.alice, channels: "Incoming Email")]))
    }

    @Test func aMailboxWithNothingOnServerSideSyncIsRefused() throws {
        try approvedWorld()
            .and(.editMailboxes([C.mailbox(C.alice)], MailboxEdit(incoming: IncomingDelivery.none, outgoing: OutgoingDelivery.none, appointmentsContactsTasks: ACTDelivery.none)), by: .u(C.sam), at: C.t0)
            .when(testAlice, by: .u(C.sam), at: C.t0)
            .thenRefused(.nothingToTest)
    }

    @Test func theProfileJobTestsEveryMailboxOnTheProfile() throws {
        let job: JobID = "job-1"
        let mailboxes = [C.dana, C.erin, C.gabriela, C.alice, C.sam].map { C.mailbox($0) }.sorted()
        let world = try approvedWorld()
            .and(.approveEmail(C.mailbox(C.sam)), by: .u(C.gabriela), at: C.t0)
        var expected: [DomainEvent] = [.profileTestJobStarted(ProfileTestJobStarted(job: job, profile: C.exchangeProfile, mailboxes: mailboxes, requestedBy: C.gabriela))]
        for id in mailboxes {
            let owner = UserPrincipalName(String(id.rawValue.split(separator: ":").last!))
            if owner == C.alice || owner == C.sam {
                expected.append(tested(owner, by: C.gabriela, trigger: .profileJob, statuses: statuses(.success), enabled: allEnabled,
                                       alerts: [successAlert(owner)], job: job))
                expected.append(claimed(owner))
            } else {
                expected.append(tested(owner, by: C.gabriela, trigger: .profileJob, statuses: statuses(failure(.emailAddressNotApproved)),
                                       enabled: .none, alerts: [errorAlert(owner, .emailAddressNotApproved)], job: job))
            }
        }
        expected.append(.profileTestJobCompleted(ProfileTestJobCompleted(job: job, profile: C.exchangeProfile, succeeded: 2, failed: 3, retrying: 0)))
        let after = world.when(.testProfileMailboxes(C.exchangeProfile, job: job), by: .u(C.gabriela), at: C.t0).then(expected)
        after.when(.testProfileMailboxes(C.exchangeProfile, job: job), by: .u(C.gabriela), at: C.t0).thenRefused(.alreadyExists)
        world.when(.testProfileMailboxes(C.exchangeProfile, job: "job-2"), by: .u(C.alice), at: C.t0).thenRefused(.notAnAdministrator)
    }

    @Test func applyDefaultsConfiguresThenTests() throws {
        let second = ProfileSettings(name: "Second", serverType: .exchangeOnline, authentication: .serverToServer, owner: C.sam)
        let before = MailboxConfiguration(profile: C.exchangeProfile, incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .serverSideSync)
        var after = before
        after.profile = "second"
        let world = try approvedWorld()
            .and(.createProfile("second", C.environment, second, setAsDefault: true), by: .u(C.sam), at: C.t0)
        world.when(.applyDefaultSettings([C.mailbox(C.alice)], test: true), by: .u(C.sam), at: C.t0)
            .then(.mailboxConfigured(MailboxConfigured(mailbox: C.mailbox(C.alice), reason: .applyDefaults, before: before, after: after)),
                  tested(C.alice, by: C.sam, trigger: .applyDefaults, statuses: statuses(.success), enabled: allEnabled,
                         alerts: [successAlert(C.alice, profile: "second")], profile: "second"),
                  claimed(C.alice))
        world.when(.applyDefaultSettings([C.mailbox(C.alice)], test: false), by: .u(C.sam), at: C.t0)
            .then(.mailboxConfigured(MailboxConfigured(mailbox: C.mailbox(C.alice), reason: .applyDefaults, before: before, after: after)))
            .when(.applyDefaultSettings([C.mailbox(C.alice)], test: false), by: .u(C.sam), at: C.t0)
            .thenRefused(.nothingToChange)
        world.when(.applyDefaultSettings([C.mailbox(C.alice)], test: false), by: .u(C.alice), at: C.t0).thenRefused(.notAnAdministrator)
    }
}
