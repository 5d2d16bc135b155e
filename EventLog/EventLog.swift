import Foundation
import SQLite
import Synchronization

/// The append-only, hash-chained event log in one SQLite file.
///
/// The log knows nothing of mailboxes: it stores typed, versioned JSON events
/// in streams, assigns gapless global positions in commit order, links every
/// event to the previous one with SHA-256, and refuses UPDATE and DELETE with
/// triggers.
///
/// It is safe to share between tasks: the single writer connection sits
/// behind a mutex and every write runs in one `BEGIN IMMEDIATE` transaction;
/// reads use a separate connection (WAL lets them run while a write is in
/// progress) and read in bounded pages, each in its own short transaction.
/// Several processes may open the same file: SQLite's file lock serialises
/// their writes and the expected-version check inside the transaction turns a
/// lost race into a typed ``AppendError/wrongExpectedVersion(stream:expected:actual:)``.
///
/// ## Topics
/// - ``open(at:options:)``
/// - ``append(_:expecting:)``, ``withWriteTransaction(_:)``
/// - ``forEachEvent(from:through:pageSize:_:)``, ``forEachEvent(in:from:_:)``
/// - ``position(atOrBefore:)``, ``head()``, ``streamVersion(of:)``
/// - ``verify(from:expectingHead:progress:)``
public final class EventLog: Sendable {
    /// How the log is opened.
    public struct Options: Sendable {
        /// How hard a commit works to survive power loss.
        public enum Durability: Sendable {
            /// `synchronous=FULL`: a committed append survives power loss. The default.
            case full
            /// `synchronous=NORMAL`: faster; in WAL mode the last commits may be
            /// lost on power loss (never on a process crash). Only on request.
            case normal
        }

        /// Durability of commits; `.full` unless the caller asks otherwise.
        public var durability: Durability = .full
        /// How long a write waits for another connection's lock.
        public var busyTimeout: Duration = .seconds(5)
        /// Whether a missing file is created. An existing file is never re-created.
        public var createIfMissing = true
        /// The clock that stamps `recorded_at`. Injected so tests pin time.
        public var clock: @Sendable () -> Date = { Date() }
        /// Open for reading only: nothing is created, migrated or written (not
        /// even the journal mode), and every write fails. For verifying and
        /// exporting evidence, and for reading a file this binary may not
        /// fully understand.
        public var readOnly = false

        public init(durability: Durability = .full, busyTimeout: Duration = .seconds(5),
                    createIfMissing: Bool = true, readOnly: Bool = false, clock: @escaping @Sendable () -> Date = { Date() }) {
            self.durability = durability
            self.busyTimeout = busyTimeout
            self.createIfMissing = createIfMissing
            self.readOnly = readOnly
            self.clock = clock
        }
    }

    /// The path of the log file.
    public let path: String
    let options: Options
    let writer: Mutex<Connection>
    let reader: Mutex<Connection>

    private init(path: String, options: Options, writer: consuming sending Connection, reader: consuming sending Connection) {
        self.path = path
        self.options = options
        self.writer = Mutex(writer)
        self.reader = Mutex(reader)
    }

    /// Opens the log at `path`, creating it when no file exists there.
    ///
    /// An existing file must already be a SyncLedger log: an empty file, a file
    /// that is not SQLite, an SQLite database of another application, or a log
    /// written by a newer SyncLedger is refused with a typed error and left
    /// untouched.
    ///
    /// - Throws: ``OpenError``.
    public static func open(at path: String, options: Options = Options()) throws(OpenError) -> EventLog {
        let existed = FileManager.default.fileExists(atPath: path)
        if !existed && (!options.createIfMissing || options.readOnly) { throw .missing(path: path) }
        if existed {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size == 0 { throw .notAnEventLog(path: path, reason: "the file is empty") }
        }
        if options.readOnly { return try openReadOnly(at: path, options: options) }
        do {
            let writer = try Connection(path: path, mode: existed ? .readWrite : .readWriteCreate, busyTimeout: options.busyTimeout)
            try claimOrCheck(writer, path: path, created: !existed)
            try configure(writer, options: options)
            do {
                try migrator.migrate(writer)
            } catch let error as Migrator.UnknownMigrations {
                throw OpenError.newerSchema(path: path, unknownMigrations: error.identifiers)
            }
            let reader = try Connection(path: path, mode: .readOnly, busyTimeout: options.busyTimeout)
            try reader.execute("PRAGMA query_only = ON")
            return EventLog(path: path, options: options, writer: writer, reader: reader)
        } catch let error as OpenError {
            throw error
        } catch let error as SQLiteError {
            if error.primaryCode == .notADatabase {
                throw .notAnEventLog(path: path, reason: "not an SQLite database")
            }
            throw .storage(error)
        } catch {
            throw .storage(SQLiteError(code: .error, message: "\(error)"))
        }
    }

    /// Opens an existing log with two read-only connections: checks that it
    /// is a SyncLedger log whose schema this code knows, and writes nothing.
    private static func openReadOnly(at path: String, options: Options) throws(OpenError) -> EventLog {
        do {
            func connection() throws -> Connection {
                let db = try Connection(path: path, mode: .readOnly, busyTimeout: options.busyTimeout)
                try db.execute("PRAGMA query_only = ON")
                return db
            }
            let first = try connection()
            let id = try first.scalar("PRAGMA application_id")?.int64 ?? 0
            guard id == applicationID else {
                throw OpenError.notAnEventLog(path: path, reason: id == 0 ? "an SQLite database without the SyncLedger application id"
                                                                          : "an SQLite database of another application (application_id \(id))")
            }
            let applied = try migrator.appliedIdentifiers(in: first)
            let unknown = applied.filter { !migrator.identifiers.contains($0) }
            if !unknown.isEmpty { throw OpenError.newerSchema(path: path, unknownMigrations: unknown) }
            if applied.count < migrator.identifiers.count {
                throw OpenError.olderSchema(path: path)
            }
            return EventLog(path: path, options: options, writer: first, reader: try connection())
        } catch let error as OpenError {
            throw error
        } catch let error as SQLiteError {
            if error.primaryCode == .notADatabase { throw .notAnEventLog(path: path, reason: "not an SQLite database") }
            throw .storage(error)
        } catch {
            throw .storage(SQLiteError(code: .error, message: "\(error)"))
        }
    }

    /// Marks a newly created file as a SyncLedger log, or checks that an
    /// existing file is one, before anything else writes to it.
    private static func claimOrCheck(_ db: Connection, path: String, created: Bool) throws {
        // Reading the header fails with SQLITE_NOTADB on a file that is not SQLite.
        let id = try db.scalar("PRAGMA application_id")?.int64 ?? 0
        if id == applicationID {
            // Ours. Refuse a newer schema before touching anything (not even the journal mode).
            let applied = try migrator.appliedIdentifiers(in: db)
            let unknown = applied.filter { !migrator.identifiers.contains($0) }
            if !unknown.isEmpty { throw OpenError.newerSchema(path: path, unknownMigrations: unknown) }
            return
        }
        guard created else {
            let reason = id == 0 ? "an SQLite database without the SyncLedger application id"
                                 : "an SQLite database of another application (application_id \(id))"
            throw OpenError.notAnEventLog(path: path, reason: reason)
        }
        // We created the file; another process may have raced us to it.
        try db.writeTransaction {
            let current = try db.scalar("PRAGMA application_id")?.int64 ?? 0
            let objects = try db.scalar("SELECT count(*) FROM sqlite_master")?.int64 ?? 0
            if current == applicationID { return }
            guard current == 0, objects == 0 else {
                throw OpenError.notAnEventLog(path: path, reason: "the file was filled by another program while being created")
            }
            try db.execute("PRAGMA application_id = \(applicationID)")
        }
    }

    private static func configure(_ db: Connection, options: Options) throws {
        let mode = try db.scalar("PRAGMA journal_mode = WAL")?.string
        guard mode?.lowercased() == "wal" else {
            throw SQLiteError(code: .error, message: "could not switch the log to WAL mode (got \(mode ?? "nothing"))")
        }
        switch options.durability {
        case .full: try db.execute("PRAGMA synchronous = FULL")
        case .normal: try db.execute("PRAGMA synchronous = NORMAL")
        }
        try db.execute("PRAGMA foreign_keys = ON")
    }

    /// The `synchronous` setting in force on the writer (2 = FULL, 1 = NORMAL).
    public var synchronousSetting: Int64 {
        get throws { try writer.withLock { db in try db.scalar("PRAGMA synchronous")?.int64 ?? -1 } }
    }

    /// The journal mode in force (always `wal`).
    public var journalMode: String {
        get throws { try writer.withLock { db in try db.scalar("PRAGMA journal_mode")?.string ?? "" } }
    }
}
