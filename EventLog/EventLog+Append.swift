import Foundation
import SQLite

/// An open write transaction on the log, handed to the body of
/// ``EventLog/withWriteTransaction(_:)``.
///
/// Everything done through it commits together or not at all: reads see the
/// transaction's own appends (read-your-writes), so an application can load
/// state, decide, append and update its own tables (through ``connection``)
/// atomically. It must not escape the body.
public final class WriteTransaction {
    /// The writer connection, for tables kept beside the log (projections).
    /// Never use it to change the `events` table.
    public let connection: Connection
    let clock: @Sendable () -> Date

    init(connection: Connection, clock: @escaping @Sendable () -> Date) {
        self.connection = connection
        self.clock = clock
    }

    /// The current version of `stream` (`.none` when it has no events).
    public func streamVersion(of stream: StreamID) throws(SQLiteError) -> StreamVersion {
        try connection.streamVersion(of: stream)
    }

    /// The last position and hash, as this transaction sees them.
    public func head() throws(SQLiteError) -> LogHead { try connection.head() }

    /// Appends `events` in order, checking each stream named in `expectations`
    /// first (streams not named there accept any version).
    ///
    /// The whole batch is one unit: either every event is written, or none is.
    /// If every event id is already in the log with identical content the call
    /// is a retry: nothing is written and the original events are returned.
    ///
    /// - Returns: The events as recorded, in order.
    /// - Throws: ``AppendError``; after a throw nothing of this batch is written
    ///   (earlier appends of the same transaction are unaffected).
    ///
    /// The common case costs no extra reads: event ids are looked up only when
    /// an insert hits their unique index (a retry, or a reused id), and JSON is
    /// validated once, by the table's `json_valid` checks.
    public func append(_ events: [NewEvent], expecting expectations: [StreamID: ExpectedVersion] = [:]) throws(AppendError) -> [RecordedEvent] {
        guard !events.isEmpty else { return [] }
        let shared = try validate(events)
        do {
            // The versions read for the expectations are the insert's starting points: each stream is read once.
            var versions: [StreamID: StreamVersion] = [:]
            for (stream, expected) in expectations.sorted(by: { $0.key < $1.key }) {
                let actual = try connection.streamVersion(of: stream)
                versions[stream] = actual
                guard expected.isSatisfied(by: actual) else {
                    // An exact retry of an earlier append returns its events even though the stream moved on.
                    if let retried = try existingCopies(of: events) { return retried }
                    throw AppendError.wrongExpectedVersion(stream: stream, expected: expected, actual: actual)
                }
            }
            do {
                return try connection.savepoint("append") { () throws(SQLiteError) -> [RecordedEvent] in
                    try insert(events, versions: versions, shared: shared)
                }
            } catch let error as SQLiteError where error.primaryCode == .constraint {
                // Rolled back to the savepoint; now find out why, the slow way.
                if let retried = try existingCopies(of: events) { return retried }
                for event in events {
                    let verdict = try connection.statement("SELECT json_valid(?), json_valid(?)")
                    defer { verdict.reset() }
                    try verdict.bind([.text(event.data), .text(event.metadata)])
                    _ = try verdict.step()
                    if verdict.int64(at: 0) != 1 { throw AppendError.invalidEvent(id: event.id, reason: "data is not valid JSON") }
                    if verdict.int64(at: 1) != 1 { throw AppendError.invalidEvent(id: event.id, reason: "metadata is not valid JSON") }
                }
                throw error
            }
        } catch let error as AppendError {
            throw error
        } catch let error as SQLiteError {
            throw .storage(error)
        } catch {
            throw .storage(SQLiteError(code: .error, message: "\(error)"))
        }
    }

    /// Checks `events` and returns the metadata their continuations share,
    /// by the index of the event in full that each names.
    private func validate(_ events: [NewEvent]) throws(AppendError) -> [Int: String] {
        var seen = Set<UUID>()
        var shared: [Int: String] = [:]
        var lastInFull: Int?   // the index of the last event whose metadata is not a continuation
        for (index, event) in events.enumerated() {
            if !seen.insert(event.id).inserted { throw .invalidEvent(id: event.id, reason: "the id appears twice in the batch") }
            if event.stream.rawValue.isEmpty { throw .invalidEvent(id: event.id, reason: "the stream id is empty") }
            if event.type.isEmpty { throw .invalidEvent(id: event.id, reason: "the type is empty") }
            if event.schemaVersion < 1 { throw .invalidEvent(id: event.id, reason: "the schema version must be 1 or more") }
            if let offset = MetadataContinuation.offset(in: event.metadata) {
                guard let first = lastInFull, index - offset == first else {
                    throw .invalidEvent(id: event.id, reason: "its metadata must continue the last earlier event of the batch whose metadata is in full")
                }
                if shared[first] == nil {
                    guard let text = MetadataContinuation.resolve(events[first].metadata) else {
                        throw .invalidEvent(id: event.id, reason: "its metadata continues an event whose metadata is not a JSON object")
                    }
                    shared[first] = text
                }
            } else {
                lastInFull = index
            }
        }
        return shared
    }

    /// The recorded copies when the batch is an exact retry, `nil` when it is new.
    private func existingCopies(of events: [NewEvent]) throws -> [RecordedEvent]? {
        var found: [RecordedEvent] = []
        var missing = false
        for event in events {
            guard let recorded = try connection.event(withID: event.id) else {
                missing = true
                continue
            }
            guard recorded.hasSameContent(as: event) else {
                throw AppendError.eventIDReused(id: event.id, position: recorded.position)
            }
            found.append(recorded)
        }
        if found.isEmpty { return nil }
        if missing { throw AppendError.partialRetry(alreadyRecorded: found.map(\.id)) }
        return found
    }

    /// Inserts `events` after the head; `versions` holds the current version
    /// of streams already read in this transaction, `shared` what
    /// ``validate(_:)`` resolved for the continuations.
    private func insert(_ events: [NewEvent], versions known: [StreamID: StreamVersion], shared: [Int: String]) throws(SQLiteError) -> [RecordedEvent] {
        let head = try connection.head()
        var position = head.position
        var previousHash = head.hash
        let now = clock().microsecondsSince1970
        let recordedAt = max(now, head.recordedAtMicroseconds ?? now)
        var versions = known
        var recorded: [RecordedEvent] = []
        recorded.reserveCapacity(events.count)
        let statement = try connection.statement("""
            INSERT INTO events(position, stream_id, stream_version, event_id, type, schema_version,
                               data, metadata, recorded_at, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // The leaf hashes of the Merkle block being filled, when it began in this call.
        var block: [[UInt8]] = [], blockBeganHere = false
        for (batchIndex, event) in events.enumerated() {
            position = position.next
            let current: StreamVersion
            if let known = versions[event.stream] { current = known } else { current = try connection.streamVersion(of: event.stream) }
            let version = current.next
            versions[event.stream] = version
            let canonical = HashChain.canonicalBytes(
                position: position, stream: event.stream, streamVersion: version, id: event.id, type: event.type,
                schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata, recordedAtMicroseconds: recordedAt)
            let hash = HashChain.hash(previous: previousHash, canonical: canonical)
            try statement.bind([
                .integer(position.rawValue), .text(event.stream.rawValue), .integer(version.rawValue),
                .text(event.id.lowercasedText), .text(event.type), .integer(Int64(event.schemaVersion)),
                .text(event.data), .text(event.metadata), .integer(recordedAt), .blob(previousHash), .blob(hash),
            ])
            try statement.step()
            let index = position.rawValue - 1, leaf = MerkleTree.leafHash(canonical)
            if index % MerkleTree.storedBlock == 0 {
                block.removeAll(keepingCapacity: true)
                blockBeganHere = true
            }
            try connection.appendMerkleLeaf(index: index, hash: leaf, earlier: blockBeganHere ? block : nil)
            block.append(leaf)
            let metadata = MetadataContinuation.offset(in: event.metadata).flatMap { shared[batchIndex - $0] } ?? event.metadata
            recorded.append(RecordedEvent(
                position: position, stream: event.stream, streamVersion: version, id: event.id, type: event.type,
                schemaVersion: event.schemaVersion, data: event.data, metadata: metadata, storedMetadata: event.metadata,
                recordedAtMicroseconds: recordedAt, previousHash: previousHash, hash: hash))
            previousHash = hash
        }
        statement.reset()
        return recorded
    }
}

@available(*, unavailable, message: "a write transaction must not escape its body")
extension WriteTransaction: Sendable {}

extension EventLog {
    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE` … `COMMIT`).
    ///
    /// If `body` throws, everything it did is rolled back and its error is
    /// rethrown. Calls from other tasks wait for the writer; calls from other
    /// processes wait on SQLite's lock up to the busy timeout.
    public func withWriteTransaction<T: Sendable>(_ body: (WriteTransaction) throws -> T) throws -> T {
        let clock = options.clock
        return try writer.withLock { (db: inout Connection) throws -> T in
            let transaction = WriteTransaction(connection: db, clock: clock)
            return try db.writeTransaction { try body(transaction) }
        }
    }

    /// Appends `events` atomically in their own transaction, checking the
    /// expected version of each stream named in `expectations`.
    ///
    /// - Returns: The events as recorded (for an exact retry, the originals).
    /// - Throws: ``AppendError``; the log is then unchanged.
    @discardableResult
    ///
    /// Appends from concurrent threads share transactions (group commit, see
    /// ``withGroupCommit(onRollback:_:)``); each call still returns only after
    /// the `COMMIT` that made its events durable.
    public func append(_ events: [NewEvent], expecting expectations: [StreamID: ExpectedVersion] = [:]) throws(AppendError) -> [RecordedEvent] {
        do {
            return try withGroupCommit { transaction in try transaction.append(events, expecting: expectations) }
        } catch let error as AppendError {
            throw error
        } catch let error as SQLiteError {
            throw .storage(error)
        } catch {
            throw .storage(SQLiteError(code: .error, message: "\(error)"))
        }
    }

    /// Appends `events`, all of one stream, expecting `expected` of it.
    @discardableResult
    public func append(_ events: [NewEvent], to stream: StreamID, expecting expected: ExpectedVersion) throws(AppendError) -> [RecordedEvent] {
        try append(events, expecting: [stream: expected])
    }
}
