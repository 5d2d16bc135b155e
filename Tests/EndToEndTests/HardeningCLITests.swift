import Foundation
import SQLite
import Testing

extension CLI {
    /// Starts `syncledger ARGS` without waiting (output discarded).
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SYNCLEDGER_DB"] = db
        environment.removeValue(forKey: "SYNCLEDGER_NOW")
        process.environment = environment
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A CLI on the system clock over a ledger created by its first admin command (a real ledger).
    static func real() -> CLI {
        var cli = CLI(simulation: false)
        cli.now = nil
        return cli
    }
}

/// Issue 9: every numbered defect found by the trials, end to end through the binary.
@Suite("Hardening: the command line", .serialized)
struct HardeningCLITests {
    static let world = [
        "tenant create Contoso --admin gabriela@contoso.com --display-name Gabriela",
        "env provision contoso-prod --as gabriela@contoso.com",
        "directory add-user sam@contoso.com --as gabriela@contoso.com",
        "role assign \"System Administrator\" --user sam@contoso.com --as gabriela@contoso.com",
        "directory add-user alice@contoso.com --as gabriela@contoso.com",
        "exchange add-mailbox alice@contoso.com --as gabriela@contoso.com",
    ]

    func head(_ cli: CLI, db: String? = nil) throws -> String {
        try cli.run(["log", "head"] + (db.map { ["--db", $0] } ?? [])).stdout
    }

    // MARK: 1. A crash while the file is created never bricks the path

    @Test func killingTheFirstCommandOnANewPathNeverLeavesAnUnusableFile() throws {
        let cli = CLI.real()
        defer { cli.cleanUp() }
        var generator = SystemRandomNumberGenerator()
        var bricked: [String] = []
        for trial in 0..<30 {
            var attempt = cli
            attempt.now = nil
            let path = cli.folder.appendingPathComponent("new-\(trial).sqlite").path
            let process = try cli.start(["tenant", "create", "Contoso", "--admin", "gabriela@contoso.com", "--db", path])
            usleep(UInt32.random(in: 0...15_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // The path is either absent or a ledger every later command accepts.
            let next = try attempt.run(["tenant", "create", "Contoso", "--admin", "gabriela@contoso.com", "--db", path])
            if next.status != 0 && next.status != 78 { bricked.append("trial \(trial): exit \(next.status): \(next.stderr)") }
            let verify = try attempt.run(["log", "verify", "--db", path])
            if verify.status != 0 { bricked.append("trial \(trial): verify exit \(verify.status): \(verify.stderr)") }
        }
        #expect(bricked.isEmpty, "\(bricked)")
    }

    // MARK: 2. Copies of the file

    @Test func aPlainCopyOfTheMainFileIsTheWholeLedgerAndBackupIsVerified() throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        let original = try head(cli)
        #expect(original.hasPrefix("17:"), "\(original)")
        let copy = cli.folder.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: cli.db, toPath: copy)
        #expect(try head(cli, db: copy) == original)
        let backup = cli.folder.appendingPathComponent("backup.sqlite").path
        let made = try cli.run(["log", "backup", backup])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout == "backed up and verified: \(backup); head \(original.prefix { $0 != " " })\n")
        #expect(try cli.run(["log", "verify", "--db", backup]).status == 0)
        let again = try cli.run(["log", "backup", backup])
        #expect(again.status == 64)
        #expect(again.stderr == "error: \(backup) already exists; a backup never overwrites a file\n")
    }

    @Test func aFileWithTheApplicationIDButNoTablesIsRefusedWithAClearMessage() throws {
        let cli = CLI.real()
        defer { cli.cleanUp() }
        let path = cli.folder.appendingPathComponent("main-only.sqlite").path
        do {
            let db = try Connection(path: path)
            try db.execute("PRAGMA application_id = \(0x5359_4C47); CREATE TABLE t(x)")
        }
        for arguments in [["status", "--db", path], ["tenant", "create", "X", "--admin", "a@contoso.com", "--db", path]] {
            let result = try cli.run(arguments)
            #expect(result.status == 74)
            #expect(result.stderr.hasPrefix("error: \(path) carries the SyncLedger application id but holds no log tables"), "\(result.stderr)")
        }
    }

    // MARK: 3. A busy lock ends in 75 with a message that says so

    @Test func aBusyLockExits75AndRecordsNothing() throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        let before = try head(cli)
        let other = try Connection(path: cli.db, busyTimeout: .milliseconds(10))
        try other.execute("BEGIN IMMEDIATE")
        let result = try cli.run("mailbox approve alice@contoso.com --as gabriela@contoso.com --lock-wait 0.3")
        try other.execute("ROLLBACK")
        #expect(result.status == 75)
        #expect(result.stderr.hasPrefix("error: the ledger is busy: another process held its write lock for longer than the lock wait; nothing was recorded."))
        #expect(try head(cli) == before)
    }

    // MARK: 4. Positions given by a user are ≥ 1

    @Test(arguments: ["-9223372036854775808", "-1", "0", "+5", "#+5", "99999999999999999999"])
    func anchorsOutOfRangeAreUsageErrors(_ position: String) throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        let result = try cli.run(["log", "verify", "--anchor=\(position):\(String(repeating: "0", count: 64))"])
        #expect(result.status == 64, "\(result.stderr)")
    }

    // MARK: 8. Secrets leave nothing that can be guessed back

    @Test func aPasswordLeavesOnlyARandomMarker() throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        let secret = cli.folder.appendingPathComponent("pw").path
        try "1234".write(toFile: secret, atomically: true, encoding: .utf8)
        for id in ["pop-a", "pop-b"] {
            let result = try cli.run(["profile", "create", id, "--id", id, "--type", "pop3-smtp", "--auth", "profile-credentials",
                                      "--user-name", "svc", "--password-file", secret, "--as", "sam@contoso.com"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let export = try cli.run("log export").stdout
        let markers = export.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: #"\"passwordFingerprint\":\""#) else { return nil }
            return String(line[range.upperBound...].prefix(36))
        }
        #expect(markers.count == 2)
        #expect(markers.allSatisfy { $0.hasPrefix("set-") && $0.dropFirst(4).allSatisfy(\.isHexDigit) }, "\(markers)")
        #expect(Set(markers).count == 2, "the same password gives different markers: nothing is derived from it")
        #expect(!export.contains("1234\\\""))
    }

    // MARK: 9. Control characters neither reach the log as names nor the terminal

    @Test func controlCharactersAreRefusedAndNeverPrintedRaw() throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        let before = try head(cli)
        let escape = try cli.run(["queue", "create", "Sup\u{1B}[2Jport", "--email", "support@contoso.com", "--as", "sam@contoso.com"])
        #expect(escape.status == 78)
        #expect(!escape.rawStderr.contains("\u{1B}"))
        let newline = try cli.run(["queue", "create", "Support\n13  2025-03-03  gabriela@contoso.com  forged", "--email", "s@contoso.com", "--as", "sam@contoso.com"])
        #expect(newline.status == 78)
        let lookAlike = try cli.run(["directory", "add-user", "alice\u{200B}@contoso.com", "--as", "gabriela@contoso.com"])
        #expect(lookAlike.status == 78)
        // Three audited denials, nothing else.
        #expect(try head(cli).hasPrefix("20:"))
        #expect(before.hasPrefix("17:"))
        let denied = try cli.run("audit --denied")
        #expect(denied.status == 0)
        #expect(!denied.stdout.contains("\u{1B}") && !denied.stdout.contains("\u{200B}"))
        let lines = denied.stdout.split(separator: "\n")
        #expect(lines.count == 2 + 3, "a header, a rule and one line per denial: \(lines)")
        #expect(denied.stdout.contains("\\u{1B}[2J"), "escaped visibly")
    }

    // MARK: 10. A pinned clock only on a simulation ledger

    @Test func aRealLedgerRefusesSYNCLEDGER_NOWAndASimulationSaysWhatItIs() throws {
        var cli = CLI.real()
        defer { cli.cleanUp() }
        #expect(try cli.run(Self.world[0]).status == 0)
        cli.now = "9999-12-31T00:00:00Z"
        let pinned = try cli.run(Self.world[1])
        #expect(pinned.status == 64)
        #expect(pinned.stderr.hasPrefix("error: a pinned clock (SYNCLEDGER_NOW) is allowed only on a simulation ledger"))
        #expect(try head(cli).hasPrefix("3:"))
        // On a simulation ledger: accepted in the past, refused in the future, announced on every command.
        var simulation = CLI()
        defer { simulation.cleanUp() }
        let first = try simulation.run(Self.world[0])
        #expect(first.status == 0)
        #expect(first.rawStderr == "note: \(simulation.db) is a SIMULATION ledger: its decision times may be pinned and are not real times\n")
        simulation.now = "9999-12-31T00:00:00Z"
        let future = try simulation.run(Self.world[1])
        #expect(future.status == 64)
        #expect(future.stderr == "error: the pinned clock 9999-12-31T00:00:00.000Z is ahead of the system clock; a simulation may replay the past, never the future\n")
        let init2 = try simulation.run(["init", "--simulation"])
        #expect(init2.status == 64, "init never touches an existing file")
    }

    // MARK: 11. A retry with the same command id is not recorded twice

    @Test func theSameCommandIDIsRecordedOnce() throws {
        let cli = try CLI.seeded(Self.world + ["mailbox approve alice@contoso.com --as gabriela@contoso.com"])
        defer { cli.cleanUp() }
        let id = "3f2b8c1e-0d4a-4e8b-9c61-5a7d2e9f0b13"
        let first = try cli.run("mailbox test-enable alice@contoso.com --as sam@contoso.com --command-id \(id) --json")
        #expect(first.status == 0, "\(first.stderr)")
        let after = try head(cli)
        let retry = try cli.run("mailbox test-enable alice@contoso.com --as sam@contoso.com --command-id \(id) --json")
        #expect(retry.status == 0)
        #expect((retry.json as? [String: Any])?["repeat"] as? Bool == true)
        #expect(((retry.json as? [String: Any])?["events"] as? [[String: Any]])?.count == ((first.json as? [String: Any])?["events"] as? [[String: Any]])?.count)
        #expect(try head(cli) == after)
        #expect(try cli.run("mailbox test-enable alice@contoso.com --as sam@contoso.com --command-id not-a-uuid").status == 64)
    }

    // MARK: 12. Queries never create a ledger

    @Test func aQueryOnAMissingFileExits74AndCreatesNothing() throws {
        let cli = CLI.real()
        defer { cli.cleanUp() }
        let typo = cli.folder.appendingPathComponent("typo.sqlite").path
        for query in [["status"], ["alerts"], ["audit"], ["log", "verify"], ["projections", "list"]] {
            let result = try cli.run(query + ["--db", typo])
            #expect(result.status == 74, "\(query)")
            #expect(result.stderr == "error: no event log at \(typo)\n")
        }
        #expect(!FileManager.default.fileExists(atPath: typo))
        let empty = try cli.run(["status", "--db", ""])
        #expect(empty.status == 64)
        #expect(empty.stderr.hasPrefix("Error: --db needs a path; it is empty"))
    }

    // MARK: 14. Rotating an OAuth secret alone

    @Test func rotatingTheClientSecretAloneIsRecorded() throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        let secret = cli.folder.appendingPathComponent("secret").path
        try "first".write(toFile: secret, atomically: true, encoding: .utf8)
        let created = try cli.run(["profile", "create", "Fabrikam", "--id", "fabrikam", "--auth", "oauth", "--tenant-id", "t-1", "--application-id", "a-1",
                                   "--client-secret-file", secret, "--as", "sam@contoso.com"])
        #expect(created.status == 0, "\(created.stderr)")
        try "second".write(toFile: secret, atomically: true, encoding: .utf8)
        let rotated = try cli.run(["profile", "update", "fabrikam", "--client-secret-file", secret, "--as", "sam@contoso.com", "--json"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let event = ((rotated.json as? [String: Any])?["events"] as? [[String: Any]])?.first
        #expect(event?["type"] as? String == "ServerProfileUpdated")
        let data = event?["data"] as? [String: Any]
        func oauth(_ side: String) -> [String: Any]? {
            ((data?[side] as? [String: Any])?["authentication"] as? [String: Any])?["oauthCrossTenant"] as? [String: Any]
        }
        #expect(oauth("before")?["tenantID"] as? String == "t-1" && oauth("after")?["tenantID"] as? String == "t-1")
        #expect(oauth("after")?["applicationID"] as? String == "a-1")
        #expect(oauth("before")?["clientSecretFingerprint"] as? String != oauth("after")?["clientSecretFingerprint"] as? String)
        // Options of another kind are refused, not ignored.
        let mixed = try cli.run(["profile", "update", "fabrikam", "--auth", "s2s", "--client-secret-file", secret, "--as", "sam@contoso.com"])
        #expect(mixed.status == 64)
        #expect(mixed.stderr == "error: --tenant-id, --application-id and --client-secret-file apply only to --auth oauth\n")
    }

    @Test func aProgrammaticSourceMustApproveAlone() throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        #expect(try cli.run("mailbox approve alice@contoso.com --source programmatic --also-changing emailaddress --as gabriela@contoso.com").status == 78)
        let alone = try cli.run("mailbox approve alice@contoso.com --source programmatic --as gabriela@contoso.com --json")
        #expect(alone.status == 0)
        let data = (((alone.json as? [String: Any])?["events"] as? [[String: Any]])?.first)?["data"] as? [String: Any]
        #expect(data?["method"] as? String == "programmatic")
    }

    // MARK: 15. Smaller defects

    @Test func longListsAndBadCutoffsAndNamesHaveClearOutcomes() throws {
        let cli = try CLI.seeded(Self.world + ["mailbox approve alice@contoso.com --as gabriela@contoso.com"])
        defer { cli.cleanUp() }
        // Too many words: refused at once, not parsed for seconds.
        let started = Date()
        let many = try cli.run(["mailbox", "test-enable", "--as", "sam@contoso.com"] + Array(repeating: "alice@contoso.com", count: 3_000))
        #expect(many.status == 64)
        #expect(many.stderr.hasPrefix("error: 3004 words on the command line (at most 2000); pass long mailbox lists with --mailboxes-from FILE"))
        #expect(Date().timeIntervalSince(started) < 2)
        // 20,000 names through a file: linear.
        let list = cli.folder.appendingPathComponent("names").path
        try String(repeating: "alice@contoso.com\n", count: 20_000).write(toFile: list, atomically: true, encoding: .utf8)
        let fileStarted = Date()
        let bulk = try cli.run(["mailbox", "test-enable", "--mailboxes-from", list, "--as", "sam@contoso.com", "--json"])
        #expect(bulk.status == 0, "\(bulk.stderr)")
        #expect(((bulk.json as? [String: Any])?["events"] as? [[String: Any]])?.count == 2, "one test of the one mailbox (and its sync-org claim)")
        #expect(Date().timeIntervalSince(fileStarted) < 10)
        // Cutoffs: impossible dates, offsets and signs are usage errors; a position beyond the head is refused.
        for cutoff in ["2025-02-31T00:00:00Z", "2025-03-01T00:00:00+99:99", "2025-13-01", "#+5", "#-1", "#"] {
            #expect(try cli.run(["status", "--as-of", cutoff]).status == 64, "\(cutoff)")
        }
        let beyond = try cli.run(["status", "--as-of", "#999999"])
        #expect(beyond.status == 64)
        #expect(beyond.stderr == "error: position #999999 is beyond the head of the log (#20)\n")
        #expect(try cli.run(["status", "--as-of", "2024-02-29"]).status == 0, "a real leap day")
        // An unknown stream is not an empty history.
        let history = try cli.run("history mailbox:nowhere")
        #expect(history.status == 65)
        // An ambiguous or unknown mailbox is explained by the subcommand, never the top-level usage.
        let unknown = try cli.run("mailbox approve nobody --as gabriela@contoso.com")
        #expect(unknown.status == 65)
        #expect(unknown.stderr == "error: no mailbox nobody\n")
        let noActor = try cli.run("mailbox approve alice@contoso.com")
        #expect(noActor.status == 64)
        #expect(noActor.stderr.hasPrefix("Error: say who acts: --as UPN (or set SYNCLEDGER_ACTOR)\nUsage: syncledger mailbox approve [--db <path>]"), "\(noActor.stderr)")
        #expect(noActor.stderr.hasSuffix("See 'syncledger help mailbox approve' for more information.\n"))
    }

    @Test func anUnknownProjectionMigrationIsExplainedInWords() throws {
        let cli = try CLI.seeded(Self.world)
        defer { cli.cleanUp() }
        do {
            let db = try Connection(path: cli.db)
            let table = try db.scalar("SELECT name FROM sqlite_master WHERE name LIKE '%migrations' AND name != 'eventlog_migrations'")?.string ?? ""
            try db.run("INSERT INTO \"\(table)\"(identifier) VALUES ('99-from-the-future')")
        }
        let result = try cli.run("status")
        #expect(result.status == 74)
        #expect(!result.stderr.contains("UnknownMigrations("), "\(result.stderr)")
        #expect(result.stderr.contains("99-from-the-future"), "\(result.stderr)")
    }
}
