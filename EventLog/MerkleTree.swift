import Crypto
import Foundation
import SQLite

/// The Merkle tree over the log, exactly as RFC 9162 §2.1 defines it, next to
/// the hash chain.
///
/// - leaf *i* (0-based; the event at position *i* + 1) = SHA-256(0x00 ‖ canonical bytes of the event)
///   — the same canonical bytes the chain hashes (``HashChain``);
/// - interior node = SHA-256(0x01 ‖ left ‖ right);
/// - the tree of *n* leaves splits at *k*, the largest power of two below *n*:
///   MTH(D[n]) = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])); the empty tree's
///   hash is SHA-256 of nothing.
///
/// The log stores the hash of every complete subtree of at least
/// ``storedBlock`` leaves in `merkle_subtrees` (`level` 0 = leaves; node
/// (level, index) covers leaves [index·2^level, (index+1)·2^level)), written in
/// the append's own transaction. Smaller subtrees are hashed from the events
/// when asked for: at most ``storedBlock`` − 1 neighbouring events per root or
/// proof. So only every 16th append writes to the tree (its block's node and
/// every larger subtree that block closes: on average two nodes), the tree
/// takes about 6 bytes an event instead of 96, and every root, inclusion
/// proof and consistency proof is still O(log n) reads plus at most 15
/// events hashed.
///
/// Ledgers written before this stored every level; those smaller nodes stay
/// in the file (the table is append-only) and are no longer read.
///
/// The table is keyed by the subtree's last leaf, then its level, so the
/// nodes one append completes are neighbours at the table's right edge: one
/// page written. The first layout (`merkle_nodes`, keyed by level and index,
/// until migration 5) kept each level's right edge on a page of its own.
public enum MerkleTree {
    /// The smallest subtree the log stores, in leaves (2^``storedLevel``).
    public static let storedBlock: Int64 = 1 << storedLevel
    /// The lowest level the log stores; lower nodes are hashed from the events.
    public static let storedLevel = 4

    /// The hash of the empty tree.
    public static let emptyRoot = Array(SHA256.hash(data: Data()))

    /// SHA-256(0x00 ‖ `canonical`).
    public static func leafHash(_ canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: canonical)
        return Array(hasher.finalize())
    }

    /// SHA-256(0x01 ‖ `left` ‖ `right`).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// The leaf hash of a recorded event.
    public static func leafHash(of event: RecordedEvent) -> [UInt8] {
        leafHash(HashChain.canonicalBytes(
            position: event.position, stream: event.stream, streamVersion: event.streamVersion, id: event.id, type: event.type,
            schemaVersion: event.schemaVersion, data: event.data, metadata: event.storedMetadata, recordedAtMicroseconds: event.recordedAtMicroseconds))
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func split(_ n: Int64) -> Int64 {
        var k: Int64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// A source of complete-subtree hashes: (level, index) → hash.
    public typealias Nodes = (_ level: Int, _ index: Int64) throws -> [UInt8]

    /// MTH of the `size` leaves from `start`, from complete subtrees.
    static func subtreeHash(start: Int64, size: Int64, _ node: Nodes) throws -> [UInt8] {
        if size & (size - 1) == 0 && start % size == 0 {
            return try node(size.trailingZeroBitCount, start / size)
        }
        let k = split(size)
        return nodeHash(try subtreeHash(start: start, size: k, node), try subtreeHash(start: start + k, size: size - k, node))
    }

    /// The root of the tree of the first `size` leaves.
    public static func root(size: Int64, _ node: Nodes) throws -> [UInt8] {
        size == 0 ? emptyRoot : try subtreeHash(start: 0, size: size, node)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves
    /// (RFC 9162 §2.1.3.1), leaf-side sibling first.
    public static func inclusionProof(index: Int64, size: Int64, _ node: Nodes) throws -> [[UInt8]] {
        precondition(index >= 0 && index < size)
        func path(_ m: Int64, _ start: Int64, _ n: Int64) throws -> [[UInt8]] {
            guard n > 1 else { return [] }
            let k = split(n)
            if m < k { return try path(m, start, k) + [try subtreeHash(start: start + k, size: n - k, node)] }
            return try path(m - k, start + k, n - k) + [try subtreeHash(start: start, size: k, node)]
        }
        return try path(index, 0, size)
    }

    /// The consistency proof from the tree of `first` leaves to the tree of
    /// `second` leaves (RFC 9162 §2.1.4.1); empty when they are equal or
    /// `first` is 0.
    public static func consistencyProof(first: Int64, second: Int64, _ node: Nodes) throws -> [[UInt8]] {
        precondition(first >= 0 && first <= second)
        guard first > 0 && first < second else { return [] }
        func subproof(_ m: Int64, _ start: Int64, _ n: Int64, _ complete: Bool) throws -> [[UInt8]] {
            if m == n { return complete ? [] : [try subtreeHash(start: start, size: n, node)] }
            let k = split(n)
            if m <= k { return try subproof(m, start, k, complete) + [try subtreeHash(start: start + k, size: n - k, node)] }
            return try subproof(m - k, start + k, n - k, false) + [try subtreeHash(start: start, size: k, node)]
        }
        return try subproof(first, 0, second, true)
    }

    /// Checks an inclusion proof (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(leaf: [UInt8], index: Int64, size: Int64, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leaf
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2): the tree of `second`
    /// leaves with root `secondRoot` extends the tree of `first` leaves with
    /// root `firstRoot`.
    public static func verifyConsistency(first: Int64, firstRoot: [UInt8], second: Int64, secondRoot: [UInt8], proof: [[UInt8]]) -> Bool {
        guard first >= 0, first <= second else { return false }
        if first == second { return proof.isEmpty && firstRoot == secondRoot }
        if first == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if first & (first - 1) == 0 { path.insert(firstRoot, at: 0) }
        var fn = first - 1, sn = second - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }

    /// The roots of the complete subtrees of the leaves pushed so far, for
    /// computing a root while streaming leaves (verify, outside verifiers).
    public struct Frontier: Sendable {
        /// (level, hash), leftmost (highest) first.
        private(set) var stack: [(level: Int, hash: [UInt8])] = []
        public private(set) var size: Int64 = 0

        public init() {}

        public mutating func append(_ leaf: [UInt8]) {
            var level = 0, hash = leaf
            while let last = stack.last, last.level == level {
                stack.removeLast()
                hash = MerkleTree.nodeHash(last.hash, hash)
                level += 1
            }
            stack.append((level, hash))
            size += 1
        }

        /// MTH of every leaf pushed.
        public var root: [UInt8] {
            guard var result = stack.last?.hash else { return MerkleTree.emptyRoot }
            for entry in stack.dropLast().reversed() { result = MerkleTree.nodeHash(entry.hash, result) }
            return result
        }
    }
}

/// Where the complete subtrees' hashes are stored.
enum MerkleLayout {
    /// `merkle_subtrees (last_leaf, level)`: the layout since migration 5.
    case byLastLeaf
    /// `merkle_nodes (level, idx)`: migration 3's layout, which only that
    /// migration still writes (migration 5 converts it).
    case byLevel

    var select: String {
        switch self {
        case .byLastLeaf: "SELECT hash FROM merkle_subtrees WHERE last_leaf = ? AND level = ?"
        case .byLevel: "SELECT hash FROM merkle_nodes WHERE idx = ? AND level = ?"
        }
    }

    var insert: String {
        switch self {
        case .byLastLeaf: "INSERT INTO merkle_subtrees(last_leaf, level, hash) VALUES (?, ?, ?)"
        case .byLevel: "INSERT INTO merkle_nodes(idx, level, hash) VALUES (?, ?, ?)"
        }
    }

    /// The lowest level stored: migration 3 stored every level (migration 5
    /// converts those rows as they are); since then only blocks of
    /// ``MerkleTree/storedBlock`` leaves and up.
    var lowestStoredLevel: Int {
        switch self {
        case .byLastLeaf: MerkleTree.storedLevel
        case .byLevel: 0
        }
    }

    /// The first key column of node (`level`, `index`).
    func key(level: Int, index: Int64) -> Int64 {
        switch self {
        case .byLastLeaf: ((index + 1) << Int64(level)) - 1
        case .byLevel: index
        }
    }
}

extension Connection {
    /// The hash of complete subtree (`level`, `index`): stored from
    /// ``MerkleTree/storedLevel`` up, hashed from its events below.
    func merkleNode(level: Int, index: Int64, layout: MerkleLayout = .byLastLeaf) throws -> [UInt8] {
        if level < layout.lowestStoredLevel {
            var frontier = MerkleTree.Frontier()
            for leaf in try merkleLeaves(from: index << Int64(level), count: 1 << Int64(level)) { frontier.append(leaf) }
            return frontier.root
        }
        let statement = try statement(layout.select)
        defer { statement.reset() }
        try statement.bind([.integer(layout.key(level: level, index: index)), .int(level)])
        guard try statement.step() else {
            throw SQLiteError(code: .corrupt, message: "the Merkle tree lacks node (\(level), \(index))")
        }
        return statement.blob(at: 0)
    }

    /// The leaf hashes of the `count` leaves from `first` (0-based), hashed
    /// from the events as stored.
    func merkleLeaves(from first: Int64, count: Int64) throws(SQLiteError) -> [[UInt8]] {
        let statement = try statement("SELECT \(eventColumns) FROM events WHERE position > ? AND position <= ? ORDER BY position")
        defer { statement.reset() }
        try statement.bind([.integer(first), .integer(first + count)])
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(Int(count))
        while try statement.step() { leaves.append(MerkleTree.leafHash(of: try statement.recordedEvent())) }
        guard leaves.count == count else {
            throw SQLiteError(code: .corrupt, message: "the Merkle tree needs events \(first + 1)…\(first + count), and the log has \(leaves.count) of them")
        }
        return leaves
    }

    /// Stores what leaf `index` completes: with every level stored, the leaf
    /// and every subtree it closes; otherwise nothing until it ends a block
    /// of ``MerkleTree/storedBlock`` leaves, then that block's node (hashed
    /// from the block's earlier events and `hash`) and every larger subtree
    /// the block closes.
    ///
    /// - Parameter earlier: The leaf hashes of the block's earlier leaves, in
    ///   order, when the caller appended them itself in this transaction;
    ///   otherwise `nil`, and they are hashed from the events.
    func appendMerkleLeaf(index: Int64, hash: [UInt8], earlier: [[UInt8]]? = nil, layout: MerkleLayout = .byLastLeaf) throws(SQLiteError) {
        let lowest = layout.lowestStoredLevel
        let block = Int64(1) << Int64(lowest)
        guard (index + 1) % block == 0 else { return }
        var frontier = MerkleTree.Frontier()
        if block > 1 {
            let leaves = if let earlier, earlier.count == block - 1 { earlier } else { try merkleLeaves(from: index + 1 - block, count: block - 1) }
            for leaf in leaves { frontier.append(leaf) }
        }
        frontier.append(hash)
        var level = lowest, position = index >> Int64(lowest), current = frontier.root
        let insert = try statement(layout.insert)
        try insert.bind([.integer(layout.key(level: level, index: position)), .int(level), .blob(current)])
        try insert.step()
        insert.reset()
        while position & 1 == 1 {
            let left: [UInt8]
            do { left = try merkleNode(level: level, index: position - 1, layout: layout) } catch let error as SQLiteError { throw error } catch {
                throw SQLiteError(code: .error, message: "\(error)")
            }
            current = MerkleTree.nodeHash(left, current)
            level += 1
            position >>= 1
            try insert.bind([.integer(layout.key(level: level, index: position)), .int(level), .blob(current)])
            try insert.step()
            insert.reset()
        }
    }
}
