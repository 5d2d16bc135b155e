import EventLog
import Foundation
import SQLite

/// A rebuild whose every transaction on the ledger is small, so the WAL and
/// the memory stay bounded however long the log is, and readers and writers
/// carry on meanwhile (``ProjectionRunner/rebuild(_:in:through:events:progress:)``
/// instead does everything in the caller's one transaction).
///
/// It runs in four steps, each called by the owner of the ledger's
/// transactions:
///
/// 1. ``fold(through:events:progress:)`` folds the log into a scratch
///    database (a temporary file that SQLite deletes on close, without a
///    journal), with a runner of its own. The ledger is only read, a page of
///    events per short read transaction.
/// 2. ``createShadows(in:)`` (one write transaction) creates an empty copy of
///    each target table under a name of this rebuild's own
///    (`TABLE__rebuild_XXXXXXXX`), with its indexes.
/// 3. ``copy(into:rows:)`` (one write transaction per call) copies the scratch
///    rows into those tables, a bounded number per call. Commands committed
///    meanwhile update the old tables as usual; readers see the old tables.
/// 4. ``swap(in:runner:through:events:)`` (one write transaction) drops the
///    old tables, gives the new ones their names, and applies the events
///    appended since the fold, so the result equals a rebuild at the head.
///
/// A failure before the swap leaves the old tables in force;
/// ``dropShadows(in:)`` removes what the rebuild had created. A crash leaves
/// at most some shadow tables, which the next rebuild drops. Indexes keep the
/// name they were created under (SQLite cannot rename an index), so after a
/// rebuild an index is named `INDEX__rebuild_XXXXXXXX`; nothing refers to
/// index names.
public final class ShadowRebuild {
    /// Rows per copy transaction when the caller does not say. The WAL then
    /// stays under about 30 MiB while the rows are copied.
    public static let defaultCopyChunk = 10_000

    /// The projections whose tables are replaced.
    public let targets: [any Projection]
    /// The position the scratch fold reached.
    public private(set) var foldedThrough: Position = .origin
    /// The rows ``copy(into:rows:)`` has copied so far.
    public private(set) var rowsCopied = 0

    let suffix: String
    let scratch: Connection
    let folder = ProjectionRunner()
    let tables: [String]
    var copyIndex = 0
    var reading: Statement?

    /// The bytes of current rows the fold holds in memory at most (``ProjectionStore``).
    public let memoryBudget: Int

    /// - Parameters:
    ///   - targets: From ``ProjectionRunner/rebuildTargets(_:in:)``.
    ///   - memoryBudget: The bytes of current rows the fold may hold in memory.
    public init(targets: [any Projection], memoryBudget: Int = ProjectionStore.defaultMemoryBudget) throws {
        self.targets = targets
        self.memoryBudget = memoryBudget
        self.tables = targets.flatMap(\.tables)
        self.suffix = "__rebuild_" + String(format: "%08x", UInt32.random(in: .min ... .max))
        scratch = try Connection.scratch()
        // A larger page cache (16 MiB) was measured: no faster, 15 MiB more memory.
        try scratch.execute("PRAGMA temp_store = FILE")
    }

    deinit {
        reading = nil
        scratch.close()
    }

    /// The name `table` has until the swap.
    public func shadowName(of table: String) -> String { table + suffix }

    // MARK: 1. Fold

    /// Folds the events through `head` into the scratch database (the
    /// targets, and the projections they read while applying).
    ///
    /// - Parameter events: Should read the ledger a page per short read
    ///   transaction, so no snapshot is held across the fold.
    /// - Returns: The events read.
    @discardableResult
    public func fold(through head: Position, events: EventSource, progress: ((Position, Position) -> Void)? = nil) throws -> Int64 {
        let count = try scratch.writeTransaction {
            try folder.rebuild(Set(targets.map(\.name)), in: scratch, through: head, events: events, memoryBudget: memoryBudget, progress: progress)
        }
        foldedThrough = head
        return count
    }

    // MARK: 2. Shadow tables

    /// Drops shadow tables a rebuild left behind, then creates this rebuild's
    /// empty shadow tables and their indexes on `db`, with the scratch
    /// tables' definitions.
    public func createShadows(in db: Connection) throws {
        for leftover in try Self.shadowTables(in: db) { try db.execute("DROP TABLE \"\(leftover)\"") }
        for table in tables {
            guard let definition = try scratch.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", .text(table))?.string,
                  definition.hasPrefix("CREATE TABLE \(table) ") else {
                throw ShadowRebuildError.unexpectedDefinition(table)
            }
            try db.execute("CREATE TABLE \"\(shadowName(of: table))\" " + definition.dropFirst("CREATE TABLE \(table) ".count))
            for (name, sql) in try ProjectionRunner.secondaryIndexes(of: [table], in: scratch) {
                let head = "CREATE INDEX \(name) ON \(table)("
                guard sql.hasPrefix(head) else { throw ShadowRebuildError.unexpectedDefinition(name) }
                try db.execute("CREATE INDEX \"\(name + suffix)\" ON \"\(shadowName(of: table))\"(" + sql.dropFirst(head.count))
            }
        }
    }

    /// Every shadow table on `db`, of any rebuild.
    static func shadowTables(in db: Connection) throws -> [String] {
        let statement = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB '*__rebuild_*' ORDER BY name")
        var names: [String] = []
        while try statement.step() { names.append(statement.text(at: 0)) }
        return names
    }

    /// Drops this rebuild's shadow tables (after a failure).
    public func dropShadows(in db: Connection) throws {
        for table in tables { try db.execute("DROP TABLE IF EXISTS \"\(shadowName(of: table))\"") }
    }

    // MARK: 3. Copy

    /// The rows the copy step moves in all: every row of the scratch tables.
    public func rowsToCopy() throws -> Int {
        try tables.reduce(0) { sum, table in
            sum + Int(try scratch.scalar("SELECT count(*) FROM \"\(table)\"")?.int64 ?? 0)
        }
    }

    /// Copies at most `limit` scratch rows into the shadow tables on `db`,
    /// continuing where the last call stopped, in each table's storage order.
    ///
    /// - Returns: Whether every row has been copied.
    public func copy(into db: Connection, rows limit: Int) throws -> Bool {
        var copied = 0
        while copyIndex < tables.count {
            let table = tables[copyIndex]
            if reading == nil { reading = try scratch.prepare("SELECT * FROM \"\(table)\"") }
            guard let reading else { break }
            let marks = Array(repeating: "?", count: Int(reading.columnCount)).joined(separator: ", ")
            let insert = try db.statement("INSERT INTO \"\(shadowName(of: table))\" VALUES (\(marks))")
            while copied < limit, try reading.step() {
                try insert.bindColumns(of: reading)
                try insert.step()
                copied += 1
                rowsCopied += 1
            }
            insert.reset()
            if copied >= limit { return false }
            self.reading = nil
            copyIndex += 1
        }
        return true
    }

    // MARK: 4. Swap

    /// Puts the shadow tables in place of the targets' tables on `db`, then
    /// brings the targets from the fold's position to `head` with `runner`
    /// (the events committed while the rebuild ran).
    ///
    /// - Throws: ``ShadowRebuildError/shadowMissing(_:)`` when a shadow table
    ///   is gone (another rebuild dropped it): nothing is swapped.
    public func swap(in db: Connection, runner: ProjectionRunner, through head: Position, events: EventSource) throws {
        precondition(copyIndex == tables.count, "swap before every row was copied")
        for table in tables where try !db.hasTable(shadowName(of: table)) { throw ShadowRebuildError.shadowMissing(table) }
        // Debian's SQLite zeroes every freed page (SECURE_DELETE); dropping the old
        // tables would then write all of them into the WAL in this one transaction
        // (414 MiB at 100,000 events). They hold nothing the log does not, so their
        // pages are freed without being overwritten.
        let secureDelete = try db.scalar("PRAGMA secure_delete")?.int64 ?? 0
        try db.execute("PRAGMA secure_delete = FAST")
        defer { try? db.execute("PRAGMA secure_delete = \(secureDelete)") }
        for projection in targets {
            try projection.dropTables(in: db)
            for table in projection.tables {
                try db.execute("ALTER TABLE \"\(shadowName(of: table))\" RENAME TO \"\(table)\"")
            }
            try runner.setCheckpoint(projection, position: foldedThrough.rawValue, in: db)
        }
        runner.reset()
        try runner.catchUp(in: db, through: head, events: events)
    }
}

/// Why a bounded rebuild stopped. The stored read models are then unchanged.
public enum ShadowRebuildError: Error, CustomStringConvertible {
    /// A table or index definition this code does not know how to copy.
    case unexpectedDefinition(String)
    /// The shadow copy of a table vanished before the swap.
    case shadowMissing(String)

    public var description: String {
        switch self {
        case .unexpectedDefinition(let name): "the definition of \(name) is not one a rebuild can copy"
        case .shadowMissing(let table): "the rebuilt copy of \(table) vanished before it was put in place (did another rebuild run at the same time?)"
        }
    }
}
