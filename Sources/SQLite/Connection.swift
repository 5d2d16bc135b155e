import CSQLite
import Foundation

/// The SQLite destructor value that tells SQLite to copy bound bytes.
let sqliteTransient: sqlite3_destructor_type = csqlite_transient()

/// One open SQLite database connection.
///
/// A connection is not thread-safe and not `Sendable`: exactly one owner uses
/// it at a time (the event log keeps its writer behind a mutex and hands
/// readers out of a pool). Prepared statements are cached per connection and
/// reused, never re-prepared per call.
public final class Connection {
    /// How a connection is opened.
    public enum Mode: Sendable {
        /// Read and write; the file is created if it does not exist.
        case readWriteCreate
        /// Read and write; the file must exist.
        case readWrite
        /// Read only; the file must exist.
        case readOnly
    }

    let handle: OpaquePointer
    /// The path the connection was opened on.
    public let path: String
    private var cache: [String: Statement] = [:]
    /// The state of the busy handler (kept alive as long as the connection).
    private let lockWait: LockWait

    /// Opens a connection.
    ///
    /// - Parameters:
    ///   - path: A file path, or `":memory:"` for a private in-memory database.
    ///   - mode: Whether the file may be created or written.
    ///   - busyTimeout: How long a statement waits, in all, for another
    ///     connection's lock before failing with `SQLITE_BUSY`. While it waits
    ///     it sleeps in short, randomly jittered steps that grow from 1 ms to at
    ///     most 50 ms, so many processes waiting for one file do not wake in
    ///     step and one of them starve.
    /// - Throws: ``SQLiteError`` when the file cannot be opened.
    public init(path: String, mode: Mode = .readWriteCreate, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        var flags: Int32 = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: ResultCode(rawValue: code), message: "\(message) (\(path))")
        }
        self.handle = db
        self.path = path
        let (seconds, attoseconds) = busyTimeout.components
        lockWait = LockWait(limitMilliseconds: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        sqlite3_busy_handler(db, { context, attempt in
            guard let context else { return 0 }
            return Unmanaged<LockWait>.fromOpaque(context).takeUnretainedValue().shouldRetry(attempt: attempt) ? 1 : 0
        }, Unmanaged.passUnretained(lockWait).toOpaque())
    }

    deinit { close() }

    private var isClosed = false

    /// Closes the connection now rather than when it is released (later use
    /// fails). Closing the last connection to a WAL file checkpoints it into
    /// the main file and removes the `-wal`, unless that connection is
    /// read-only — so owners close their read-only connections first.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// SQLite's message for the most recent failure on this connection.
    public var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// The extended code of the most recent failure on this connection.
    var lastExtendedCode: ResultCode { ResultCode(rawValue: sqlite3_extended_errcode(handle)) }

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs one or more SQL statements that take no parameters and return no rows
    /// of interest (DDL, pragmas, transaction control).
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw SQLiteError(code: lastExtendedCode, message: message, sql: sql)
        }
    }

    /// Returns a prepared statement for `sql`, compiling it on first use and
    /// reusing it afterwards. The statement comes back reset, with no bindings.
    public func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(sql, on: self)
        cache[sql] = statement
        return statement
    }

    /// Compiles `sql` into a statement that is not cached.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(sql, on: self)
    }

    /// Runs one statement with `arguments` bound in order, ignoring any rows.
    public func run(_ sql: String, _ arguments: SQLiteValue...) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// Runs a query with `arguments` and returns the first column of its first
    /// row, or `nil` when there is no row.
    public func scalar(_ sql: String, _ arguments: SQLiteValue...) throws(SQLiteError) -> SQLiteValue? {
        let statement = try statement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.value(at: 0)
    }

    /// A database in a temporary file that SQLite deletes on close, without a
    /// journal or syncs: for work that is thrown away on failure (a rebuild's
    /// fold, a verify's expected tables).
    public static func scratch() throws(SQLiteError) -> Connection {
        let db = try Connection(path: "")
        try db.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
        return db
    }

    /// Whether the database has a table named `name`.
    public func hasTable(_ name: String) throws(SQLiteError) -> Bool {
        try scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", .text(name))?.int64 == 1
    }

    /// Copies as much of the WAL into the main file as no reader still needs,
    /// without waiting for any lock (`SQLITE_CHECKPOINT_PASSIVE`). Returns
    /// whether every frame was checkpointed.
    @discardableResult
    public func checkpointPassively() -> Bool {
        var frames: Int32 = 0, done: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &done)
        return code == SQLITE_OK && frames == done
    }

    /// The number of rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the most recent successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The version of the SQLite library in use, e.g. `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}

/// The busy handler's state: when the current wait for a lock began, and how
/// long any one wait may last.
private final class LockWait {
    let limitMilliseconds: Int64
    private var startedAt: ContinuousClock.Instant = .now
    private var generator = SystemRandomNumberGenerator()

    init(limitMilliseconds: Int64) { self.limitMilliseconds = limitMilliseconds }

    /// Called by SQLite each time a lock is busy (`attempt` counts from 0 for
    /// each new wait): sleeps a jittered, growing step and says whether to try
    /// again, until the wait has lasted `limitMilliseconds`.
    func shouldRetry(attempt: Int32) -> Bool {
        if attempt == 0 { startedAt = .now }
        let waited = ContinuousClock.now - startedAt
        let waitedMilliseconds = waited.components.seconds * 1000 + waited.components.attoseconds / 1_000_000_000_000_000
        guard waitedMilliseconds < limitMilliseconds else { return false }
        let ceiling: Int64 = min(50, Int64(1) << min(Int64(attempt), 6))
        let step = min(Int64.random(in: 1...ceiling, using: &generator), max(1, limitMilliseconds - waitedMilliseconds))
        usleep(useconds_t(step * 1000))
        return true
    }
}

@available(*, unavailable, message: "a connection belongs to one owner; share it through a mutex")
extension Connection: Sendable {}
