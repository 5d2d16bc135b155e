import Crypto
import EventLog
import Foundation
import SQLite
import Testing

/// Signed checkpoints, proofs and `log verify --checkpoint`, through the binary.
@Suite("Checkpoints and proofs, end to end", .serialized)
struct CheckpointCLITests {
    static let world = HardeningCLITests.world

    /// A ledger with a registered key and a first checkpoint; returns the paths of the key and the checkpoint.
    func prepared() throws -> (CLI, key: String, checkpoint: String) {
        var cli = try CLI.seeded(Self.world)
        cli.now = nil
        let key = cli.folder.appendingPathComponent("audit.key").path
        #expect(try cli.run(["key", "generate", "--out", key]).status == 0)
        #expect(try cli.run(["key", "register", "contoso-audit", "--public-key", key + ".pub", "--as", "gabriela@contoso.com"]).status == 0)
        let made = try cli.run(["log", "checkpoint", "--key", key, "--name", "contoso-audit"])
        #expect(made.status == 0, "\(made.stderr)")
        let checkpoint = cli.folder.appendingPathComponent("first.checkpoint").path
        try made.stdout.write(toFile: checkpoint, atomically: true, encoding: .utf8)
        return (cli, key, checkpoint)
    }

    @Test func keysAreCreatedPrivateAndRegisteredOnlyByAGlobalAdmin() throws {
        var cli = try CLI.seeded(Self.world)
        cli.now = nil
        defer { cli.cleanUp() }
        let key = cli.folder.appendingPathComponent("k").path
        let generated = try cli.run(["key", "generate", "--out", key])
        #expect(generated.status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(generated.stdout == publicKey + "\n")
        #expect(Data(base64Encoded: publicKey)?.count == 32)
        #expect(try cli.run(["key", "generate", "--out", key]).status == 64, "never overwritten")
        #expect(try cli.run(["key", "register", "audit", "--public-key", publicKey, "--as", "sam@contoso.com"]).status == 77)
        let unregistered = try cli.run(["log", "checkpoint", "--key", key, "--name", "audit"])
        #expect(unregistered.status == 64)
        #expect(unregistered.stderr.hasPrefix("error: no key named audit with this public key is registered in the ledger"))
        #expect(try cli.run(["key", "register", "audit", "--public-key", publicKey, "--as", "gabriela@contoso.com"]).status == 0)
        #expect(try cli.run(["key", "register", "audit", "--public-key", publicKey, "--as", "gabriela@contoso.com"]).status == 78, "registered once")
    }

    @Test func aCheckpointIsASignedNoteTheLedgerProvesAgainst() throws {
        let (cli, key, checkpoint) = try prepared()
        defer { cli.cleanUp() }
        let text = try String(contentsOfFile: checkpoint, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0].hasPrefix("syncledger/") && lines[0].count == 27)
        #expect(lines[1] == "18", "the tree holds the 17 world events and the key registration")
        #expect(Data(base64Encoded: String(lines[2]))?.count == 32)
        #expect(lines[3].hasPrefix("time "))
        #expect(lines[4] == "" && lines[5].hasPrefix("\u{2014} contoso-audit "))
        // The note verifies with the public key by the C2SP rules, computed here from scratch.
        let publicKey = try #require(Data(base64Encoded: try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let signature = try #require(Data(base64Encoded: String(lines[5].split(separator: " ")[2])))
        #expect(Array(signature.prefix(4)) == Array(SHA256.hash(data: Array("contoso-audit".utf8) + [0x0A, 0x01] + Array(publicKey)).prefix(4)))
        let body = lines[0...3].map { $0 + "\n" }.joined()
        #expect(try Curve25519.Signing.PublicKey(rawRepresentation: publicKey).isValidSignature(signature.dropFirst(4), for: Data(body.utf8)))

        #expect(try cli.run(["log", "verify", "--checkpoint", checkpoint]).status == 0)
        #expect(try cli.run(["directory", "add-user", "zoe@contoso.com", "--as", "gabriela@contoso.com"]).status == 0)
        let second = cli.folder.appendingPathComponent("second.checkpoint").path
        try (try cli.run(["log", "checkpoint", "--key", key, "--name", "contoso-audit"])).stdout.write(toFile: second, atomically: true, encoding: .utf8)
        let inclusion = try cli.run(["log", "prove", "#7", "--checkpoint", checkpoint, "--json"])
        #expect(inclusion.status == 0, "\(inclusion.stderr)")
        let proof = inclusion.json as? [String: Any]
        #expect(proof?["verifies"] as? Bool == true && proof?["matchesCheckpoint"] as? Bool == true && proof?["treeSize"] as? Int == 18)
        #expect((proof?["proof"] as? [String])?.count == 5)
        let consistency = try cli.run(["log", "prove", "--from", checkpoint, "--to", second, "--json"])
        #expect(consistency.status == 0, "\(consistency.stderr)")
        #expect((consistency.json as? [String: Any])?["verifies"] as? Bool == true)
        #expect(try cli.run(["log", "verify", "--checkpoint", checkpoint, "--public-key", key + ".pub"]).status == 0)
        #expect(try cli.run(["log", "prove", "#19", "--checkpoint", checkpoint]).status == 64, "#19 came after the checkpoint")
    }

    @Test func aTamperedCheckpointOrAnotherLedgersIsRefused() throws {
        let (cli, _, checkpoint) = try prepared()
        defer { cli.cleanUp() }
        let text = try String(contentsOfFile: checkpoint, encoding: .utf8)
        let edited = cli.folder.appendingPathComponent("edited.checkpoint").path
        try text.replacingOccurrences(of: "\n18\n", with: "\n17\n").write(toFile: edited, atomically: true, encoding: .utf8)
        let result = try cli.run(["log", "verify", "--checkpoint", edited])
        #expect(result.status == 76)
        #expect(result.stderr == "error: \(edited): no signature verifies with the keys registered in the ledger\n")
        let other = try prepared()
        defer { other.0.cleanUp() }
        let foreign = try cli.run(["log", "verify", "--checkpoint", other.checkpoint])
        #expect(foreign.status == 76)
        #expect(foreign.stderr.contains("is a checkpoint of syncledger/"))
        let otherKey = try cli.run(["log", "verify", "--checkpoint", checkpoint, "--public-key", other.key + ".pub"])
        #expect(otherKey.status == 76)
    }

    @Test func truncationAndRechainedRewritesAreCaughtAgainstTheCheckpoint() throws {
        let (cli, _, checkpoint) = try prepared()
        defer { cli.cleanUp() }
        #expect(try cli.run(["directory", "add-user", "zoe@contoso.com", "--as", "gabriela@contoso.com"]).status == 0)
        let copy = { (name: String) throws -> String in
            let path = cli.folder.appendingPathComponent(name).path
            #expect(try cli.run(["log", "backup", path]).status == 0)
            return path
        }
        // The tail cut back below the checkpoint.
        let truncated = try copy("truncated.sqlite")
        do {
            let db = try Connection(path: truncated)
            let trigger = try #require(try db.scalar("SELECT sql FROM sqlite_master WHERE name = 'events_no_delete'")?.string)
            try db.execute("DROP TRIGGER events_no_delete; DELETE FROM events WHERE position > 15")
            try db.execute(trigger)
        }
        #expect(try cli.run(["log", "verify", "--db", truncated]).status == 0, "alone the shorter chain looks intact")
        let cut = try cli.run(["log", "verify", "--db", truncated, "--checkpoint", checkpoint, "--json"])
        #expect(cut.status == 76)
        #expect((cut.json as? [String: Any])?["reason"] as? String == "the log ends before the checkpoint's 18 events: its tail was removed")
        // The first event from #6 on that stores its command's metadata in full (not as a continuation of an
        // earlier event's) rewritten, and the chain recomputed after it.
        let rewritten = try copy("rewritten.sqlite")
        var target: Int64 = 0
        do {
            let db = try Connection(path: rewritten)
            target = try #require(try db.scalar(#"SELECT min(position) FROM events WHERE position >= 6 AND metadata NOT LIKE '{"continues":%'"#)?.int64)
            #expect(target <= 16, "in the first block of 16")
            let trigger = try #require(try db.scalar("SELECT sql FROM sqlite_master WHERE name = 'events_no_update'")?.string)
            try db.execute("DROP TRIGGER events_no_update")
            try db.run("UPDATE events SET metadata = json_set(metadata, '$.actor', 'mallory@contoso.com') WHERE position = ?", .integer(target))
            var rows: [RecordedEvent] = []
            try EventLog.open(at: rewritten, options: .init(readOnly: true)).forEachEvent(from: Position(target)) { rows.append($0) }
            var previous = rows[0].previousHash
            for row in rows {
                let hash = HashChain.hash(previous: previous, canonical: HashChain.canonicalBytes(
                    position: row.position, stream: row.stream, streamVersion: row.streamVersion, id: row.id, type: row.type,
                    schemaVersion: row.schemaVersion, data: row.data, metadata: row.storedMetadata, recordedAtMicroseconds: row.recordedAtMicroseconds))
                try db.run("UPDATE events SET previous_hash = ?, hash = ? WHERE position = ?", .blob(previous), .blob(hash), .integer(row.position.rawValue))
                previous = hash
            }
            try db.execute(trigger)
        }
        let alone = try cli.run(["log", "verify", "--db", rewritten])
        #expect(alone.status == 0, "alone the recomputed chain looks intact: \(alone.stderr)")
        let caught = try cli.run(["log", "verify", "--db", rewritten, "--checkpoint", checkpoint, "--json"])
        #expect(caught.status == 76)
        let document = caught.json as? [String: Any]
        #expect(document?["position"] as? Int == 18)
        #expect(document?["reason"] as? String == "the first 18 events do not hash to the checkpoint's Merkle root: an event up to #18 was rewritten (and the chain recomputed)")
        // The rewritten event's proof no longer leads to the checkpoint's root, nor does that of an untouched
        // event of its block of 16 (#1–#16: their proofs hash the block's events as they are now). An
        // untouched event outside the block still proves: the block's node is the stored original.
        #expect(try cli.run(["log", "prove", "#\(target)", "--checkpoint", checkpoint, "--db", rewritten]).status == 76)
        #expect(try cli.run(["log", "prove", "#3", "--checkpoint", checkpoint, "--db", rewritten]).status == 76)
        #expect(try cli.run(["log", "prove", "#17", "--checkpoint", checkpoint, "--db", rewritten]).status == 0)
    }

    @Test func signedModeThroughTheCommandLine() throws {
        var cli = try CLI.seeded(Self.world)
        cli.now = nil
        defer { cli.cleanUp() }
        let gabriela = cli.folder.appendingPathComponent("gabriela.key").path, sam = cli.folder.appendingPathComponent("sam.key").path
        #expect(try cli.run(["key", "generate", "--out", gabriela]).status == 0)
        #expect(try cli.run(["key", "generate", "--out", sam]).status == 0)
        #expect(try cli.run(["key", "enrol", "gabriela@contoso.com", "--public-key", gabriela + ".pub", "--as", "gabriela@contoso.com"]).status == 0)
        #expect(try cli.run(["key", "enrol", "sam@contoso.com", "--public-key", sam + ".pub", "--as", "sam@contoso.com"]).status == 0)
        #expect(try cli.run(["key", "signed-mode", "on", "--as", "sam@contoso.com"]).status == 77)
        #expect(try cli.run(["key", "signed-mode", "on", "--as", "gabriela@contoso.com"]).status == 0)
        let unsigned = try cli.run("mailbox approve alice@contoso.com --as gabriela@contoso.com")
        #expect(unsigned.status == 77)
        #expect(unsigned.stderr.hasPrefix("error: refused (CommandNotSigned): the ledger is in signed mode"))
        let impostor = try cli.run(["mailbox", "approve", "alice@contoso.com", "--as", "gabriela@contoso.com", "--key", sam])
        #expect(impostor.status == 77)
        #expect(impostor.stderr.contains("claimed identity gabriela@contoso.com, proven identity: sam@contoso.com"))
        let signed = try cli.run(["mailbox", "approve", "alice@contoso.com", "--as", "gabriela@contoso.com"], environment: ["SYNCLEDGER_KEY": gabriela])
        #expect(signed.status == 0, "\(signed.stderr)")
        let verify = try cli.run("log verify")
        #expect(verify.status == 0, "\(verify.stderr)")
        let denied = try cli.run("audit --denied --json").json as? [[String: Any]]
        #expect(denied?.suffix(3).map { $0["refusalCode"] as? String } == ["NotGlobalAdmin", "CommandNotSigned", "IdentityNotProven"])
    }
}
