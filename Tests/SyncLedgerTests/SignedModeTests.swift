import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite
@testable import SyncLedger
import SyncLedgerTesting
import Testing

/// Signed mode: identity proven by a key, not claimed by `--as`.
@Suite("Signed commands")
struct SignedModeTests {
    func key() -> (SigningKey, String) {
        let (file, publicKey) = SyncLedger.generateCheckpointKey()
        return (try! SyncLedger.signingKey(fromFile: file), publicKey)
    }

    func signedWorld() throws -> (Fixture, gabriela: SigningKey, sam: SigningKey) {
        let f = try Fixture()
        try f.buildWorld()
        let (g, gPublic) = key(), (s, sPublic) = key()
        try f.run(.enrolSigningKey(C.gabriela, publicKey: gPublic), by: C.gabriela)
        try f.run(.enrolSigningKey(C.sam, publicKey: sPublic), by: C.sam)
        try f.run(.setSignedMode(true), by: C.gabriela)
        return (f, g, s)
    }

    func refusal(_ body: () throws(SyncLedgerError) -> SyncLedger.Execution) -> Refusal? {
        switch Result(catching: body) {
        case .failure(.refused(let refusal, _)): refusal
        default: nil
        }
    }

    @Test func inSignedModeATokenIsIssuedOnlyWithTheIssuersSignature() throws {
        let (f, gabriela, _) = try signedWorld()
        let unsigned = refusal { () throws(SyncLedgerError) in
            try f.ledger.issueToken(for: C.alice.rawValue, scope: .auditor, expiresAt: nil, as: .user(C.gabriela)).execution
        }
        #expect(unsigned?.code == .commandNotSigned)
        let signed = try f.ledger.issueToken(for: C.alice.rawValue, scope: .auditor, expiresAt: nil, as: .user(C.gabriela), signingKey: gabriela)
        #expect(signed.execution.events.map(\.type) == ["AccessTokenIssued"])
        #expect(try f.ledger.authenticate(token: signed.token) == ProvenIdentity(user: C.alice, scope: .auditor,
                                                                                  credential: "token:\(SyncLedger.tokenHash(signed.token).prefix(16))"))
    }

    @Test func whoMayEnrolWhoseKeyAndSwitchTheMode() throws {
        let world = try C.world()
        let (_, first) = key(), (_, second) = key()
        world.when(.enrolSigningKey(C.alice, publicKey: first), by: .user(C.sam), at: C.t0).thenRefused(.notGlobalAdmin)
        let own = world.and(.enrolSigningKey(C.alice, publicKey: first), by: .user(C.alice), at: C.t0)
        own.when(.enrolSigningKey(C.alice, publicKey: second), by: .user(C.alice), at: C.t0).thenRefused(.notGlobalAdmin)
        own.when(.enrolSigningKey(C.alice, publicKey: second), by: .user(C.gabriela), at: C.t0)
            .then(.signingKeyEnrolled(SigningKeyEnrolled(user: C.alice, publicKey: second, enrolledBy: C.gabriela, previous: first)))
        world.when(.setSignedMode(true), by: .user(C.sam), at: C.t0).thenRefused(.notGlobalAdmin)
        world.when(.setSignedMode(true), by: .user(C.gabriela), at: C.t0).thenRefused(.invalidValue)
        world.and(.enrolSigningKey(C.gabriela, publicKey: first), by: .user(C.gabriela), at: C.t0)
            .when(.setSignedMode(true), by: .user(C.gabriela), at: C.t0)
            .then(.signedModeChanged(SignedModeChanged(enabled: true, changedBy: C.gabriela)))
    }

    @Test func signedModeRefusesUnsignedAndForeignSignaturesAndAcceptsTheActorsOwn() throws {
        let (f, gabriela, sam) = try signedWorld()
        let command = Command.approveEmail(C.mailbox(C.alice))
        let unsigned = refusal { () throws(SyncLedgerError) in try f.ledger.execute(command, as: .user(C.gabriela)) }
        #expect(unsigned == Refusal(.commandNotSigned, "the ledger is in signed mode: gabriela@contoso.com's command must be signed with their key (--key FILE or SYNCLEDGER_KEY); claimed identity gabriela@contoso.com, proven identity: none"))
        #expect(unsigned?.category == .permission)
        let claimed = refusal { () throws(SyncLedgerError) in try f.ledger.execute(command, as: .user(C.gabriela), signingKey: sam) }
        #expect(claimed == Refusal(.identityNotProven, "the signature is not by gabriela@contoso.com's enrolled key: claimed identity gabriela@contoso.com, proven identity: sam@contoso.com"))
        let stranger = refusal { () throws(SyncLedgerError) in try f.ledger.execute(command, as: .user(C.gabriela), signingKey: key().0) }
        #expect(stranger?.message.hasSuffix("proven identity: none") == true)
        #expect(try f.ledger.audit(filter: AuditFilter(deniedOnly: true)).suffix(3).map { $0.refusalCode } == ["CommandNotSigned", "IdentityNotProven", "IdentityNotProven"])
        let accepted = try f.ledger.execute(command, as: .user(C.gabriela), signingKey: gabriela)
        let signature = try #require(try EventMetadata.decode(accepted.events[0].metadata).signature)
        #expect(signature.head == "\(accepted.events[0].position.rawValue - 1):\(EventLog.hex(accepted.events[0].previousHash))")
        #expect(try f.ledger.verify().isIntact)
        // System retries need no signature.
        #expect(try f.ledger.execute(.processDueRetries, as: .system).events.isEmpty)
    }

    @Test func verifyCatchesAStoredSignatureThatDoesNotMatch() throws {
        let (f, gabriela, _) = try signedWorld()
        let accepted = try f.ledger.execute(.approveEmail(C.mailbox(C.alice)), as: .user(C.gabriela), signingKey: gabriela)
        let position = accepted.events[0].position
        // An attacker swaps the recorded arguments' subject and recomputes the chain from there.
        let path = f.ledger.path
        let db = try Connection(path: path)
        let trigger = try #require(try db.scalar("SELECT sql FROM sqlite_master WHERE name = 'events_no_update'")?.string)
        try db.execute("DROP TRIGGER events_no_update")
        try db.run("UPDATE events SET metadata = replace(metadata, 'user:alice', 'user:erin') WHERE position = ?", .integer(position.rawValue))
        var rows: [RecordedEvent] = []
        try EventLog.open(at: path, options: .init(readOnly: true)).forEachEvent(from: position) { rows.append($0) }
        var previous = rows[0].previousHash
        for row in rows {
            let hash = HashChain.hash(previous: previous, canonical: HashChain.canonicalBytes(
                position: row.position, stream: row.stream, streamVersion: row.streamVersion, id: row.id, type: row.type,
                schemaVersion: row.schemaVersion, data: row.data, metadata: row.storedMetadata, recordedAtMicroseconds: row.recordedAtMicroseconds))
            try db.run("UPDATE events SET previous_hash = ?, hash = ? WHERE position = ?", .blob(previous), .blob(hash), .integer(row.position.rawValue))
            previous = hash
        }
        try db.execute(trigger)
        let reopened = try SyncLedger.open(at: path, options: .evidence)
        #expect(try reopened.verify() == .broken(at: position, reason: .commandSignature(reason: "covers other arguments than the ones recorded")))
    }
}
