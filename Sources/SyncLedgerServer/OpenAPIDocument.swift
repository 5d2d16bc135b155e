import Foundation
import SyncLedger

/// The OpenAPI 3.1 description of the API, served at `/openapi.json`. The
/// command routes are generated from the same field lists that decode their
/// bodies, so the document cannot drift from what the server accepts; the CI
/// runs schemathesis against a live server with it.
enum OpenAPIDocument {
    static let json: String = {
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }()

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static var string: [String: Any] { ["type": "string"] }
    static var integer: [String: Any] { ["type": "integer"] }
    static var boolean: [String: Any] { ["type": "boolean"] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    static func object(_ properties: [String: [String: Any]], required: [String]) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required]
    }

    static func problem(_ description: String) -> [String: Any] {
        ["description": description, "content": ["application/problem+json": ["schema": ref("Problem")]]]
    }
    static func ok(_ schema: [String: Any], _ description: String = "OK") -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }
    static var unauthorized: [String: Any] { problem("No credential, or one that proves no one (unknown, revoked or expired token; a JWT that does not verify).") }

    static func query(_ name: String, _ description: String, schema: [String: Any] = string, required: Bool = false) -> [String: Any] {
        ["name": name, "in": "query", "required": required, "description": description, "schema": schema]
    }
    static var asOf: [String: Any] { query("asOf", "Read as of a log position (`#12` or `12`) or an RFC 3339 instant; the head when absent.") }

    static func get(_ summary: String, parameters: [[String: Any]] = [], _ response: [String: Any], errors: [String: Any] = [:]) -> [String: Any] {
        var responses: [String: Any] = ["200": response, "400": problem("A malformed parameter."), "401": unauthorized]
        for (key, value) in errors { responses[key] = value }
        return ["get": ["summary": summary, "parameters": parameters, "responses": responses, "security": [["bearer": [String]()]]]]
    }

    static func schema(of field: BodyField) -> [String: Any] {
        var schema: [String: Any]
        switch field.kind {
        case .string: schema = ["type": "string", "minLength": 1]
        case .boolean: schema = boolean
        case .integer: schema = ["type": "integer", "minimum": Int(Int32.min), "maximum": Int(Int32.max)]
        case .strings: schema = ["type": "array", "minItems": 1, "items": ["type": "string", "minLength": 1]]
        case .instant: schema = ["type": "string", "format": "date-time"]
        case .choice(let words): schema = ["type": "string", "enum": words]
        }
        schema["description"] = field.help
        return schema
    }

    static var commandPaths: [String: Any] {
        var paths: [String: Any] = [:]
        for route in CommandCatalogue.routes {
            var properties: [String: Any] = [:]
            for field in route.fields { properties[field.name] = schema(of: field) }
            let body: [String: Any] = ["type": "object", "additionalProperties": false, "properties": properties,
                                       "required": route.fields.filter(\.required).map(\.name)]
            paths["/api/commands/\(route.name)"] = ["post": [
                "summary": route.summary,
                "operationId": "command_" + route.name.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_"),
                "security": [["bearer": [String]()]],
                "parameters": [["name": "Idempotency-Key", "in": "header", "required": false,
                                "description": "A UUID naming the command: a retry with the same key returns the first outcome and records nothing twice.",
                                "schema": ["type": "string", "format": "uuid"]]],
                "requestBody": ["required": true, "content": ["application/json": ["schema": body]]],
                "responses": [
                    "201": ok(ref("Execution"), "Recorded: the events, in order."),
                    "200": ok(ref("Execution"), "Nothing new recorded: a repeated Idempotency-Key (its first events), or nothing to do."),
                    "400": problem("A malformed body or header, or a name that fits several objects."),
                    "401": unauthorized,
                    "403": problem("Refused for permission (the caller's roles, or an auditor token); the audited denial was recorded."),
                    "404": problem("A named object does not exist (refused and recorded as a denial when the domain decided it)."),
                    "409": problem("Refused by a rule of the domain; the audited denial was recorded."),
                    "503": problem("The ledger's write lock stayed busy."),
                ],
            ]]
        }
        return paths
    }

    static var document: [String: Any] {
        let row: [String: Any] = ["type": "object", "required": ["mailbox", "environment", "owner", "emailAddress", "emailStatus", "lastPosition"],
                                  "properties": ["mailbox": string, "environment": string, "owner": string, "emailAddress": string,
                                                 "serverProfile": string, "incomingStatus": string, "outgoingStatus": string, "actStatus": string,
                                                 "emailStatus": string, "approvedBy": string, "approvedAt": string, "retryCount": integer,
                                                 "lastPosition": integer]]
        let change = object(["field": string, "before": string, "after": string], required: ["field"])
        let event = object(["position": integer, "stream": string, "streamVersion": integer, "type": string, "schemaVersion": integer,
                            "recordedAt": string, "id": string, "data": ["type": "object"], "metadata": ["type": "object"], "hash": string],
                           required: ["position", "stream", "type", "recordedAt", "id", "data", "metadata", "hash"])
        var paths: [String: Any] = [
            "/healthz": ["get": ["summary": "Liveness: the ledger answers, with its head position.", "security": [[String: [String]]](),
                                 "responses": ["200": ok(object(["status": string, "head": integer], required: ["status", "head"]))]]],
            "/api/whoami": get("The identity the credential proves.", ok(object(["user": string, "scope": ["type": "string", "enum": ["admin", "auditor"]],
                                                                                  "credential": string], required: ["user", "scope", "credential"]))),
            "/api/head": get("The log's head: position and hash.", ok(object(["position": integer, "hash": string, "simulation": boolean],
                                                                           required: ["position", "hash", "simulation"]))),
            "/api/verify": get("Walk the whole hash chain (reading only) and report the first break, if any.",
                               ok(object(["intact": boolean, "events": integer, "headPosition": integer, "headHash": string, "brokenAt": integer,
                                          "reason": string], required: ["intact"]))),
            "/api/grid": get("One page of the mailbox grid as of a cutoff.", parameters: [
                asOf, query("environment", "Only this environment's mailboxes."),
                query("after", "Only mailboxes whose id sorts after this one (the previous page's nextAfter)."),
                query("offset", "Rows to skip.", schema: ["type": "integer", "minimum": 0, "maximum": Int(Int32.max)]),
                query("limit", "Rows per page (default 100).", schema: ["type": "integer", "minimum": 1, "maximum": 1000]),
            ], ok(object(["position": integer, "offset": integer, "limit": integer, "nextOffset": integer, "nextAfter": string, "rows": array(row)],
                         required: ["position", "offset", "limit", "rows"]))),
            "/api/mailboxes/{mailbox}": get("One mailbox's grid row as of a cutoff.", parameters: [
                ["name": "mailbox", "in": "path", "required": true, "description": "Id, email address, owner UPN or queue name.", "schema": string],
                asOf, query("environment", "The environment, when the name is ambiguous."),
            ], ok(row), errors: ["404": problem("No such mailbox (then).")]),
            "/api/alerts": get("The alerts walls as of a cutoff.", parameters: [asOf, query("wall", "One wall: mailbox:ID or user:UPN.")],
                               ok(array(object(["wall": string, "level": string, "code": string, "text": string, "count": integer],
                                               required: ["wall", "level", "code", "text", "count"])))),
            "/api/audit": get("The audit trail up to a cutoff, newest first, a page at a time.", parameters: [
                asOf, query("actor", "Only this actor's rows."), query("mailbox", "Only this mailbox id's rows."),
                query("action", "Only this command (e.g. mailbox.approve)."), query("eventType", "Only this event type."),
                query("deniedOnly", "Only audited denials.", schema: boolean),
                query("since", "Recorded at or after (RFC 3339).", schema: ["type": "string", "format": "date-time"]),
                query("until", "Recorded at or before (RFC 3339).", schema: ["type": "string", "format": "date-time"]),
                query("limit", "Rows per page (default 100).", schema: ["type": "integer", "minimum": 1, "maximum": 1000]),
                query("before", "Rows before this position (the previous page's nextBefore).", schema: ["type": "integer", "minimum": 1]),
            ], ok(object(["rows": array(object(["position": integer, "recordedAt": string, "actor": string, "roles": array(string),
                                                 "action": string, "eventType": string, "object": string, "changes": array(change),
                                                 "outcome": string, "refusalCode": string, "message": string],
                                                required: ["position", "recordedAt", "actor", "action", "eventType", "outcome"])),
                          "nextBefore": integer], required: ["rows"]))),
            "/api/diff": get("What changed in the grid and the alerts between two cutoffs.", parameters: [
                query("from", "The earlier cutoff.", required: true), query("to", "The later cutoff.", required: true),
            ], ok(array(object(["table": string, "key": string, "kind": ["type": "string", "enum": ["added", "changed"]], "changes": array(change)],
                               required: ["table", "key", "kind", "changes"])))),
            "/api/explain": get("The events that gave one grid field its value.", parameters: [
                query("mailbox", "The mailbox id.", required: true),
                query("field", "A grid column.", schema: ["type": "string", "enum": SyncLedger.explainableFields], required: true), asOf,
            ], ok(object(["mailbox": string, "field": string, "value": string,
                          "steps": array(object(["position": integer, "actor": string, "command": string, "eventType": string],
                                                required: ["position", "actor", "command", "eventType"]))],
                         required: ["mailbox", "field", "steps"])), errors: ["404": problem("No such mailbox (then).")]),
            "/api/events": get("Events of the log from a position.", parameters: [
                query("from", "The first position (default 1).", schema: ["type": "integer", "minimum": 1]),
                query("limit", "At most this many (default 100).", schema: ["type": "integer", "minimum": 1, "maximum": 1000]),
            ], ok(array(event))),
            "/api/tokens": get("The tokens issued (ids and hashes' owners only; never a token).",
                               ok(array(object(["id": string, "user": string, "scope": string, "expiresAt": string, "revoked": boolean],
                                               required: ["id", "user", "scope", "revoked"])))),
        ]
        for (path, item) in commandPaths { paths[path] = item }
        return [
            "openapi": "3.1.0",
            "info": ["title": "SyncLedger", "version": "1",
                     "description": """
                        The audit ledger of server-side synchronization administration. Every request carries \
                        `Authorization: Bearer <credential>`: a SyncLedger token (`syncledger token issue`) or a JWT of the configured \
                        identity provider; the credential's user is the actor. Errors are RFC 9457 problem documents whose `code` is \
                        SyncLedger's stable code (the refusal code for refusals). The live tail of the log is `GET /api/log/events` \
                        (server-sent events, resumable with Last-Event-ID), not described here.
                        """],
            "paths": paths,
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": [
                    "Problem": object(["type": string, "title": string, "status": integer, "detail": string, "code": string, "denialPosition": integer],
                                      required: ["type", "title", "status", "detail", "code"]),
                    "Execution": object(["commandId": string, "repeat": boolean, "events": array(event)], required: ["commandId", "repeat", "events"]),
                ],
            ],
        ]
    }
}
