import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger
import SyncLedgerServer

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token",
        abstract: "Issue, list and revoke bearer tokens for the HTTP API (`syncledger serve`).",
        discussion: """
            A token stands for its user: every command sent with it is run as that user and decided by that user's roles. \
            The ledger records the token's SHA-256 only (an audited AccessTokenIssued event), so the token is printed once and \
            can never be read back. Only a Global admin may issue tokens; a user may revoke their own.
            """,
        subcommands: [Issue.self, List.self, Revoke.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a token and print it (once).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Option(name: .customLong("for"), help: ArgumentHelp("The user the token stands for.", valueName: "upn")) var user: String
        @Option(help: "admin (commands and queries, as the user's roles allow) or auditor (queries only).") var scope: TokenScope
        @Option(help: ArgumentHelp("When it stops working: an RFC 3339 instant, or a duration from now such as 8h, 30d (default: until revoked).",
                                   valueName: "when")) var expires: String?

        func run() throws {
            let actor = try who.resolvedActor()
            var expiry: Date?
            if let expires {
                guard let date = Self.expiry(expires, now: Date()) else {
                    throw ValidationError("--expires: \(expires) is neither an RFC 3339 instant nor a duration like 90m, 8h or 30d")
                }
                expiry = date
            }
            let key = try who.signingKey()
            let ledger = try store.openForCommand()
            let (token, execution) = try reportingFailure(json: store.json) {
                try ledger.issueToken(for: user, scope: scope, expiresAt: expiry, as: actor, source: who.source, commandID: who.commandID?.uuid,
                                      signingKey: key)
            }
            let id = SyncLedger.tokenID(token)
            if store.json {
                Output.printJSON(["token": AnyEncodable(token), "id": AnyEncodable(id), "user": AnyEncodable(user.lowercased()),
                                  "scope": AnyEncodable(scope.rawValue), "expiresAt": AnyEncodable(expiry.map(Timestamp.format)),
                                  "position": AnyEncodable(execution.events.first?.position.rawValue)])
            } else {
                print(token)
                FileHandle.standardError.write(Data("issued token \(id) (\(scope.rawValue)) for \(user.lowercased())\(expiry.map { ", expires \(Timestamp.format($0))" } ?? ""); it is shown only this once\n".utf8))
            }
        }

        /// An RFC 3339 instant, or `N` followed by m, h or d from `now`.
        static func expiry(_ text: String, now: Date) -> Date? {
            if let instant = Timestamp.parse(text) { return instant }
            guard let unit = text.last, let count = Int(text.dropLast()), count > 0, count <= 3650 * 24 * 60 else { return nil }
            let seconds: Double
            switch unit { case "m": seconds = 60; case "h": seconds = 3600; case "d": seconds = 86_400; default: return nil }
            return now.addingTimeInterval(Double(count) * seconds)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens issued (ids, users, scopes; never a token).")
        @OptionGroup var store: StoreOptions
        func run() throws {
            let ledger = try store.open()
            let tokens = try reportingFailure(json: store.json) { try ledger.accessTokens() }
            if store.json {
                Output.printJSON(tokens.map { ["id": AnyEncodable($0.id), "user": AnyEncodable($0.user.rawValue), "scope": AnyEncodable($0.scope.rawValue),
                                               "expiresAt": AnyEncodable($0.expiresAt.map(Timestamp.format)), "revoked": AnyEncodable($0.revoked)] })
                return
            }
            Output.table(["ID", "USER", "SCOPE", "EXPIRES", "STATE"], tokens.map {
                [$0.id, $0.user.rawValue, $0.scope.rawValue, $0.expiresAt.map(Timestamp.format) ?? "never",
                 $0.revoked ? "revoked" : $0.isValid(at: Date()) ? "valid" : "expired"]
            })
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (see `token list`).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The token's id (16 hex digits).") var id: String
        func run() throws { try perform(store, who) { _ in .revokeAccessToken(id: id) } }
    }
}

extension TokenScope: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve",
        abstract: "Serve the ledger over HTTP: the JSON API, the live tail of the log and the auditors' web page.",
        discussion: """
            Every API request carries `Authorization: Bearer <credential>`: a token from `syncledger token issue`, or, with \
            --jwt-issuer/--jwks/--audience, a JWT of that identity provider (RS256 or ES256) whose `upn` or `preferred_username` \
            claim names the user. The OpenAPI document is at /openapi.json, the page at /. SIGTERM or SIGINT stops the server \
            after the requests in flight.

            --demo writes a fresh demo ledger (the `demo` walkthrough) in the temporary folder, issues an admin token for the \
            Global admin and an auditor token, and prints them with the URL.
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Where to listen: HOST:PORT (port 0 picks a free one).", valueName: "host:port")) var listen = "127.0.0.1:8080"
    @Flag(help: "Serve a fresh demo ledger and print tokens for it.") var demo = false
    @Option(name: .customLong("jwt-issuer"), help: ArgumentHelp("Accept JWTs whose `iss` is this issuer.", valueName: "url")) var jwtIssuer: String?
    @Option(help: ArgumentHelp("The issuer's public keys (a JWKS JSON file).", valueName: "file")) var jwks: String?
    @Option(help: ArgumentHelp("The `aud` the JWTs must carry.", valueName: "audience")) var audience: String?
    @Option(name: .customLong("log-level"), help: ArgumentHelp("Log on stderr at this level: info (one line per request, the default), warning, error, debug.",
                                                                valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        let jwtOptions = [jwtIssuer, jwks, audience].compactMap { $0 }
        if !jwtOptions.isEmpty && jwtOptions.count != 3 { throw ValidationError("--jwt-issuer, --jwks and --audience go together") }
        guard Self.address(listen) != nil else { throw ValidationError("--listen wants HOST:PORT, e.g. 127.0.0.1:8080") }
        guard LedgerServer.logLevel(named: logLevel) != nil else { throw ValidationError("--log-level: \(logLevel) is not one of debug, info, notice, warning, error") }
    }

    static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    func run() throws {
        let (host, port) = Self.address(listen)!
        var path = store.db
        if demo {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-serve-demo-\(Int(Date().timeIntervalSince1970))-\(getpid()).sqlite").path
            try Self.quietly { try reportingFailure(json: false) { try Demo(path: path).run() } }
        }
        let jwt: JWTConfiguration?
        if let jwtIssuer, let jwks, let audience {
            jwt = JWTConfiguration(issuer: jwtIssuer, audience: audience, jwks: try readTextFile(jwks, what: "JWKS file"))
        } else {
            jwt = nil
        }
        var options = SyncLedger.Options(ambient: .live, createIfMissing: false)
        options.lockWait = .milliseconds(Int64(store.lockWait * 1000))
        let ledger = try reportingFailure(json: false) { try SyncLedger.open(at: path, options: options) }
        StoreOptions.announceMode(of: ledger)
        var tokens: [(String, String)] = []
        if demo {
            let admin = Demo.gabrielaUPN, auditor = Demo.erinUPN
            for (user, scope) in [(admin, TokenScope.admin), (auditor, .auditor)] {
                let token = try reportingFailure(json: false) {
                    try ledger.issueToken(for: user, scope: scope, expiresAt: nil, as: .user(UserPrincipalName(admin))).token
                }
                tokens.append(("\(scope.rawValue) token for \(user)", token))
            }
        }
        let tokensToPrint = tokens, servedPath = path, level = logLevel
        let failure = Outcome()
        let finished = DispatchSemaphore(value: 0)
        Task {
            do {
                let server = try await LedgerServer(ledger: ledger, configuration: .init(host: host, port: port, jwt: jwt,
                                                                                         logLevel: LedgerServer.logLevel(named: level)!))
                try await server.run(onRunning: { port in
                    print("SyncLedger serving \(servedPath)")
                    print("  page:    http://\(host):\(port)/")
                    print("  OpenAPI: http://\(host):\(port)/openapi.json")
                    for (label, token) in tokensToPrint { print("  \(label): \(token)") }
                    fflush(nil)
                })
            } catch {
                failure.error = error
            }
            finished.signal()
        }
        finished.wait()
        if let error = failure.error {
            if let error = error as? SyncLedgerError { try reportingFailure(json: false) { throw error } }
            if let error = error as? LedgerServer.StartError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.unavailable)
            }
            FileHandle.standardError.write(Data("error: the server stopped: \(error)\n".utf8))
            throw ExitCode(ExitStatus.cannotOpen)
        }
    }

    /// Runs `body` with standard output silenced (the demo's narration).
    static func quietly(_ body: () throws -> Void) throws {
        fflush(nil)
        let saved = dup(1), null = open("/dev/null", O_WRONLY)
        dup2(null, 1)
        defer { fflush(nil); dup2(saved, 1); close(saved); close(null) }
        try body()
    }
}

/// The server task's error, handed to the waiting main thread: written
/// before the semaphore is signalled and read after it is waited on.
private final class Outcome: @unchecked Sendable {
    var error: (any Error)?
}
