import Foundation
import ServerSideSync

/// One recorded event as the CLI's `--json` and the HTTP API show it:
/// position, stream, type, and data and metadata as JSON objects.
public struct EventJSON: Encodable, Sendable {
    public var position: Int64
    public var stream: String
    public var streamVersion: Int64
    public var type: String
    public var schemaVersion: Int
    public var recordedAt: String
    public var id: String
    public var data: RawJSON
    public var metadata: RawJSON
    public var hash: String

    public init(_ e: RecordedEvent) {
        position = e.position.rawValue
        stream = e.stream.rawValue
        streamVersion = e.streamVersion.rawValue
        type = e.type
        schemaVersion = e.schemaVersion
        recordedAt = Timestamp.format(e.recordedAt)
        id = e.id.lowercasedText
        data = RawJSON(e.data)
        metadata = RawJSON(e.metadata)
        hash = hexString(e.hash)
    }
}


/// JSON text embedded as-is in an encoded document.
public struct RawJSON: Encodable, Sendable {
    public let value: JSONAny
    public init(_ text: String) { value = (try? JSONDecoder().decode(JSONAny.self, from: Data(text.utf8))) ?? .string(text) }
    public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Any JSON value, decodable and re-encodable.
public indirect enum JSONAny: Codable, Hashable, Sendable {
    case object([String: JSONAny]), array([JSONAny]), string(String), number(Double), integer(Int64), bool(Bool), null

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .integer(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONAny].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONAny].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .object(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .number(let v): try c.encode(v)
        case .integer(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .null: try c.encodeNil()
        }
    }
}

