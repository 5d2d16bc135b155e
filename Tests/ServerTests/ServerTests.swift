import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import _CryptoExtras
import Logging
import ServerSideSync
import SyncLedger
@testable import SyncLedgerServer
import SyncLedgerTesting
import Testing

typealias C = Contoso

/// A fresh ledger holding the Contoso world, a server on it, and tokens.
struct ServerFixture {
    let folder: URL
    let clock = ManualAmbient(at: C.t0)
    let ledger: SyncLedger

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        ledger = try SyncLedger.open(at: folder.appendingPathComponent("ledger.sqlite").path, options: .init(ambient: clock.ambient, simulation: true))
        var commands: [(Command, UserPrincipalName)] = [
            (.createTenant(name: "Contoso", firstGlobalAdmin: C.gabriela, displayName: "Gabriela"), C.gabriela),
            (.provisionEnvironment(ProvisionEnvironment(environment: C.environment, provisionedOn: Timestamp.parse("2024-01-15")!,
                                                        exchangeProfile: C.exchangeProfile)), C.gabriela),
        ]
        for (upn, name) in [(C.sam, "Sam"), (C.erin, "Erin"), (C.alice, "Alice")] {
            commands.append((.addUser(upn, displayName: name, environment: C.environment), C.gabriela))
        }
        commands += [
            (.grantAdminRole(C.erin, .exchangeAdmin), C.gabriela),
            (.assignRole(C.environment, .systemAdministrator, .user(C.sam)), C.gabriela),
            (.assignRole(C.environment, .basicUser, .user(C.alice)), C.gabriela),
        ]
        for (command, actor) in commands {
            clock.advance(seconds: 60)
            try ledger.execute(command, as: .user(actor))
        }
    }

    func token(for user: UserPrincipalName, _ scope: TokenScope, expiresAt: Date? = nil) throws -> String {
        try ledger.issueToken(for: user.rawValue, scope: scope, expiresAt: expiresAt, as: .user(C.gabriela)).token
    }

    func server(jwt: JWTConfiguration? = nil) async throws -> LedgerServer {
        try await LedgerServer(ledger: ledger, configuration: .init(jwt: jwt))
    }
}

/// Request logs stay out of the test output.
let quiet: Logger = { var logger = Logger(label: "test"); logger.logLevel = .warning; return logger }()

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

struct Problem: Decodable, Equatable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var code: String
    var denialPosition: Int64?
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(response.body.readableBytesView))
}

@Suite("HTTP API")
struct ServerTests {
    @Test("No credential, a wrong one, a revoked or an expired one: 401 problems; a token proves its user and scope")
    func authentication() async throws {
        let fixture = try ServerFixture()
        let alice = try fixture.token(for: C.alice, .admin)
        let revoked = try fixture.token(for: C.sam, .admin)
        try fixture.ledger.execute(.revokeAccessToken(id: String(SyncLedger.tokenHash(revoked).prefix(16))), as: .user(C.gabriela))
        let expired = try fixture.token(for: C.sam, .auditor, expiresAt: Date().addingTimeInterval(0.2))
        try await Task.sleep(for: .milliseconds(300))
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/whoami", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"syncledger\"")
                let decoded = try decode(Problem.self, response)
                #expect(decoded == Problem(type: "urn:syncledger:problem:Unauthorized", title: "Unauthorized", status: 401,
                                                                      detail: "send a credential: Authorization: Bearer <token>", code: "Unauthorized"))
            }
            for wrong in ["slt_nope", revoked, expired] {
                try await client.execute(uri: "/api/whoami", method: .get, headers: bearer(wrong)) { response in
                    #expect(response.status == .unauthorized)
                    let decoded = try decode(Problem.self, response)
                    #expect(decoded.detail == "the token is unknown, revoked or expired")
                }
            }
            try await client.execute(uri: "/api/whoami", method: .get, headers: bearer(alice)) { response in
                #expect(response.status == .ok)
                let id = String(SyncLedger.tokenHash(alice).prefix(16))
                let decoded = try decode([String: String].self, response)
                #expect(decoded == ["user": "alice@contoso.com", "scope": "admin", "credential": "token:\(id)"])
            }
        }
    }

    @Test("The log holds the token's hash only, in an audited event by the issuing Global admin")
    func tokenEvent() throws {
        let fixture = try ServerFixture()
        let head = try fixture.ledger.head().position
        let token = try fixture.token(for: C.alice, .auditor)
        let events = try fixture.ledger.history(of: "tenant").filter { $0.position > head }
        let hash = SyncLedger.tokenHash(token)
        #expect(events.map(\.type) == ["AccessTokenIssued"])
        let data = try DomainEvent.makeDecoder().decode(AccessTokenIssued.self, from: Data(events[0].data.utf8))
        #expect(data == AccessTokenIssued(id: String(hash.prefix(16)), user: C.alice, scope: .auditor, tokenHash: hash, expiresAt: nil, issuedBy: C.gabriela))
        #expect(!events[0].data.contains(token) && !events[0].metadata.contains(token))
        // Only a Global admin issues tokens.
        #expect(throws: SyncLedgerError.self) { try fixture.ledger.issueToken(for: "alice@contoso.com", scope: .admin, expiresAt: nil, as: .user(C.sam)) }
    }

    @Test("A command runs as the token's user: refused by their roles (403, audited) or recorded (201), with the credential in the metadata")
    func commandsAsTheTokenUser() async throws {
        let fixture = try ServerFixture()
        let alice = try fixture.token(for: C.alice, .admin), sam = try fixture.token(for: C.sam, .admin)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        try await app.test(.router) { client in
            let body = json(#"{"team": "Support"}"#)
            let before = try fixture.ledger.head().position
            try await client.execute(uri: "/api/commands/team.create", method: .post, headers: bearer(alice), body: body) { response in
                #expect(response.status == .forbidden)
                let problem = try decode(Problem.self, response)
                #expect(problem.code == "NotSystemAdministrator")
                #expect(problem.denialPosition == before.rawValue + 1)
            }
            let denial = try fixture.ledger.audit(filter: AuditFilter(deniedOnly: true)).last!
            #expect(denial.actor == "alice@contoso.com" && denial.source == "http" && denial.refusalCode == "NotSystemAdministrator")
            try await client.execute(uri: "/api/commands/team.create", method: .post, headers: bearer(sam), body: body) { response in
                #expect(response.status == .created)
                let document = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                let events = document["events"] as! [[String: Any]]
                #expect(events.map { $0["type"] as! String } == ["TeamCreated"])
                let metadata = events[0]["metadata"] as! [String: Any]
                #expect(metadata["actor"] as? String == "sam@contoso.com")
                #expect(metadata["source"] as? String == "http")
                #expect(metadata["credential"] as? String == "token:\(SyncLedger.tokenHash(sam).prefix(16))")
            }
        }
    }

    @Test("An auditor token reads but every command it sends is an audited ReadOnlyCredential denial")
    func auditorCannotWrite() async throws {
        let fixture = try ServerFixture()
        let auditor = try fixture.token(for: C.gabriela, .auditor)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/commands/team.create", method: .post, headers: bearer(auditor), body: json(#"{"team":"X"}"#)) { response in
                #expect(response.status == .forbidden)
                let decoded = try decode(Problem.self, response)
                #expect(decoded.code == "ReadOnlyCredential")
            }
            try await client.execute(uri: "/api/grid", method: .get, headers: bearer(auditor)) { response in
                #expect(response.status == .ok)
            }
        }
        let events = try fixture.ledger.history(of: "refusals")
        let refusal = try DomainEvent.makeDecoder().decode(CommandRefused.self, from: Data(events.last!.data.utf8))
        #expect(refusal.code == "ReadOnlyCredential" && refusal.actor == "gabriela@contoso.com" && refusal.command == "team.create")
    }

    @Test("Idempotency-Key is the command id: a retry returns the first events and records nothing")
    func idempotency() async throws {
        let fixture = try ServerFixture()
        let sam = try fixture.token(for: C.sam, .admin)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        let key = "0b7e3c9a-5d7f-4a57-9a3e-4c1f4b0c2d11"
        var headers = bearer(sam)
        headers[HTTPField.Name("Idempotency-Key")!] = key
        var malformed = headers
        malformed[HTTPField.Name("Idempotency-Key")!] = "not-a-uuid"
        try await app.test(.router) { [headers, malformed] client in
            let first = try await client.execute(uri: "/api/commands/team.create", method: .post, headers: headers, body: json(#"{"team":"Sales"}"#))
            let head = try fixture.ledger.head()
            let second = try await client.execute(uri: "/api/commands/team.create", method: .post, headers: headers, body: json(#"{"team":"Sales"}"#))
            #expect(first.status == .created && second.status == .ok)
            let a = try JSONSerialization.jsonObject(with: Data(first.body.readableBytesView)) as! [String: Any]
            let b = try JSONSerialization.jsonObject(with: Data(second.body.readableBytesView)) as! [String: Any]
            #expect(a["commandId"] as? String == key && b["commandId"] as? String == key)
            #expect(a["repeat"] as? Bool == false && b["repeat"] as? Bool == true)
            #expect(NSDictionary(dictionary: ["e": a["events"]!]) == NSDictionary(dictionary: ["e": b["events"]!]))
            #expect(try fixture.ledger.head() == head)
            try await client.execute(uri: "/api/commands/team.create", method: .post, headers: malformed, body: json(#"{"team":"Sales"}"#)) { response in
                #expect(response.status == .badRequest)
                let decoded = try decode(Problem.self, response)
                #expect(decoded.code == "InvalidInput")
            }
        }
    }

    @Test("Bodies are checked before anything is decided: unknown fields, wrong types, missing fields are 400 and record nothing")
    func badBodies() async throws {
        let fixture = try ServerFixture()
        let sam = try fixture.token(for: C.sam, .admin)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        let head = try fixture.ledger.head()
        try await app.test(.router) { client in
            let cases: [(String, String)] = [
                (#"{"team": "X", "as": "gabriela@contoso.com"}"#, "unknown field as; expected environment, team"),
                (#"{"team": 5}"#, "team has the wrong type"),
                (#"{}"#, "missing field team"),
                (#"[1]"#, "the body must be a JSON object"),
                (#"{"#, "the body is not JSON"),
            ]
            for (body, detail) in cases {
                try await client.execute(uri: "/api/commands/team.create", method: .post, headers: bearer(sam), body: json(body)) { response in
                    #expect(response.status == .badRequest)
                    let decoded = try decode(Problem.self, response)
                    #expect(decoded == Problem(type: "urn:syncledger:problem:InvalidInput", title: "Bad Request",
                                                                          status: 400, detail: detail, code: "InvalidInput"))
                }
            }
        }
        #expect(try fixture.ledger.head() == head)
    }

    @Test("The grid as of a position is the facade's, row for row; bad cutoffs are 400")
    func gridAsOf() async throws {
        let fixture = try ServerFixture()
        let auditor = try fixture.token(for: C.erin, .auditor)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        struct Page: Decodable { var position: Int64; var offset: Int; var limit: Int; var nextOffset: Int?; var nextAfter: String?; var rows: [MailboxStatusRow] }
        try await app.test(.router) { client in
            let head = try fixture.ledger.head().position.rawValue
            var keysetPages = 0
            for position in [Int64(5), 9, 13, head] {
                let page = try await client.execute(uri: "/api/grid?asOf=%23\(position)&limit=1", method: .get, headers: bearer(auditor)) {
                    try decode(Page.self, $0)
                }
                let expected = try fixture.ledger.mailboxStatus(asOf: .position(Position(position)))
                #expect(page.position == position)
                #expect(page.rows == Array(expected.prefix(1)))
                #expect(page.nextOffset == (expected.count > 1 ? 1 : nil))
                #expect(page.nextAfter == (expected.count > 1 ? expected[0].mailbox : nil))
                // The next page by keyset, and by offset: the same rows.
                guard let next = page.nextAfter else { continue }
                keysetPages += 1
                let after = try await client.execute(uri: "/api/grid?asOf=\(position)&limit=1&after=\(next)", method: .get,
                                                     headers: bearer(auditor)) { try decode(Page.self, $0) }
                let skipped = try await client.execute(uri: "/api/grid?asOf=\(position)&limit=1&offset=1", method: .get,
                                                       headers: bearer(auditor)) { try decode(Page.self, $0) }
                #expect(after.rows == Array(expected.dropFirst(1).prefix(1)), "at \(position)")
                #expect(skipped.rows == after.rows)
            }
            #expect(keysetPages >= 2, "both the as-of and the current form were paged")
            for bad in ["yesterday", "%23999999"] {
                try await client.execute(uri: "/api/grid?asOf=\(bad)", method: .get, headers: bearer(auditor)) { response in
                    #expect(response.status == .badRequest)
                    let decoded = try decode(Problem.self, response)
                    #expect(decoded.code == "InvalidInput")
                }
            }
        }
    }

    @Test("The live tail sends each event with its position as id, and resumes after Last-Event-ID")
    func logTail() async throws {
        let fixture = try ServerFixture()
        let auditor = try fixture.token(for: C.erin, .auditor)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        func expected(_ positions: ClosedRange<Int64>) throws -> String {
            var text = ""
            try fixture.ledger.forEachEvent(from: Position(positions.lowerBound), through: Position(positions.upperBound)) { event in
                let json = String(decoding: try JSONBody.encoder.encode(EventJSON(event)), as: UTF8.self)
                text += "id: \(event.position.rawValue)\nevent: \(event.type)\ndata: \(json)\n\n"
            }
            return text
        }
        let first = try expected(3...4), resumed = try expected(7...9)
        var headers = bearer(auditor)
        headers[HTTPField.Name("Last-Event-ID")!] = "6"
        try await app.test(.router) { [headers] client in
            try await client.execute(uri: "/api/log/events?from=3&limit=2", method: .get, headers: bearer(auditor)) { response in
                #expect(response.headers[.contentType] == "text/event-stream")
                #expect(String(buffer: response.body) == first)
            }
            try await client.execute(uri: "/api/log/events?from=1&limit=3", method: .get, headers: headers) { response in
                #expect(String(buffer: response.body) == resumed)
            }
        }
    }

    @Test("JWTs of the configured issuer (ES256, keys minted here) prove their upn; other issuers, audiences, keys and expired ones do not")
    func jwtIdentity() async throws {
        let fixture = try ServerFixture()
        let key = ES256PrivateKey(), stranger = ES256PrivateKey()
        let parameters = key.publicKey.parameters!
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","use":"sig","x":"\#(parameters.x)","y":"\#(parameters.y)"}]}"#
        let configuration = JWTConfiguration(issuer: "https://login.example.com/contoso/v2.0", audience: "api://syncledger", jwks: jwks)
        struct Claims: JWTPayload {
            var iss: IssuerClaim; var aud: AudienceClaim; var exp: ExpirationClaim; var upn: String
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }
        func mint(_ signer: ES256PrivateKey, iss: String = configuration.issuer, aud: String = configuration.audience,
                  exp: Date = Date().addingTimeInterval(600), upn: String = "sam@contoso.com") async throws -> String {
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: signer, kid: "k1")
            return try await keys.sign(Claims(iss: .init(value: iss), aud: .init(value: [aud]), exp: .init(value: exp), upn: upn), kid: "k1")
        }
        let app = Application(router: try await fixture.server(jwt: configuration).router(), logger: quiet)
        let good = try await mint(key)
        let bad = [try await mint(stranger), try await mint(key, iss: "https://evil.example.com"), try await mint(key, aud: "api://other"),
                   try await mint(key, exp: Date().addingTimeInterval(-60)), String(good.dropLast(2) + "AA")]
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/whoami", method: .get, headers: bearer(good)) { response in
                let decoded = try decode([String: String].self, response)
                #expect(decoded == ["user": "sam@contoso.com", "scope": "admin",
                                                                       "credential": "jwt:https://login.example.com/contoso/v2.0"])
            }
            // Sam is a System Administrator: a command with his JWT is his.
            try await client.execute(uri: "/api/commands/team.create", method: .post, headers: bearer(good), body: json(#"{"team":"Ops"}"#)) { response in
                #expect(response.status == .created)
            }
            for token in bad {
                try await client.execute(uri: "/api/whoami", method: .get, headers: bearer(String(token))) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }

    @Test("Refusals by rule are 409 and missing objects 404, with the refusal code; verify walks the chain")
    func statusCodes() async throws {
        let fixture = try ServerFixture()
        let gabriela = try fixture.token(for: C.gabriela, .admin)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        try await app.test(.router) { client in
            let approve = json(#"{"mailbox": "alice@contoso.com"}"#)
            try await client.execute(uri: "/api/commands/mailbox.approve", method: .post, headers: bearer(gabriela), body: approve) { response in
                #expect(response.status == .created)
            }
            let before = try fixture.ledger.head().position.rawValue
            try await client.execute(uri: "/api/commands/mailbox.approve", method: .post, headers: bearer(gabriela), body: approve) { response in
                #expect(response.status == .conflict)
                let decoded = try decode(Problem.self, response)
                #expect(decoded.code == "EmailAlreadyApproved" && decoded.denialPosition == before + 1)
            }
            try await client.execute(uri: "/api/commands/mailbox.approve", method: .post, headers: bearer(gabriela),
                                     body: json(#"{"mailbox": "nobody@contoso.com"}"#)) { response in
                #expect(response.status == .notFound)
                let decoded = try decode(Problem.self, response)
                #expect(decoded.code == "UnknownObject" && decoded.denialPosition == nil)
            }
            try await client.execute(uri: "/api/explain?mailbox=contoso-prod/user:nobody@contoso.com&field=email_status", method: .get,
                                     headers: bearer(gabriela)) { response in
                #expect(response.status == .notFound)
            }
            let head = try fixture.ledger.head()
            try await client.execute(uri: "/api/verify", method: .get, headers: bearer(gabriela)) { response in
                let decoded = try decode([String: JSONAny].self, response)
                #expect(decoded == ["intact": .bool(true), "events": .integer(head.position.rawValue), "headPosition": .integer(head.position.rawValue),
                                    "headHash": .string(hexString(head.hash))])
            }
        }
    }

    @Test("RS256 JWTs of the configured issuer verify too (a 2048-bit key minted here); a token signed by another RSA key does not")
    func rs256Identity() async throws {
        let fixture = try ServerFixture()
        let key = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        let stranger = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
        let jwks = #"{"keys":[{"kty":"RSA","kid":"r1","alg":"RS256","use":"sig","n":"\#(base64URL(modulus))","e":"\#(base64URL(exponent))"}]}"#
        let configuration = JWTConfiguration(issuer: "https://login.example.com/contoso/v2.0", audience: "api://syncledger", jwks: jwks)
        struct Claims: JWTPayload {
            var iss: IssuerClaim; var aud: AudienceClaim; var exp: ExpirationClaim; var preferred_username: String
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }
        func mint(_ signer: JWTKit.Insecure.RSA.PrivateKey) async throws -> String {
            let keys = JWTKeyCollection()
            await keys.add(rsa: signer, digestAlgorithm: .sha256, kid: "r1")
            return try await keys.sign(Claims(iss: .init(value: configuration.issuer), aud: .init(value: [configuration.audience]),
                                              exp: .init(value: Date().addingTimeInterval(600)), preferred_username: "Erin@Contoso.com"), kid: "r1")
        }
        let good = try await mint(key), bad = try await mint(stranger)
        let app = Application(router: try await fixture.server(jwt: configuration).router(), logger: quiet)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/whoami", method: .get, headers: bearer(good)) { response in
                let decoded = try decode([String: String].self, response)
                #expect(decoded == ["user": "erin@contoso.com", "scope": "admin", "credential": "jwt:https://login.example.com/contoso/v2.0"])
            }
            try await client.execute(uri: "/api/whoami", method: .get, headers: bearer(bad)) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("settings.set changes only the fields sent, as the CLI's settings set does")
    func settings() async throws {
        let fixture = try ServerFixture()
        let gabriela = try fixture.token(for: C.gabriela, .admin)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/commands/settings.set", method: .post, headers: bearer(gabriela),
                                     body: json(#"{"approvedUsersOnly": false, "incoming": "outlook"}"#)) { response in
                #expect(response.status == .created)
                let document = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                let events = document["events"] as! [[String: Any]]
                #expect(events.map { $0["type"] as! String } == ["EmailSettingsChanged"])
            }
        }
        let settings = try fixture.ledger.decisionState().environments[C.environment]!.settings
        var expected = EmailSettings()
        expected.processEmailsOnlyForApprovedUsers = false
        expected.incoming = .outlook
        #expect(settings == expected)
    }

    @Test("profile.create and profile.update over HTTP: the caller owns the profile, a secret is recorded as a marker only, field problems are 400")
    func profiles() async throws {
        let fixture = try ServerFixture()
        let sam = try fixture.token(for: C.sam, .admin)
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        let secret = "s3cret-never-recorded"
        try await app.test(.router) { client in
            let create = json(#"{"name": "Contoso OAuth", "authentication": "oauth", "tenantId": "t-1", "applicationId": "a-1", "clientSecret": "\#(secret)", "maxConnections": 20}"#)
            try await client.execute(uri: "/api/commands/profile.create", method: .post, headers: bearer(sam), body: create) { response in
                #expect(response.status == .created)
                #expect(!String(buffer: response.body).contains(secret))
            }
            try await client.execute(uri: "/api/commands/profile.update", method: .post, headers: bearer(sam),
                                     body: json(#"{"profile": "contoso-oauth", "authentication": "s2s", "userName": "x"}"#)) { response in
                #expect(response.status == .badRequest)
                let decoded = try decode(Problem.self, response)
                #expect(decoded.detail == "userName and password apply only to authentication profile-credentials")
            }
            try await client.execute(uri: "/api/commands/profile.update", method: .post, headers: bearer(sam),
                                     body: json(#"{"profile": "contoso-oauth", "name": "Contoso cross-tenant", "maxConnections": 1.5}"#)) { response in
                #expect(response.status == .badRequest)
            }
        }
        let profile = try #require(fixture.ledger.decisionState().profiles["contoso-oauth"])
        #expect(profile.settings.name == "Contoso OAuth" && profile.settings.owner == C.sam && profile.settings.options.maxConcurrentConnections == 20)
        guard case .oauthCrossTenant("t-1", "a-1", let marker) = profile.settings.authentication else {
            Issue.record("expected OAuth settings, found \(profile.settings.authentication)")
            return
        }
        #expect(marker.hasPrefix("set-") && marker != secret)
        var text = ""
        try fixture.ledger.forEachEvent { text += $0.data + $0.metadata }
        #expect(!text.contains(secret))
    }

    @Test("The OpenAPI document is JSON and describes every command route and query")
    func openAPI() async throws {
        let fixture = try ServerFixture()
        let app = Application(router: try await fixture.server().router(), logger: quiet)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let document = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                #expect(document["openapi"] as? String == "3.1.0")
                let paths = Set((document["paths"] as! [String: Any]).keys)
                let commands = Set(CommandCatalogue.routes.map { "/api/commands/\($0.name)" })
                let queries: Set = ["/healthz", "/api/whoami", "/api/head", "/api/grid", "/api/mailboxes/{mailbox}", "/api/alerts", "/api/audit",
                                    "/api/diff", "/api/explain", "/api/events", "/api/tokens", "/api/verify"]
                #expect(paths == commands.union(queries))
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body).hasPrefix("<!doctype html>"))
            }
        }
    }

    @Test("The server is a front end: it imports the facade and the domain's value types, never the log, the projections or SQL")
    func imports() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SyncLedgerServer")
        var imports = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: sources.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") { imports.insert(String(line.dropFirst(7))) }
        }
        #expect(imports == ["Foundation", "HTTPTypes", "Hummingbird", "HummingbirdAuth", "JWTKit", "Logging", "NIOCore", "NIOPosix",
                            "ServerSideSync", "ServiceLifecycle", "SyncLedger"])
    }
}

@Suite("Hand-written JSON")
struct FastJSONTests {
    static let tricky = ["plain", "quote \" and back\\slash", "new\nline\ttab\r\u{8}\u{C}", "ctl \u{1}\u{1F} del \u{7F}", "slash / é ✓ 🙂",
                         "\u{2028}\u{2029}", ""]

    @Test("A grid page's bytes are JSONEncoder's, for rows with and without their optional fields and for every kind of character")
    func sameBytesAsJSONEncoder() throws {
        var rows: [MailboxStatusRow] = []
        for (index, text) in Self.tricky.enumerated() {
            var full: [String: JSONAny] = [:]
            for key in ["mailbox", "environment", "owner", "emailAddress", "incomingMethod", "outgoingMethod", "actMethod", "incomingStatus",
                        "outgoingStatus", "actStatus", "emailStatus"] { full[key] = .string(text + key) }
            for key in ["approvedByMicrosoft365Admin", "enabledIncoming", "enabledOutgoing", "enabledACT"] { full[key] = .bool(index % 2 == 0) }
            full["retryCount"] = .integer(Int64(index))
            full["lastPosition"] = .integer(Int64(index) * 1_000_003)
            let sparse = full
            for key in ["serverProfile", "incomingError", "outgoingError", "actError", "approvedBy", "approvedAt", "lastTestBy", "lastTestAt",
                        "nextRetryAt"] { full[key] = .string(key + text) }
            for document in [full, sparse] {
                rows.append(try JSONDecoder().decode(MailboxStatusRow.self, from: try JSONEncoder().encode(document)))
            }
        }
        for page in [GridPage(position: 42, offset: 0, limit: 100, nextOffset: 100, nextAfter: "a/b\"c", rows: rows),
                     GridPage(position: 1, offset: 7, limit: 1, nextOffset: nil, nextAfter: nil, rows: [])] {
            let expected = try JSONBody.encoder.encode(page)
            #expect(String(decoding: page.json, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }
}

extension FastJSONTests {
    @Test("A command's response holds the same JSON as JSONEncoder writes for it (data and metadata copied as stored)")
    func executionBytes() throws {
        let fixture = try ServerFixture()
        let execution = try fixture.ledger.execute(.createTeam(C.environment, "Sales \"A\"/B"), as: .user(C.gabriela))
        let repeated = try fixture.ledger.execute(.createTeam(C.environment, "Sales \"A\"/B"), as: .user(C.gabriela), commandID: execution.commandID)
        for run in [execution, repeated] {
            let fast = try JSONSerialization.jsonObject(with: Data(ExecutionDocument.json(run))) as! NSDictionary
            let slow = try JSONSerialization.jsonObject(with: try JSONBody.encoder.encode(ExecutionDocument(run))) as! NSDictionary
            #expect(fast == slow)
            #expect(String(decoding: ExecutionDocument.json(run), as: UTF8.self) == String(decoding: try JSONBody.encoder.encode(ExecutionDocument(run)), as: UTF8.self))
        }
    }
}
