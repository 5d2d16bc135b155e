import EventLog
import Foundation
import Projections
import ServerSideSync

/// Someone a credential proved: the user every command they send is run as,
/// and what the credential lets them do.
public struct ProvenIdentity: Hashable, Sendable {
    public var user: UserPrincipalName
    public var scope: TokenScope
    /// How they were proven, as recorded with their commands: `token:ID` or `jwt:ISSUER`.
    public var credential: String

    public init(user: UserPrincipalName, scope: TokenScope, credential: String) {
        self.user = user
        self.scope = scope
        self.credential = credential
    }
}

extension SyncLedger {
    /// A new bearer token: `slt_` and 32 random bytes in base64url (256 bits
    /// from the system's generator, never the injected ids, so a replayed or
    /// simulated ledger cannot predict one).
    public static func newAccessToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "slt_" + base64
    }

    /// SHA-256 of a token's text, as 64 lower-case hex digits (what the log keeps).
    public static func tokenHash(_ token: String) -> String { hexString(EventLog.Signing.digest(Data(token.utf8))) }

    /// A token's id (``AccessTokenGrant/id``: the first 16 hex digits of its hash).
    public static func tokenID(_ token: String) -> String { tokenID(hash: tokenHash(token)) }
    static func tokenID(hash: String) -> String { String(hash.prefix(16)) }

    /// Issues a token for `user` by `actor`: records ``AccessTokenIssued``
    /// (holding the hash only) and returns the token's text, which exists
    /// nowhere else — show it once.
    /// In signed mode, pass the issuer's `signingKey` as for any command.
    public func issueToken(for user: String, scope: TokenScope, expiresAt: Date?, as actor: Actor, source: CommandSource = .cli,
                           commandID: UUID? = nil, signingKey: SigningKey? = nil) throws(SyncLedgerError) -> (token: String, execution: Execution) {
        let token = Self.newAccessToken()
        let grant = AccessTokenGrant(user: UserPrincipalName(user), scope: scope,
                                     tokenHash: Self.tokenHash(token), expiresAt: expiresAt)
        let execution = try execute(.issueAccessToken(grant), as: actor, source: source, commandID: commandID, signingKey: signingKey)
        return (token, execution)
    }

    /// The user and scope `token` proves now, or `nil` when it proves no one
    /// (unknown, revoked or expired). One indexed read of the current state.
    public func authenticate(token: String, at instant: Date = Date()) throws(SyncLedgerError) -> ProvenIdentity? {
        let hash = Self.tokenHash(token)
        let id = Self.tokenID(hash: hash)
        let stored: AccessTokenState? = try read { db in try DecisionStateProjection.accessToken(id: id, in: db) }
        guard let stored, Self.sameDigits(stored.tokenHash, hash), stored.isValid(at: instant) else { return nil }
        return ProvenIdentity(user: stored.user, scope: stored.scope, credential: "token:\(id)")
    }

    /// Every token issued, newest state of each (hashes only), by id.
    public func accessTokens(asOf cutoff: Cutoff = .latest) throws(SyncLedgerError) -> [AccessTokenState] {
        try decisionState(asOf: cutoff).accessTokens.values.sorted { $0.id < $1.id }
    }

    /// Compares two hex strings in time independent of where they differ.
    static func sameDigits(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
