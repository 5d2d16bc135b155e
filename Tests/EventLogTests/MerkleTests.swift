import Crypto
@testable import EventLog
import Foundation
import SQLite
import Testing

/// The Merkle tree over the log against a plain recursive statement of RFC 9162 §2.1.
@Suite("Merkle tree, inclusion and consistency proofs")
struct MerkleTests {
    /// MTH straight from the RFC: no stored nodes, no shortcuts.
    static func reference(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leaves.count {
        case 0: return Array(SHA256.hash(data: Data()))
        case 1: return leaves.first!
        default:
            var k = 1
            while k * 2 < leaves.count { k *= 2 }
            let start = leaves.startIndex
            return MerkleTree.nodeHash(reference(leaves[start..<start + k]), reference(leaves[(start + k)...]))
        }
    }

    func makeLog(_ folder: TemporaryFolder, count: Int) throws -> (EventLog, [[UInt8]]) {
        let log = try openLog(folder)
        for n in 1...count { try log.append([event(n, StreamID("s\(n % 3)"))]) }
        return (log, try allEvents(log).map { MerkleTree.leafHash(of: $0) })
    }

    @Test func leavesAndNodesAreTheRFCsHashes() {
        let canonical: [UInt8] = Array("x".utf8)
        #expect(MerkleTree.leafHash(canonical) == Array(SHA256.hash(data: [0x00] + canonical)))
        #expect(MerkleTree.nodeHash([1], [2]) == Array(SHA256.hash(data: [0x01, 1, 2])))
    }

    @Test func everyRootEqualsTheReference() throws {
        let folder = TemporaryFolder()
        let (log, leaves) = try makeLog(folder, count: 70)
        for size in 0...70 {
            #expect(try log.merkleRoot(size: Int64(size)) == Self.reference(leaves[0..<size]), "size \(size)")
        }
    }

    @Test func inclusionProofsVerifyAndFailWhenOneByteChanges() throws {
        let folder = TemporaryFolder()
        let (log, leaves) = try makeLog(folder, count: 40)
        for size in 1...40 {
            for position in 1...size {
                let (leaf, proof, root) = try log.inclusionProof(of: Position(Int64(position)), size: Int64(size))
                #expect(leaf == leaves[position - 1])
                #expect(root == Self.reference(leaves[0..<size]))
                #expect(MerkleTree.verifyInclusion(leaf: leaf, index: Int64(position - 1), size: Int64(size), proof: proof, root: root))
                var flipped = leaf
                flipped[0] ^= 1
                #expect(!MerkleTree.verifyInclusion(leaf: flipped, index: Int64(position - 1), size: Int64(size), proof: proof, root: root))
                if !proof.isEmpty {
                    var bad = proof
                    bad[bad.count / 2][31] ^= 0x80
                    #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: Int64(position - 1), size: Int64(size), proof: bad, root: root))
                }
                if size > 1 {
                    #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: Int64(position % size), size: Int64(size), proof: proof, root: root) || position % size == position - 1)
                }
            }
        }
    }

    @Test func consistencyProofsVerifyAndFailWhenOneByteChanges() throws {
        let folder = TemporaryFolder()
        let (log, leaves) = try makeLog(folder, count: 40)
        for second in 1...40 {
            for first in 1...second {
                let proof = try log.consistencyProof(from: Int64(first), to: Int64(second))
                let a = Self.reference(leaves[0..<first]), b = Self.reference(leaves[0..<second])
                #expect(MerkleTree.verifyConsistency(first: Int64(first), firstRoot: a, second: Int64(second), secondRoot: b, proof: proof), "\(first)→\(second)")
                guard first < second else { continue }
                var badRoot = a
                badRoot[5] ^= 1
                #expect(!MerkleTree.verifyConsistency(first: Int64(first), firstRoot: badRoot, second: Int64(second), secondRoot: b, proof: proof))
                var bad = proof
                bad[0][0] ^= 1
                #expect(!MerkleTree.verifyConsistency(first: Int64(first), firstRoot: a, second: Int64(second), secondRoot: b, proof: bad))
            }
        }
    }

    @Test func aLedgerWrittenBeforeTheTreeGetsItOnOpen() throws {
        let folder = TemporaryFolder()
        let (log, leaves) = try makeLog(folder, count: 23)
        _ = consume log
        // What an older SyncLedger left: no Merkle table and no record of its migrations.
        let db = try Connection(path: folder.path())
        try db.execute("DROP TABLE merkle_subtrees; DELETE FROM eventlog_migrations WHERE identifier IN ('3-merkle-tree', '5-merkle-by-last-leaf')")
        let reopened = try EventLog.open(at: folder.path())
        #expect(try reopened.merkleRoot(size: 23) == Self.reference(leaves[...]))
        #expect(try reopened.verify().isIntact)
    }

    /// The rows of the tree's table, in key order.
    func subtrees(_ path: String) throws -> [[SQLiteValue]] {
        let db = try Connection(path: path, mode: .readOnly)
        defer { db.close() }
        let statement = try db.prepare("SELECT last_leaf, level, hash FROM merkle_subtrees ORDER BY last_leaf, level")
        var rows: [[SQLiteValue]] = []
        while try statement.step() { rows.append((0..<3).map { statement.value(at: $0) }) }
        return rows
    }

    /// Every complete subtree of `leaves` as (last leaf, level, hash), in key order.
    static func everySubtree(_ leaves: [[UInt8]], from lowest: Int = 0) -> [[SQLiteValue]] {
        var rows: [[SQLiteValue]] = []
        for last in leaves.indices {
            var level = lowest
            while (last + 1) % (1 << level) == 0 && (1 << level) <= last + 1 {
                let first = last + 1 - (1 << level)
                if level >= lowest { rows.append([.integer(Int64(last)), .integer(Int64(level)), .blob(reference(leaves[first...last]))]) }
                level += 1
            }
        }
        return rows
    }

    @Test("only subtrees of 16 leaves and up are stored, each once, with the reference's hash")
    func onlyBlocksAndUpAreStored() throws {
        let folder = TemporaryFolder()
        let (log, leaves) = try makeLog(folder, count: 70)
        _ = consume log
        let expected = Self.everySubtree(leaves, from: MerkleTree.storedLevel)
        // Blocks ending at leaves 15, 31, 47, 63; 31 also closes 32 leaves, 63 closes 32 and 64.
        #expect(expected.map { [$0[0], $0[1]] } == [[15, 4], [31, 4], [31, 5], [47, 4], [63, 4], [63, 5], [63, 6]].map { $0.map { SQLiteValue.integer($0) } })
        #expect(try subtrees(folder.path()) == expected)
    }

    @Test("appends in batches that start inside a block and span several store the same tree", arguments: [[70], [5, 20, 1, 33, 11], [15, 1, 16, 17, 21]])
    func batchesStoreTheSameTree(sizes: [Int]) throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        var n = 0
        for size in sizes {
            try log.append((n + 1...n + size).map { event($0, StreamID("s\($0 % 3)")) })
            n += size
        }
        let leaves = try allEvents(log).map { MerkleTree.leafHash(of: $0) }
        for size in 0...70 { #expect(try log.merkleRoot(size: Int64(size)) == Self.reference(leaves[0..<size]), "size \(size)") }
        _ = consume log
        #expect(try subtrees(folder.path()) == Self.everySubtree(leaves, from: MerkleTree.storedLevel))
    }

    @Test("a tree in the first layout (level, idx) is converted row for row; proofs and verify agree")
    func theFirstLayoutIsConverted() throws {
        let folder = TemporaryFolder()
        let (log, leaves) = try makeLog(folder, count: 37)
        let proof = try log.inclusionProof(of: Position(6), size: 37)
        _ = consume log
        // Every complete subtree, as migration 3 stored them: 37 + 18 + 9 + 4 + 2 + 1.
        let everyLevel = Self.everySubtree(leaves)
        #expect(everyLevel.count == 71)
        // Put the tree back as migration 3 stored it, without migration 5.
        let db = try Connection(path: folder.path())
        try db.execute("DROP TABLE merkle_subtrees; DELETE FROM eventlog_migrations WHERE identifier = '5-merkle-by-last-leaf'")
        try db.execute(EventLog.legacyMerkleTableSQL)
        for row in everyLevel {
            guard case .integer(let last) = row[0], case .integer(let level) = row[1] else { continue }
            try db.run("INSERT INTO merkle_nodes(level, idx, hash) VALUES (?, ?, ?)", row[1], .integer(((last + 1) >> level) - 1), row[2])
        }
        for sql in EventLog.legacyMerkleTriggerSQL.values { try db.execute(sql) }
        db.close()
        let reopened = try EventLog.open(at: folder.path())
        #expect(try subtrees(folder.path()) == everyLevel)
        #expect(try reopened.merkleRoot(size: 37) == Self.reference(leaves[...]))
        let again = try reopened.inclusionProof(of: Position(6), size: 37)
        #expect(again.proof == proof.proof && again.root == proof.root && again.leaf == proof.leaf)
        #expect(try reopened.verify(treeHead: (37, Self.reference(leaves[...]))).isIntact)
        // Appending on: the block ending at leaf 47 is stored, the smaller subtrees are not.
        for n in 38...48 { try reopened.append([event(n, StreamID("s2"))]) }
        let all = try allEvents(reopened).map { MerkleTree.leafHash(of: $0) }
        #expect(try reopened.merkleRoot(size: 48) == Self.reference(all[...]))
        #expect(try subtrees(folder.path()) == everyLevel + [[.integer(47), .integer(4), .blob(Self.reference(all[32...47]))]])
    }

    @Test func verifyAgainstATreeHeadCatchesTruncationAndRechainedRewrites() throws {
        let folder = TemporaryFolder()
        let (log, leaves) = try makeLog(folder, count: 12)
        let root10 = Self.reference(leaves[0..<10])
        #expect(try log.verify(treeHead: (10, root10)).isIntact)
        #expect(try log.verify(treeHead: (13, Self.reference(leaves[...]))) == .broken(at: 12, reason: .checkpointBeyondHead(size: 13)))
        // Rewrite event 4 and recompute the whole chain after it: the chain verifies, the tree head does not.
        _ = consume log
        let db = try Connection(path: folder.path())
        try db.execute("DROP TRIGGER events_no_update")
        try db.run(#"UPDATE events SET data = '{"n":400}' WHERE position = 4"#)
        guard case .blob(var previous)? = try db.scalar("SELECT hash FROM events WHERE position = 3") else {
            Issue.record("no hash at #3")
            return
        }
        var rows: [RecordedEvent] = []
        try EventLog.open(at: folder.path(), options: .init(readOnly: true)).forEachEvent(from: 4, through: 12) { rows.append($0) }
        for (offset, rewritten) in rows.enumerated() {
            let position = 4 + offset
            let hash = HashChain.hash(previous: previous, canonical: HashChain.canonicalBytes(
                position: rewritten.position, stream: rewritten.stream, streamVersion: rewritten.streamVersion, id: rewritten.id, type: rewritten.type,
                schemaVersion: rewritten.schemaVersion, data: rewritten.data, metadata: rewritten.storedMetadata, recordedAtMicroseconds: rewritten.recordedAtMicroseconds))
            try db.run("UPDATE events SET previous_hash = ?, hash = ? WHERE position = ?", .blob(previous), .blob(hash), .integer(Int64(position)))
            previous = hash
        }
        try db.execute("""
            CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END
            """)
        let tampered = try EventLog.open(at: folder.path(), options: .init(readOnly: true))
        #expect(try tampered.verify().isIntact, "the recomputed chain alone looks intact")
        #expect(try tampered.verify(treeHead: (10, root10)) == .broken(at: 10, reason: .checkpointRootMismatch(size: 10)))
    }
}
