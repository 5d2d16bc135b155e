import EventLog
import Foundation
import ServerSideSync
import SQLite

/// An event as projections see it: as recorded, and decoded (upcast to the
/// current shape).
public struct ProjectedEvent: Sendable {
    public var recorded: RecordedEvent
    public var event: DomainEvent
    /// The metadata, when the caller already has it decoded.
    public var knownMetadata: EventMetadata?

    public init(recorded: RecordedEvent, event: DomainEvent, metadata: EventMetadata? = nil) {
        self.recorded = recorded
        self.event = event
        self.knownMetadata = metadata
    }

    /// Decodes a recorded event through the registry (and its metadata, when `withMetadata`).
    public init(_ recorded: RecordedEvent, withMetadata: Bool = false) throws {
        self.recorded = recorded
        self.event = try DomainEvent.decode(type: recorded.type, schemaVersion: recorded.schemaVersion, data: Data(recorded.data.utf8))
        self.knownMetadata = withMetadata ? try EventMetadata.decode(recorded.metadata) : nil
    }

    /// The event's metadata (decoded now unless already known).
    public func metadata() throws -> EventMetadata { try knownMetadata ?? EventMetadata.decode(recorded.metadata) }

    /// The recorded-at instant as RFC 3339 text.
    public var recordedAtText: String { Timestamp.format(recorded.recordedAt) }
}

/// A read model folded from the log into its own SQLite tables beside it.
///
/// A projection is a description of a fold; ``ProjectionRunner`` decides where
/// and when it runs: inline in the append's transaction, in a rebuild from
/// position 1, or into an in-memory copy for an as-of query. All three run
/// the same `apply`, so a rebuild equals the inline tables by construction.
public protocol Projection: Sendable {
    /// Stable identity and checkpoint key. Never renamed once shipped.
    var name: String { get }
    /// Raised whenever the tables or the fold change; a stored projection of
    /// another version is rebuilt on open.
    var schemaVersion: Int { get }
    /// The projection's tables, in creation order.
    var tables: [String] { get }
    /// Creates the tables (and indexes, views) on `db`.
    func createTables(in db: Connection) throws
    /// Whether events of `type` can change the tables; others are skipped
    /// without decoding.
    func handles(type: String) -> Bool
    /// Applies one event. Runs inside the caller's transaction; never commits.
    func apply(_ event: ProjectedEvent, in db: Connection) throws
    /// Decodes a recorded event for this projection alone. The default decodes
    /// everything; a projection may decode only the fields it reads, as long as
    /// `apply` then gives the same rows.
    func decode(_ recorded: RecordedEvent) throws -> ProjectedEvent
}

extension Projection {
    public func decode(_ recorded: RecordedEvent) throws -> ProjectedEvent { try ProjectedEvent(recorded) }
}

extension Projection {
    /// Drops the projection's tables (and with them their indexes).
    public func dropTables(in db: Connection) throws {
        for table in tables.reversed() { try db.execute("DROP TABLE IF EXISTS \"\(table)\"") }
    }

    /// Whether every table exists on `db`.
    public func tablesExist(in db: Connection) throws -> Bool {
        for table in tables {
            let count = try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", .text(table))?.int64 ?? 0
            if count == 0 { return false }
        }
        return true
    }

    /// Every row of every table, ordered by rowid: the projection's content,
    /// for comparisons (rebuild equals inline, as-of equals replay).
    public func dump(_ db: Connection) throws -> [String: [[SQLiteValue]]] {
        var result: [String: [[SQLiteValue]]] = [:]
        for table in tables {
            let statement = try db.prepare("SELECT * FROM \"\(table)\" ORDER BY rowid")
            var rows: [[SQLiteValue]] = []
            while try statement.step() { rows.append((0..<statement.columnCount).map { statement.value(at: $0) }) }
            result[table] = rows
        }
        return result
    }
}

/// Copies every row of `tables` from `source` to `target` (same schema on both).
func copyRows(of tables: [String], from source: Connection, to target: Connection) throws {
    for table in tables {
        let select = try source.prepare("SELECT * FROM \"\(table)\" ORDER BY rowid")
        let columns = Int(select.columnCount)
        let insert = try target.prepare("INSERT INTO \"\(table)\" VALUES (\(Array(repeating: "?", count: columns).joined(separator: ", ")))")
        while try select.step() {
            try insert.bind((0..<Int32(columns)).map { select.value(at: $0) })
            try insert.step()
        }
    }
}
