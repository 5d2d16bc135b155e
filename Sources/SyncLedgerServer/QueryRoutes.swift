import Foundation
import HTTPTypes
import Hummingbird
import ServerSideSync
import SyncLedger

/// The auditors' questions, one route each. Every query takes `asOf` — a
/// position `#N` (or plain `N`) or an RFC 3339 instant — and reads one
/// consistent snapshot; the responses use the same keys as the CLI's `--json`.
struct QueryRoutes {
    let server: LedgerServer
    var ledger: SyncLedger { server.ledger }

    func register(on api: RouterGroup<LedgerContext>) {
        api.get("whoami") { _, context in
            let identity = try context.requireIdentity()
            return try JSONBody.response(WhoAmI(user: identity.user.rawValue, scope: identity.scope.rawValue, credential: identity.credential))
        }
        api.get("head") { _, _ in
            let (head, simulation) = try await server.blocking { (try ledger.head(), ledger.isSimulation) }
            return try JSONBody.response(HeadDocument(position: head.position.rawValue, hash: hexString(head.hash), simulation: simulation))
        }
        api.get("verify") { _, _ in
            // Walks the whole hash chain (reading only): seconds on a million events.
            let report = try await server.blocking { try ledger.verify() }
            switch report {
            case .intact(let events, let head):
                return try JSONBody.response(VerifyDocument(intact: true, events: events, headPosition: head.position.rawValue,
                                                            headHash: hexString(head.hash)))
            case .broken(let position, let reason):
                return try JSONBody.response(VerifyDocument(intact: false, brokenAt: position.rawValue, reason: "\(reason)"))
            }
        }
        api.get("grid") { request, _ in
            let query = Query(request)
            let cutoff = try query.cutoff()
            let environment = query["environment"], after = query["after"]
            let offset = try query.integer("offset", default: 0, in: 0...Int(Int32.max))
            let limit = try query.integer("limit", default: 100, in: 1...1000)
            // A position's page is a bounded read; an instant is resolved through an index too, but offsets can be deep.
            let read: @Sendable () throws -> (position: Position, rows: [MailboxStatusRow]) = {
                try ledger.mailboxStatusPage(asOf: cutoff, environment: environment, after: after, offset: offset, limit: limit + 1)
            }
            let page = offset == 0 ? try server.quickRead(read) : try await server.blocking(read)
            let more = page.rows.count > limit
            let rows = Array(page.rows.prefix(limit))
            let document = GridPage(position: page.position.rawValue, offset: offset, limit: limit,
                                    nextOffset: more ? offset + limit : nil, nextAfter: more ? rows.last?.mailbox : nil, rows: rows)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: document.json)))
        }
        api.get("mailboxes/{mailbox}") { request, context in
            let query = Query(request)
            let reference = try context.parameters.require("mailbox")
            let cutoff = try query.cutoff()
            let environment = query["environment"]
            return try JSONBody.response(try await server.blocking { try ledger.mailbox(reference, environment: environment, asOf: cutoff) })
        }
        api.get("alerts") { request, _ in
            let query = Query(request)
            let cutoff = try query.cutoff()
            let wall = query["wall"]
            return try JSONBody.response(try await server.blocking { try ledger.alerts(asOf: cutoff, wall: wall) })
        }
        api.get("audit") { request, _ in
            let query = Query(request)
            let cutoff = try query.cutoff()
            let filter = AuditFilter(mailbox: query["mailbox"], actor: query["actor"], action: query["action"],
                                     since: try query.instant("since"), until: try query.instant("until"),
                                     deniedOnly: try query.flag("deniedOnly"), eventType: query["eventType"],
                                     limit: try query.integer("limit", default: 100, in: 1...1000),
                                     before: try query.optionalInteger("before", in: 1...Int(Int64.max)).map(Int64.init))
            let rows = try await server.blocking { try ledger.audit(asOf: cutoff, filter: filter) }
            let next = rows.count == filter.limit ? rows.last.map(\.position) : nil
            return try JSONBody.response(AuditPage(rows: rows, nextBefore: next))
        }
        api.get("diff") { request, _ in
            let query = Query(request)
            let from = try query.cutoff("from", required: true), to = try query.cutoff("to", required: true)
            return try JSONBody.response(try await server.blocking { try ledger.diff(from: from, to: to) })
        }
        api.get("explain") { request, _ in
            let query = Query(request)
            let mailbox = try query.required("mailbox"), field = try query.required("field")
            let cutoff = try query.cutoff()
            let (value, steps) = try await server.blocking { try ledger.explain(mailbox: mailbox, field: field, asOf: cutoff) }
            return try JSONBody.response(Explanation(mailbox: mailbox, field: field, value: value, steps: steps))
        }
        api.get("events") { request, _ in
            let query = Query(request)
            let from = try query.integer("from", default: 1, in: 1...Int(Int64.max))
            let limit = try query.integer("limit", default: 100, in: 1...1000)
            let events = try await server.blocking { try LogTail.page(ledger, after: Int64(from) - 1, limit: limit) }
            return try JSONBody.response(events.map(EventJSON.init))
        }
        api.get("tokens") { _, _ in
            let tokens = try await server.blocking { try ledger.accessTokens() }
            return try JSONBody.response(tokens.map { TokenDocument(id: $0.id, user: $0.user.rawValue, scope: $0.scope.rawValue,
                                                                    expiresAt: $0.expiresAt.map(Timestamp.format), revoked: $0.revoked) })
        }
        api.get("log/events") { request, _ in
            let query = Query(request)
            // Resume after the last event the client saw (`Last-Event-ID`), else from `from`.
            let resume = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            let from = try resume.map { $0 + 1 } ?? Int64(query.integer("from", default: 1, in: 1...Int(Int64.max)))
            guard from >= 1 else { throw Problem.invalid("Last-Event-ID must be a position (0 or more)") }
            let limit = try query.optionalInteger("limit", in: 1...Int(Int32.max))
            return LogTail(server: server).response(after: from - 1, limit: limit)
        }
    }
}

struct WhoAmI: Encodable, Sendable { var user: String; var scope: String; var credential: String }
struct VerifyDocument: Encodable, Sendable {
    var intact: Bool
    var events: Int64?
    var headPosition: Int64?
    var headHash: String?
    var brokenAt: Int64?
    var reason: String?
}
struct HeadDocument: Encodable, Sendable { var position: Int64; var hash: String; var simulation: Bool }
struct GridPage: Encodable, Sendable {
    var position: Int64
    var offset: Int
    var limit: Int
    var nextOffset: Int?
    /// Pass as `after` for the next page (a seek, however deep).
    var nextAfter: String?
    var rows: [MailboxStatusRow]
}
struct AuditPage: Encodable, Sendable {
    var rows: [AuditRow]
    /// Pass as `before` for the next (older) page; absent on the last page.
    var nextBefore: Int64?
}
struct Explanation: Encodable, Sendable {
    var mailbox: String
    var field: String
    var value: String?
    var steps: [FieldHistoryStep]
}
struct TokenDocument: Encodable, Sendable {
    var id: String
    var user: String
    var scope: String
    var expiresAt: String?
    var revoked: Bool
}

/// A request's query string, read with clear errors.
struct Query {
    let parameters: [String: String]

    init(_ request: Request) {
        var values: [String: String] = [:]
        // Hummingbird has already percent-decoded the values; decoding again would corrupt a literal `%`.
        for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
        parameters = values
    }

    subscript(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }

    func required(_ name: String) throws -> String {
        guard let value = self[name] else { throw Problem.invalid("the query needs \(name)") }
        return value
    }

    /// `#N`, `N` or an RFC 3339 instant; `.latest` when absent (unless required).
    func cutoff(_ name: String = "asOf", required: Bool = false) throws -> Cutoff {
        guard let text = self[name] else {
            if required { throw Problem.invalid("the query needs \(name) (#N or an RFC 3339 instant)") }
            return .latest
        }
        let spelled = text.allSatisfy { $0.isASCII && $0.isNumber } ? "#\(text)" : text
        guard let cutoff = Cutoff(parsing: spelled) else {
            throw Problem.invalid("\(name)=\(text) is neither a position (#N) nor an RFC 3339 instant")
        }
        return cutoff
    }

    func integer(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        try optionalInteger(name, in: range) ?? value
    }

    func optionalInteger(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem.invalid("\(name)=\(text) is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func flag(_ name: String) throws -> Bool {
        guard let text = self[name] else { return false }
        switch text { case "true", "1": return true; case "false", "0": return false
        default: throw Problem.invalid("\(name)=\(text) is not true or false") }
    }

    func instant(_ name: String) throws -> Date? {
        guard let text = self[name] else { return nil }
        guard let date = Timestamp.parse(text) else { throw Problem.invalid("\(name)=\(text) is not an RFC 3339 instant") }
        return date
    }
}
