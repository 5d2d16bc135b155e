import Foundation
import SQLite

extension EventLog {
    /// The Merkle root of the first `size` events (`size` ≤ the head).
    public func merkleRoot(size: Int64) throws -> [UInt8] {
        try read { db in
            let head = try db.headPosition().rawValue
            guard size >= 0, size <= head else { throw ProofError.beyondHead(size: size, head: head) }
            return try MerkleTree.root(size: size) { try db.merkleNode(level: $0, index: $1) }
        }
    }

    /// The inclusion proof of the event at `position` in the tree of the first
    /// `size` events: its leaf hash (recomputed from the event), the proof
    /// (leaf-side first) and the stored tree's root.
    public func inclusionProof(of position: Position, size: Int64) throws -> (leaf: [UInt8], proof: [[UInt8]], root: [UInt8]) {
        try read { db in
            let head = try db.headPosition().rawValue
            guard size >= 1, size <= head else { throw ProofError.beyondHead(size: size, head: head) }
            guard position.rawValue >= 1, position.rawValue <= size else { throw ProofError.notInTree(position: position, size: size) }
            let node: MerkleTree.Nodes = { try db.merkleNode(level: $0, index: $1) }
            // The leaf is recomputed from the event as stored now, never taken from the stored tree,
            // so a rewritten event cannot borrow its original's proof.
            return (try db.merkleLeaves(from: position.rawValue - 1, count: 1)[0],
                    try MerkleTree.inclusionProof(index: position.rawValue - 1, size: size, node),
                    try MerkleTree.root(size: size, node))
        }
    }

    /// The consistency proof from the tree of `first` events to the tree of `second`.
    public func consistencyProof(from first: Int64, to second: Int64) throws -> [[UInt8]] {
        try read { db in
            let head = try db.headPosition().rawValue
            guard second <= head else { throw ProofError.beyondHead(size: second, head: head) }
            guard first >= 0, first <= second else { throw ProofError.sizesOutOfOrder(first: first, second: second) }
            return try MerkleTree.consistencyProof(first: first, second: second) { try db.merkleNode(level: $0, index: $1) }
        }
    }
}

/// Why a proof could not be produced.
public enum ProofError: Error, Equatable, Sendable, CustomStringConvertible {
    case beyondHead(size: Int64, head: Int64)
    case notInTree(position: Position, size: Int64)
    case sizesOutOfOrder(first: Int64, second: Int64)

    public var description: String {
        switch self {
        case .beyondHead(let size, let head): "a tree of \(size) events is beyond the head of the log (#\(head))"
        case .notInTree(let position, let size): "event \(position) is not in a tree of \(size) events"
        case .sizesOutOfOrder(let first, let second): "the first tree (\(first)) must not be larger than the second (\(second))"
        }
    }
}
