import Foundation
import HTTPTypes
import Hummingbird
import ServerSideSync
import SyncLedger

/// An RFC 9457 problem: every error the API returns, as
/// `application/problem+json`, carrying SyncLedger's stable code (the
/// refusal code for refusals) so a client can branch on it.
public struct Problem: Error, Sendable, Encodable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    /// SyncLedger's code, as the CLI prints it (``SyncLedgerError/code``): a refusal code
    /// (`ApproverRoleCombinationNotAllowed`), `InvalidInput`, `UnknownObject`, `ConcurrencyConflict`, `LedgerBusy`,
    /// `NoSpace`, `CannotOpen`, `StorageFailure`; or the server's own `Unauthorized` and `NotFound` (no such route).
    public var code: String
    /// For a refusal: the position of the audited denial it recorded.
    public var denialPosition: Int64?

    public init(status: HTTPResponse.Status, code: String, detail: String, denialPosition: Int64? = nil) {
        self.type = "urn:syncledger:problem:\(code)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.code = code
        self.denialPosition = denialPosition
    }

    static func unauthorized(_ detail: String) -> Problem { Problem(status: .unauthorized, code: "Unauthorized", detail: detail) }
    static func invalid(_ detail: String) -> Problem { Problem(status: .badRequest, code: "InvalidInput", detail: detail) }

    /// How a facade error is answered: a permission refusal is 403, a
    /// refusal over a missing object 404, any other refusal (a rule) 409.
    init(_ error: SyncLedgerError) {
        switch error {
        case .refused(let refusal, let denial):
            let status: HTTPResponse.Status = switch refusal.category {
            case .permission: .forbidden
            case .notFound: .notFound
            case .rule: .conflict
            }
            self.init(status: status, code: refusal.code.rawValue, detail: refusal.message, denialPosition: denial?.rawValue)
        case .conflict: self.init(status: .conflict, code: error.code, detail: error.description)
        case .notFound(let message): self.init(status: .notFound, code: error.code, detail: message)
        case .invalidInput(let message): self.init(status: .badRequest, code: error.code, detail: message)
        case .busy(let message): self.init(status: .serviceUnavailable, code: error.code, detail: message)
        case .noSpace(let message): self.init(status: .init(code: 507, reasonPhrase: "Insufficient Storage"), code: error.code, detail: message)
        case .cannotOpen, .storage: self.init(status: .internalServerError, code: error.code, detail: error.description)
        }
    }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"syncledger\"" }
        let data = (try? JSONBody.encoder.encode(self)) ?? Data()
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a handler throws into a problem document: facade
/// errors by their kind, Hummingbird's own (an unknown route, a body too
/// large) by their status, anything else as a 500 that names no internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response
        } catch let error as SyncLedgerError {
            return Problem(error).response
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "NotFound" : error.status == .unauthorized ? "Unauthorized" : "InvalidInput"
            return Problem(status: error.status, code: code, detail: error.body ?? error.status.reasonPhrase).response
        } catch {
            context.logger.error("unexpected error: \(error)")
            return Problem(status: .internalServerError, code: "StorageFailure", detail: "the request failed inside the server").response
        }
    }
}

/// JSON responses with the facade's stable encoder (sorted keys, RFC 3339 instants).
enum JSONBody {
    static let encoder: JSONEncoder = DomainEvent.makeEncoder()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
