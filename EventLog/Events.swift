import Foundation

/// An event to append: everything but what the log assigns (position,
/// stream version, recorded-at instant and hashes).
public struct NewEvent: Hashable, Sendable {
    /// A unique id. Appending an event whose id is already in the log with the
    /// same content writes nothing and returns the original position.
    public var id: UUID
    /// The stream (aggregate) the event belongs to.
    public var stream: StreamID
    /// The stable type name, e.g. `MailboxEmailApproved`.
    public var type: String
    /// The version of the type's data schema, from 1.
    public var schemaVersion: Int
    /// The event's data, as a JSON text.
    public var data: String
    /// Who, why and how: actor, roles, command, correlation, as a JSON text;
    /// or ``MetadataContinuation/text(offset:)`` to share the metadata of an
    /// earlier event of the same append.
    public var metadata: String

    public init(id: UUID, stream: StreamID, type: String, schemaVersion: Int = 1, data: String, metadata: String = "{}") {
        self.id = id
        self.stream = stream
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
        self.metadata = metadata
    }
}

/// An event as stored in the log.
public struct RecordedEvent: Hashable, Sendable {
    /// The global position, gapless from 1.
    public var position: Position
    /// The stream the event belongs to.
    public var stream: StreamID
    /// The event's version in its stream, gapless from 1.
    public var streamVersion: StreamVersion
    /// The event's unique id.
    public var id: UUID
    /// The stable type name.
    public var type: String
    /// The version of the type's data schema.
    public var schemaVersion: Int
    /// The data, as stored (JSON text).
    public var data: String
    /// The metadata (JSON text): as stored, or for an event stored as a
    /// continuation of an earlier one (``MetadataContinuation``), that
    /// event's metadata without its first-event-only member.
    public var metadata: String
    /// The metadata exactly as stored: what the hash chain, the Merkle tree
    /// and exports cover. Equals ``metadata`` except for a continuation.
    public var storedMetadata: String
    /// When the log recorded the event, in microseconds since 1970-01-01T00:00:00Z.
    /// Never decreases along positions.
    public var recordedAtMicroseconds: Int64
    /// The hash of the previous event (32 zero bytes for position 1).
    public var previousHash: [UInt8]
    /// SHA-256 over the previous hash and this event's canonical bytes (``HashChain``).
    public var hash: [UInt8]

    /// The instant the log recorded the event.
    public var recordedAt: Date { Date(microsecondsSince1970: recordedAtMicroseconds) }

    /// Whether `event` carries the same content (id, stream, type, schema
    /// version, data and stored metadata) as this recorded event.
    public func hasSameContent(as event: NewEvent) -> Bool {
        id == event.id && stream == event.stream && type == event.type
            && schemaVersion == event.schemaVersion && data == event.data && storedMetadata == event.metadata
    }
}

extension Date {
    /// The instant `microseconds` after 1970-01-01T00:00:00Z.
    public init(microsecondsSince1970 microseconds: Int64) {
        self.init(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    /// Microseconds since 1970-01-01T00:00:00Z, rounded down, where within
    /// 0.3 µs below a microsecond counts as that microsecond.
    ///
    /// A `Date` holds seconds in binary: a whole microsecond or millisecond
    /// (`µs / 1e6`, an instant typed as text, an event's own `recorded_at`)
    /// can lie up to 0.25 µs below itself (none from mid-2006 to mid-2036,
    /// almost a quarter of those of 2038), and rounding that down would make "as of
    /// this event's instant" leave the event out. Finer than 0.3 µs is below what a `Date`
    /// of this century resolves anyway.
    public var microsecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1_000_000 + 0.3).rounded(.down))
    }
}
