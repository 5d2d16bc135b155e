import SQLite

/// A system-versioned projection table: the current rows in `T`, and every
/// version a row ever had in `T_history`, written together in the caller's
/// transaction.
///
/// The model is SQL:2011's system-period temporal tables (SQL Server's
/// `FOR SYSTEM_TIME AS OF`, Dolt's `dolt_history_<table>`), with log
/// positions for time:
///
/// - `T(key…, columns…, valid_from)`: one row per key, as of the head.
///   `valid_from` is the position of the event that gave the row its values.
/// - `T_history(key…, columns…, valid_from, valid_to)`: one row per version,
///   keyed by `(key…, valid_from)` and clustered that way (`WITHOUT ROWID`),
///   so the versions of one key sit together. `valid_to` is the position at
///   which the next version replaced it, `NULL` for the current version: the
///   version holds for positions `valid_from <= N < valid_to`.
///
/// `valid_to` is stored (one extra update per change) rather than derived, so
/// an auditor can ask interval questions in the `sqlite3` shell without
/// window functions. Rows are never deleted: an object that goes away is a
/// version whose columns say so. Because of that, every key that ever existed
/// is in `T`, and "`T` as of N" is, for each key of `T`, one seek to its
/// newest version with `valid_from <= N` (``asOf(_:in:where:orderBy:)``).
///
/// A write that leaves the values as they were records nothing; a second
/// write at the same position replaces that position's version in place.
public struct VersionedTable: Sendable {
    /// One column: its name and its SQL declaration (type and constraints).
    public struct Column: Sendable {
        public var name: String
        public var declaration: String

        public init(_ name: String, _ declaration: String) {
            self.name = name
            self.declaration = declaration
        }
    }

    /// The current table's name; the history table is `name + "_history"`.
    public let name: String
    /// The key columns, in key order.
    public let key: [Column]
    /// The value columns.
    public let columns: [Column]

    /// The statements, composed once.
    let sql: SQL

    public init(_ name: String, key: [Column], columns: [Column]) {
        self.name = name
        self.key = key
        self.columns = columns
        self.sql = SQL(name: name, key: key.map(\.name), columns: columns.map(\.name))
    }

    /// The text of every statement a versioned table runs, composed once per table.
    struct SQL: Sendable {
        let current, closeVersion, replaceVersion, insertVersion, updateCurrent, insertCurrent, lastTwo: String
        /// Inserts a whole history row, `valid_to` included.
        let insertHistory: String

        init(name: String, key: [String], columns: [String]) {
            let history = "\(name)_history"
            let match = key.map { "\($0) = ?" }.joined(separator: " AND ")
            let values = columns.joined(separator: ", "), all = (key + columns).joined(separator: ", ")
            let assignments = columns.map { "\($0) = ?" }.joined(separator: ", ")
            let marks = Array(repeating: "?", count: key.count + columns.count + 1).joined(separator: ", ")
            current = "SELECT \(values), valid_from FROM \(name) WHERE \(match)"
            closeVersion = "UPDATE \(history) SET valid_to = ? WHERE \(match) AND valid_from = ?"
            replaceVersion = "UPDATE \(history) SET \(assignments) WHERE \(match) AND valid_from = ?"
            insertVersion = "INSERT INTO \(history)(\(all), valid_from, valid_to) VALUES (\(marks), NULL)"
            insertHistory = "INSERT INTO \(history)(\(all), valid_from, valid_to) VALUES (\(marks), ?)"
            updateCurrent = "UPDATE \(name) SET \(assignments), valid_from = ? WHERE \(match)"
            insertCurrent = "INSERT INTO \(name)(\(all), valid_from) VALUES (\(marks))"
            lastTwo = "SELECT valid_from, \(values) FROM \(history) WHERE \(match) AND valid_from <= ? ORDER BY valid_from DESC LIMIT 2"
        }
    }

    /// The history table's name.
    public var history: String { "\(name)_history" }
    /// Both tables.
    public var tables: [String] { [name, history] }

    var keyNames: String { key.map(\.name).joined(separator: ", ") }
    var valueNames: String { columns.map(\.name).joined(separator: ", ") }
    var keyMatch: String { key.map { "\($0.name) = ?" }.joined(separator: " AND ") }

    /// Creates both tables. The history needs no index beyond its primary
    /// key: every question asked of it names a key.
    public func create(in db: Connection) throws {
        let declarations = (key + columns).map { "  \($0.name) \($0.declaration)" }.joined(separator: ",\n")
        try db.execute("""
            CREATE TABLE \(name) (
            \(declarations),
              valid_from INTEGER NOT NULL,
              PRIMARY KEY (\(keyNames))
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE \(history) (
            \(declarations),
              valid_from INTEGER NOT NULL,
              valid_to   INTEGER,
              PRIMARY KEY (\(keyNames), valid_from),
              CHECK (valid_to IS NULL OR valid_to > valid_from)
            ) STRICT, WITHOUT ROWID;
            """)
    }

    // MARK: Writing

    /// The current values of `key` (value columns only) and the position they
    /// were set at, or `nil` when the key has no row.
    public func current(_ key: [SQLiteValue], in db: Connection) throws -> (values: [SQLiteValue], validFrom: Int64)? {
        let statement = try db.statement(sql.current)
        defer { statement.reset() }
        try statement.bind(key)
        guard try statement.step() else { return nil }
        let count = Int32(columns.count)
        return ((0..<count).map { statement.value(at: $0) }, statement.int64(at: count))
    }

    /// Gives `key` the value columns `values` from `position` on: closes the
    /// current version, records the new one, and updates the current row.
    ///
    /// - Parameter previous: The current row when the caller has read it
    ///   already (``current(_:in:)``); read here otherwise.
    /// - Returns: Whether anything changed.
    @discardableResult
    public func write(_ key: [SQLiteValue], _ values: [SQLiteValue], at position: Int64,
                      previous known: (values: [SQLiteValue], validFrom: Int64)?? = .none, in db: Connection) throws -> Bool {
        precondition(key.count == self.key.count && values.count == columns.count, "\(name): wrong number of values")
        let previous = try known ?? current(key, in: db)
        let at = SQLiteValue.integer(position)
        if let previous {
            if previous.values == values { return false }
            if previous.validFrom == position {
                // A second change at the same position: that position's version is replaced.
                try db.run(sql.replaceVersion, arguments: values + key + [at])
            } else {
                precondition(previous.validFrom < position, "\(name): versions must move forward")
                try db.run(sql.closeVersion, arguments: [at] + key + [.integer(previous.validFrom)])
                try db.run(sql.insertVersion, arguments: key + values + [at])
            }
            try db.run(sql.updateCurrent, arguments: values + [at] + key)
        } else {
            try db.run(sql.insertVersion, arguments: key + values + [at])
            try db.run(sql.insertCurrent, arguments: key + values + [at])
        }
        return true
    }

    // MARK: Reading

    /// The value columns of `key` as of `position` (its newest version with
    /// `valid_from <= position`) and that version's `valid_from`, or `nil`
    /// when the key had no row then.
    public func version(of key: [SQLiteValue], asOf position: Int64, in db: Connection) throws -> (values: [SQLiteValue], validFrom: Int64)? {
        let statement = try db.statement(sql.lastTwo)
        defer { statement.reset() }
        try statement.bind(key + [.integer(position)])
        guard try statement.step() else { return nil }
        return ((1...Int32(columns.count)).map { statement.value(at: $0) }, statement.int64(at: 0))
    }

    /// The value columns of `key` as of `position`, or `nil` when the key had no row then.
    public func values(of key: [SQLiteValue], asOf position: Int64, in db: Connection) throws -> [SQLiteValue]? {
        try version(of: key, asOf: position, in: db)?.values
    }

    /// The versions of `key` an event at `position` replaced and made: the
    /// version before it (if any) and the one it set (`nil` when the event did
    /// not change the row).
    public func change(of key: [SQLiteValue], at position: Int64, in db: Connection) throws -> (before: [SQLiteValue]?, after: [SQLiteValue])? {
        let statement = try db.statement(sql.lastTwo)
        defer { statement.reset() }
        try statement.bind(key + [.integer(position)])
        let count = Int32(columns.count)
        guard try statement.step(), statement.int64(at: 0) == position else { return nil }
        let after = (1...count).map { statement.value(at: $0) }
        return (try statement.step() ? (1...count).map { statement.value(at: $0) } : nil, after)
    }

    /// Calls `body` with each row of the table as it stood at `position` (the
    /// current rows when `nil`), the statement positioned on the row: the key
    /// columns, the value columns, then `valid_from`.
    ///
    /// As of a position, each key of the current table (every key that ever
    /// existed, since rows are never deleted) costs one primary-key seek to its
    /// newest version with `valid_from <= position`; keys created later have
    /// none and are left out. No fold, no decoding.
    ///
    /// - Parameters:
    ///   - filter: An extra condition over the row's columns, prefixed `h.`,
    ///     with plain `?` parameters bound from `arguments`.
    ///   - orderBy: The order, over `h.` columns; the key order by default.
    ///   - page: At most `limit` rows after skipping `offset` (in that order).
    public func forEachRow(asOf position: Int64?, where filter: String? = nil, _ arguments: [SQLiteValue] = [], orderBy: String? = nil,
                           page: (offset: Int, limit: Int)? = nil, in db: Connection, _ body: (Statement) throws -> Void) throws {
        var sql = rowsSQL(asOf: position != nil, where: filter, orderBy: orderBy)
        if let page { sql += " LIMIT \(max(0, page.limit)) OFFSET \(max(0, page.offset))" }
        let statement = try db.statement(sql)
        defer { statement.reset() }
        try statement.bind(position.map { [.integer($0)] + arguments } ?? arguments)
        while try statement.step() { try body(statement) }
    }

    /// The statement ``forEachRow(asOf:where:_:orderBy:in:_:)`` runs: the
    /// current rows, or (`asOf`) each key's version in force at position `?1`.
    public func rowsSQL(asOf: Bool, where filter: String? = nil, orderBy: String? = nil) -> String {
        // The as-of form walks the current table in key order: ordering by its keys needs no sort.
        let order = orderBy ?? key.map { "\(asOf ? "c" : "h").\($0.name)" }.joined(separator: ", ")
        let select = (key + columns).map { "h.\($0.name)" }.joined(separator: ", ") + ", h.valid_from"
        guard asOf else { return "SELECT \(select) FROM \(name) AS h \(filter.map { "WHERE \($0)" } ?? "") ORDER BY \(order)" }
        let join = key.map { "h.\($0.name) = c.\($0.name)" }.joined(separator: " AND ")
        let inner = key.map { "x.\($0.name) = c.\($0.name)" }.joined(separator: " AND ")
        return """
            SELECT \(select)
            FROM \(name) AS c CROSS JOIN \(history) AS h
              ON \(join) AND h.valid_from = (SELECT x.valid_from FROM \(history) AS x
                                             WHERE \(inner) AND x.valid_from <= ?1 ORDER BY x.valid_from DESC LIMIT 1)
            \(filter.map { "WHERE \($0)" } ?? "")
            ORDER BY \(order)
            """
    }

    /// Every version of `key` up to `position`, oldest first: (valid_from, values).
    public func versions(of key: [SQLiteValue], through position: Int64, in db: Connection) throws -> [(validFrom: Int64, values: [SQLiteValue])] {
        let statement = try db.prepare("""
            SELECT valid_from, \(valueNames) FROM \(history) WHERE \(keyMatch) AND valid_from <= ? ORDER BY valid_from
            """)
        try statement.bind(key + [.integer(position)])
        var result: [(Int64, [SQLiteValue])] = []
        while try statement.step() { result.append((statement.int64(at: 0), (1...Int32(columns.count)).map { statement.value(at: $0) })) }
        return result
    }
}

extension Connection {
    /// Runs one statement with an array of arguments, ignoring any rows.
    func run(_ sql: String, arguments: [SQLiteValue]) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

}
