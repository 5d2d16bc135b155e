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

    public init(_ name: String, key: [Column], columns: [Column]) {
        self.name = name
        self.key = key
        self.columns = columns
    }

    /// The history table's name.
    public var history: String { "\(name)_history" }
    /// Both tables.
    public var tables: [String] { [name, history] }

    var keyNames: String { key.map(\.name).joined(separator: ", ") }
    var valueNames: String { columns.map(\.name).joined(separator: ", ") }
    var allNames: String { (key + columns).map(\.name).joined(separator: ", ") }
    var keyMatch: String { key.map { "\($0.name) = ?" }.joined(separator: " AND ") }

    /// Creates both tables and the history's index by start position (for
    /// "what changed between two positions").
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
            CREATE INDEX \(history)_by_start ON \(history)(valid_from);
            """)
    }

    // MARK: Writing

    /// The current values of `key` (value columns only) and the position they
    /// were set at, or `nil` when the key has no row.
    public func current(_ key: [SQLiteValue], in db: Connection) throws -> (values: [SQLiteValue], validFrom: Int64)? {
        let statement = try db.statement("SELECT \(valueNames), valid_from FROM \(name) WHERE \(keyMatch)")
        defer { statement.reset() }
        try statement.bind(key)
        guard try statement.step() else { return nil }
        let count = Int32(columns.count)
        return ((0..<count).map { statement.value(at: $0) }, statement.int64(at: count))
    }

    /// Gives `key` the value columns `values` from `position` on: closes the
    /// current version, records the new one, and updates the current row.
    ///
    /// - Returns: Whether anything changed.
    @discardableResult
    public func write(_ key: [SQLiteValue], _ values: [SQLiteValue], at position: Int64, in db: Connection) throws -> Bool {
        precondition(key.count == self.key.count && values.count == columns.count, "\(name): wrong number of values")
        let previous = try current(key, in: db)
        if let previous {
            if previous.values == values { return false }
            if previous.validFrom == position {
                // A second change at the same position: that position's version is replaced.
                try db.run("UPDATE \(history) SET \(columns.map { "\($0.name) = ?" }.joined(separator: ", ")) WHERE \(keyMatch) AND valid_from = ?",
                           arguments: values + key + [.integer(position)])
            } else {
                precondition(previous.validFrom < position, "\(name): versions must move forward")
                try db.run("UPDATE \(history) SET valid_to = ? WHERE \(keyMatch) AND valid_from = ?",
                           arguments: [.integer(position)] + key + [.integer(previous.validFrom)])
                try insertVersion(key, values, at: position, in: db)
            }
            try db.run("UPDATE \(name) SET \(columns.map { "\($0.name) = ?" }.joined(separator: ", ")), valid_from = ? WHERE \(keyMatch)",
                       arguments: values + [.integer(position)] + key)
        } else {
            try insertVersion(key, values, at: position, in: db)
            try db.run("INSERT INTO \(name)(\(allNames), valid_from) VALUES (\(placeholders(key.count + values.count + 1)))",
                       arguments: key + values + [.integer(position)])
        }
        return true
    }

    private func insertVersion(_ key: [SQLiteValue], _ values: [SQLiteValue], at position: Int64, in db: Connection) throws {
        try db.run("INSERT INTO \(history)(\(allNames), valid_from, valid_to) VALUES (\(placeholders(key.count + values.count + 1)), NULL)",
                   arguments: key + values + [.integer(position)])
    }

    // MARK: Reading

    /// The value columns of `key` as of `position` (its newest version with
    /// `valid_from <= position`), or `nil` when the key had no row then.
    public func values(of key: [SQLiteValue], asOf position: Int64, in db: Connection) throws -> [SQLiteValue]? {
        let statement = try db.statement("""
            SELECT \(valueNames) FROM \(history) WHERE \(keyMatch) AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1
            """)
        defer { statement.reset() }
        try statement.bind(key + [.integer(position)])
        guard try statement.step() else { return nil }
        return (0..<Int32(columns.count)).map { statement.value(at: $0) }
    }

    /// The versions of `key` an event at `position` replaced and made: the
    /// version before it (if any) and the one it set (`nil` when the event did
    /// not change the row).
    public func change(of key: [SQLiteValue], at position: Int64, in db: Connection) throws -> (before: [SQLiteValue]?, after: [SQLiteValue])? {
        guard let after = try values(of: key, asOf: position, in: db),
              try db.scalar("SELECT 1 FROM \(history) WHERE \(keyMatch) AND valid_from = ?", arguments: key + [.integer(position)]) != nil
        else { return nil }
        return (try values(of: key, asOf: position - 1, in: db), after)
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
    public func forEachRow(asOf position: Int64?, where filter: String? = nil, _ arguments: [SQLiteValue] = [], orderBy: String? = nil,
                           in db: Connection, _ body: (Statement) throws -> Void) throws {
        // The as-of form walks the current table in key order: ordering by its keys needs no sort.
        let order = orderBy ?? key.map { "\(position == nil ? "h" : "c").\($0.name)" }.joined(separator: ", ")
        let select = (key + columns).map { "h.\($0.name)" }.joined(separator: ", ") + ", h.valid_from"
        let sql: String
        if position == nil {
            sql = "SELECT \(select) FROM \(name) AS h \(filter.map { "WHERE \($0)" } ?? "") ORDER BY \(order)"
        } else {
            let join = key.map { "h.\($0.name) = c.\($0.name)" }.joined(separator: " AND ")
            let inner = key.map { "x.\($0.name) = c.\($0.name)" }.joined(separator: " AND ")
            sql = """
                SELECT \(select)
                FROM \(name) AS c CROSS JOIN \(history) AS h
                  ON \(join) AND h.valid_from = (SELECT x.valid_from FROM \(history) AS x
                                                 WHERE \(inner) AND x.valid_from <= ?1 ORDER BY x.valid_from DESC LIMIT 1)
                \(filter.map { "WHERE \($0)" } ?? "")
                ORDER BY \(order)
                """
        }
        let statement = try db.statement(sql)
        defer { statement.reset() }
        try statement.bind(position.map { [.integer($0)] + arguments } ?? arguments)
        while try statement.step() { try body(statement) }
    }

    /// The keys with a version starting in `after+1 … through`: the rows that
    /// may differ between the two positions.
    public func keysChanged(after: Int64, through: Int64, in db: Connection) throws -> [[SQLiteValue]] {
        let statement = try db.prepare("""
            SELECT DISTINCT \(keyNames) FROM \(history) WHERE valid_from > ? AND valid_from <= ? ORDER BY \(keyNames)
            """)
        try statement.bind([.integer(after), .integer(through)])
        var keys: [[SQLiteValue]] = []
        while try statement.step() { keys.append((0..<Int32(key.count)).map { statement.value(at: $0) }) }
        return keys
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

    func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }
}

extension Connection {
    /// Runs one statement with an array of arguments, ignoring any rows.
    func run(_ sql: String, arguments: [SQLiteValue]) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// The first column of the first row of a query with an array of arguments.
    func scalar(_ sql: String, arguments: [SQLiteValue]) throws(SQLiteError) -> SQLiteValue? {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        guard try statement.step() else { return nil }
        return statement.value(at: 0)
    }
}
