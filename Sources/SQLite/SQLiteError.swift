import CSQLite

/// A result code returned by SQLite: a primary code in the low byte, and
/// optionally extended bits above it.
///
/// A primary code matches every extended code built on it, so
/// `case ResultCode.constraint` also matches `SQLITE_CONSTRAINT_UNIQUE`.
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary code (the low 8 bits).
    public var primary: ResultCode { ResultCode(rawValue: rawValue & 0xFF) }

    public static let ok = ResultCode(rawValue: SQLITE_OK)
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    public static let readOnly = ResultCode(rawValue: SQLITE_READONLY)
    public static let ioError = ResultCode(rawValue: SQLITE_IOERR)
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    public static let cantOpen = ResultCode(rawValue: SQLITE_CANTOPEN)
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    public static let notADatabase = ResultCode(rawValue: SQLITE_NOTADB)
    public static let misuse = ResultCode(rawValue: SQLITE_MISUSE)
    public static let range = ResultCode(rawValue: SQLITE_RANGE)
    public static let row = ResultCode(rawValue: SQLITE_ROW)
    public static let done = ResultCode(rawValue: SQLITE_DONE)

    /// Matches `value` when it is equal, or when `pattern` is a primary code and
    /// `value` is one of its extended codes.
    public static func ~= (pattern: ResultCode, value: ResultCode) -> Bool {
        if pattern.rawValue == pattern.primary.rawValue {
            return pattern.rawValue == value.primary.rawValue
        }
        return pattern == value
    }

    public var description: String {
        "\(rawValue) (\(String(cString: sqlite3_errstr(rawValue))))"
    }
}

/// An error reported by SQLite, with the context needed to understand it.
public struct SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The extended result code (its ``ResultCode/primary`` is the primary code).
    public let code: ResultCode
    /// SQLite's own message for the failure.
    public let message: String
    /// The SQL being run, when the error comes from a statement.
    public let sql: String?

    public init(code: ResultCode, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code.
    public var primaryCode: ResultCode { code.primary }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " — while running: \(sql)" }
        return text
    }
}
