import SQLite

/// Where projections apply events: a database, and, while a rebuild folds the
/// log from position 1, the current rows of the versioned tables it is
/// rebuilding, held in memory.
///
/// Applied straight to SQL, each change of a versioned row costs four
/// statements (read the current row, close the old version, insert the new
/// one, update the current row), each a B-tree seek into tables that grow with
/// the log. A rebuild starts from empty tables and nobody reads them until it
/// ends, so a buffering store (``buffering(_:in:)``) keeps each table's
/// current rows in a dictionary instead and appends each version to a staging
/// table only once it is closed, already carrying its `valid_to`: one
/// sequential insert per change. ``flush()`` then writes the current rows,
/// and each history table once, sorted by its primary key, so the B-tree is
/// filled from left to right.
///
/// The staging tables live in a scratch database of the store's own (a
/// temporary file SQLite deletes on close, without a journal), so neither
/// their size nor the sort depends on how the target connection keeps its
/// temporary tables.
///
/// Memory grows with the number of rows in the current tables (one per
/// mailbox, object, alert), not with the log. Reading and writing a buffered
/// table through this store answers exactly as the SQL path would (same
/// "nothing changed" and "second write at the same position" rules); tables
/// of projections that are not being rebuilt are read from SQL.
public final class ProjectionStore {
    /// The database the projections' other tables (and, after ``flush()``,
    /// the buffered ones) live in.
    public let db: Connection
    private var buffers: [String: VersionBuffer] = [:]
    private var staging: Connection?

    /// A store that applies every change straight to `db`.
    public init(_ db: Connection) {
        self.db = db
    }

    /// A store that buffers `tables` (which must exist on `db` and be empty)
    /// until ``flush()``.
    public static func buffering(_ tables: [VersionedTable], in db: Connection) throws -> ProjectionStore {
        let store = ProjectionStore(db)
        guard !tables.isEmpty else { return store }
        let staging = try Connection.scratch()
        try staging.execute("PRAGMA temp_store = FILE")   // the flush's sort spills to a file, not to memory
        store.staging = staging
        for table in tables { store.buffers[table.name] = try VersionBuffer(table, staging: staging) }
        return store
    }

    /// Whether `table`'s rows are held here rather than in SQL.
    func buffer(of table: VersionedTable) -> VersionBuffer? {
        buffers.isEmpty ? nil : buffers[table.name]
    }

    /// Whether any table is buffered.
    public var isBuffering: Bool { !buffers.isEmpty }

    /// Writes every buffered table into SQL (current rows, then the history
    /// sorted by key) and stops buffering. Runs in the caller's transaction.
    public func flush() throws {
        for name in buffers.keys.sorted() { try buffers[name]?.flush(into: db) }
        discard()
    }

    /// Stops buffering without writing anything (after a failure), and
    /// deletes the staging tables.
    public func discard() {
        buffers = [:]
        staging?.close()
        staging = nil
    }
}

/// One versioned table's current rows in memory, and its closed versions in
/// a staging table (`T_history`, in the store's scratch database).
final class VersionBuffer {
    struct Row {
        var values: [SQLiteValue]
        var validFrom: Int64
        /// The version this one replaced (`nil`: the row was created at
        /// `validFrom`), for ``VersionedTable/change(of:at:in:)``; kept only
        /// until the table is written at a later position.
        var before: [SQLiteValue]?
    }

    let table: VersionedTable
    let staging: Connection
    var rows: [[SQLiteValue]: Row] = [:]
    let stage: Statement
    /// The keys whose `before` was set at `touchedAt`.
    var touched: [[SQLiteValue]] = []
    var touchedAt: Int64 = 0

    init(_ table: VersionedTable, staging: Connection) throws {
        self.table = table
        self.staging = staging
        let columns = (table.key + table.columns).map(\.name) + ["valid_from", "valid_to"]
        try staging.execute("CREATE TABLE \(table.history)(\(columns.joined(separator: ", ")))")
        stage = try staging.prepare("INSERT INTO \(table.history) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))")
    }

    func current(_ key: [SQLiteValue]) -> (values: [SQLiteValue], validFrom: Int64)? {
        rows[key].map { ($0.values, $0.validFrom) }
    }

    /// ``VersionedTable/write(_:_:at:previous:in:)``, in memory.
    func write(_ key: [SQLiteValue], _ values: [SQLiteValue], at position: Int64) throws -> Bool {
        if position != touchedAt {
            // Nothing asks for the change of an earlier position any more: let its versions go.
            for key in touched { rows[key]?.before = nil }
            touched.removeAll(keepingCapacity: true)
            touchedAt = position
        }
        guard let previous = rows[key] else {
            rows[key] = Row(values: values, validFrom: position, before: nil)
            return true
        }
        if previous.values == values { return false }
        if previous.validFrom == position {
            rows[key]!.values = values   // the same position's version, replaced; what it replaced stays `before`
            return true
        }
        precondition(previous.validFrom < position, "\(table.name): versions must move forward")
        try stage.bind(key + previous.values + [.integer(previous.validFrom), .integer(position)])
        try stage.step()
        rows[key] = Row(values: values, validFrom: position, before: previous.values)
        touched.append(key)
        return true
    }

    /// ``VersionedTable/change(of:at:in:)``, in memory.
    func change(of key: [SQLiteValue], at position: Int64) -> (before: [SQLiteValue]?, after: [SQLiteValue])? {
        guard let row = rows[key], row.validFrom == position else { return nil }
        return (row.before, row.values)
    }

    func flush(into db: Connection) throws {
        let current = try db.prepare(table.sql.insertCurrent)
        for (key, row) in rows {
            try current.bind(key + row.values + [.integer(row.validFrom)])
            try current.step()
            try stage.bind(key + row.values + [.integer(row.validFrom), .null])
            try stage.step()
        }
        rows = [:]
        let order = (table.key.map(\.name) + ["valid_from"]).joined(separator: ", ")
        let sorted = try staging.prepare("SELECT * FROM \(table.history) ORDER BY \(order)")
        let insert = try db.prepare(table.sql.insertHistory)
        while try sorted.step() {
            try insert.bindColumns(of: sorted)
            try insert.step()
        }
    }
}

extension VersionedTable {
    /// ``current(_:in:)-(_,Connection)`` through `store`: from memory when the store buffers this table.
    public func current(_ key: [SQLiteValue], in store: ProjectionStore) throws -> (values: [SQLiteValue], validFrom: Int64)? {
        if let buffer = store.buffer(of: self) { return buffer.current(key) }
        return try current(key, in: store.db)
    }

    /// ``write(_:_:at:previous:in:)-(_,_,_,_,Connection)`` through `store`.
    @discardableResult
    public func write(_ key: [SQLiteValue], _ values: [SQLiteValue], at position: Int64,
                      previous known: (values: [SQLiteValue], validFrom: Int64)?? = .none, in store: ProjectionStore) throws -> Bool {
        guard let buffer = store.buffer(of: self) else { return try write(key, values, at: position, previous: known, in: store.db) }
        precondition(key.count == self.key.count && values.count == columns.count, "\(name): wrong number of values")
        return try buffer.write(key, values, at: position)
    }

    /// ``change(of:at:in:)-(_,_,Connection)`` through `store`.
    public func change(of key: [SQLiteValue], at position: Int64, in store: ProjectionStore) throws -> (before: [SQLiteValue]?, after: [SQLiteValue])? {
        if let buffer = store.buffer(of: self) { return buffer.change(of: key, at: position) }
        return try change(of: key, at: position, in: store.db)
    }
}
