import EventLog
import Foundation
import SQLite
import Testing

@Suite("syncledger, end to end", .serialized)
struct EndToEndTests {
    /// A ledger with a tenant, an environment and a few users.
    func seeded() throws -> CLI {
        try CLI.seeded([
            "tenant create Contoso --admin gabriela@contoso.com --display-name Gabriela",
            "env provision contoso-prod --as gabriela@contoso.com",
            "directory add-user sam@contoso.com --as gabriela@contoso.com",
            "directory add-user alice@contoso.com --as gabriela@contoso.com",
            "role assign 'System Administrator' --user sam@contoso.com --as gabriela@contoso.com",
            "exchange add-mailbox alice@contoso.com --as gabriela@contoso.com",
        ])
    }

    @Test func theBinaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: CLI.binary.path), "no syncledger at \(CLI.binary.path)")
    }

    @Test func helpListsTheGroupsAndExitCodes() throws {
        let cli = CLI()
        defer { cli.cleanUp() }
        let help = try cli.run(["--help"])
        #expect(help.status == 0)
        for text in ["ADMIN ACTIONS", "AUDITOR QUERIES", "THE LOG", "mailbox", "status", "replay", "76 verify found tampering", "77 permission", "78 rule refused"] {
            #expect(help.stdout.contains(text), "help lacks \(text)")
        }
        let mailboxHelp = try cli.run(["mailbox", "approve", "--help"])
        #expect(mailboxHelp.status == 0)
        #expect(mailboxHelp.stdout.contains("--programmatic"))
    }

    @Test func aPermissionRefusalExits77AndRecordsOnlyTheDenial() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        let before = try cli.run("log head --json").json as? [String: Any]
        let refused = try cli.run("mailbox approve alice@contoso.com --as sam@contoso.com --json")
        #expect(refused.status == 77)
        #expect(refused.stderr.hasPrefix("error: refused (ApproverRoleCombinationNotAllowed): sam@contoso.com may not approve alice@contoso.com"))
        let error = (refused.json as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "ApproverRoleCombinationNotAllowed")
        let after = try cli.run("log head --json").json as? [String: Any]
        #expect((after?["position"] as? Int) == (before?["position"] as? Int).map { $0 + 1 })
        let audit = try cli.run("audit --denied --json").json as? [[String: Any]]
        #expect(audit?.count == 1)
        #expect(audit?.first?["refusalCode"] as? String == "ApproverRoleCombinationNotAllowed")
        #expect(audit?.first?["roles"] as? [String] == ["System Administrator"])
    }

    @Test func exitCodesForEachKindOfFailure() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        #expect(try cli.run("mailbox approve nobody@contoso.com --as gabriela@contoso.com").status == 65)
        #expect(try cli.run("mailbox approve alice@contoso.com").status == 64)                         // no --as
        #expect(try cli.run("status --as-of yesterday").status == 64)
        #expect(try cli.run("profile deactivate contoso-prod-exchange-online --as sam@contoso.com").status == 78)
        #expect(try cli.run("role assign 'Delegated Mailbox Approver' --user alice@contoso.com --as sam@contoso.com").status == 77)
        let garbage = cli.folder.appendingPathComponent("garbage.sqlite").path
        FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 7, count: 4096))
        let notALedger = try cli.run(["status", "--db", garbage])
        #expect(notALedger.status == 74)
        #expect(notALedger.stderr.contains("is not a SyncLedger event log"))
    }

    @Test func approveTestAndQueryAsJSON() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        let approved = try cli.run("mailbox approve alice@contoso.com --as gabriela@contoso.com --json")
        #expect(approved.status == 0)
        let events = (approved.json as? [String: Any])?["events"] as? [[String: Any]]
        #expect(events?.map { $0["type"] as? String } == ["MailboxEmailApproved"])
        #expect(Set(events?.first?.keys.map { $0 } ?? []) == ["position", "stream", "streamVersion", "type", "schemaVersion", "recordedAt", "id", "data", "metadata", "hash"])
        let afterApproval = try cli.run("log head --json").json as? [String: Any]
        var later = cli
        later.now = "2025-03-03T10:00:00Z"
        #expect(try later.run("mailbox test-enable alice@contoso.com --as sam@contoso.com").status == 0)
        let grid = try cli.run("status --json").json as? [[String: Any]]
        let alice = grid?.first { $0["emailAddress"] as? String == "alice@contoso.com" }
        #expect(alice?["incomingStatus"] as? String == "Success")
        #expect(alice?["emailStatus"] as? String == "Approved")
        // As of the approval, the test had not run yet.
        let position = afterApproval?["position"] as? Int ?? 0
        let then = try cli.run("status --json --as-of #\(position)").json as? [[String: Any]]
        #expect(then?.first { $0["emailAddress"] as? String == "alice@contoso.com" }?["incomingStatus"] as? String == "Not Run")
        // As of an instant: the system-clock time the approval was recorded at.
        let recordedAt = (afterApproval?["recordedAt"] as? String) ?? ""
        let instant = try cli.run("status --json --as-of \(recordedAt)").json as? [[String: Any]]
        #expect(instant?.first { $0["emailAddress"] as? String == "alice@contoso.com" }?["incomingStatus"] as? String == "Not Run")
        let alerts = try cli.run("alerts --owner alice@contoso.com --json").json as? [[String: Any]]
        #expect(alerts?.map { $0["code"] as? String } == ["MailboxTestSucceeded"])
        let explain = try cli.run("explain alice@contoso.com --field incoming_status --json").json as? [String: Any]
        #expect(explain?["value"] as? String == "Success")
        let diff = try cli.run("diff --from #\(position) --json").json as? [[String: Any]]
        #expect(diff?.contains { $0["table"] as? String == "mailbox_status" } == true)
        let history = try cli.run("history mailbox:contoso-prod/user:alice@contoso.com --json").json as? [[String: Any]]
        #expect(history?.map { $0["type"] as? String } == ["MailboxCreated", "MailboxEmailApproved", "MailboxTestCompleted"])
        #expect(try cli.run("mailbox show alice@contoso.com").stdout.contains("Approved"))
        #expect(try cli.run("projections list").stdout.contains("mailbox-status"))
        #expect(try cli.run("projections rebuild").status == 0)
        // With no rows held in memory the fold runs in the scratch file's tables, to the same read models.
        let gridText = try cli.run("status --json").stdout, auditText = try cli.run("audit --json").stdout
        #expect(try cli.run("projections rebuild --memory 0").status == 0)
        #expect(try cli.run("status --json").stdout == gridText)
        #expect(try cli.run("audit --json").stdout == auditText)
        let negative = try cli.run("projections rebuild --memory=-1")
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("--memory must be between 0 and 1048576 MiB (got -1)"), "\(negative.stderr)")
        #expect(try cli.run("settings show").stdout.contains("Process emails only for approved users"))
        #expect(try cli.run("profile list").stdout.contains("Microsoft Exchange Online"))
    }

    @Test func tamperingIsCaughtByVerifyWithExit76() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        let intact = try cli.run("log verify")
        #expect(intact.status == 0)
        #expect(intact.stdout.hasPrefix("intact: "))
        let raw = try Connection(path: cli.db)
        try raw.execute("DROP TRIGGER events_no_update")
        try raw.run("UPDATE events SET data = replace(data, 'Contoso', 'Fabrikam') WHERE position = 1")
        let broken = try cli.run("log verify")
        #expect(broken.status == 76)
        #expect(broken.stderr == "error: the log is broken at #1: its hash does not match its content (the event was altered)\n")
        // With --json, stdout is exactly one document (the report), whatever went wrong.
        let json = try cli.run("log verify --json")
        #expect(json.status == 76)
        let document = json.json as? [String: Any]
        #expect(document?["intact"] as? Bool == false)
        #expect(document?["position"] as? Int == 1)
        #expect(document?["reason"] as? String == "its hash does not match its content (the event was altered)")
        #expect(document?.count == 3, "\(json.stdout)")
    }

    @Test func theJSONLExportReverifiesOffline() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        let export = try cli.run("log export --format jsonl")
        #expect(export.status == 0)
        var previous = HashChain.genesis
        var count = 0
        for line in export.stdout.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let canonical = HashChain.canonicalBytes(
                position: Position(Int64(object["position"] as! Int)), stream: StreamID(object["stream"] as! String),
                streamVersion: StreamVersion(Int64(object["streamVersion"] as! Int)), id: UUID(uuidString: object["id"] as! String)!,
                type: object["type"] as! String, schemaVersion: object["schemaVersion"] as! Int, data: object["data"] as! String,
                metadata: object["metadata"] as! String, recordedAtMicroseconds: Int64(object["recordedAtMicroseconds"] as! Int))
            #expect(object["previousHash"] as? String == hexString(previous))
            let hash = HashChain.hash(previous: previous, canonical: canonical)
            #expect(object["hash"] as? String == hexString(hash))
            previous = hash
            count += 1
        }
        #expect(count > 10)
        let csv = try cli.run("log export --format csv --from #2 --to #3")
        #expect(csv.stdout.split(separator: "\n").count == 3)
    }

    @Test func replayDryRunChangesNothing() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        let target = cli.folder.appendingPathComponent("prod.sqlite").path
        let dry = try cli.run(["replay", "--onto", target, "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let lines = dry.json as? [[String: Any]]
        #expect(lines?.first?["command"] as? String == "tenant.create")
        #expect(lines?.allSatisfy { $0["outcome"] as? String == "accepted" } == true)
        // The dry run decided against an empty scratch ledger and left no file behind.
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(try cli.run(["log", "head", "--db", target]).status == 74)
        #expect(try cli.run(["replay", "--onto", target]).status == 0)
        #expect(try cli.run(["status", "--db", target, "--json"]).json as? [[String: Any]] != nil)
    }

    @Test func theDemoCompletes() throws {
        let cli = CLI()
        defer { cli.cleanUp() }
        let demo = try cli.run(["demo", "--db", cli.folder.appendingPathComponent("demo.sqlite").path])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("== 18. log verify\n  intact: "))
        #expect(demo.stdout.contains("refused 0x80090904"))
        #expect(demo.stdout.contains("refused 0x80090905"))
        let again = try cli.run(["demo", "--db", cli.folder.appendingPathComponent("demo.sqlite").path])
        #expect(again.status == 64)
    }
}

@Suite("syncledger admin commands, end to end")
struct AdminCommandTests {
    @Test func everyAdminCommandOutsideTheWalkthroughHasAHappyPath() throws {
        let cli = CLI()
        defer { cli.cleanUp() }
        let secret = cli.folder.appendingPathComponent("secret.txt")
        try "s3cr3t-value".write(to: secret, atomically: true, encoding: .utf8)
        let lines: [(String, String)] = [
            ("tenant create Contoso --admin gabriela@contoso.com", "TenantCreated"),
            ("env provision cn-prod --region china --provisioned-on 2019-06-01 --as gabriela@contoso.com", "EnvironmentProvisioned"),
            ("env enable-china-exchange --as gabriela@contoso.com", "ChinaExchangeAccessEnabled"),
            ("directory add-user sam@contoso.com --as gabriela@contoso.com", "MailboxCreated"),
            ("directory add-user alice@contoso.com --as gabriela@contoso.com", "MailboxCreated"),
            ("directory grant sam@contoso.com service-admin --as gabriela@contoso.com", "AdminRoleGranted"),
            ("directory revoke sam@contoso.com service-admin --as gabriela@contoso.com", "AdminRoleRevoked"),
            ("role assign 'System Administrator' --user sam@contoso.com --as gabriela@contoso.com", "SecurityRoleAssigned"),
            ("team create Sales --as sam@contoso.com", "TeamCreated"),
            ("team add-member Sales alice@contoso.com --as sam@contoso.com", "TeamMemberAdded"),
            ("role create 'Mail desk' --as sam@contoso.com", "SecurityRoleCreated"),
            ("role set-privilege 'Mail desk' mailbox-write user --as sam@contoso.com", "RolePrivilegeSet"),
            ("role assign 'Mail desk' --team Sales --as sam@contoso.com", "SecurityRoleAssigned"),
            ("role remove 'Mail desk' --team Sales --as sam@contoso.com", "SecurityRoleRemoved"),
            ("profile create 'Fabrikam EXO' --id fabrikam --auth oauth --tenant-id 8f1c0d7e-1111-4222-8333-944455556666 --application-id app-1 --client-secret-file \(secret.path) --as sam@contoso.com", "ServerProfileCreated"),
            ("profile update fabrikam --max-connections 30 --as sam@contoso.com", "ServerProfileUpdated"),
            ("profile set-location cn-prod-exchange-online --ews https://partner.outlook.cn/EWS/Exchange.asmx --as sam@contoso.com", "ServerProfileLocationSet"),
            ("profile set-default fabrikam --as sam@contoso.com", "DefaultServerProfileSet"),
            ("profile set-default cn-prod-exchange-online --as sam@contoso.com", "DefaultServerProfileSet"),
            ("profile deactivate fabrikam --as sam@contoso.com", "ServerProfileDeactivated"),
            ("settings set --outgoing outlook --as sam@contoso.com", "EmailSettingsChanged"),
            ("mailbox edit alice@contoso.com --act none --as sam@contoso.com", "MailboxConfigured"),
            ("mailbox set-email alice@contoso.com alice.smith@contoso.com --as sam@contoso.com", "MailboxEmailAddressChanged"),
            ("mailbox reject alice.smith@contoso.com --as gabriela@contoso.com", "MailboxEmailRejected"),
            ("mailbox approve alice.smith@contoso.com --programmatic --as gabriela@contoso.com", "MailboxEmailApproved"),
        ]
        for (line, type) in lines {
            let result = try cli.run(line + " --json")
            #expect(result.status == 0, "\(line): \(result.stderr)")
            let events = (result.json as? [String: Any])?["events"] as? [[String: Any]]
            #expect(events?.contains { $0["type"] as? String == type } == true, "\(line) recorded no \(type): \(result.stdout)")
        }
        // The secret never reaches the file; its fingerprint does.
        for suffix in ["", "-wal"] {
            let file = (try? Data(contentsOf: URL(fileURLWithPath: cli.db + suffix))) ?? Data()
            #expect(file.range(of: Data("s3cr3t-value".utf8)) == nil, "the secret is in \(cli.db + suffix)")
        }
        let approval = try cli.run("audit --action mailbox.approve --json").json as? [[String: Any]]
        #expect(approval?.first?["source"] as? String == "api")
        #expect(try cli.run("mailbox approve alice.smith@contoso.com --programmatic --also-changing emailaddress --as gabriela@contoso.com").status == 78)
    }
}

@Suite("Two syncledger processes on one file")
struct ConcurrentProcessesTests {
    @Test func concurrentCommandsAreAllRecordedInOneIntactChain() throws {
        let cli = CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run("tenant create Contoso --admin gabriela@contoso.com").status == 0)
        let before = try cli.run("log head --json").json as? [String: Any]
        // Two shells, each adding 15 Exchange mailboxes, at the same time.
        let scripts = (0..<2).map { worker in
            (0..<15).map { n in "\(CLI.binary.path) exchange add-mailbox w\(worker)-\(n)@contoso.com --as gabriela@contoso.com --db \(cli.db)" }
                .joined(separator: " && ")
        }
        let processes = try scripts.map { script -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "(" + script + ") > /dev/null"]
            try process.run()
            return process
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let after = try cli.run("log head --json").json as? [String: Any]
        #expect((after?["position"] as? Int) == (before?["position"] as? Int).map { $0 + 30 })
        #expect(try cli.run("log verify").status == 0)
        let audit = try cli.run("audit --action exchange.add-mailbox --json").json as? [[String: Any]]
        #expect(audit?.count == 30)
    }
}
