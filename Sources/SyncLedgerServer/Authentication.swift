import Foundation
import Hummingbird
import HummingbirdAuth
import JWTKit
import ServerSideSync
import SyncLedger

/// An external identity provider whose signed JWTs the server accepts, the
/// way an organisation plugs in Microsoft Entra ID: tokens must be signed by
/// one of the JWKS keys (RS256 or ES256), carry this issuer and audience,
/// and be unexpired; the `upn` claim (else `preferred_username`) names the
/// actor. Such a caller has admin scope: what they may do is decided by the
/// roles their user holds in the ledger, exactly as for a SyncLedger token.
public struct JWTConfiguration: Sendable {
    public var issuer: String
    public var audience: String
    /// The provider's public keys, as a JWKS document.
    public var jwks: String

    public init(issuer: String, audience: String, jwks: String) {
        self.issuer = issuer
        self.audience = audience
        self.jwks = jwks
    }
}

/// The claims SyncLedger reads from a provider's JWT.
struct IdentityClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var upn: String?
    var preferredUsername: String?

    enum CodingKeys: String, CodingKey {
        case iss, aud, exp, nbf, upn
        case preferredUsername = "preferred_username"
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}

/// Turns a bearer credential into the identity it proves, or refuses it.
final class Authenticator: Sendable {
    let ledger: SyncLedger
    let jwt: JWTConfiguration?
    let keys: JWTKeyCollection?

    init(ledger: SyncLedger, jwt: JWTConfiguration?) async throws {
        self.ledger = ledger
        self.jwt = jwt
        if let jwt {
            let keys = JWTKeyCollection()
            do { try await keys.add(jwksJSON: jwt.jwks) } catch {
                throw SyncLedgerError.invalidInput("the JWKS document holds no usable key: \(error)")
            }
            self.keys = keys
        } else {
            self.keys = nil
        }
    }

    /// The identity `credential` proves, or the reason it proves none.
    func identity(for credential: String, server: LedgerServer) async throws -> ProvenIdentity {
        if credential.hasPrefix("slt_") {
            guard let identity = try server.quickRead({ try self.ledger.authenticate(token: credential) }) else {
                throw Problem.unauthorized("the token is unknown, revoked or expired")
            }
            return identity
        }
        guard let jwt, let keys else { throw Problem.unauthorized("not a SyncLedger token (slt_…), and no JWT issuer is configured") }
        let claims: IdentityClaims
        do { claims = try await keys.verify(credential, as: IdentityClaims.self) } catch {
            throw Problem.unauthorized("the JWT does not verify: \(error)")
        }
        guard claims.iss.value == jwt.issuer else { throw Problem.unauthorized("the JWT's issuer is not \(jwt.issuer)") }
        guard claims.aud.value.contains(jwt.audience) else { throw Problem.unauthorized("the JWT is not meant for audience \(jwt.audience)") }
        guard let name = claims.upn ?? claims.preferredUsername, !name.isEmpty else {
            throw Problem.unauthorized("the JWT names no user (no upn or preferred_username claim)")
        }
        return ProvenIdentity(user: UserPrincipalName(name), scope: .admin, credential: "jwt:\(jwt.issuer)")
    }
}

/// Requires a bearer credential on every API request and puts the identity
/// it proves in the context; a missing or wrong one is a 401 problem.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = LedgerContext
    let authenticator: Authenticator
    let server: LedgerServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let bearer = request.headers.bearer?.token, !bearer.isEmpty else {
            throw Problem.unauthorized("send a credential: Authorization: Bearer <token>")
        }
        var context = context
        context.identity = try await authenticator.identity(for: bearer, server: server)
        return try await next(request, context)
    }
}
