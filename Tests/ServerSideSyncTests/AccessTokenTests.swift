import Foundation
import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("Access tokens for the HTTP API")
struct AccessTokenTests {
    let hash = String(repeating: "ab", count: 32)
    var grant: AccessTokenGrant { AccessTokenGrant(user: C.alice, scope: .auditor, tokenHash: hash, expiresAt: C.t0.addingTimeInterval(3600)) }
    var issued: DomainEvent {
        .accessTokenIssued(AccessTokenIssued(id: String(hash.prefix(16)), user: C.alice, scope: .auditor, tokenHash: hash,
                                             expiresAt: C.t0.addingTimeInterval(3600), issuedBy: C.gabriela))
    }

    @Test func onlyAGlobalAdminIssuesTokensForDirectoryUsersWithAFutureExpiryAndAWellFormedHash() throws {
        let world = try C.world()
        world.when(.issueAccessToken(grant), by: .u(C.gabriela), at: C.t0).then(issued)
            .when(.issueAccessToken(grant), by: .u(C.gabriela), at: C.t0).thenRefused(.alreadyExists)
        // Sam is a System Administrator, not a Global admin; Alice may not mint her own.
        world.when(.issueAccessToken(grant), by: .u(C.sam), at: C.t0).thenRefused(.notGlobalAdmin)
        world.when(.issueAccessToken(grant), by: .u(C.alice), at: C.t0).thenRefused(.notGlobalAdmin)
        var stranger = grant
        stranger.user = "nobody@contoso.com"
        world.when(.issueAccessToken(stranger), by: .u(C.gabriela), at: C.t0).thenRefused(.unknownUser)
        var past = grant
        past.expiresAt = C.t0
        world.when(.issueAccessToken(past), by: .u(C.gabriela), at: C.t0).thenRefused(.invalidValue)
        var malformed = grant
        malformed.tokenHash = String(repeating: "AB", count: 32)
        world.when(.issueAccessToken(malformed), by: .u(C.gabriela), at: C.t0).thenRefused(.invalidValue)
    }

    @Test func aTokenIsRevokedOnceByItsOwnerOrAGlobalAdminAndNoOneElse() throws {
        let id = String(hash.prefix(16))
        let world = try C.world().and(.issueAccessToken(grant), by: .u(C.gabriela), at: C.t0)
        world.when(.revokeAccessToken(id: id), by: .u(C.alice), at: C.t0)
            .then(.accessTokenRevoked(AccessTokenRevoked(id: id, user: C.alice, revokedBy: C.alice)))
            .when(.revokeAccessToken(id: id), by: .u(C.gabriela), at: C.t0).thenRefused(.nothingToChange)
        world.when(.revokeAccessToken(id: id), by: .u(C.gabriela), at: C.t0)
            .then(.accessTokenRevoked(AccessTokenRevoked(id: id, user: C.alice, revokedBy: C.gabriela)))
        world.when(.revokeAccessToken(id: id), by: .u(C.sam), at: C.t0).thenRefused(.notGlobalAdmin)
        world.when(.revokeAccessToken(id: "0000000000000000"), by: .u(C.gabriela), at: C.t0).thenRefused(.invalidValue)
    }

    @Test func theStateKnowsTheHashAndWhetherTheTokenStillWorks() {
        var state = SyncState()
        SyncDomain.apply(issued, to: &state)
        let id = String(hash.prefix(16))
        #expect(state.accessTokens == [id: AccessTokenState(id: id, user: C.alice, scope: .auditor, tokenHash: hash, expiresAt: C.t0.addingTimeInterval(3600))])
        #expect(state.accessTokens[id]!.isValid(at: C.t0))
        #expect(!state.accessTokens[id]!.isValid(at: C.t0.addingTimeInterval(3600)))
        SyncDomain.apply(.accessTokenRevoked(AccessTokenRevoked(id: id, user: C.alice, revokedBy: C.alice)), to: &state)
        #expect(state.accessTokens[id]!.revoked && !state.accessTokens[id]!.isValid(at: C.t0))
    }
}
