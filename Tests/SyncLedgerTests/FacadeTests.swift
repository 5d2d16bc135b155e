import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite
@testable import SyncLedger
import SyncLedgerTesting
import Testing

@Suite("The SyncLedger facade")
struct FacadeTests {
    /// What the current-state queries returned right after one command.
    struct Seen {
        var head: Position
        var instant: Date
        var grid: [MailboxStatusRow]
        var alerts: [AlertRow]
        var audit: [AuditRow]
        var state: SyncState
        var dumps: [String: [String: [[SQLiteValue]]]]
    }

    /// Drives a scenario exercising every event type, advancing the clock a
    /// minute per command, and returns what the current queries showed after each.
    func scenario(_ f: Fixture) throws -> [Seen] {
        var seen: [Seen] = []
        func step(_ command: Command, by actor: UserPrincipalName?) throws {
            f.clock.advance(seconds: 60)
            do {
                if let actor { try f.run(command, by: actor) } else { try f.ledger.execute(command, as: .system) }
            } catch SyncLedgerError.refused { /* denials are part of the scenario */ }
            let head = try f.ledger.head()
            seen.append(Seen(head: head.position, instant: Date(microsecondsSince1970: head.recordedAtMicroseconds ?? 0), grid: try f.ledger.mailboxStatus(),
                             alerts: try f.ledger.alerts(), audit: try f.ledger.audit(), state: try f.ledger.decisionState(), dumps: try f.dumps()))
        }
        for (command, actor) in Fixture.world { try step(command, by: actor) }
        try step(.approveEmail(C.mailbox(C.alice)), by: C.sam)                           // denied
        try step(.approveEmail(C.mailbox(C.alice)), by: C.gabriela)
        try step(.createProfile("second", C.environment, ProfileSettings(name: "Second", serverType: .exchangeOnline, authentication: .serverToServer, owner: C.sam), setAsDefault: true), by: C.sam)
        try step(.applyDefaultSettings([C.mailbox(C.alice), C.mailbox(C.sam)], test: true), by: C.sam)
        try step(.recordExchangeOutage(from: C.at(minutes: 0), until: C.at(minutes: 40)), by: C.gabriela)
        try step(.testAndEnable([C.mailbox(C.dana)], TestOptions()), by: C.dana)
        for _ in 0..<8 { try step(.processDueRetries, by: nil) }
        try step(.changeEmailAddress(C.mailbox(C.alice), "alice.smith@contoso.com"), by: C.sam)
        try step(.rejectEmail(C.mailbox(C.erin)), by: C.gabriela)
        try step(.editMailboxes([C.mailbox(C.erin)], MailboxEdit(outgoing: .outlook)), by: C.sam)
        try step(.testProfileMailboxes("second", job: "job-1"), by: C.sam)
        try step(.changeEmailSettings(C.environment, EmailSettingsChange(processEmailsOnlyForApprovedQueues: false)), by: C.dana)
        try step(.createQueue(C.environment, "Support", emailAddress: "support@contoso.com"), by: C.sam)
        return seen
    }

    @Test func rebuildEqualsInlineRowForRow() throws {
        let f = try Fixture()
        _ = try scenario(f)
        let inline = try f.dumps()
        let state = try f.decisionRows()
        #expect(inline["mailbox-status"]!["mailbox_status"]!.count == 6)
        #expect(inline["alerts"]!["alerts"]!.count > 5)
        #expect(inline["mailbox-status"]!["mailbox_status_history"]!.count == 19)
        let replayed = try f.ledger.rebuild()
        #expect(replayed == (try f.ledger.log.head().position.rawValue))
        #expect(try f.dumps() == inline)
        #expect(try f.decisionRows() == state)
        // One projection alone takes the projection's own (slimmer) decoding path.
        for name in ["mailbox-status", "alerts", "audit-trail", "commands", "decision-state"] {
            try f.ledger.rebuild([name])
            #expect(try f.dumps() == inline, "rebuilding \(name) alone")
            #expect(try f.decisionRows() == state, "rebuilding \(name) alone")
        }
        // A projection whose tables vanished is rebuilt when the file is opened again.
        try f.ledger.log.withWriteTransaction { tx in try tx.connection.execute("DROP TABLE alerts") }
        let reopened = try SyncLedger.open(at: f.ledger.path)
        #expect(try reopened.log.withReadTransaction { try AlertsProjection().dump($0) } == inline["alerts"]!)
    }

    @Test func asOfEveryCommandEqualsWhatTheCurrentQueriesShowedThen() throws {
        let f = try Fixture()
        let seen = try scenario(f)
        #expect(seen.count == 36)
        for (index, then) in seen.enumerated() {
            let at = Cutoff.position(then.head)
            #expect(try f.ledger.mailboxStatus(asOf: at) == then.grid, "grid at \(then.head)")
            #expect(try f.ledger.alerts(asOf: at) == then.alerts, "alerts at \(then.head)")
            #expect(try f.ledger.audit(asOf: at) == then.audit, "audit trail at \(then.head)")
            #expect(try f.ledger.decisionState(asOf: at) == then.state, "decision state at \(then.head)")
            for row in then.grid {
                #expect(try f.ledger.mailbox(row.mailbox, asOf: at) == row, "\(row.mailbox) at \(then.head)")
                #expect(try f.ledger.mailbox(row.emailAddress.uppercased(), asOf: at) == row, "\(row.emailAddress) at \(then.head)")
            }
            // An instant resolves to the last position recorded (system clock) at or before it.
            if index + 1 == seen.count || seen[index + 1].instant > then.instant {
                #expect(try f.ledger.position(of: .instant(then.instant)) == then.head)
                #expect(try f.ledger.mailboxStatus(asOf: .instant(then.instant)) == then.grid)
            }
        }
        // The history tables chain: each version ends where the next of its key starts.
        let broken = try f.ledger.log.withReadTransaction { db in
            try db.scalar("""
                SELECT count(*) FROM mailbox_status_history AS h WHERE coalesce(h.valid_to, -1) != coalesce(
                  (SELECT min(n.valid_from) FROM mailbox_status_history AS n WHERE n.mailbox_id = h.mailbox_id AND n.valid_from > h.valid_from), -1)
                """)?.int64
        }
        #expect(broken == 0)
    }

    @Test func auditTrailBeforeValuesComeFromThePreviousRowVersion() throws {
        let f = try Fixture()
        try f.buildWorld()
        let bob = C.mailbox(C.alice)
        // Test & Enable fails (not approved), then succeeds after the approval.
        f.clock.advance(seconds: 60)
        try f.run(.testAndEnable([bob], TestOptions()), by: C.sam)
        f.clock.advance(seconds: 60)
        try f.run(.approveEmail(bob), by: C.gabriela)
        f.clock.advance(seconds: 60)
        try f.run(.testAndEnable([bob], TestOptions()), by: C.sam)
        f.clock.advance(seconds: 60)
        try f.run(.editMailboxes([bob], MailboxEdit(outgoing: .outlook)), by: C.sam)
        f.clock.advance(seconds: 60)
        try f.run(.assignRole(C.environment, .delegatedMailboxApprover, .user(C.sam)), by: C.erin)
        let rows = try f.ledger.audit(filter: AuditFilter(mailbox: bob.rawValue))
        let tests = rows.filter { $0.eventType == "MailboxTestCompleted" }
        #expect(tests.count == 2)
        #expect(tests[0].changes == [
            FieldChange(field: "Incoming Email Status", before: "Not Run", after: "Failure (EmailAddressNotApproved)"),
            FieldChange(field: "Outgoing Email Status", before: "Not Run", after: "Failure (EmailAddressNotApproved)"),
            FieldChange(field: "Appointments, Contacts, and Tasks Status", before: "Not Run", after: "Failure (EmailAddressNotApproved)"),
            FieldChange(field: "Last Test By", before: nil, after: "sam@contoso.com"),
            FieldChange(field: "Last Test At", before: nil, after: "2025-03-01T09:01:00.000Z"),
        ])
        #expect(tests[1].changes == [
            FieldChange(field: "Incoming Email Status", before: "Failure (EmailAddressNotApproved)", after: "Success"),
            FieldChange(field: "Outgoing Email Status", before: "Failure (EmailAddressNotApproved)", after: "Success"),
            FieldChange(field: "Appointments, Contacts, and Tasks Status", before: "Failure (EmailAddressNotApproved)", after: "Success"),
            FieldChange(field: "Enabled for Incoming Email", before: "No", after: "Yes"),
            FieldChange(field: "Enabled for Outgoing Email", before: "No", after: "Yes"),
            FieldChange(field: "Enabled for Appointments, Contacts, and Tasks", before: "No", after: "Yes"),
            FieldChange(field: "Last Test At", before: "2025-03-01T09:01:00.000Z", after: "2025-03-01T09:03:00.000Z"),
        ])
        let approval = rows.first { $0.eventType == "MailboxEmailApproved" }
        #expect(approval?.changes == [
            FieldChange(field: "Primary Email Status", before: "Pending Approval", after: "Approved"),
            FieldChange(field: "Approved By", before: nil, after: "gabriela@contoso.com"),
            FieldChange(field: "Approved At", before: nil, after: "2025-03-01T09:02:00.000Z"),
            FieldChange(field: "Approved by a Microsoft 365 Admin", before: "No", after: "Yes"),
        ])
        let edit = rows.first { $0.eventType == "MailboxConfigured" && $0.action == "mailbox.edit" }
        #expect(edit?.changes == [FieldChange(field: "Outgoing Email", before: "Server-Side Synchronization", after: "Microsoft Dynamics 365 for Outlook")])
        let role = try f.ledger.audit(filter: AuditFilter(action: "role.assign")).last
        #expect(role?.changes == [FieldChange(field: "assignments.Delegated Mailbox Approver",
                                              before: #"["user:dana@contoso.com"]"#, after: #"["user:dana@contoso.com","user:sam@contoso.com"]"#)])
    }

    @Test func verifyingProjectionsNamesTheFirstEditedRowOfEveryTable() throws {
        let f = try Fixture()
        _ = try scenario(f)
        #expect(try f.ledger.verifyProjections() == nil)
        let raw = try Connection(path: f.ledger.path)
        let tables = ["decision_state", "decision_state_history", "mailbox_status", "mailbox_status_history", "alerts", "alerts_history",
                      "audit_trail", "commands"]
        for table in tables {
            // Edit one text column of the last row (by primary key), as someone with the sqlite3 shell would.
            let key = try columns(of: table, in: raw, where: "pk > 0 ORDER BY pk")
            let column = try columns(of: table, in: raw, where: "pk = 0 AND type = 'TEXT' ORDER BY \"notnull\" DESC, cid")[0]
            let order = key.map { "\($0) DESC" }.joined(separator: ", ")
            let match = key.map { "\($0) = (SELECT \($0) FROM last)" }.joined(separator: " AND ")
            let edit = "WITH last AS (SELECT * FROM \(table) ORDER BY \(order) LIMIT 1) UPDATE \(table) SET \(column) = \(column) || '!' WHERE \(match)"
            try raw.execute(edit)
            #expect(raw.changes == 1, "\(table) was edited")
            let mismatch = try f.ledger.verifyProjections()
            #expect(mismatch?.table == table, "an edit of \(table) is reported in \(table): \(String(describing: mismatch))")
            #expect(mismatch?.problem.contains("\(column) is ") == true, "\(String(describing: mismatch))")
            try raw.execute("WITH last AS (SELECT * FROM \(table) ORDER BY \(order) LIMIT 1) UPDATE \(table) SET \(column) = substr(\(column), 1, length(\(column)) - 1) WHERE \(match)")
            #expect(try f.ledger.verifyProjections() == nil, "\(table) restored")
        }
        // A row added by hand is named too.
        try raw.execute("INSERT INTO decision_state_history VALUES ('job', 'forged', 'true', 1, NULL)")
        let forged = try f.ledger.verifyProjections()
        #expect(forged == ProjectionMismatch(table: "decision_state_history", key: "kind=job, key=forged, valid_from=1", problem: "a stored row that no event made"), "\(String(describing: forged))")
    }

    func columns(of table: String, in db: Connection, where filter: String) throws -> [String] {
        let statement = try db.prepare("SELECT name FROM pragma_table_info('\(table)') WHERE \(filter)")
        var names: [String] = []
        while try statement.step() { names.append(statement.text(at: 0)) }
        return names
    }

    @Test func aRefusalRecordsOnlyTheAuditedDenial() throws {
        let f = try Fixture()
        try f.buildWorld()
        let before = try f.dumps()
        let head = try f.ledger.log.head().position
        let refusal = expectRefusal(.approverRoleCombinationNotAllowed) { try f.run(.approveEmail(C.mailbox(C.alice)), by: C.sam) }
        #expect(refusal?.1 == head.next)
        let after = try f.dumps()
        #expect(after["mailbox-status"] == before["mailbox-status"])
        #expect(after["alerts"] == before["alerts"])
        let events = try allEvents(f.ledger.log, after: head)
        #expect(events.map(\.type) == ["CommandRefused"])
        #expect(events.map(\.stream.rawValue) == ["refusals"])
        let denial = try f.ledger.audit(filter: AuditFilter(deniedOnly: true))
        #expect(denial.count == 1)
        #expect(denial.first.map { [$0.actor, $0.action, $0.object, $0.outcome, $0.refusalCode ?? ""] }
                == ["sam@contoso.com", "mailbox.approve", "mailbox:contoso-prod/user:alice@contoso.com", "denied", "ApproverRoleCombinationNotAllowed"])
        #expect(denial.first?.roles == ["System Administrator"])
    }

    @Test func metadataRecordsActorRolesCommandAndSource() throws {
        let f = try Fixture()
        try f.buildWorld()
        let execution = try f.ledger.execute(.approveEmail(C.mailbox(C.alice)), as: .user(C.dana), source: .api)
        let metadata = try EventMetadata.decode(execution.events[0].metadata)
        var expected = EventMetadata(actor: "dana@contoso.com", roles: ["Delegated Mailbox Approver", "System Administrator"],
                                     command: "mailbox.approve", arguments: .approveEmail(C.mailbox(C.alice)), commandID: execution.commandID,
                                     correlationID: execution.commandID, causationID: nil, source: .api, decidedAt: f.clock.now)
        // The operating-system account and host that ran the command, whatever mode the ledger is in.
        expected.osUser = String(cString: getpwuid(getuid())!.pointee.pw_name)
        expected.host = ProcessInfo.processInfo.hostName
        #expect(!(expected.osUser ?? "").isEmpty && !(expected.host ?? "").isEmpty)
        #expect(metadata == expected)
    }

    @Test("a command's later events store its metadata as a continuation, and read back with it in full, less the arguments")
    func laterEventsOfACommandShareItsMetadata() throws {
        let f = try Fixture()
        _ = try scenario(f)
        let events = try allEvents(f.ledger.log)
        var commands = 0
        for (index, event) in events.enumerated() where MetadataContinuation.offset(in: event.storedMetadata) == nil {
            let first = try EventMetadata.decode(event.storedMetadata)
            var shared = first
            shared.arguments = nil
            let later = events[(index + 1)...].prefix { MetadataContinuation.offset(in: $0.storedMetadata) != nil }
            if !later.isEmpty { commands += 1 }
            #expect(later.map(\.storedMetadata) == (0..<later.count).map { MetadataContinuation.text(offset: $0 + 1) })
            #expect(later.map(\.metadata) == Array(repeating: try shared.encoded(), count: later.count), "the command of #\(event.position)")
            #expect(event.metadata == event.storedMetadata)
        }
        #expect(commands >= 5, "the scenario has commands of several events")
        // Read one at a time, by stream or by id, a continuation carries the same metadata as in a walk.
        let sample = try #require(events.last { MetadataContinuation.offset(in: $0.storedMetadata) != nil })
        #expect(try f.ledger.log.event(withID: sample.id) == sample)
        #expect(try f.ledger.log.events(in: sample.stream).filter { $0.position == sample.position } == [sample])
        #expect(try f.ledger.verify().isIntact)
    }

    @Test func reExecutingACommandIDReturnsTheFirstOutcomeAndWritesNothing() throws {
        let f = try Fixture()
        try f.buildWorld()
        let id = UUID()
        let first = try f.ledger.execute(.approveEmail(C.mailbox(C.alice)), as: .user(C.gabriela), commandID: id)
        let head = try f.ledger.log.head()
        let again = try f.ledger.execute(.approveEmail(C.mailbox(C.alice)), as: .user(C.gabriela), commandID: id)
        #expect(again.isRepeat)
        #expect(again.events == first.events)
        #expect(try f.ledger.log.head() == head)
        let denied = UUID()
        #expect(expectRefusal(.approverRoleCombinationNotAllowed) { try f.ledger.execute(.rejectEmail(C.mailbox(C.sam)), as: .user(C.sam), commandID: denied) } != nil)
        let afterDenial = try f.ledger.log.head()
        let repeated = expectRefusal(.approverRoleCombinationNotAllowed) { try f.ledger.execute(.rejectEmail(C.mailbox(C.sam)), as: .user(C.sam), commandID: denied) }
        #expect(repeated != nil && repeated?.1 == nil)
        #expect(try f.ledger.log.head() == afterDenial)
    }

    @Test func theStreamOfAMailboxIsExactlyWhatTheDomainDecided() throws {
        let f = try Fixture()
        try f.buildWorld()
        try f.run(.approveEmail(C.mailbox(C.alice)), by: C.gabriela)
        f.clock.advance(seconds: 60)
        try f.run(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: C.alice)
        let stream = try f.ledger.history(of: "mailbox:\(C.mailbox(C.alice).rawValue)").map { try ProjectedEvent($0).event }
        let configuration = MailboxConfiguration(profile: C.exchangeProfile, incoming: .serverSideSync, outgoing: .serverSideSync, appointmentsContactsTasks: .serverSideSync)
        let expected: [DomainEvent] = [
            .mailboxCreated(MailboxCreated(mailbox: C.mailbox(C.alice), environment: C.environment, owner: .user(C.alice), emailAddress: "alice@contoso.com",
                                           configuration: configuration, approval: .pendingApproval)),
            .mailboxEmailApproved(MailboxEmailApproved(mailbox: C.mailbox(C.alice), emailAddress: "alice@contoso.com", approvedBy: C.gabriela,
                                                       method: .manual, previousStatus: .pendingApproval, approvedByMicrosoft365Admin: true)),
            .mailboxTestCompleted(MailboxTestCompleted(
                mailbox: C.mailbox(C.alice), trigger: .testAndEnable, job: nil, requestedBy: C.alice, testedAt: C.at(minutes: 1), profile: C.exchangeProfile,
                processEmailsFrom: nil, syncThisOrgOnly: false,
                statuses: ChannelStatuses(incoming: .success, outgoing: .success, appointmentsContactsTasks: .success),
                enabled: ChannelFlags(incoming: true, outgoing: true, appointmentsContactsTasks: true), retryNumber: 0, nextRetryAt: nil,
                alerts: [AlertNotice(level: .information, code: "MailboxTestSucceeded",
                                     text: "Mailbox alice@contoso.com passed Test & Enable and is enabled for Incoming Email, Outgoing Email, Appointments, Contacts, and Tasks.",
                                     mailbox: C.mailbox(C.alice), profile: C.exchangeProfile, recipients: [C.alice])])),
        ]
        if stream != expected { Issue.record("mailbox stream differs:\n\(EventDiff.lines(expected: expected, actual: stream))") }
    }

    @Test func aVersion1RowWrittenAsRawSQLIsUpcastOnRead() throws {
        let f = try Fixture()
        try f.buildWorld()
        let path = f.ledger.path
        // Write, as an old SyncLedger would have, a v1 approval straight into the file.
        let head = try f.ledger.log.head()
        let stream = "mailbox:\(C.mailbox(C.alice).rawValue)"
        let version = try f.ledger.log.streamVersion(of: StreamID(stream)).next
        let data = #"{"approvedBy":"gabriela@contoso.com","emailAddress":"alice@contoso.com","mailbox":"contoso-prod/user:alice@contoso.com","method":"manual","previousStatus":"Pending Approval"}"#
        let metadata = try EventMetadata(actor: "gabriela@contoso.com", roles: ["Global admin", "System Administrator"], command: "mailbox.approve",
                                         arguments: nil, commandID: UUID(), correlationID: UUID(), causationID: nil, source: .cli, decidedAt: C.t0).encoded()
        let id = UUID()
        let at = head.recordedAtMicroseconds!
        let position = head.position.next
        let hash = HashChain.hash(previous: head.hash, canonical: HashChain.canonicalBytes(
            position: position, stream: StreamID(stream), streamVersion: version, id: id, type: "MailboxEmailApproved", schemaVersion: 1,
            data: data, metadata: metadata, recordedAtMicroseconds: at))
        let raw = try Connection(path: path)
        try raw.run("INSERT INTO events VALUES (?, ?, ?, ?, 'MailboxEmailApproved', 1, ?, ?, ?, ?, ?)",
                    .integer(position.rawValue), .text(stream), .integer(version.rawValue), .text(id.uuidString.lowercased()),
                    .text(data), .text(metadata), .integer(at), .blob(head.hash), .blob(hash))
        let reopened = try SyncLedger.open(at: path)
        #expect(try reopened.verify().isIntact)
        let row = try reopened.mailboxStatus().first { $0.mailbox == C.mailbox(C.alice).rawValue }
        #expect(row?.emailStatus == "Approved")
        #expect(row?.approvedBy == "gabriela@contoso.com")
        #expect(row?.approvedByMicrosoft365Admin == false)
        #expect(try reopened.decisionState().mailboxes[C.mailbox(C.alice)]?.approval == .approved)
    }

    @Test func diffAndExplainAnswerWhatChangedAndWhy() throws {
        let f = try Fixture()
        try f.buildWorld()
        let start = try f.ledger.log.head().position
        f.clock.advance(seconds: 60)
        try f.run(.approveEmail(C.mailbox(C.alice)), by: C.dana)
        f.clock.advance(seconds: 60)
        try f.run(.testAndEnable([C.mailbox(C.alice)], TestOptions()), by: C.sam)
        let end = try f.ledger.log.head().position
        let diffs = try f.ledger.diff(from: .position(start), to: .position(end))
        let grid = diffs.filter { $0.table == "mailbox_status" }
        #expect(grid.map(\.key) == [C.mailbox(C.alice).rawValue])
        #expect(grid.first?.kind == .changed)
        #expect(grid.first?.changes.map(\.field) == ["incoming_status", "outgoing_status", "act_status", "email_status", "approved_by", "approved_at",
                                                     "enabled_incoming", "enabled_outgoing", "enabled_act",
                                                     "last_test_by", "last_test_at"])
        #expect(grid.first?.changes.first { $0.field == "email_status" } == FieldChange(field: "email_status", before: "Pending Approval", after: "Approved"))
        #expect(grid.first?.causes.map(\.actor) == ["dana@contoso.com", "sam@contoso.com"])
        #expect(grid.first?.causes.map(\.position) == [start.rawValue + 1, start.rawValue + 2])
        #expect(diffs.filter { $0.table == "alerts" }.map(\.key) == ["mailbox:\(C.mailbox(C.alice).rawValue)|MailboxTestSucceeded|\(C.mailbox(C.alice).rawValue)",
                                                                     "user:alice@contoso.com|MailboxTestSucceeded|\(C.mailbox(C.alice).rawValue)"])
        let (value, steps) = try f.ledger.explain(mailbox: C.mailbox(C.alice).rawValue, field: "email_status")
        #expect(value == "Approved")
        #expect(steps.map { [$0.before ?? "-", $0.after ?? "-", $0.actor, $0.eventType] } == [
            ["-", "Pending Approval", "gabriela@contoso.com", "MailboxCreated"],
            ["Pending Approval", "Approved", "dana@contoso.com", "MailboxEmailApproved"],
        ])
        let (earlier, _) = try f.ledger.explain(mailbox: C.mailbox(C.alice).rawValue, field: "email_status", asOf: .position(start))
        #expect(earlier == "Pending Approval")
        #expect(throws: SyncLedgerError.self) { try f.ledger.explain(mailbox: C.mailbox(C.alice).rawValue, field: "nonsense") }
    }

    @Test func replayingChangesOntoAnotherLedgerDryRunThenReal() throws {
        let source = try Fixture(name: "test.sqlite")
        try source.buildWorld()
        let from = try source.ledger.log.head().position
        source.clock.advance(seconds: 60)
        try source.run(.createProfile("second", C.environment, ProfileSettings(name: "Second", serverType: .exchangeOnline, authentication: .serverToServer, owner: C.sam), setAsDefault: true), by: C.sam)
        try source.run(.approveEmail(C.mailbox(C.alice)), by: C.gabriela)
        #expect(expectRefusal(.approverRoleCombinationNotAllowed) { try source.run(.approveEmail(C.mailbox(C.erin)), by: C.sam) } != nil)
        // The target lacks sam's System Administrator role: his profile is refused there.
        let target = try Fixture(name: "prod.sqlite")
        try target.run(.createTenant(name: "Contoso", firstGlobalAdmin: C.gabriela, displayName: "Gabriela"), by: C.gabriela)
        try target.run(.provisionEnvironment(ProvisionEnvironment(environment: C.environment, provisionedOn: C.t0, exchangeProfile: C.exchangeProfile)), by: C.gabriela)
        for (upn, name) in [(C.sam, "Sam"), (C.alice, "Alice"), (C.erin, "Erin")] { try target.run(.addUser(upn, displayName: name, environment: C.environment), by: C.gabriela) }
        let targetHead = try target.ledger.log.head()
        let dry = try source.ledger.replay(from: .position(from), through: .latest, onto: target.ledger, dryRun: true)
        #expect(dry.map { [$0.command, $0.actor, $0.outcome, $0.refusalCode ?? ""] } == [
            ["profile.create", "sam@contoso.com", "refused", "NotAnAdministrator"],
            ["mailbox.approve", "gabriela@contoso.com", "accepted", ""],
            ["mailbox.approve", "sam@contoso.com", "refused", "ApproverRoleCombinationNotAllowed"],
        ])
        #expect(try target.ledger.log.head() == targetHead)
        let real = try source.ledger.replay(from: .position(from), through: .latest, onto: target.ledger, dryRun: false)
        #expect(real == dry)
        #expect(try target.ledger.mailboxStatus().first { $0.mailbox == C.mailbox(C.alice).rawValue }?.emailStatus == "Approved")
        let again = try source.ledger.replay(from: .position(from), through: .latest, onto: target.ledger, dryRun: false)
        #expect(again.map(\.outcome) == ["refused", "already-applied", "refused"])
        #expect(try target.ledger.verify().isIntact)
    }
}

func allEvents(_ log: EventLog, after: Position = .origin) throws -> [RecordedEvent] {
    var events: [RecordedEvent] = []
    try log.forEachEvent(from: after.next) { events.append($0) }
    return events
}

@Suite("Two ledgers on one file")
struct SharedFileTests {
    @Test func eachLedgerDecidesOnTheOthersChanges() throws {
        let f = try Fixture()
        try f.buildWorld()
        let other = try SyncLedger.open(at: f.ledger.path, options: .init(ambient: f.clock.ambient))
        _ = try other.decisionState()
        try f.run(.approveEmail(C.mailbox(C.alice)), by: C.gabriela)
        // The other ledger's cache is behind: it must see the approval.
        #expect(expectRefusal(.emailAlreadyApproved) { try other.execute(.approveEmail(C.mailbox(C.alice)), as: .user(C.gabriela)) } != nil)
        try other.execute(.approveEmail(C.mailbox(C.sam)), as: .user(C.gabriela))
        #expect(try f.ledger.decisionState().mailboxes[C.mailbox(C.sam)]?.approval == .approved)
        #expect(try f.ledger.decisionState() == other.decisionState())
        #expect(try SyncLedger.open(at: f.ledger.path).decisionState() == f.ledger.decisionState())
        #expect(try f.ledger.verify().isIntact)
    }
}

@Suite("Reading while another writer holds the lock")
struct ReadersNeverWaitTests {
    @Test func openingAndQueryingDoNotTakeTheWriteLock() throws {
        let f = try Fixture()
        try f.buildWorld()
        let writer = try Connection(path: f.ledger.path, busyTimeout: .milliseconds(10))
        try writer.execute("BEGIN IMMEDIATE")
        defer { try? writer.execute("ROLLBACK") }
        let started = Date()
        let reader = try SyncLedger.open(at: f.ledger.path)
        #expect(try reader.mailboxStatus().count == 5)
        #expect(try reader.decisionState().mailboxes.count == 5)
        #expect(try reader.audit().count == Int(try reader.log.head().position.rawValue))
        #expect(try reader.verify().isIntact)
        #expect(Date().timeIntervalSince(started) < 4, "a query waited for the write lock")
    }
}
