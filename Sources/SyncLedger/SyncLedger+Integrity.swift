import EventLog
import Projections
import Foundation
import ServerSideSync

/// Checkpoints and proofs: what lets someone outside the ledger check it.
///
/// The auditor's routine: ask for a signed checkpoint (`log checkpoint`) and
/// keep its text anywhere; later, prove the ledger still extends it (`log
/// verify --checkpoint`, or a consistency proof between two checkpoints) and
/// that a given event is in it (an inclusion proof).
extension SyncLedger {
    /// An inclusion proof, and whether the ledger's tree matches the checkpoint it is for.
    public struct InclusionProof: Sendable, Codable {
        public var position: Int64
        public var treeSize: Int64
        public var leafHash: String
        public var proof: [String]
        public var root: String
        /// The ledger's root at `treeSize` equals the checkpoint's.
        public var matchesCheckpoint: Bool
        /// The proof checks out against the checkpoint's root (RFC 9162 §2.1.3.2).
        public var verifies: Bool
    }

    /// A consistency proof between two tree sizes, checked against both checkpoints.
    public struct ConsistencyProof: Sendable, Codable {
        public var fromSize: Int64
        public var toSize: Int64
        public var proof: [String]
        /// The ledger's roots at both sizes equal the checkpoints'.
        public var matchesCheckpoints: Bool
        /// The proof checks out between the two checkpoints' roots (RFC 9162 §2.1.4.2).
        public var verifies: Bool
    }

    /// Which key signed a checkpoint, as far as this ledger can tell.
    public enum SignatureCheck: Sendable, Equatable {
        /// Signed by this key (name), registered in the ledger or given by the caller.
        case valid(keyName: String)
        /// No signature verifies with the keys considered.
        case invalid
        /// The checkpoint names another ledger (its origin differs).
        case otherLedger(origin: String)
    }

    /// Creates an Ed25519 key pair: the private key file's text (keep it
    /// outside the ledger) and the public key in base64.
    public static func generateCheckpointKey() -> (privateFile: String, publicKey: String) { CheckpointKeyFiles.generate() }

    /// The public key (base64) in a private key file.
    public static func publicKey(ofKeyFile text: String) throws(SyncLedgerError) -> String {
        do { return CheckpointKeyFiles.publicKey(of: try CheckpointKeyFiles.privateKey(fromFile: text)) } catch { throw .invalidInput(error.description) }
    }

    /// Reads a checkpoint's text.
    public static func parseCheckpoint(_ text: String) throws(SyncLedgerError) -> Checkpoint {
        do { return try Checkpoint.parse(text) } catch { throw .invalidInput(error.description) }
    }

    /// Signs the tree at the head with the key in `keyFile` (its public key
    /// must be registered in the ledger under `name`) and stores the checkpoint.
    public func checkpoint(keyFile: String, name: String) throws(SyncLedgerError) -> Checkpoint {
        guard !options.readOnly else { throw .invalidInput("the ledger was opened read-only") }
        let key: CheckpointKeyFiles.Key
        do { key = try CheckpointKeyFiles.privateKey(fromFile: keyFile) } catch { throw .invalidInput(error.description) }
        let publicKey = CheckpointKeyFiles.publicKey(of: key)
        let registered = try decisionState().checkpointKeys
        guard registered.contains(where: { $0.name == name && $0.publicKey == publicKey }) else {
            throw .invalidInput("no key named \(name) with this public key is registered in the ledger: run `syncledger key register \(name) --public-key \(publicKey) --as GLOBAL-ADMIN` first")
        }
        do { return try log.checkpoint(name: name, privateKey: key, at: Date()) } catch { throw SyncLedgerError.wrap(error) }
    }

    /// Checks the checkpoint names this ledger and carries a valid signature:
    /// by `publicKey` (base64, any name) when given — a key the auditor holds
    /// — else by a key registered in the ledger.
    public func checkSignature(of checkpoint: Checkpoint, publicKey: String? = nil) throws(SyncLedgerError) -> SignatureCheck {
        let id: String?
        do { id = try log.ledgerID() } catch { throw SyncLedgerError.wrap(error) }
        guard checkpoint.origin == "syncledger/\(id ?? "")" else { return .otherLedger(origin: checkpoint.origin) }
        var candidates: [(String, String)] = []
        if let publicKey {
            candidates = checkpoint.signatures.map { ($0.name, publicKey) }
        } else {
            candidates = try decisionState().checkpointKeys.map { ($0.name, $0.publicKey) }
        }
        for (name, key) in candidates {
            if let raw = Data(base64Encoded: key), checkpoint.isSigned(by: name, publicKey: Array(raw)) { return .valid(keyName: name) }
        }
        return .invalid
    }

    /// The inclusion proof of the event at `position` under `checkpoint`.
    public func inclusionProof(of position: Position, under checkpoint: Checkpoint) throws(SyncLedgerError) -> InclusionProof {
        do {
            let head = try log.head().position.rawValue
            guard checkpoint.size <= head else {
                return InclusionProof(position: position.rawValue, treeSize: checkpoint.size, leafHash: "", proof: [], root: hexString(checkpoint.root),
                                      matchesCheckpoint: false, verifies: false)
            }
            let (leaf, proof, root) = try log.inclusionProof(of: position, size: checkpoint.size)
            return InclusionProof(position: position.rawValue, treeSize: checkpoint.size, leafHash: hexString(leaf), proof: proof.map(hexString),
                                  root: hexString(root), matchesCheckpoint: root == checkpoint.root,
                                  verifies: MerkleTree.verifyInclusion(leaf: leaf, index: position.rawValue - 1, size: checkpoint.size, proof: proof, root: checkpoint.root))
        } catch let error as ProofError {
            throw .invalidInput(error.description)
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }

    /// The consistency proof from checkpoint `first` to checkpoint `second`.
    public func consistencyProof(from first: Checkpoint, to second: Checkpoint) throws(SyncLedgerError) -> ConsistencyProof {
        do {
            guard first.size <= second.size else { throw ProofError.sizesOutOfOrder(first: first.size, second: second.size) }
            let head = try log.head().position.rawValue
            guard second.size <= head else {
                return ConsistencyProof(fromSize: first.size, toSize: second.size, proof: [], matchesCheckpoints: false, verifies: false)
            }
            let proof = try log.consistencyProof(from: first.size, to: second.size)
            let roots = (try log.merkleRoot(size: first.size), try log.merkleRoot(size: second.size))
            return ConsistencyProof(fromSize: first.size, toSize: second.size, proof: proof.map(hexString),
                                    matchesCheckpoints: roots.0 == first.root && roots.1 == second.root,
                                    verifies: MerkleTree.verifyConsistency(first: first.size, firstRoot: first.root, second: second.size,
                                                                           secondRoot: second.root, proof: proof))
        } catch let error as ProofError {
            throw .invalidInput(error.description)
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }


    /// Checks every recorded command signature, in log order: its digest is
    /// SHA-256 of the recorded command, and it verifies with the key enrolled
    /// for its actor at that point; while signed mode is on, every command a
    /// person ran carries one. Only events that can matter are decoded.
    ///
    /// - Returns: The first broken position, or nil.
    func verifySignatures() throws -> VerifyReport? {
        var keys: [String: String] = [:]
        var signedMode = false
        var ledgerID = ""
        var broken: VerifyReport?
        try log.forEachEvent(from: 1) { event in
            guard broken == nil else { return }
            if event.position.rawValue == 1 { ledgerID = hexString(Array(event.hash.prefix(8))) }
            let signed = event.metadata.contains("\"signature\":")
            if signed || (signedMode && event.metadata.contains("\"arguments\":")) {
                let metadata = try EventMetadata.decode(event.metadata)
                if let arguments = metadata.arguments, metadata.actor != Actor.system.description {
                    if let signature = metadata.signature {
                        let parts = signature.head.split(separator: ":")
                        let digest = EventLog.Signing.digest(try DomainEvent.makeEncoder().encode(arguments))
                        if hexString(digest) != signature.digest {
                            broken = .broken(at: event.position, reason: .commandSignature(reason: "covers other arguments than the ones recorded"))
                        } else if let key = keys[metadata.actor] {
                            let message = EventLog.Signing.message(ledgerID: ledgerID, headPosition: parts.first.flatMap { Int64($0) } ?? -1,
                                                                   headHash: Self.bytes(hex: parts.count == 2 ? String(parts[1]) : ""),
                                                                   commandID: metadata.commandID, actor: metadata.actor, digest: digest)
                            let value = Data(base64Encoded: signature.value).map(Array.init) ?? []
                            if !EventLog.Signing.isValid(value, of: message, by: key) {
                                broken = .broken(at: event.position, reason: .commandSignature(reason: "does not verify with \(metadata.actor)'s enrolled key"))
                            }
                        } else if signedMode {
                            broken = .broken(at: event.position, reason: .commandSignature(reason: "is by \(metadata.actor), who had no enrolled key"))
                        }
                    } else if signedMode && event.type != "CommandRefused" {
                        broken = .broken(at: event.position, reason: .commandSignature(reason: "is missing: the command ran in signed mode"))
                    }
                }
            }
            switch event.type {
            case "SigningKeyEnrolled":
                if case .signingKeyEnrolled(let e) = try ProjectedEvent(event).event { keys[e.user.rawValue] = e.publicKey }
            case "SignedModeChanged":
                if case .signedModeChanged(let e) = try ProjectedEvent(event).event { signedMode = e.enabled }
            default: break
            }
        }
        return broken
    }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return [] }
            result.append(byte)
            index = next
        }
        return result
    }

    /// The private key in a key file (`key generate`), for signing commands.
    public static func signingKey(fromFile text: String) throws(SyncLedgerError) -> SigningKey {
        do { return try CheckpointKeyFiles.privateKey(fromFile: text) } catch { throw .invalidInput(error.description) }
    }
}
