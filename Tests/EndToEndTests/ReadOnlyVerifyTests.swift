import Crypto
import EventLog
import Foundation
import SQLite
import Testing

/// `log verify`, `log head` and `log export` only read; `--projections`
/// checks the read models against the log.
@Suite("syncledger log: verification that only reads", .serialized)
struct ReadOnlyVerifyTests {
    func seeded() throws -> CLI {
        try CLI.seeded([
            "tenant create Contoso --admin gabriela@contoso.com --display-name Gabriela",
            "env provision contoso-prod --as gabriela@contoso.com",
            "directory add-user alice@contoso.com --as gabriela@contoso.com",
            "exchange add-mailbox alice@contoso.com --as gabriela@contoso.com",
            "mailbox approve alice@contoso.com --as gabriela@contoso.com",
            "mailbox test-enable alice@contoso.com --as gabriela@contoso.com",
        ])
    }

    /// The SHA-256 of a file's bytes, or nil when there is no file.
    func digest(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    @Test func anOlderBinaryVerifiesALedgerWithAnEventTypeItDoesNotKnow() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        // A newer SyncLedger appended a validly chained event of a type this binary does not know.
        let log = try EventLog.open(at: cli.db)
        let future = NewEvent(id: UUID(), stream: "future:1", type: "SomethingFromTheFuture", schemaVersion: 1,
                              data: #"{"what":"a later feature"}"#, metadata: #"{"actor":"gabriela@contoso.com"}"#)
        let recorded = try log.append([future])
        let head = recorded[0].position.rawValue
        // With the writer still open the newest commits sit in the -wal: both files must stay byte for byte.
        let before = (digest(cli.db), digest(cli.db + "-wal"))
        #expect(before.1 != nil, "the -wal holds commits")

        let verify = try cli.run("log verify")
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.hasPrefix("intact: \(head) events; head \(head):\(hexString(recorded[0].hash))"))
        let headLine = try cli.run("log head")
        #expect(headLine.status == 0, "\(headLine.stderr)")
        #expect(headLine.stdout.hasPrefix("\(head):\(hexString(recorded[0].hash))"))
        let export = try cli.run("log export")
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.split(separator: "\n").count == Int(head))
        #expect(export.stdout.split(separator: "\n").last?.contains(#""type":"SomethingFromTheFuture""#) == true)
        #expect(digest(cli.db) == before.0, "the ledger file is unchanged")
        #expect(digest(cli.db + "-wal") == before.1, "the -wal is unchanged")

        // With no writer left the last close checkpointed the WAL into the file and removed it. Read-only
        // opening still works and leaves the file as it was; SQLite creates an empty -wal (and -shm) beside
        // it for its locks when none exists, holding no data.
        _ = consume log
        let closed = digest(cli.db)
        #expect(digest(cli.db + "-wal") == nil)
        #expect(try cli.run("log verify").status == 0)
        #expect(digest(cli.db) == closed)
        #expect(digest(cli.db + "-wal").map { $0 == SHA256.hash(data: Data()).map { String(format: "%02x", $0) }.joined() } ?? true, "no WAL content")
    }

    @Test func verifyProjectionsCatchesAHandEditedRow() throws {
        let cli = try seeded()
        defer { cli.cleanUp() }
        let clean = try cli.run("log verify --projections")
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.split(separator: "\n").last == "projections: every stored table equals a fresh fold of the log")

        let raw = try Connection(path: cli.db)
        try raw.execute("UPDATE mailbox_status SET email_status = 'Rejected' WHERE mailbox_id = 'contoso-prod/user:alice@contoso.com'")
        #expect(try cli.run("log verify").status == 0, "the chain itself is intact")
        let edited = try cli.run("log verify --projections")
        #expect(edited.status == 76)
        #expect(edited.stderr == "error: a read model differs from the log: mailbox_status [mailbox_id=contoso-prod/user:alice@contoso.com]: email_status is Rejected, the log says Approved\n")
        let json = try cli.run("log verify --projections --json")
        #expect(json.status == 76)
        let document = json.json as? [String: Any]
        #expect(document?["intact"] as? Bool == false)
        #expect((document?["projections"] as? [String: Any])?["table"] as? String == "mailbox_status")
        #expect(document?["events"] as? Int == 16, "one JSON document on stdout: \(json.stdout)")
    }

    @Test func theCommandLineToolImportsOnlyTheFacadeAndTheDomain() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SyncLedgerCLI")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        var imports = Set<String>()
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") { imports.insert(String(line.dropFirst(7))) }
        }
        // SyncLedgerServer is the other front end, which `syncledger serve` starts.
        #expect(imports == ["ArgumentParser", "Foundation", "ServerSideSync", "SyncLedger", "SyncLedgerServer"])
    }
}
