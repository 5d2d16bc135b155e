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
        /// How long a statement waits, in all, for another connection's lock
        /// (in jittered steps) before failing with `SQLITE_BUSY`.
        public var busyTimeout: Duration = .seconds(30)
        /// Whether a missing file is created. An existing file is never re-created.
        public var createIfMissing = true
        /// The clock that stamps `recorded_at`. Injected so tests pin time.
        public var clock: @Sendable () -> Date = { Date() }
        /// Open for reading only: nothing is created, migrated or written (not
        /// even the journal mode), and every write fails. For verifying and
        /// exporting evidence, and for reading a file this binary may not
        /// fully understand.
        public var readOnly = false
        /// Create a missing file as a simulation ledger (recorded in the file,
        /// once, at creation). Ignored when the file exists.
        public var simulation = false

        public init(durability: Durability = .full, busyTimeout: Duration = .seconds(30),
                    createIfMissing: Bool = true, readOnly: Bool = false, simulation: Bool = false,
                    clock: @escaping @Sendable () -> Date = { Date() }) {
            self.durability = durability
            self.busyTimeout = busyTimeout
            self.createIfMissing = createIfMissing
            self.readOnly = readOnly
            self.simulation = simulation
            self.clock = clock
        }
    }

    /// The path of the log file.
    public let path: String
    /// Whether the file was created as a simulation ledger (for training and
    /// tests): the only kind on which decision times may be pinned.
    public let isSimulation: Bool
    let options: Options
    let writer: Mutex<Connection>
    let reader: Mutex<Connection>
    /// A second read-only connection, so two threads (the server's requests)
    /// read at once; ``read(_:)`` takes whichever is free.
    let secondReader: Mutex<Connection>
    /// Drains concurrent write requests into shared transactions.
    let committer = GroupCommitter()

    private init(path: String, options: Options, isSimulation: Bool, writer: consuming sending Connection, reader: consuming sending Connection,
                 secondReader: consuming sending Connection) {
        self.path = path
        self.isSimulation = isSimulation
        self.options = options
        self.writer = Mutex(writer)
        self.reader = Mutex(reader)
        self.secondReader = Mutex(secondReader)
    }

    /// Closes the reader, then moves what the WAL holds into the main file when the log is released,
    /// so the main file alone is a complete copy of every committed event (a
    /// plain `cp` of it is not an empty ledger). Passive: it never waits for
    /// another process's reader, and a failure changes nothing (the WAL stays
    /// valid and SQLite replays it on the next open).
    deinit {
        // The read-only connection closes first, so the writer is the last
        // connection of this process and its close may remove the -wal.
        reader.withLock { db in db.close() }
        secondReader.withLock { db in db.close() }
        guard !options.readOnly else { return }
        writer.withLock { db in db.checkpointPassively() }
    }

    /// Opens the log at `path`, creating it when no file exists there.
    ///
    /// A new log is created atomically: it is built and initialised under a
    /// temporary name in the same folder (application id, WAL mode, schema),
    /// closed, and only then linked to `path` — so a crash at any moment
    /// leaves either no file at `path` or a complete, empty log, never a
    /// half-made file that every later command would refuse. When two
    /// processes create the same path at once, one link wins and the other
    /// opens the winner's file. A crash may leave a `.<name>.creating-<uuid>`
    /// file behind; it is never opened and can be deleted.
    ///
    /// An existing file must already be a SyncLedger log: an empty file, a file
    /// that is not SQLite, an SQLite database of another application, a file
    /// with the application id but no log tables (e.g. the main file copied
    /// without its `-wal`), or a log written by a newer SyncLedger is refused
    /// with a typed error and left untouched.
    ///
    /// - Throws: ``OpenError``.
    public static func open(at path: String, options: Options = Options()) throws(OpenError) -> EventLog {
        guard !path.isEmpty else { throw .notAnEventLog(path: "''", reason: "the path is empty") }
        var existed = FileManager.default.fileExists(atPath: path)
        if !existed && (!options.createIfMissing || options.readOnly) { throw .missing(path: path) }
        if !existed {
            try create(at: path, options: options)
            existed = true
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .notAnEventLog(path: path, reason: "it is a directory")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { throw .notAnEventLog(path: path, reason: "the file is empty") }
        if options.readOnly { return try openReadOnly(at: path, options: options) }
        do {
            let writer = try Connection(path: path, mode: .readWrite, busyTimeout: options.busyTimeout)
            try check(writer, path: path)
            try configure(writer, options: options)
            do {
                try migrator.migrate(writer)
            } catch let error as Migrator.UnknownMigrations {
                throw OpenError.newerSchema(path: path, unknownMigrations: error.identifiers)
            }
            let reader = try Connection(path: path, mode: .readOnly, busyTimeout: options.busyTimeout)
            try configureReader(reader)
            let secondReader = try Connection(path: path, mode: .readOnly, busyTimeout: options.busyTimeout)
            try configureReader(secondReader)
            let simulation = try isSimulation(reader)
            return EventLog(path: path, options: options, isSimulation: simulation, writer: writer, reader: reader, secondReader: secondReader)
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

    /// Builds a new, empty log under a temporary name beside `path` and links
    /// it into place; if another process linked its own first, keeps theirs.
    private static func create(at path: String, options: Options) throws(OpenError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).creating-\(UUID().lowercasedText)").path
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
        }
        do {
            do {
                let db = try Connection(path: temporary, mode: .readWriteCreate, busyTimeout: options.busyTimeout)
                try db.execute("PRAGMA application_id = \(applicationID)")
                try configure(db, options: options)
                try migrator.migrate(db)
                if options.simulation { try db.execute("INSERT INTO ledger_mode(mode) VALUES ('simulation')") }
                // Closing the only connection checkpoints the WAL into the file.
            }
            syncToDisk(temporary)
            if link(temporary, path) != 0 {
                let error = errno
                if error == EEXIST { return }  // another process created it first: open theirs
                if error == EPERM || error == ENOTSUP || error == EXDEV {
                    // A file system without hard links: rename, unless the path appeared meanwhile.
                    guard !FileManager.default.fileExists(atPath: path) else { return }
                    guard rename(temporary, path) == 0 else { throw SQLiteError(code: .cantOpen, message: "cannot create \(path): \(String(cString: strerror(errno)))") }
                } else {
                    throw SQLiteError(code: .cantOpen, message: "cannot create \(path): \(String(cString: strerror(error)))")
                }
            }
            syncToDisk(folder.isEmpty ? "." : folder)
        } catch let error as OpenError {
            throw error
        } catch let error as SQLiteError {
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
                try configureReader(db)
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
            if applied.isEmpty { throw OpenError.noLogTables(path: path) }
            if applied.count < migrator.identifiers.count {
                throw OpenError.olderSchema(path: path)
            }
            let simulation = try isSimulation(first)
            return EventLog(path: path, options: options, isSimulation: simulation, writer: first, reader: try connection(),
                            secondReader: try connection())
        } catch let error as OpenError {
            throw error
        } catch let error as SQLiteError {
            if error.primaryCode == .notADatabase { throw .notAnEventLog(path: path, reason: "not an SQLite database") }
            throw .storage(error)
        } catch {
            throw .storage(SQLiteError(code: .error, message: "\(error)"))
        }
    }

    /// Checks that an existing file is a SyncLedger log whose schema this code
    /// knows, before anything else writes to it (not even the journal mode).
    private static func check(_ db: Connection, path: String) throws {
        // Reading the header fails with SQLITE_NOTADB on a file that is not SQLite.
        let id = try db.scalar("PRAGMA application_id")?.int64 ?? 0
        guard id == applicationID else {
            let reason = id == 0 ? "an SQLite database without the SyncLedger application id"
                                 : "an SQLite database of another application (application_id \(id))"
            throw OpenError.notAnEventLog(path: path, reason: reason)
        }
        let applied = try migrator.appliedIdentifiers(in: db)
        let unknown = applied.filter { !migrator.identifiers.contains($0) }
        if !unknown.isEmpty { throw OpenError.newerSchema(path: path, unknownMigrations: unknown) }
        if applied.isEmpty { throw OpenError.noLogTables(path: path) }
    }

    /// Whether the file records that it was created as a simulation ledger.
    private static func isSimulation(_ db: Connection) throws -> Bool {
        try db.scalar("SELECT count(*) FROM ledger_mode WHERE mode = 'simulation'")?.int64 == 1
    }

    /// The reader: query-only, with the file memory-mapped (up to SQLite's
    /// limit), so the history pages that as-of reads seek through are read in
    /// place instead of being copied in by a `pread` per page. (A larger page
    /// cache was measured too and made the whole grid as of a position
    /// slower: 65 → 93 ms at a million events.)
    private static func configureReader(_ db: Connection) throws {
        try db.execute("PRAGMA query_only = ON; PRAGMA mmap_size = 2147418112")
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
        // Every append runs in a savepoint (and a group-committed request in another): their journals
        // hold the pages each one touches, and kept in memory they cost a copy instead of a file write.
        try db.execute("PRAGMA temp_store = MEMORY")
        // After a checkpoint the WAL is reused from its start but keeps its size; a
        // large transaction (a rebuild in one piece, a big import) would leave a
        // file of gigabytes behind. Cut it back to this size when it is reset.
        try db.execute("PRAGMA journal_size_limit = \(walSizeLimit)")
    }

    /// The size the WAL file is cut back to after a checkpoint resets it: 64 MiB.
    public static let walSizeLimit = 64 << 20

    /// Copies as much of the WAL into the main file as no reader still needs,
    /// without waiting for a lock (a passive checkpoint, on the writer).
    ///
    /// - Returns: Whether the whole WAL was copied (then the next write starts
    ///   it over, and cuts the file back to ``walSizeLimit``).
    @discardableResult
    public func checkpointWAL() -> Bool {
        guard !options.readOnly else { return false }
        return writer.withLock { db in db.checkpointPassively() }
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

/// Flushes a file or folder to stable storage (best effort).
func syncToDisk(_ path: String) {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
