import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore
import NIOPosix
import ServerSideSync
import SyncLedger

/// `syncledger serve`: SyncLedger over HTTP — the admin commands and the
/// auditors' queries as a JSON API, a live tail of the log, and the auditors'
/// web page, all on one ledger file.
///
/// Identity comes from the credential only: a bearer token SyncLedger issued
/// (`syncledger token issue`), or a JWT signed by the organisation's identity
/// provider. No request field names the actor.
///
/// The facade's calls block (SQLite, and the group commit's wait for the
/// shared `COMMIT`), so every one runs on a pool of its own threads, never
/// on the cooperative pool that serves the connections: concurrent commands
/// then queue at the log together and share one commit.
public struct LedgerServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Accept JWTs of this issuer too (in addition to SyncLedger's tokens).
        public var jwt: JWTConfiguration?
        /// Threads that run facade calls (commands wait for their commit on one).
        public var blockingThreads = 16
        /// `info` logs every request; `warning` only problems.
        public var logLevel: Logger.Level = .info

        public init(host: String = "127.0.0.1", port: Int = 8080, jwt: JWTConfiguration? = nil, logLevel: Logger.Level = .info) {
            self.host = host
            self.port = port
            self.jwt = jwt
            self.logLevel = logLevel
        }
    }

    public let ledger: SyncLedger
    public let configuration: Configuration
    let pool: NIOThreadPool
    let authenticator: Authenticator

    public init(ledger: SyncLedger, configuration: Configuration = Configuration()) async throws {
        self.ledger = ledger
        self.configuration = configuration
        self.pool = NIOThreadPool(numberOfThreads: max(2, configuration.blockingThreads))
        self.pool.start()
        self.authenticator = try await Authenticator(ledger: ledger, jwt: configuration.jwt)
    }

    /// Runs `body` on the blocking pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs a short, bounded read (one indexed lookup, one page of the grid:
    /// at most a thousand seeks) where the request already runs: the hop to
    /// the pool and back cost more than the read itself. Anything that can
    /// take long (an instant's cutoff, a diff, a walk of the chain) and every
    /// command goes through ``blocking(_:)``.
    func quickRead<T: Sendable>(_ body: @Sendable () throws -> T) throws -> T {
        try body()
    }

    /// The router: the page, the health check, the OpenAPI document, and the
    /// authenticated API under `/api`.
    public func router() -> Router<LedgerContext> {
        let router = Router(context: LedgerContext.self)
        // One structured line per request at `info` (method, path, request id); quiet below that level.
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: ProblemMiddleware())
        router.get("/") { _, _ in Self.html(WebPage.html) }
        router.get("/healthz") { _, _ in
            let head = try await self.blocking { try self.ledger.head() }
            return try JSONBody.response(Health(status: "ok", head: head.position.rawValue))
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        let api = router.group("api").add(middleware: AuthenticationMiddleware(authenticator: authenticator, server: self))
        QueryRoutes(server: self).register(on: api)
        CommandRoutes(server: self).register(on: api)
        return router
    }

    /// Why the server did not serve.
    public enum StartError: Error, CustomStringConvertible {
        /// The socket could not be bound (the address is in use, or not this host's).
        case cannotListen(address: String, reason: String)
        public var description: String {
            switch self { case .cannotListen(let address, let reason): "cannot listen on \(address): \(reason)" }
        }
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight.
    /// `onRunning` is called with the port once the socket listens.
    ///
    /// - Throws: ``StartError/cannotListen(address:reason:)`` when the socket
    ///   cannot be bound.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var logger = Logger(label: "syncledger")
        logger.logLevel = configuration.logLevel
        let started = Flag()
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "syncledger"),
            onServerRunning: { channel in
                started.signal()
                await onRunning(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
        defer { Task { [pool] in try? await pool.shutdownGracefully() } }
        do {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch where !started.happened {
            let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
            throw StartError.cannotListen(address: "\(configuration.host):\(configuration.port)", reason: reason)
        }
    }

    /// A log level by its name (`info`, `warning`, …), for `serve --log-level`.
    public static func logLevel(named name: String) -> Logger.Level? {
        ["trace": .trace, "debug": .debug, "info": .info, "notice": .notice, "warning": .warning, "error": .error, "critical": .critical][name]
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// What `/healthz` answers.
struct Health: Encodable, Sendable {
    var status: String
    var head: Int64
}

/// The request context: Hummingbird's, plus the identity the credential proved.
public struct LedgerContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: ProvenIdentity?
    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
    }
}

/// Whether something happened, set from one task and read from another.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func signal() { lock.lock(); value = true; lock.unlock() }
    var happened: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
