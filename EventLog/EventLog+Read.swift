import Foundation
import SQLite

/// The last event of the log: its position and hash.
public struct LogHead: Hashable, Sendable {
    /// The last position (`.origin` for an empty log).
    public var position: Position
    /// The last event's hash (``HashChain/genesis`` for an empty log).
    public var hash: [UInt8]
    /// When the last event was recorded, or `nil` for an empty log.
    public var recordedAtMicroseconds: Int64?

    public init(position: Position, hash: [UInt8], recordedAtMicroseconds: Int64?) {
        self.position = position
        self.hash = hash
        self.recordedAtMicroseconds = recordedAtMicroseconds
    }
}

/// The columns every event query selects, in ``RecordedEvent`` order.
let eventColumns = """
    position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, previous_hash, hash
    """

extension Statement {
    /// Reads a ``RecordedEvent`` from a row selected with `eventColumns`.
    func recordedEvent() throws(SQLiteError) -> RecordedEvent {
        let idText = text(at: 3)
        // Only the canonical (lower-case) spelling is an id: the hash does not
        // cover the id's letter case, so any other spelling is an edit.
        guard idText.utf8.count == 36, !idText.utf8.contains(where: { $0 >= 65 && $0 <= 90 }), let id = UUID(uuidString: idText) else {
            throw SQLiteError(code: .corrupt, message: "event at position \(int64(at: 0)) has a malformed or non-canonical id \(idText)", sql: sql)
        }
        let metadata = text(at: 7)
        return RecordedEvent(
            position: Position(int64(at: 0)), stream: StreamID(text(at: 1)), streamVersion: StreamVersion(int64(at: 2)),
            id: id, type: text(at: 4), schemaVersion: int(at: 5), data: text(at: 6), metadata: metadata, storedMetadata: metadata,
            recordedAtMicroseconds: int64(at: 8), previousHash: blob(at: 9), hash: blob(at: 10))
    }
}

extension Connection {
    /// The log's last position, as this connection sees it (for callers that
    /// read the log's tables through ``EventLog/withReadTransaction(_:)``).
    public func headPosition() throws(SQLiteError) -> Position { try head().position }

    func streamVersion(of stream: StreamID) throws(SQLiteError) -> StreamVersion {
        let version = try scalar("SELECT max(stream_version) FROM events WHERE stream_id = ?", .text(stream.rawValue))
        return StreamVersion(version?.int64 ?? 0)
    }

    func head() throws(SQLiteError) -> LogHead {
        let statement = try statement("SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1")
        defer { statement.reset() }
        guard try statement.step() else { return LogHead(position: .origin, hash: HashChain.genesis, recordedAtMicroseconds: nil) }
        return LogHead(position: Position(statement.int64(at: 0)), hash: statement.blob(at: 1), recordedAtMicroseconds: statement.int64(at: 2))
    }

    func event(withID id: UUID) throws(SQLiteError) -> RecordedEvent? {
        let statement = try statement("SELECT \(eventColumns) FROM events WHERE event_id = ?")
        defer { statement.reset() }
        try statement.bind([.text(id.lowercasedText)])
        guard try statement.step() else { return nil }
        var events = [try statement.recordedEvent()]
        statement.reset()
        try resolveContinuations(&events)
        return events[0]
    }

    /// Gives every continuation in `events` (``MetadataContinuation``) the
    /// metadata it shares: from the event it names, found among `events` or
    /// read from the log.
    func resolveContinuations(_ events: inout [RecordedEvent]) throws(SQLiteError) {
        var resolved: [Int64: String] = [:]   // a named event's position → the metadata it shares
        for index in events.indices {
            guard let offset = MetadataContinuation.offset(in: events[index].storedMetadata) else { continue }
            let position = events[index].position.rawValue, named = position - Int64(offset)
            if let text = resolved[named] {
                events[index].metadata = text
                continue
            }
            let first: String
            if index >= offset, events[index - offset].position.rawValue == named {
                first = events[index - offset].storedMetadata
            } else {
                let statement = try statement("SELECT metadata FROM events WHERE position = ?")
                defer { statement.reset() }
                try statement.bind([.integer(named)])
                guard try statement.step() else {
                    throw SQLiteError(code: .corrupt, message: "event \(position)'s metadata continues event \(named), which is not in the log")
                }
                first = statement.text(at: 0)
            }
            guard MetadataContinuation.offset(in: first) == nil, let text = MetadataContinuation.resolve(first) else {
                throw SQLiteError(code: .corrupt, message: "event \(position)'s metadata continues event \(named), whose metadata is not a JSON object in full")
            }
            resolved[named] = text
            events[index].metadata = text
        }
    }

    /// Up to `limit` events with positions in `after+1 … through`, in order.
    func page(after: Position, through: Position, limit: Int) throws(SQLiteError) -> [RecordedEvent] {
        let statement = try statement("SELECT \(eventColumns) FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?")
        defer { statement.reset() }
        try statement.bind([.integer(after.rawValue), .integer(through.rawValue), .int(limit)])
        var events: [RecordedEvent] = []
        events.reserveCapacity(limit)
        while try statement.step() { events.append(try statement.recordedEvent()) }
        statement.reset()
        try resolveContinuations(&events)
        return events
    }

    /// Up to `limit` events of `stream` with versions above `after`, in order.
    func streamPage(_ stream: StreamID, after: StreamVersion, limit: Int) throws(SQLiteError) -> [RecordedEvent] {
        try streamPage(stream, after: after, through: Position(Int64.max), limit: limit)
    }

    /// Up to `limit` events of `stream` with versions above `after` and
    /// positions at or before `through`, in order.
    func streamPage(_ stream: StreamID, after: StreamVersion, through: Position, limit: Int) throws(SQLiteError) -> [RecordedEvent] {
        let statement = try statement("""
            SELECT \(eventColumns) FROM events WHERE stream_id = ? AND stream_version > ? AND position <= ?
            ORDER BY stream_version LIMIT ?
            """)
        defer { statement.reset() }
        try statement.bind([.text(stream.rawValue), .integer(after.rawValue), .integer(through.rawValue), .int(limit)])
        var events: [RecordedEvent] = []
        while try statement.step() { events.append(try statement.recordedEvent()) }
        statement.reset()
        try resolveContinuations(&events)
        return events
    }

    /// The last position recorded at or before `microseconds`, by binary
    /// search over positions: `recorded_at` never decreases along them (a
    /// trigger refuses an insert that would, and verify reports a ledger
    /// where it does), so the log needs no index on time. About 20 lookups
    /// by position at a million events.
    func position(atOrBefore microseconds: Int64) throws(SQLiteError) -> Position {
        let statement = try statement("SELECT recorded_at FROM events WHERE position = ?")
        defer { statement.reset() }
        func recordedAt(_ position: Int64) throws(SQLiteError) -> Int64 {
            statement.reset()
            try statement.bind([.integer(position)])
            guard try statement.step() else {
                throw SQLiteError(code: .corrupt, message: "the log has no event at position \(position) below its head", sql: statement.sql)
            }
            return statement.int64(at: 0)
        }
        // Invariant: every position ≤ low is at or before the instant; every one > high is after it.
        var low: Int64 = 0, high = try head().position.rawValue
        while low < high {
            let middle = low + (high - low + 1) / 2
            if try recordedAt(middle) <= microseconds { low = middle } else { high = middle - 1 }
        }
        return Position(low)
    }
}

extension Connection {
    /// Calls `body` with every event after `start` through `end`, in position
    /// order, as this connection sees them (inside the caller's transaction,
    /// so one consistent snapshot), a page at a time.
    public func forEachEvent(after start: Position, through end: Position, _ body: (RecordedEvent) throws -> Void) throws {
        var cursor = start
        while cursor < end {
            let page = try page(after: cursor, through: end, limit: EventLog.defaultPageSize)
            guard let tail = page.last else { return }
            for event in page { try body(event) }
            cursor = tail.position
        }
    }

    /// The last position recorded at or before `instant` (`.origin` when none),
    /// as this connection sees the log.
    public func position(atOrBefore instant: Date) throws(SQLiteError) -> Position {
        try position(atOrBefore: instant.microsecondsSince1970)
    }

    /// The log's head, as this connection sees it.
    public func logHead() throws(SQLiteError) -> LogHead { try head() }
}

extension WriteTransaction {
    /// Calls `body` with every event after `start` through `end` (the head when
    /// `nil`), in position order, as this transaction sees them, a page at a time.
    public func forEachEvent(after start: Position, through end: Position? = nil, _ body: (RecordedEvent) throws -> Void) throws {
        try connection.forEachEvent(after: start, through: end ?? head().position, body)
    }

    /// Calls `body` with each event of `stream` after version `after`, in
    /// order, as this transaction sees them.
    public func forEachEvent(in stream: StreamID, after: StreamVersion = .none, _ body: (RecordedEvent) throws -> Void) throws {
        try EventLog.walkStream(after: after, page: { try connection.streamPage(stream, after: $0, limit: EventLog.defaultPageSize) }, body)
    }
}

extension EventLog {
    /// How many events one read transaction fetches.
    public static let defaultPageSize = 512

    /// Runs `body` with the reader connection inside one read transaction (one
    /// consistent snapshot of the file). For the log's own tables and the
    /// tables kept beside it; the connection is read-only and must not escape.
    public func withReadTransaction<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        try read(body)
    }

    /// Runs `body` with the reader connection inside one short read transaction.
    /// Takes whichever reader connection is free (the first when both are busy).
    func read<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        if let result = try secondReader.withLockIfAvailable({ (db: inout Connection) throws -> T in
            let connection = db
            return try connection.readTransaction { try body(connection) }
        }) { return result }
        return try reader.withLock { (db: inout Connection) throws -> T in
            let connection = db
            return try connection.readTransaction { try body(connection) }
        }
    }

    /// The last position and hash.
    public func head() throws -> LogHead { try read { try $0.head() } }

    /// The current version of `stream` (`.none` when it has no events).
    public func streamVersion(of stream: StreamID) throws -> StreamVersion { try read { try $0.streamVersion(of: stream) } }

    /// The last position recorded at or before `instant` (`.origin` when none).
    public func position(atOrBefore instant: Date) throws -> Position {
        try read { try $0.position(atOrBefore: instant.microsecondsSince1970) }
    }

    /// The event with `id`, if recorded.
    public func event(withID id: UUID) throws -> RecordedEvent? { try read { try $0.event(withID: id) } }

    /// Calls `body` with every event from `start` through `end` (inclusive;
    /// the head when `nil`), in position order.
    ///
    /// Memory stays bounded: events are fetched `pageSize` at a time, each
    /// page in its own short read transaction, so a long walk never holds a
    /// snapshot that would stop WAL checkpoints. The end is fixed when the call
    /// starts; events appended meanwhile beyond it are not visited.
    public func forEachEvent(from start: Position = 1, through end: Position? = nil, pageSize: Int = EventLog.defaultPageSize,
                             _ body: (RecordedEvent) throws -> Void) throws {
        try walk(from: start, through: try end ?? head().position, pageSize: pageSize, read: { try self.read($0) }, body)
    }

    /// Like ``forEachEvent(from:through:pageSize:_:)``, on a read-only
    /// connection opened for this walk alone, without the memory map of the
    /// shared readers: a walk over the whole log (a rebuild) then neither
    /// leaves the file's pages mapped into this process nor occupies a reader
    /// that queries need meanwhile.
    public func scanEvents(from start: Position = 1, through end: Position? = nil, pageSize: Int = EventLog.defaultPageSize,
                           _ body: (RecordedEvent) throws -> Void) throws {
        let last = try end ?? head().position
        let db = try Connection(path: path, mode: .readOnly, busyTimeout: options.busyTimeout)
        defer { db.close() }
        try db.execute("PRAGMA query_only = ON")
        try walk(from: start, through: last, pageSize: pageSize, read: { page in try db.readTransaction { try page(db) } }, body)
    }

    private func walk(from start: Position, through last: Position, pageSize: Int,
                      read: ((Connection) throws -> [RecordedEvent]) throws -> [RecordedEvent],
                      _ body: (RecordedEvent) throws -> Void) throws {
        var cursor = Position(max(0, start.rawValue - 1))
        while cursor < last {
            let after = cursor
            let page = try read { try $0.page(after: after, through: last, limit: pageSize) }
            guard let tail = page.last else { return }
            for event in page { try body(event) }
            cursor = tail.position
        }
    }

    /// Calls `body` with a view of every event from `start` through `end`
    /// (the head when `nil`), in position order, without building a
    /// ``RecordedEvent``: for folds that read a few fields of many events
    /// (replays, rebuilds). The view's text is SQLite's own memory, valid only
    /// during the call; the id and hashes are not read (``verify(from:expectingHead:progress:)``
    /// is the walk that checks them).
    ///
    /// Pages of `pageSize` rows are read in their own short read transactions
    /// as with ``forEachEvent(from:through:pageSize:_:)``, but `body` runs
    /// while a page's transaction is open, on the log's reader: it must not
    /// read this log itself.
    public func forEachRow(from start: Position = 1, through end: Position? = nil, pageSize: Int = 4_096,
                           _ body: (EventRow) throws -> Void) throws {
        let last = try end ?? head().position
        var cursor = Position(max(0, start.rawValue - 1))
        while cursor < last {
            let after = cursor
            let seen = try read { connection -> Position? in
                let statement = try connection.statement("""
                    SELECT position, stream_id, stream_version, type, schema_version, data, recorded_at
                    FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?
                    """)
                defer { statement.reset() }
                try statement.bind([.integer(after.rawValue), .integer(last.rawValue), .int(pageSize)])
                var tail: Position?
                while try statement.step() {
                    let row = EventRow(statement: statement)
                    try body(row)
                    tail = row.position
                }
                return tail
            }
            guard let seen else { return }
            cursor = seen
        }
    }

    /// Calls `body` with every event of `stream` after version `after`, in order.
    public func forEachEvent(in stream: StreamID, after: StreamVersion = .none, _ body: (RecordedEvent) throws -> Void) throws {
        try Self.walkStream(after: after, page: { cursor in try read { try $0.streamPage(stream, after: cursor, limit: Self.defaultPageSize) } }, body)
    }

    /// Calls `body` with each event of `stream` recorded at or before
    /// `position`, in order: the stream as it stood then.
    public func forEachEvent(in stream: StreamID, through position: Position, _ body: (RecordedEvent) throws -> Void) throws {
        try Self.walkStream(after: .none, page: { cursor in
            try read { try $0.streamPage(stream, after: cursor, through: position, limit: Self.defaultPageSize) }
        }, body)
    }

    /// Fetches a stream page after page (each after the last version seen)
    /// and hands every event to `body`, until a short page ends it.
    static func walkStream(after: StreamVersion, page fetch: (StreamVersion) throws -> [RecordedEvent],
                           _ body: (RecordedEvent) throws -> Void) throws {
        var cursor = after
        while true {
            let page = try fetch(cursor)
            for event in page { try body(event) }
            guard let last = page.last, page.count == defaultPageSize else { return }
            cursor = last.streamVersion
        }
    }

    /// The events of `stream`, in order. A convenience for short streams;
    /// prefer ``forEachEvent(in:after:_:)`` for long ones.
    public func events(in stream: StreamID) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try forEachEvent(in: stream) { events.append($0) }
        return events
    }
}

/// One event of the log as ``EventLog/forEachRow(from:through:pageSize:_:)``
/// sees it: fields read on demand from the current row. Valid only during
/// the call that received it; never keep it.
public struct EventRow {
    let statement: Statement

    /// The event's position in the log.
    public var position: Position { Position(statement.int64(at: 0)) }
    /// The event's version within its stream.
    public var streamVersion: StreamVersion { StreamVersion(statement.int64(at: 2)) }
    /// The version of the event type's schema.
    public var schemaVersion: Int { statement.int(at: 4) }
    /// When the event was appended, in microseconds since 1970.
    public var recordedAtMicroseconds: Int64 { statement.int64(at: 6) }
    /// The stream id (a copy).
    public var stream: StreamID { StreamID(statement.text(at: 1)) }
    /// The event type (a copy).
    public var type: String { statement.text(at: 3) }
    /// The event's JSON data (a copy).
    public var data: String { statement.text(at: 5) }

    /// Calls `body` with the stream id's UTF-8 bytes, without copying them.
    public func withStream<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R { try statement.withUTF8(at: 1, body) }
    /// Calls `body` with the event type's UTF-8 bytes, without copying them.
    public func withType<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R { try statement.withUTF8(at: 3, body) }
    /// Calls `body` with the JSON data's UTF-8 bytes, without copying them.
    public func withData<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R { try statement.withUTF8(at: 5, body) }
}

@available(*, unavailable, message: "an event row is valid only during the call that received it")
extension EventRow: Sendable {}
