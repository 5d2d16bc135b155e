import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo",
        abstract: "Walk the documented procedures end to end on a fresh ledger file and show what auditors see.",
        discussion: "Without --db the demo writes a new file in the temporary folder and prints its path; with --db the file must not exist yet.")
    @Option(help: ArgumentHelp("Where to write the demo ledger (must not exist).", valueName: "path")) var db: String?

    func run() throws {
        let path = db ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("syncledger-demo-\(Int(Date().timeIntervalSince1970))-\(getpid()).sqlite").path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path) already exists; the demo needs a fresh file (remove it or choose another --db)")
        }
        try reportingFailure(json: false) { try Demo(path: path).run() }
    }
}

/// The scripted walk through the seed's procedures, on a pinned clock that
/// advances a minute per step (so the output is the same on every run but
/// for the file path).
struct Demo {
    /// The demo's Global admin and Exchange admin, for `serve --demo`'s tokens.
    static let gabrielaUPN = "gabriela@contoso.com"
    static let erinUPN = "erin@contoso.com"
    let path: String
    let clock = ManualAmbient(at: Timestamp.parse("2025-03-03T09:00:00Z")!)
    let env: EnvironmentID = "contoso-prod"
    let gabriela: UserPrincipalName = "gabriela@contoso.com"   // Global admin
    let sam: UserPrincipalName = "sam@contoso.com"             // System Administrator
    let erin: UserPrincipalName = "erin@contoso.com"           // Exchange admin
    let dana: UserPrincipalName = "dana@contoso.com"           // Delegated Mailbox Approver + System Administrator
    let alice: UserPrincipalName = "alice@contoso.com"
    let bob: UserPrincipalName = "bob@contoso.com"

    func heading(_ text: String) { print("\n== \(text)") }

    /// Executes and prints one line per command: accepted with its events, or refused with its code.
    @discardableResult
    func run(_ ledger: SyncLedger, _ command: Command, by actor: Actor, note: String? = nil) throws -> [RecordedEvent] {
        clock.advance(seconds: 60)
        let who = actor.description
        // Through Result: a `catch` with an enum pattern on a typed throw crashes Swift 6.3's SIL verifier.
        switch Result(catching: { () throws(SyncLedgerError) in try ledger.execute(command, as: actor) }) {
        case .success(let execution):
            let types = execution.events.map(\.type)
            let summary = types.count > 4 ? types.prefix(4).joined(separator: ", ") + ", … (\(types.count) events)" : types.joined(separator: ", ")
            print("  ✓ \(command.name) by \(who)\(note.map { " — \($0)" } ?? ""): \(summary.isEmpty ? "nothing to do" : summary)")
            return execution.events
        case .failure(.refused(let refusal, let denial)):
            print("  ✗ \(command.name) by \(who) refused \(refusal.code.rawValue)\(denial.map { " (denial recorded at \($0))" } ?? ""):")
            print("      \(refusal.message)")
            return []
        case .failure(let error):
            throw error
        }
    }

    func mailbox(_ upn: UserPrincipalName) -> MailboxID { MailboxID(environment: env, owner: .user(upn)) }

    func run() throws {
        let ledger = try SyncLedger.open(at: path, options: .init(ambient: clock.ambient, simulation: true))
        print("SyncLedger demo — ledger file: \(path)")

        heading("1. The tenant and an environment with Exchange Online")
        try run(ledger, .createTenant(name: "Contoso", firstGlobalAdmin: gabriela, displayName: "Gabriela"), by: .user(gabriela))
        try run(ledger, .provisionEnvironment(ProvisionEnvironment(environment: env, version: "9.2.24011.00100", provisionedOn: clock.now,
                                                                    exchangeProfile: "microsoft-exchange-online")), by: .user(gabriela),
                note: "creates the \"Microsoft Exchange Online\" profile as default")

        heading("2. Users, roles and a queue")
        for (upn, name) in [(sam, "Sam"), (erin, "Erin"), (dana, "Dana"), (alice, "Alice"), (bob, "Bob")] {
            try run(ledger, .addUser(upn, displayName: name, environment: env), by: .user(gabriela))
        }
        try run(ledger, .grantAdminRole(erin, .exchangeAdmin), by: .user(gabriela))
        try run(ledger, .assignRole(env, .systemAdministrator, .user(sam)), by: .user(gabriela))
        try run(ledger, .assignRole(env, .systemAdministrator, .user(dana)), by: .user(gabriela))
        for upn in [alice, bob] { try run(ledger, .assignRole(env, .basicUser, .user(upn)), by: .user(sam)) }
        try run(ledger, .createQueue(env, "Support", emailAddress: "support@contoso.com"), by: .user(sam))
        for address in ["gabriela", "sam", "erin", "dana", "alice", "bob", "support"] {
            try run(ledger, .addExchangeMailbox(EmailAddress("\(address)@contoso.com"), syncOrg: nil), by: .user(erin))
        }

        heading("3. A second server profile, made the default; email settings")
        var settings = ProfileSettings(name: "Contoso Exchange Online", serverType: .exchangeOnline, authentication: .serverToServer, owner: sam)
        settings.options.maxConcurrentConnections = 20
        try run(ledger, .createProfile("contoso-exo", env, settings, setAsDefault: true), by: .user(sam))
        try run(ledger, .changeEmailSettings(env, EmailSettingsChange(processEmailsOnlyForApprovedUsers: false)), by: .user(sam), note: "a System Administrator alone may not turn approval off")

        heading("4. Apply default email settings, then edit")
        let everyone = [alice, bob].map(mailbox) + [MailboxID(environment: env, owner: .queue("Support"))]
        try run(ledger, .applyDefaultSettings(everyone, test: false), by: .user(sam))
        try run(ledger, .editMailboxes([mailbox(bob)], MailboxEdit(appointmentsContactsTasks: .outlook)), by: .user(sam))
        try run(ledger, .editMailboxes([mailbox(bob)], MailboxEdit(appointmentsContactsTasks: .serverSideSync)), by: .user(sam))

        heading("5. Approving email addresses (the permission matrix)")
        try run(ledger, .approveEmail(mailbox(alice)), by: .user(sam), note: "System admin alone")
        try run(ledger, .approveEmail(mailbox(alice)), by: .user(gabriela), note: "Global admin + System admin")

        heading("6. Delegating approval: the Delegated Mailbox Approver role")
        try run(ledger, .assignRole(env, .delegatedMailboxApprover, .user(dana)), by: .user(sam), note: "only a Global or Exchange admin may")
        try run(ledger, .createTeam(env, "Mail admins"), by: .user(sam))
        try run(ledger, .assignRole(env, .delegatedMailboxApprover, .team("Mail admins")), by: .user(erin), note: "never to a team")
        try run(ledger, .assignRole(env, .delegatedMailboxApprover, .user(dana)), by: .user(erin))

        heading("7. Test & Enable: one success, one failure (not approved)")
        try run(ledger, .testAndEnable([mailbox(alice), mailbox(bob)], TestOptions()), by: .user(sam))
        // The position the log reached (as-of instants mean real recorded_at times, and the demo's clock is simulated).
        let afterFailure = try ledger.head().position
        printAlerts(try ledger.alerts(wall: "mailbox:\(mailbox(bob).rawValue)"))

        heading("8. The fix: the delegated approver approves, Test & Enable again")
        try run(ledger, .approveEmail(mailbox(bob)), by: .user(dana))
        try run(ledger, .testAndEnable([mailbox(bob)], TestOptions()), by: .user(sam))

        heading("9. A transient Exchange outage: retries every 5 minutes")
        let outageStart = clock.now
        try run(ledger, .recordExchangeOutage(from: outageStart, until: outageStart.addingTimeInterval(8 * 60)), by: .user(erin))
        try run(ledger, .approveEmail(everyone[2]), by: .user(dana))
        try run(ledger, .testAndEnable([everyone[2]], TestOptions()), by: .user(sam), note: "during the outage")
        clock.advance(seconds: 4 * 60)
        try run(ledger, .processDueRetries, by: .system, note: "retry 1, still down")
        clock.advance(seconds: 4 * 60)
        try run(ledger, .processDueRetries, by: .system, note: "retry 2, Exchange is back")

        heading("10. Test & Enable Mailboxes on the profile (a job)")
        try run(ledger, .approveEmail(mailbox(dana)), by: .user(gabriela))
        try run(ledger, .editMailboxes([mailbox(dana)], MailboxEdit(profile: "contoso-exo")), by: .user(sam))
        try run(ledger, .testProfileMailboxes("contoso-exo", job: "job-1"), by: .user(sam))

        heading("11. The mailbox grid now")
        printGrid(try ledger.mailboxStatus())

        heading("12. The mailbox grid as of \(afterFailure) (after step 7)")
        printGrid(try ledger.mailboxStatus(asOf: .position(afterFailure)))

        heading("13. Alerts on Sam's wall (he owns the contoso-exo profile)")
        printAlerts(try ledger.alerts(wall: "user:\(sam.rawValue)"))

        heading("14. The audit trail: denied attempts")
        printAudit(try ledger.audit(filter: AuditFilter(deniedOnly: true)))

        heading("15. The audit trail of Bob's mailbox")
        printAudit(try ledger.audit(filter: AuditFilter(mailbox: mailbox(bob).rawValue)))

        heading("16. What changed between \(afterFailure) and now")
        for d in try ledger.diff(from: .position(afterFailure), to: .latest) where d.table == "mailbox_status" {
            print("  \(d.kind.rawValue) \(d.key)")
            for c in d.changes { print("      \(c.field): \(c.before ?? "∅") → \(c.after ?? "∅")") }
            for c in d.causes { print("      by \(c.position) \(c.type) — \(c.actor)") }
        }

        heading("17. Why is Bob's email address approved?")
        let (value, steps) = try ledger.explain(mailbox: mailbox(bob).rawValue, field: "email_status")
        print("  email_status = \(value ?? "∅")")
        for s in steps { print("  \(s.position) \(s.recordedAt) \(s.actor) \(s.command) (\(s.eventType)): \(s.before ?? "∅") → \(s.after ?? "∅")") }

        heading("18. log verify")
        print("  \(try ledger.verify())")
        print("\nExplore it: syncledger status --db \(path)   ·   syncledger audit --db \(path) --denied")
    }
}
