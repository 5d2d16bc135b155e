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
        self.event = try DomainEvent.decode(type: recorded.type, schemaVersion: recorded.schemaVersion, json: recorded.data)
        self.knownMetadata = withMetadata ? try EventMetadata.decodeForProjections(recorded.metadata) : nil
    }

    /// The event's metadata (decoded now unless already known), without the
    /// command's arguments, which no projection reads.
    public func metadata() throws -> EventMetadata { try knownMetadata ?? EventMetadata.decodeForProjections(recorded.metadata) }

    /// The event's position as an integer.
    public var position: Int64 { recorded.position.rawValue }

    /// The recorded-at instant as RFC 3339 text.
    public var recordedAtText: String { Timestamp.format(recorded.recordedAt) }
}

/// A read model folded from the log into its own SQLite tables beside it.
///
/// A projection declares once its name, its version, the event types it
/// handles and its tables. Its tables are system-versioned
/// (``VersionedTable``: current rows plus every version with `valid_from` /
/// `valid_to`) or append-only (rows keyed by position, so "as of N" is
/// `position <= N`). ``ProjectionRunner`` decides where and when `apply`
/// runs: inline in the append's transaction, in a rebuild from position 1, or
/// into a scratch database for `log verify --projections`. All run the same
/// `apply` in position order, so a rebuild equals the inline tables by
/// construction.
public protocol Projection: Sendable {
    /// Stable identity and checkpoint key. Never renamed once shipped.
    var name: String { get }
    /// Raised whenever the tables or the fold change; a stored projection of
    /// another version is rebuilt on open.
    var schemaVersion: Int { get }
    /// The system-versioned tables.
    var versionedTables: [VersionedTable] { get }
    /// The append-only tables (keyed by log position).
    var appendOnlyTables: [String] { get }
    /// The projections whose history this one reads while applying (they run
    /// before it, and a rebuild of this one brings them up to date first).
    var dependencies: [String] { get }
    /// Creates the tables (and indexes) on `db`.
    func createTables(in db: Connection) throws
    /// Whether events of `type` can change the tables; others are skipped
    /// without decoding.
    func handles(type: String) -> Bool
    /// Applies one event through `store` (its versioned tables through the
    /// store's ``VersionedTable`` methods, so a rebuild can hold them in
    /// memory). Runs inside the caller's transaction; never commits.
    func apply(_ event: ProjectedEvent, in store: ProjectionStore) throws
    /// Decodes a recorded event for this projection alone. The default decodes
    /// everything; a projection may decode only the fields it reads, as long as
    /// `apply` then gives the same rows.
    func decode(_ recorded: RecordedEvent) throws -> ProjectedEvent
    /// Forgets whatever the projection keeps in memory between events, after
    /// a rolled-back transaction or before a rebuild.
    func reset()
}

extension Projection {
    public var appendOnlyTables: [String] { [] }
    public var dependencies: [String] { [] }
    public func createTables(in db: Connection) throws {
        for table in versionedTables { try table.create(in: db) }
    }
    public func decode(_ recorded: RecordedEvent) throws -> ProjectedEvent { try ProjectedEvent(recorded) }
    public func reset() {}

    /// Every table of the projection: each versioned table and its history,
    /// then the append-only ones.
    public var tables: [String] { versionedTables.flatMap(\.tables) + appendOnlyTables }

    /// Drops the projection's tables (and with them their indexes).
    public func dropTables(in db: Connection) throws {
        for table in tables.reversed() { try db.execute("DROP TABLE IF EXISTS \"\(table)\"") }
    }

    /// Whether every table exists on `db`.
    public func tablesExist(in db: Connection) throws -> Bool {
        try tables.allSatisfy { try db.hasTable($0) }
    }

    /// Every row of every table, in primary-key order: the projection's
    /// content, for comparisons (rebuild equals inline).
    public func dump(_ db: Connection) throws -> [String: [[SQLiteValue]]] {
        var result: [String: [[SQLiteValue]]] = [:]
        for table in tables {
            var rows: [[SQLiteValue]] = []
            try forEachRow(of: table, in: db) { rows.append($0) }
            result[table] = rows
        }
        return result
    }
}

/// The primary-key columns of `table`, in key order.
func primaryKey(of table: String, in db: Connection) throws -> [String] {
    try columnNames(of: table, in: db, where: "pk > 0 ORDER BY pk")
}

/// The names of `table`'s columns that meet `filter` (over `pragma_table_info`), in its order.
func columnNames(of table: String, in db: Connection, where filter: String = "1 ORDER BY cid") throws -> [String] {
    let statement = try db.prepare("SELECT name FROM pragma_table_info(?) WHERE \(filter)")
    try statement.bind([.text(table)])
    var columns: [String] = []
    while try statement.step() { columns.append(statement.text(at: 0)) }
    return columns
}

/// Calls `body` with every row of `table` (all columns), in primary-key order.
func forEachRow(of table: String, in db: Connection, _ body: ([SQLiteValue]) throws -> Void) throws {
    let key = try primaryKey(of: table, in: db)
    let order = key.isEmpty ? "rowid" : key.map { "\"\($0)\"" }.joined(separator: ", ")
    let statement = try db.prepare("SELECT * FROM \"\(table)\" ORDER BY \(order)")
    let count = statement.columnCount
    while try statement.step() { try body((0..<count).map { statement.value(at: $0) }) }
}
