import Foundation
@testable import Projections
@testable import ServerSideSync
@testable import SyncLedger
import SyncLedgerTesting
import Testing

/// The per-type event decoders (``JSONReader``) against `Codable`: random
/// events of every type round-trip through ``DomainEvent/decode(type:schemaVersion:json:)``;
/// the types with a decoder of their own are read by it (not by the fallback);
/// and mangled texts either give `Codable`'s answer or are handed to it.
@Suite("Event decoders")
struct EventDecoderTests {
    /// The types read by a per-type decoder; every other type goes to `Codable`.
    static let fastTypes: Set<String> = ["MailboxTestCompleted", "MailboxCreated", "MailboxConfigured", "MailboxEmailApproved", "UserAdded",
                                         "UserJoinedEnvironment", "ExchangeMailboxAdded", "ExchangeSyncOrgChanged"]
    /// How many event types there are; `randomEvent` makes each of them.
    static let typeCount = 37

    @Test("1,000 random events of each of the 37 types round-trip, through the per-type decoder where there is one")
    func everyTypeRoundTrips() throws {
        var g = SplitMix(state: 2026_12_02)
        let encoder = DomainEvent.makeEncoder(), decoder = DomainEvent.makeDecoder()
        var names: Set<String> = []
        for kind in 0..<Self.typeCount {
            for index in 0..<1_000 {
                let event = randomEvent(kind, &g)
                let (name, version) = event.typeName
                names.insert(name)
                let json = String(decoding: try event.encodedData(using: encoder), as: UTF8.self)
                #expect(try DomainEvent.decode(type: name, schemaVersion: version, json: json) == event, "\(name) #\(index): \(json)")
                #expect(try DomainEvent.decode(type: name, schemaVersion: version, data: Data(json.utf8), using: decoder) == event)
                let fast = try? JSONReader.read(json) { try DomainEvent.fastDecode(type: name, schemaVersion: version, &$0) }
                #expect((fast != nil) == Self.fastTypes.contains(name), "\(name) #\(index): \(json)")
                if let fast { #expect(fast == event, "\(name) #\(index)") }
            }
        }
        #expect(names.count == Self.typeCount)
        #expect(Self.fastTypes.isSubset(of: names))
    }

    @Test("test outcomes: versions 1 and 2 still read; version 3 leaves out what it can word again or holds its usual value, and reads back exactly")
    func testOutcomesInEveryStoredForm() throws {
        var g = SplitMix(state: 25)
        let encoder = DomainEvent.makeEncoder(), decoder = DomainEvent.makeDecoder()
        // Versions 2 and 3 are written member by member: they must name every stored property.
        let properties = Mirror(reflecting: testCompleted(mailbox: "m", upn: "u", &g)).children.compactMap(\.label)
        #expect(Set(properties) == Set(MailboxTestCompleted.Stored.Key.allCases.map(\.rawValue)))
        #expect(DomainEvent.mailboxTestCompleted(testCompleted(mailbox: "m", upn: "u", &g)).typeName.schemaVersion == 3)
        var shapes: [String: Int] = [:]
        var kept = (none: 0, address: 0, text: 0, mailboxSame: 0, mailboxOther: 0)
        for index in 0..<3_000 {
            let test = testCompleted(mailbox: MailboxID(g.text()), upn: UserPrincipalName(g.text()), &g)
            let v1 = String(decoding: try encoder.encode(test), as: UTF8.self)
            let v2 = String(decoding: try encoder.encode(MailboxTestCompleted.Stored.Version2(test)), as: UTF8.self)
            let v3 = String(decoding: try DomainEvent.mailboxTestCompleted(test).encodedData(using: encoder), as: UTF8.self)
            for (version, json) in [(1, v1), (2, v2), (3, v3)] {
                #expect(try DomainEvent.decode(type: "MailboxTestCompleted", schemaVersion: version, json: json) == .mailboxTestCompleted(test), "v\(version) #\(index): \(json)")
                #expect(try DomainEvent.decode(type: "MailboxTestCompleted", schemaVersion: version, data: Data(json.utf8), using: decoder)
                        == .mailboxTestCompleted(test), "v\(version) #\(index)")
                let fast = try? JSONReader.read(json) { try DomainEvent.fastDecode(type: "MailboxTestCompleted", schemaVersion: version, &$0) }
                #expect(fast == .mailboxTestCompleted(test), "v\(version) #\(index): \(json)")
            }
            #expect(v3.utf8.count < v2.utf8.count, "\(v3)")
            // Version 3 differs from version 2 only in the members it compacts or leaves out.
            var compacted = try #require(try JSONSerialization.jsonObject(with: Data(v3.utf8)) as? [String: Any])
            var full = try #require(try JSONSerialization.jsonObject(with: Data(v2.utf8)) as? [String: Any])
            for (key, isUsual) in [("trigger", test.trigger == .testAndEnable), ("syncThisOrgOnly", !test.syncThisOrgOnly), ("retryNumber", test.retryNumber == 0)] {
                #expect(full[key] != nil, "\(key) in \(v2)")
                #expect((compacted[key] == nil) == isUsual, "\(key) in \(v3)")
                shapes["\(key) left out", default: 0] += isUsual ? 1 : 0
                compacted[key] = nil
                full[key] = nil
            }
            let statuses = compacted.removeValue(forKey: "statuses"), enabled = compacted.removeValue(forKey: "enabled")
            full["statuses"] = nil
            full["enabled"] = nil
            #expect(NSDictionary(dictionary: compacted).isEqual(to: full), "\(v3) against \(v2)")
            let allEqual = test.statuses.incoming == test.statuses.outgoing && test.statuses.outgoing == test.statuses.appointmentsContactsTasks
            switch statuses {
            case let text as String:
                #expect(allEqual && text == test.statuses.incoming.storedText, "\(v3)")
                shapes["statuses as one text", default: 0] += 1
            case let perChannel as [String: String]:
                #expect(!allEqual && perChannel == ["incoming": test.statuses.incoming.storedText, "outgoing": test.statuses.outgoing.storedText,
                                                    "appointmentsContactsTasks": test.statuses.appointmentsContactsTasks.storedText], "\(v3)")
                shapes["statuses per channel", default: 0] += 1
                for outcome in [test.statuses.incoming, test.statuses.outgoing, test.statuses.appointmentsContactsTasks] {
                    shapes[outcome.transient ? "a transient outcome" : "an outcome that is not transient", default: 0] += 1
                }
            default: Issue.record("statuses stored as neither a text nor an object of texts: \(v3)")
            }
            let flagsEqual = test.enabled.incoming == test.enabled.outgoing && test.enabled.outgoing == test.enabled.appointmentsContactsTasks
            switch enabled {
            case let all as Bool:
                #expect(flagsEqual && all == test.enabled.incoming, "\(v3)")
                shapes["enabled as one flag", default: 0] += 1
            case let keys as [String]:
                #expect(!flagsEqual && keys == ["incoming", "outgoing", "appointmentsContactsTasks"].filter {
                    test.enabled[MailboxTestCompleted.StoredChannel(rawValue: $0)!.channel] }, "\(v3)")
                shapes["enabled as keys", default: 0] += 1
            default: Issue.record("enabled stored as neither a flag nor keys: \(v3)")
            }
            let stored = try #require(try JSONSerialization.jsonObject(with: Data(v3.utf8)) as? [String: Any])
            for alert in try #require(stored["alerts"] as? [[String: Any]]) {
                switch (alert["address"], alert["text"]) {
                case (nil, nil): kept.none += 1
                case (.some, nil): kept.address += 1
                case (nil, .some): kept.text += 1
                default: Issue.record("an alert kept both an address and a text: \(v3)")
                }
                if alert["mailbox"] == nil { kept.mailboxSame += 1 } else { kept.mailboxOther += 1 }
            }
        }
        #expect(kept.none > 100 && kept.address > 100 && kept.text > 100 && kept.mailboxSame > 100 && kept.mailboxOther > 100, "\(kept)")
        #expect(shapes.count == 9 && shapes.values.allSatisfy { $0 > 100 }, "\(shapes)")
    }

    @Test("version 3 of a test outcome, whole: a success, a failure on one channel, transient failures, error codes with colons")
    func testOutcomeVersion3Texts() throws {
        let encoder = DomainEvent.makeEncoder()
        let at = try #require(Timestamp.parse("2025-01-01T09:36:43.000Z"))
        let failure = ChannelOutcome(status: .failure, errorCode: "EmailAddressNotApproved")
        var test = MailboxTestCompleted(
            mailbox: "contoso-prod/user:alice@contoso.com", trigger: .testAndEnable, job: nil, requestedBy: "sam@contoso.com", testedAt: at,
            profile: "exo", processEmailsFrom: nil, syncThisOrgOnly: false,
            statuses: ChannelStatuses(incoming: .success, outgoing: .success, appointmentsContactsTasks: .success),
            enabled: ChannelFlags(incoming: true, outgoing: true, appointmentsContactsTasks: true), retryNumber: 0, nextRetryAt: nil, alerts: [])
        func stored(_ test: MailboxTestCompleted) throws -> String {
            let json = String(decoding: try DomainEvent.mailboxTestCompleted(test).encodedData(using: encoder), as: UTF8.self)
            #expect(try DomainEvent.decode(type: "MailboxTestCompleted", schemaVersion: 3, json: json) == .mailboxTestCompleted(test))
            return json
        }
        #expect(try stored(test) == #"{"alerts":[],"enabled":true,"mailbox":"contoso-prod/user:alice@contoso.com","profile":"exo","#
                + #""requestedBy":"sam@contoso.com","statuses":"Success","testedAt":"2025-01-01T09:36:43.000Z"}"#)
        test.statuses = ChannelStatuses(incoming: failure, outgoing: .success, appointmentsContactsTasks: .notRun)
        test.enabled = ChannelFlags(incoming: false, outgoing: true, appointmentsContactsTasks: false)
        test.trigger = .profileJob
        test.syncThisOrgOnly = true
        #expect(try stored(test) == #"{"alerts":[],"enabled":["outgoing"],"mailbox":"contoso-prod/user:alice@contoso.com","profile":"exo","#
                + #""requestedBy":"sam@contoso.com","statuses":{"appointmentsContactsTasks":"Not Run","incoming":"Failure:EmailAddressNotApproved","#
                + #""outgoing":"Success"},"syncThisOrgOnly":true,"testedAt":"2025-01-01T09:36:43.000Z","trigger":"profile-job"}"#)
        let unavailable = ChannelOutcome(status: .failure, errorCode: "ExchangeUnavailable", transient: true)
        test.statuses = ChannelStatuses(incoming: unavailable, outgoing: unavailable, appointmentsContactsTasks: unavailable)
        test.enabled = .none
        test.trigger = .retry
        test.syncThisOrgOnly = false
        test.retryNumber = 2
        #expect(try stored(test) == #"{"alerts":[],"enabled":false,"mailbox":"contoso-prod/user:alice@contoso.com","profile":"exo","#
                + #""requestedBy":"sam@contoso.com","retryNumber":2,"statuses":"Failure (transient):ExchangeUnavailable","#
                + #""testedAt":"2025-01-01T09:36:43.000Z","trigger":"retry"}"#)
        test.statuses.outgoing = ChannelOutcome(status: .notRun, errorCode: ":", transient: true)
        test.statuses.appointmentsContactsTasks = ChannelOutcome(status: .success, errorCode: "")
        #expect(try stored(test) == #"{"alerts":[],"enabled":false,"mailbox":"contoso-prod/user:alice@contoso.com","profile":"exo","#
                + #""requestedBy":"sam@contoso.com","retryNumber":2,"statuses":{"appointmentsContactsTasks":"Success:","#
                + #""incoming":"Failure (transient):ExchangeUnavailable","outgoing":"Not Run (transient)::"},"#
                + #""testedAt":"2025-01-01T09:36:43.000Z","trigger":"retry"}"#)
        // What version 3 refuses: an unknown status, an outcome as an object, an unknown or repeated channel key.
        let outcome = #"{"status":"Success","transient":false}"#
        for json in [#"{"alerts":[],"enabled":true,"mailbox":"m","requestedBy":"u","statuses":"Succeeded","testedAt":"2025-01-01T09:36:43.000Z"}"#,
                     #"{"alerts":[],"enabled":true,"mailbox":"m","requestedBy":"u","statuses":"Success(transient)","testedAt":"2025-01-01T09:36:43.000Z"}"#,
                     #"{"alerts":[],"enabled":true,"mailbox":"m","requestedBy":"u","statuses":{"appointmentsContactsTasks":"Success","#
                        + #""incoming":\#(outcome),"outgoing":"Success"},"testedAt":"2025-01-01T09:36:43.000Z"}"#,
                     #"{"alerts":[],"enabled":["incoming","incoming"],"mailbox":"m","requestedBy":"u","statuses":"Success","testedAt":"2025-01-01T09:36:43.000Z"}"#,
                     #"{"alerts":[],"enabled":["email"],"mailbox":"m","requestedBy":"u","statuses":"Success","testedAt":"2025-01-01T09:36:43.000Z"}"#] {
            #expect(throws: (any Error).self, "\(json)") { try DomainEvent.decode(type: "MailboxTestCompleted", schemaVersion: 3, json: json) }
        }
    }

    @Test("the tests a ledger records keep their alerts' codes, not their texts, and read back worded")
    func recordedTestsStoreNoAlertText() throws {
        let f = try Fixture()
        _ = try FacadeTests().scenario(f)
        let rows = try f.ledger.log.withReadTransaction { db in
            let statement = try db.prepare("SELECT schema_version, data FROM events WHERE type = 'MailboxTestCompleted' ORDER BY position")
            var rows: [(version: Int64, data: String)] = []
            while try statement.step() { rows.append((statement.int64(at: 0), statement.text(at: 1))) }
            return rows
        }
        #expect(rows.count >= 2)
        var alerts: [AlertNotice] = []
        for row in rows {
            #expect(row.version == 3)
            let stored = try #require(try JSONSerialization.jsonObject(with: Data(row.data.utf8)) as? [String: Any])
            for alert in try #require(stored["alerts"] as? [[String: Any]]) {
                #expect(Set(alert.keys).isSubset(of: ["level", "code", "recipients", "address"]), "\(row.data)")
            }
            if case .mailboxTestCompleted(let test) = try DomainEvent.decode(type: "MailboxTestCompleted", schemaVersion: 3, json: row.data) {
                alerts += test.alerts
            }
        }
        let success = "Mailbox alice@contoso.com passed Test & Enable and is enabled for "
        #expect(alerts.contains { $0.text.hasPrefix(success) }, "\(alerts)")
    }

    @Test("20,000 mangled events of the fast types: the per-type decoder gives Codable's answer or hands the text on")
    func mangledEventsAgreeWithCodable() throws {
        var g = SplitMix(state: 99)
        let encoder = DomainEvent.makeEncoder(), decoder = DomainEvent.makeDecoder()
        let fastKinds = (0..<Self.typeCount).filter { Self.fastTypes.contains(randomEvent($0, &g).typeName.name) }
        #expect(fastKinds.count == Self.fastTypes.count)
        var outcomes = (fastAccepted: 0, fastRefused: 0, codableRefused: 0)
        for index in 0..<20_000 {
            let event = randomEvent(g.pick(fastKinds), &g)
            let (name, version) = event.typeName
            let json = mangle(String(decoding: try event.encodedData(using: encoder), as: UTF8.self), &g)
            let codable = try? DomainEvent.decode(type: name, schemaVersion: version, data: Data(json.utf8), using: decoder)
            let fast = try? JSONReader.read(json) { try DomainEvent.fastDecode(type: name, schemaVersion: version, &$0) }
            if let fast {
                #expect(codable == fast, "\(name) #\(index): \(json)")
                outcomes.fastAccepted += 1
            } else {
                outcomes.fastRefused += 1
            }
            if codable == nil { outcomes.codableRefused += 1 }
            // The public entry point answers as Codable does, value or error.
            #expect((try? DomainEvent.decode(type: name, schemaVersion: version, json: json)) == codable, "\(name) #\(index): \(json)")
        }
        // The mangling reaches every branch: texts the fast path reads, texts it hands on, texts Codable rejects.
        #expect(outcomes.fastAccepted > 2_000 && outcomes.fastRefused > 2_000 && outcomes.codableRefused > 2_000, "\(outcomes)")
    }

    @Test("5,000 random metadata texts, some mangled: the written text is JSONEncoder's, and the projections' decoder gives Codable's answer")
    func metadataAgreesWithCodable() throws {
        var g = SplitMix(state: 5)
        let encoder = DomainEvent.makeEncoder()
        // The hand-written metadata names every stored property.
        let sample = EventMetadata(actor: "a", roles: [], command: "c", arguments: nil, commandID: UUID(), correlationID: UUID(), causationID: nil,
                                   source: .cli, decidedAt: Date())
        #expect(Set(Mirror(reflecting: sample).children.compactMap(\.label)) == Set(EventMetadata.writtenMembers))
        #expect(EventMetadata.writtenMembers == EventMetadata.writtenMembers.sorted())
        var fastRead = 0
        for index in 0..<5_000 {
            var metadata = EventMetadata(
                actor: g.text(), roles: (0..<Int.random(in: 0...3, using: &g)).map { _ in g.text() }, command: g.text(),
                arguments: g.maybe { g in g.pick([Command.rejectEmail(MailboxID(g.text())), .setSignedMode(g.bool()), .processDueRetries]) },
                commandID: UUID(), correlationID: UUID(), causationID: g.maybe { _ in UUID() }, source: g.pick(), decidedAt: g.date())
            metadata.osUser = g.maybe { $0.text() }
            metadata.host = g.maybe { $0.text() }
            metadata.credential = g.maybe { $0.text() }
            if index % 10 == 0 { metadata.signature = .init(head: g.text(), digest: g.text(), value: g.text()) }
            var json = try metadata.encoded(using: encoder)
            #expect(json == String(decoding: try encoder.encode(metadata), as: UTF8.self), "#\(index): the written metadata is not JSONEncoder's")
            if index % 2 == 1 { json = mangle(json, &g) }
            let codable = try? EventMetadata.decodeWithCodableForProjections(json)
            #expect((try? EventMetadata.decodeForProjections(json)) == codable, "#\(index): \(json)")
            if index % 2 == 0 {
                var expected = metadata
                expected.arguments = nil
                #expect(codable == expected, "#\(index)")
            }
            if (try? JSONReader.read(json, { try EventMetadata(withoutArguments: &$0) })) != nil { fastRead += 1 }
        }
        #expect(fastRead > 2_000, "the per-type decoder read \(fastRead)")
    }

    // MARK: Mangling

    /// One change to a JSON text: members reordered and spaced, dropped, made
    /// `null`, repeated, given a value of another type or an unknown key; or
    /// bytes cut off, changed or escaped.
    func mangle(_ json: String, _ g: inout SplitMix) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any], let key = object.keys.randomElement(using: &g) else {
            return json
        }
        func text(_ value: Any) -> String {
            String(decoding: (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data(), as: UTF8.self)
        }
        func members(_ object: [String: Any], spaced: Bool) -> String {
            let separator = spaced ? " ,\n " : ","
            return "{" + object.map { "\(text($0.key))\(spaced ? " : " : ":")\(text($0.value))" }.joined(separator: separator) + "}"
        }
        var bytes = Array(json.utf8)
        switch Int.random(in: 0..<10, using: &g) {
        case 0: return " " + members(object, spaced: true) + "\n"
        case 1: object[key] = nil
        case 2: object[key] = NSNull()
        case 3: return "{" + "\(text(key)):\(text(object[key]!))," + members(object, spaced: false).dropFirst()
        case 4: object[key] = g.pick([1.5 as Any, 2 as Any, "x" as Any, true as Any, [] as [Any], [:] as [String: Any], 1e3 as Any])
        case 5: object["unknown"] = 1
        case 6: return String(decoding: bytes.prefix(Int.random(in: 0..<bytes.count, using: &g)), as: UTF8.self)
        case 7:
            bytes[Int.random(in: 0..<bytes.count, using: &g)] = g.pick(Array("\"{}[],:01-9.eEa\\ tfn".utf8))
            return String(decoding: bytes, as: UTF8.self)
        case 8:
            // A string member's value written with escapes (\uXXXX and \/), which reads the same.
            guard let value = object[key] as? String else { return json }
            let escaped = value.unicodeScalars.map { $0 == "/" ? "\\/" : ($0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\") ? String($0) : $0.value > 0xFFFF ? utf16Escapes($0) : String(format: "\\u%04X", $0.value) }
            return "{" + "\(text(key)):\"\(escaped.joined())\"" + (object.count > 1 ? "," : "") + members(object.filter { $0.key != key }, spaced: false).dropFirst()
        default: return members(object, spaced: false)
        }
        return members(object, spaced: g.bool())
    }

    func utf16Escapes(_ scalar: Unicode.Scalar) -> String {
        String(scalar).utf16.map { String(format: "\\u%04x", $0) }.joined()
    }

    // MARK: Random events

    /// A random event of the `kind`-th type (0..<37).
    func randomEvent(_ kind: Int, _ g: inout SplitMix) -> DomainEvent {
        let env = EnvironmentID(g.text()), upn = UserPrincipalName(g.text()), mailbox = MailboxID(g.text()), profile = ProfileID(g.text())
        switch kind {
        case 0: return .tenantCreated(TenantCreated(name: g.text(), firstGlobalAdmin: upn))
        case 1: return .userAdded(UserAdded(user: upn, displayName: g.text()))
        case 2: return .adminRoleGranted(AdminRoleGranted(user: upn, role: g.pick()))
        case 3: return .adminRoleRevoked(AdminRoleRevoked(user: upn, role: g.pick()))
        case 4:
            return .environmentProvisioned(EnvironmentProvisioned(
                environment: env, deployment: g.pick(), version: g.pick(["9.2.24011.00100", "9.1", "8.2.1.0"]), exchangeOnlineInTenant: g.bool(),
                region: g.pick(), provisionedOn: g.date(), settings: emailSettings(&g), builtInRoles: (0..<Int.random(in: 0...2, using: &g)).map { _ in role(&g) }))
        case 5: return .chinaExchangeAccessEnabled(ChinaExchangeAccessEnabled(environment: env))
        case 6: return .userJoinedEnvironment(UserJoinedEnvironment(environment: env, user: upn))
        case 7: return .teamCreated(TeamCreated(environment: env, team: TeamName(g.text())))
        case 8: return .teamMemberAdded(TeamMemberAdded(environment: env, team: TeamName(g.text()), user: upn))
        case 9: return .queueCreated(QueueCreated(environment: env, queue: QueueName(g.text()), emailAddress: EmailAddress(g.text())))
        case 10: return .securityRoleCreated(SecurityRoleCreated(environment: env, role: role(&g)))
        case 11: return .rolePrivilegeSet(RolePrivilegeSet(environment: env, role: RoleName(g.text()), privilege: g.pick(), level: g.pick(), previousLevel: g.pick()))
        case 12: return .securityRoleAssigned(SecurityRoleAssigned(environment: env, role: RoleName(g.text()), principal: principal(&g)))
        case 13: return .securityRoleRemoved(SecurityRoleRemoved(environment: env, role: RoleName(g.text()), principal: principal(&g)))
        case 14: return .emailSettingsChanged(EmailSettingsChanged(environment: env, before: emailSettings(&g), after: emailSettings(&g)))
        case 15: return .defaultServerProfileSet(DefaultServerProfileSet(environment: env, profile: profile, previous: g.maybe { ProfileID($0.text()) }))
        case 16: return .serverProfileCreated(ServerProfileCreated(profile: profile, environment: env, settings: profileSettings(&g)))
        case 17: return .serverProfileUpdated(ServerProfileUpdated(profile: profile, before: profileSettings(&g), after: profileSettings(&g)))
        case 18: return .serverProfileLocationSet(ServerProfileLocationSet(profile: profile, location: g.text(), previous: g.maybe { $0.text() }))
        case 19: return .serverProfileDeactivated(ServerProfileDeactivated(profile: profile))
        case 20:
            return .mailboxCreated(MailboxCreated(mailbox: mailbox, environment: env, owner: owner(&g), emailAddress: EmailAddress(g.text()),
                                                  configuration: configuration(&g), approval: approval(&g)))
        case 21: return .mailboxConfigured(MailboxConfigured(mailbox: mailbox, reason: g.pick([.edit, .applyDefaults]), before: configuration(&g), after: configuration(&g)))
        case 22:
            return .mailboxEmailAddressChanged(MailboxEmailAddressChanged(mailbox: mailbox, previous: EmailAddress(g.text()), emailAddress: EmailAddress(g.text()),
                                                                          approvalBefore: approval(&g), approvalAfter: approval(&g)))
        case 23:
            return .mailboxEmailApproved(MailboxEmailApproved(mailbox: mailbox, emailAddress: EmailAddress(g.text()), approvedBy: upn,
                                                              method: g.pick([.manual, .programmatic, .selfApproval, .selfApprovalByTestAndEnable]),
                                                              previousStatus: approval(&g), approvedByMicrosoft365Admin: g.bool()))
        case 24: return .mailboxEmailRejected(MailboxEmailRejected(mailbox: mailbox, emailAddress: EmailAddress(g.text()), rejectedBy: upn, previousStatus: approval(&g)))
        case 25: return .mailboxTestCompleted(testCompleted(mailbox: mailbox, upn: upn, &g))
        case 26: return .exchangeMailboxAdded(ExchangeMailboxAdded(emailAddress: EmailAddress(g.text()), syncOrg: g.maybe { EnvironmentID($0.text()) }))
        case 27: return .exchangeOutageRecorded(ExchangeOutageRecorded(from: g.date(), until: g.date()))
        case 28: return .exchangeSyncOrgChanged(ExchangeSyncOrgChanged(emailAddress: EmailAddress(g.text()), syncOrg: env, previous: g.maybe { EnvironmentID($0.text()) }))
        case 29:
            return .profileTestJobStarted(ProfileTestJobStarted(job: JobID(g.text()), profile: profile,
                                                                mailboxes: (0..<Int.random(in: 0...3, using: &g)).map { _ in MailboxID(g.text()) }, requestedBy: upn))
        case 30:
            return .profileTestJobCompleted(ProfileTestJobCompleted(job: JobID(g.text()), profile: profile, succeeded: g.integer(), failed: g.integer(),
                                                                    retrying: g.integer()))
        case 31:
            return .commandRefused(CommandRefused(command: g.text(), target: g.maybe { $0.text() }, actor: g.text(),
                                                  rolesHeld: (0..<Int.random(in: 0...3, using: &g)).map { _ in g.text() }, code: g.text(),
                                                  category: g.pick([.permission, .rule, .notFound]), message: g.text()))
        case 32: return .checkpointKeyRegistered(CheckpointKeyRegistered(name: g.text(), publicKey: g.text(), registeredBy: upn))
        case 33: return .signingKeyEnrolled(SigningKeyEnrolled(user: upn, publicKey: g.text(), enrolledBy: UserPrincipalName(g.text()), previous: g.maybe { $0.text() }))
        case 34: return .signedModeChanged(SignedModeChanged(enabled: g.bool(), changedBy: upn))
        case 35:
            return .accessTokenIssued(AccessTokenIssued(id: g.text(), user: upn, scope: g.pick(), tokenHash: g.text(), expiresAt: g.maybe { $0.date() },
                                                        issuedBy: UserPrincipalName(g.text())))
        default: return .accessTokenRevoked(AccessTokenRevoked(id: g.text(), user: upn, revokedBy: UserPrincipalName(g.text())))
        }
    }

    /// A random test outcome whose alerts are worded by the templates
    /// (``MailboxTestCompleted/alertText(code:level:address:maximumRetries:)``)
    /// as often as not, so the stored form's three ways of keeping a text
    /// (left out, an address, the text itself) all occur.
    func testCompleted(mailbox: MailboxID, upn: UserPrincipalName, _ g: inout SplitMix) -> MailboxTestCompleted {
        func outcome(_ g: inout SplitMix) -> ChannelOutcome {
            ChannelOutcome(status: g.pick([.notRun, .success, .failure]), errorCode: g.maybe { $0.pick([$0.text(), "ExchangeUnavailable", "RetriesExhausted"]) },
                           transient: g.bool())
        }
        var test = MailboxTestCompleted(
            mailbox: mailbox, trigger: g.pick([.testAndEnable, .applyDefaults, .profileJob, .retry]), job: g.maybe { JobID($0.text()) },
            requestedBy: upn, testedAt: g.date(), profile: g.maybe { ProfileID($0.text()) }, processEmailsFrom: g.maybe { $0.date() },
            syncThisOrgOnly: g.bool(), statuses: ChannelStatuses(incoming: outcome(&g), outgoing: outcome(&g), appointmentsContactsTasks: outcome(&g)),
            enabled: ChannelFlags(incoming: g.bool(), outgoing: g.bool(), appointmentsContactsTasks: g.bool()), retryNumber: g.integer(),
            nextRetryAt: g.maybe { $0.date() }, alerts: [])
        // Equal outcomes and flags on every channel, as most tests end, half of the time.
        if g.bool() { test.statuses = ChannelStatuses(incoming: test.statuses.incoming, outgoing: test.statuses.incoming, appointmentsContactsTasks: test.statuses.incoming) }
        if g.bool() { test.enabled = ChannelFlags(incoming: test.enabled.incoming, outgoing: test.enabled.incoming, appointmentsContactsTasks: test.enabled.incoming) }
        var alerts: [AlertNotice] = []
        for _ in 0..<Int.random(in: 0...3, using: &g) {
            var level: AlertLevel = g.pick(), code = g.pick([g.text(), "ExchangeUnavailable", "RetriesExhausted", "EmailAddressNotApproved", "MailboxTestSucceeded"])
            let address = EmailAddress(g.pick(["alice@contoso.com", "support@contoso.com", g.text()]))
            if g.bool() {
                // Make a template fit: a retry due, a channel that failure disabled, or a success.
                switch Int.random(in: 0..<3, using: &g) {
                case 0: (level, code) = (.warning, "ExchangeUnavailable"); if test.nextRetryAt == nil { test.nextRetryAt = g.date() }
                case 1:
                    (level, code) = (.error, g.pick(["RetriesExhausted", "EmailAddressNotApproved", "MailboxSyncsWithAnotherOrg"]))
                    test.statuses[g.pick()] = ChannelOutcome(status: .failure, errorCode: code, transient: false)
                default: (level, code) = (.information, "MailboxTestSucceeded")
                }
            }
            let worded = test.alertText(code: code, level: level, address: g.maybe { _ in address }, maximumRetries: g.pick([10, 10, 12]))
            alerts.append(AlertNotice(level: level, code: code, text: g.pick([worded ?? g.text(), worded ?? g.text(), g.text()]),
                                      mailbox: g.pick([mailbox, mailbox, nil, MailboxID(g.text())]),
                                      profile: g.pick([test.profile, test.profile, nil, ProfileID(g.text())]),
                                      recipients: (0..<Int.random(in: 0...2, using: &g)).map { _ in UserPrincipalName(g.text()) }))
        }
        test.alerts = alerts
        return test
    }

    func approval(_ g: inout SplitMix) -> EmailApprovalStatus { g.pick([.empty, .approved, .pendingApproval, .rejected]) }

    func owner(_ g: inout SplitMix) -> MailboxOwner { g.bool() ? .user(UserPrincipalName(g.text())) : .queue(QueueName(g.text())) }

    func principal(_ g: inout SplitMix) -> Principal { g.bool() ? .user(UserPrincipalName(g.text())) : .team(TeamName(g.text())) }

    func configuration(_ g: inout SplitMix) -> MailboxConfiguration {
        MailboxConfiguration(profile: g.maybe { ProfileID($0.text()) }, incoming: g.pick(), outgoing: g.pick(), appointmentsContactsTasks: g.pick())
    }

    func role(_ g: inout SplitMix) -> RoleDefinition {
        RoleDefinition(name: RoleName(g.text()), privileges: (0..<Int.random(in: 0...3, using: &g)).map { _ in PrivilegeGrant(g.pick(), g.pick()) }, builtIn: g.bool())
    }

    func emailSettings(_ g: inout SplitMix) -> EmailSettings {
        var settings = EmailSettings()
        settings.incoming = g.pick()
        settings.outgoing = g.pick()
        settings.appointmentsContactsTasks = g.pick()
        settings.processEmailsOnlyForApprovedUsers = g.bool()
        settings.processEmailsOnlyForApprovedQueues = g.bool()
        settings.requirePrivilegeToSelfApprove = g.bool()
        return settings
    }

    func profileSettings(_ g: inout SplitMix) -> ProfileSettings {
        let authentication: Authentication = g.pick([
            .serverToServer, .credentialsByUserOrQueue, .oauthCrossTenant(tenantID: g.text(), applicationID: g.text(), clientSecretFingerprint: g.text()),
            .credentialsInProfile(userName: g.text(), passwordFingerprint: g.text()),
        ])
        var options = ProfileOptions()
        options.processEmailsReceivedAfter = g.maybe { $0.date() }
        options.minPollingIntervalMinutes = g.integer()
        options.maxConcurrentConnections = g.integer()
        options.moveFailedEmailsToUndeliverableFolder = g.bool()
        options.sendAlertEmailToOwner = g.bool()
        options.timeoutMailboxConnection = g.bool()
        options.timeoutMailboxConnectionAfterMilliseconds = g.integer()
        options.useAutoDiscover = g.bool()
        return ProfileSettings(name: g.text(), serverType: g.pick(), authentication: authentication, owner: UserPrincipalName(g.text()), options: options,
                               serverLocation: g.maybe { $0.text() })
    }
}
