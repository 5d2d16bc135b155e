import CSQLite

/// A compiled SQL statement, usable only on the connection that prepared it.
///
/// Bind arguments with ``bind(_:)``, then call ``step()`` until it returns
/// `false`; read columns of the current row with the typed accessors.
public final class Statement {
    let handle: OpaquePointer
    /// The SQL text the statement was compiled from.
    public let sql: String
    private unowned let connection: Connection

    init(_ sql: String, on connection: Connection) throws(SQLiteError) {
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard code == SQLITE_OK, let handle else {
            throw SQLiteError(code: connection.lastExtendedCode, message: connection.lastErrorMessage, sql: sql)
        }
        self.handle = handle
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement so it can run again, and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `values` to parameters 1…n, after resetting the statement.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        reset()
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds one value to the 1-based parameter `index`.
    public func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .integer(let v):
            code = sqlite3_bind_int64(handle, index, v)
        case .real(let v):
            code = sqlite3_bind_double(handle, index, v)
        case .text(let v):
            code = sqlite3_bind_text(handle, index, v, -1, sqliteTransient)
        case .blob(let v):
            code = v.withUnsafeBytes { buffer in
                // A zero-length blob must still bind as a blob, not NULL.
                sqlite3_bind_blob(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buffer.count), sqliteTransient)
            }
        }
        guard code == SQLITE_OK else {
            throw SQLiteError(code: ResultCode(rawValue: code), message: connection.lastErrorMessage, sql: sql)
        }
    }

    /// Binds parameters 1…n, after resetting, to columns 0…n-1 of the row
    /// `source` is positioned on (any connection's), each in its own storage
    /// class, without converting them to Swift values: how a row is copied
    /// from one table to another.
    public func bindColumns(of source: Statement) throws(SQLiteError) {
        reset()
        for index in 0..<source.columnCount {
            let code = sqlite3_bind_value(handle, index + 1, sqlite3_column_value(source.handle, index))
            guard code == SQLITE_OK else {
                throw SQLiteError(code: ResultCode(rawValue: code), message: connection.lastErrorMessage, sql: sql)
            }
        }
    }

    /// Advances to the next row.
    ///
    /// - Returns: `true` when a row is available, `false` when the statement is done.
    /// - Throws: ``SQLiteError`` for any failure; the statement is reset.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            return false
        default:
            let error = SQLiteError(code: connection.lastExtendedCode, message: connection.lastErrorMessage, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// The number of columns in a result row.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// Whether column `index` (0-based) of the current row is NULL.
    public func isNull(at index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    /// Column `index` of the current row as an integer (NULL reads as 0).
    public func int64(at index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// Column `index` of the current row as an `Int` (NULL reads as 0).
    public func int(at index: Int32) -> Int { Int(sqlite3_column_int64(handle, index)) }

    /// Column `index` of the current row as text (NULL reads as the empty string).
    public func text(at index: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Calls `body` with column `index` of the current row as UTF-8 bytes,
    /// without copying them (NULL reads as no bytes). The bytes belong to
    /// SQLite and are valid only during the call.
    public func withUTF8<R>(at index: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let pointer = sqlite3_column_text(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return try body(UnsafeBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }

    /// Column `index` of the current row as text, or `nil` when NULL.
    public func optionalText(at index: Int32) -> String? { isNull(at: index) ? nil : text(at: index) }

    /// Column `index` of the current row as an integer, or `nil` when NULL.
    public func optionalInt64(at index: Int32) -> Int64? { isNull(at: index) ? nil : int64(at: index) }

    /// Column `index` of the current row as bytes (NULL reads as no bytes).
    public func blob(at index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Column `index` of the current row, in its own storage class.
    public func value(at index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: .integer(int64(at: index))
        case SQLITE_FLOAT: .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT: .text(text(at: index))
        case SQLITE_BLOB: .blob(blob(at: index))
        default: .null
        }
    }

    /// The name of column `index` of the result.
    public func columnName(at index: Int32) -> String { String(cString: sqlite3_column_name(handle, index)) }
}

@available(*, unavailable, message: "a statement belongs to the connection that prepared it")
extension Statement: Sendable {}
