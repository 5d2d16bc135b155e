import Crypto
import Foundation
import SQLite

/// A signed statement of the log's Merkle tree at one size, in the text form
/// transparency logs use (C2SP `tlog-checkpoint` inside a C2SP `signed-note`):
///
///     syncledger/3f9a0c2e5b7d1e44          ← origin: the ledger's id
///     1024                                 ← tree size (events)
///     q2q2…base64 of the 32-byte root…=    ← Merkle root (RFC 9162)
///     time 2026-12-01T10:00:00.000Z        ← extension line: when it was signed
///                                          ← blank line
///     — contoso-audit AbCd…base64…         ← signature line(s)
///
/// The signed text is every line before the blank line, each ending in a
/// newline. A signature line is an em dash (U+2014), a space, the key name, a
/// space, and base64 of the 4-byte key id followed by the 64-byte Ed25519
/// signature; the key id is the first 4 bytes of
/// SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key).
public struct Checkpoint: Hashable, Sendable {
    /// One signature line.
    public struct Signature: Hashable, Sendable {
        public var name: String
        public var keyID: [UInt8]
        public var signature: [UInt8]
    }

    public var origin: String
    public var size: Int64
    public var root: [UInt8]
    /// Extension lines (SyncLedger writes `time RFC3339`).
    public var extensions: [String]
    public var signatures: [Signature]

    /// The signed text: origin, size, root and extensions, each line ending in a newline.
    public var body: String {
        "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\n" + extensions.map { "\($0)\n" }.joined()
    }

    /// The whole note, as printed and stored.
    public var text: String {
        body + "\n" + signatures.map { "\u{2014} \($0.name) \(Data($0.keyID + $0.signature).base64EncodedString())\n" }.joined()
    }

    /// The key id of an Ed25519 key named `name`.
    public static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + publicKey).prefix(4))
    }

    /// A checkpoint of `size` events with `root`, signed by `privateKey` under `name`.
    public static func signed(origin: String, size: Int64, root: [UInt8], extensions: [String], name: String,
                              privateKey: Curve25519.Signing.PrivateKey) throws -> Checkpoint {
        var checkpoint = Checkpoint(origin: origin, size: size, root: root, extensions: extensions, signatures: [])
        let signature = try privateKey.signature(for: Data(checkpoint.body.utf8))
        checkpoint.signatures = [Signature(name: name, keyID: keyID(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation)),
                                           signature: Array(signature))]
        return checkpoint
    }

    /// Whether a signature by `name` with `publicKey` (32 raw bytes) signs this checkpoint.
    public func isSigned(by name: String, publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        let id = Self.keyID(name: name, publicKey: publicKey)
        return signatures.contains { $0.name == name && $0.keyID == id && key.isValidSignature(Data($0.signature), for: Data(body.utf8)) }
    }

    /// Parses a checkpoint note.
    public static func parse(_ text: String) throws(CheckpointError) -> Checkpoint {
        guard let separator = text.range(of: "\n\n") else { throw .malformed("no blank line between the checkpoint and its signatures") }
        let bodyLines = text[..<separator.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard bodyLines.count >= 3 else { throw .malformed("a checkpoint has an origin, a size and a root hash") }
        guard !bodyLines[0].isEmpty else { throw .malformed("the origin line is empty") }
        guard let size = Int64(bodyLines[1]), size >= 0, bodyLines[1].allSatisfy(\.isNumber) else { throw .malformed("the size line is not a number: \(bodyLines[1])") }
        guard let root = Data(base64Encoded: bodyLines[2]), root.count == 32 else { throw .malformed("the root line is not a base64 SHA-256 hash") }
        var signatures: [Signature] = []
        for line in text[separator.upperBound...].split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "\u{2014}", let raw = Data(base64Encoded: String(parts[2])), raw.count > 4 else {
                throw .malformed("not a signature line: \(line)")
            }
            signatures.append(Signature(name: String(parts[1]), keyID: Array(raw.prefix(4)), signature: Array(raw.dropFirst(4))))
        }
        guard !signatures.isEmpty else { throw .malformed("the checkpoint carries no signature") }
        return Checkpoint(origin: bodyLines[0], size: size, root: Array(root), extensions: Array(bodyLines.dropFirst(3)), signatures: signatures)
    }
}

/// Why a checkpoint could not be read.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    public var description: String {
        switch self { case .malformed(let reason): "not a checkpoint: \(reason)" }
    }
}

/// Ed25519 keys for signing checkpoints, in the files `key generate` writes.
public enum CheckpointKey {
    /// A private signing key.
    public typealias Key = Curve25519.Signing.PrivateKey

    /// A private key file's first line.
    public static let privateHeader = "syncledger ed25519 private key"

    /// A new key pair: the private key file's text and the public key (base64).
    public static func generate() -> (privateFile: String, publicKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        return ("\(privateHeader)\n\(key.rawRepresentation.base64EncodedString())\n", key.publicKey.rawRepresentation.base64EncodedString())
    }

    /// The private key in a file `generate` wrote.
    public static func privateKey(fromFile text: String) throws(CheckpointError) -> Curve25519.Signing.PrivateKey {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count >= 2, lines[0] == privateHeader, let raw = Data(base64Encoded: lines[1]),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw .malformed("not a SyncLedger private key file")
        }
        return key
    }

    /// The public key (base64) of a private key.
    public static func publicKey(of key: Curve25519.Signing.PrivateKey) -> String {
        key.publicKey.rawRepresentation.base64EncodedString()
    }
}

extension Connection {
    /// The ledger's id as this connection sees the log: the first 8 bytes of
    /// event #1's hash, in hex (nil on an empty log).
    public func ledgerID() throws -> String? {
        guard let hash = try scalar("SELECT hash FROM events WHERE position = 1")?.bytes else { return nil }
        return hexString(Array(hash.prefix(8)))
    }
}

extension EventLog {
    /// The ledger's id: the first 8 bytes of event #1's hash, in hex (nil on an empty log).
    public func ledgerID() throws -> String? {
        try read { db in try db.ledgerID() }
    }

    /// Signs the tree at the head with `privateKey` under `name` and stores the checkpoint.
    public func checkpoint(name: String, privateKey: Curve25519.Signing.PrivateKey, at instant: Date) throws -> Checkpoint {
        try withWriteTransaction { tx in
            let db = tx.connection
            let size = try db.headPosition().rawValue
            guard size > 0, let first = try db.scalar("SELECT hash FROM events WHERE position = 1")?.bytes else {
                throw CheckpointError.malformed("the log is empty: there is nothing to sign")
            }
            let root = try MerkleTree.root(size: size) { try db.merkleNode(level: $0, index: $1) }
            let stamp = ISO8601DateFormatter().string(from: instant)
            let checkpoint = try Checkpoint.signed(origin: "syncledger/\(hexString(Array(first.prefix(8))))", size: size, root: root,
                                                   extensions: ["time \(stamp)"], name: name, privateKey: privateKey)
            try db.run("INSERT INTO checkpoints(tree_size, root, note, created_at) VALUES (?, ?, ?, ?)",
                       .integer(size), .blob(root), .text(checkpoint.text), .integer(instant.microsecondsSince1970))
            return checkpoint
        }
    }
}
