import Crypto
import Foundation

/// Signatures of commands by the people who run them (signed mode).
///
/// The signed message is the UTF-8 text
///
///     SYNCLEDGER-COMMAND-V1\n
///     <ledger id>\n                 first 8 bytes of event #1's hash, hex
///     <N>:<hash of event N, hex>\n  the head the command was decided on
///     <command id>\n                lower-case UUID
///     <actor>\n                     the claimed user principal name
///     <digest>\n                    SHA-256 of the command's JSON, hex
///
/// where the command's JSON is exactly the `arguments` value recorded in the
/// first event's metadata (keys sorted, no spaces, slashes not escaped), and
/// the signature is Ed25519 by the key enrolled for the actor.
public enum CommandSigning {
    /// A private signing key.
    public typealias Key = Curve25519.Signing.PrivateKey

    /// SHA-256 of the command's JSON bytes.
    public static func digest(_ json: Data) -> [UInt8] { Array(SHA256.hash(data: json)) }

    /// The message a signature covers.
    public static func message(ledgerID: String, headPosition: Int64, headHash: [UInt8], commandID: UUID, actor: String, digest: [UInt8]) -> Data {
        Data("SYNCLEDGER-COMMAND-V1\n\(ledgerID)\n\(headPosition):\(hexString(headHash))\n\(commandID.lowercasedText)\n\(actor)\n\(hexString(digest))\n".utf8)
    }

    public static func sign(_ message: Data, with key: Key) throws -> [UInt8] { Array(try key.signature(for: message)) }

    /// Whether `signature` over `message` is by `publicKey` (32 bytes, base64).
    public static func isValid(_ signature: [UInt8], of message: Data, by publicKey: String) -> Bool {
        guard let raw = Data(base64Encoded: publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(Data(signature), for: message)
    }
}

extension EventLog {
    /// The signing helpers, by a name the facade can re-export.
    public typealias Signing = CommandSigning
}
