import EventLog
import Foundation
import ServerSideSync
import SQLite

/// Where a stored projection stands.
public struct ProjectionStatus: Hashable, Sendable, Codable {
    public var name: String
    /// The version this code folds.
    public var schemaVersion: Int
    /// The version stored in the file, `nil` when never built.
    public var storedVersion: Int?
    /// The last position applied.
    public var checkpoint: Int64
    /// The projection's tables (each versioned table is followed by its history).
    public var tables: [String]
}

/// Calls its last argument with every event after the first position through
/// the second, in order: how the runner reads the log without knowing which
/// connection or transaction the caller reads it in.
public typealias EventSource = (_ after: Position, _ through: Position, _ body: (RecordedEvent) throws -> Void) throws -> Void

/// The first difference between the stored read models and a fresh fold of
/// the log (`log verify --projections`).
public struct ProjectionMismatch: Hashable, Sendable, Codable, CustomStringConvertible {
    public var table: String
    /// The row's primary key, `column=value` pairs; empty for table-level problems.
    public var key: String
    /// What differs, in words.
    public var problem: String

    public init(table: String, key: String, problem: String) {
        self.table = table
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(table)\(key.isEmpty ? "" : " [\(key)]"): \(problem)" }
}

/// Runs projections: inline in an append's transaction, catching up, and
/// rebuilding from position 1; it also keeps their checkpoints.
///
/// Checkpoints live in `projection_checkpoints(name, schema_version,
/// position)` and move in the same transaction as the rows. Projections run
/// in the order of ``projections``: the decision state first, since the audit
/// trail reads its history (and the grid's) to show before → after values.
public struct ProjectionRunner: Sendable {
    public let projections: [any Projection]
    /// The decision state (also in ``projections``), which the facade asks
    /// for the state a command is decided on.
    public let decisionState: DecisionStateProjection

    /// The standard projections, with a decision state of their own (its
    /// in-memory state belongs to this runner alone).
    public init() {
        let decisionState = DecisionStateProjection()
        self.decisionState = decisionState
        self.projections = [decisionState, MailboxStatusProjection(), AlertsProjection(), AuditTrailProjection(), CommandsProjection()]
    }

    /// The projection named `name`.
    public func projection(named name: String) -> (any Projection)? { projections.first { $0.name == name } }

    static let migrator: Migrator = {
        var migrator = Migrator(table: "projection_migrations")
        // Files made before history tables also got a snapshots table and the
        // first decision-state table here; the next migration and the
        // projections' version bump replace them.
        migrator.register("1-checkpoints-and-snapshots") { db in
            try db.execute("""
                CREATE TABLE projection_checkpoints (
                  name           TEXT PRIMARY KEY,
                  schema_version INTEGER NOT NULL,
                  position       INTEGER NOT NULL
                ) STRICT;
                """)
        }
        migrator.register("2-history-tables-replace-snapshots") { db in
            try db.execute("DROP TABLE IF EXISTS projection_snapshots")
        }
        return migrator
    }()

    /// Creates the runner's own tables when missing.
    public func prepare(_ db: Connection) throws { try Self.migrator.migrate(db) }

    /// Whether the runner's own tables are as this code makes them (a read-only check).
    func isPrepared(_ db: Connection) throws -> Bool { try Self.migrator.appliedIdentifiers(in: db) == Self.migrator.identifiers }

    /// Forgets every projection's in-memory state (after a rollback).
    public func reset() { for projection in projections { projection.reset() } }

    // MARK: Checkpoints

    func storedVersion(of name: String, in db: Connection) throws -> (version: Int, position: Int64)? {
        let statement = try db.statement("SELECT schema_version, position FROM projection_checkpoints WHERE name = ?")
        try statement.bind([.text(name)])
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return (statement.int(at: 0), statement.int64(at: 1))
    }

    func setCheckpoint(_ projection: any Projection, position: Int64, in db: Connection) throws {
        try db.run("""
            INSERT INTO projection_checkpoints(name, schema_version, position) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET schema_version = excluded.schema_version, position = excluded.position
            """, .text(projection.name), .int(projection.schemaVersion), .integer(position))
    }

    /// Whether any projection's checkpoint is behind `head` (a cheap check
    /// made before every command: another writer may have appended without
    /// projecting).
    public func isBehind(_ head: Position, in db: Connection) throws -> Bool {
        let statement = try db.statement("SELECT count(*), min(position) FROM projection_checkpoints")
        defer { statement.reset() }
        guard try statement.step() else { return true }
        return statement.int(at: 0) < projections.count || statement.int64(at: 1) < head.rawValue
    }

    /// The status of every projection.
    public func status(in db: Connection) throws -> [ProjectionStatus] {
        try projections.map { projection in
            let stored = try storedVersion(of: projection.name, in: db)
            return ProjectionStatus(name: projection.name, schemaVersion: projection.schemaVersion, storedVersion: stored?.version,
                                    checkpoint: stored?.position ?? 0, tables: projection.tables)
        }
    }

    // MARK: Inline

    /// Applies freshly appended events to every projection, in the append's
    /// transaction, and moves every checkpoint with one statement (inline
    /// projections are all at the head before a command: ``catchUp(in:through:events:progress:)``).
    public func applyInline(_ events: [ProjectedEvent], in db: Connection) throws {
        guard let last = events.last?.position else { return }
        let store = ProjectionStore(db)
        for projection in projections {
            for event in events where projection.handles(type: event.recorded.type) {
                try projection.apply(event, in: store)
            }
        }
        try db.run("UPDATE projection_checkpoints SET position = ?", .integer(last))
    }

    // MARK: Rebuild and catch-up

    /// Rebuilds `names` (every projection when `nil`) on `db` from position
    /// 1 through `head`: drops and re-creates their tables, folds the log, and
    /// writes their checkpoints. A projection whose dependencies are stale
    /// brings them along. Runs inside the caller's transaction.
    ///
    /// The targets' versioned tables are folded in memory, up to
    /// `memoryBudget` bytes of rows, and written once at the end
    /// (``ProjectionStore/buffering(_:in:memoryBudget:)``).
    ///
    /// - Returns: The events read.
    @discardableResult
    public func rebuild(_ names: Set<String>? = nil, in db: Connection, through head: Position, events: EventSource,
                        memoryBudget: Int = ProjectionStore.defaultMemoryBudget,
                        progress: ((Position, Position) -> Void)? = nil) throws -> Int64 {
        try prepare(db)
        let targets = try rebuildTargets(names, in: db)
        for projection in targets {
            projection.reset()
            try projection.dropTables(in: db)
            try projection.createTables(in: db)
        }
        // No fold reads a secondary index (only the audit trail has any): each
        // is built once at the end, from sorted keys, rather than row by row.
        let indexes = try Self.secondaryIndexes(of: targets.flatMap(\.tables), in: db)
        for (name, _) in indexes { try db.execute("DROP INDEX \"\(name)\"") }
        let store = try ProjectionStore.buffering(targets.flatMap(\.versionedTables), in: db, memoryBudget: memoryBudget)
        let count: Int64
        do {
            count = try fold(targets, in: store, after: .origin, through: head, events: events, progress: progress)
            try store.flush()
        } catch {
            store.discard()
            throw error
        }
        for (_, sql) in indexes { try db.execute(sql) }
        for projection in targets { try setCheckpoint(projection, position: head.rawValue, in: db) }
        return count
    }

    /// The indexes `tables` have beyond their primary keys: (name, SQL).
    static func secondaryIndexes(of tables: [String], in db: Connection) throws -> [(name: String, sql: String)] {
        let statement = try db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name")
        var indexes: [(String, String)] = []
        for table in tables {
            try statement.bind([.text(table)])
            while try statement.step() { indexes.append((statement.text(at: 0), statement.text(at: 1))) }
        }
        return indexes
    }

    /// The projections a rebuild of `names` (every projection when `nil`)
    /// replaces on `db`: those named, and the dependencies of those that are
    /// stale there (or all their dependencies when the runner's tables are
    /// missing). Only reads.
    public func rebuildTargets(_ names: Set<String>?, in db: Connection) throws -> [any Projection] {
        var wanted = names ?? Set(projections.map(\.name))
        let prepared = try isPrepared(db)
        for projection in projections where wanted.contains(projection.name) {
            for dependency in projection.dependencies where try !prepared || isStale(dependency, in: db) { wanted.insert(dependency) }
        }
        return projections.filter { wanted.contains($0.name) }
    }

    /// Applies the events after `start` through `end` to `targets`, in
    /// position order, each event to every target that handles it.
    func fold(_ targets: [any Projection], in store: ProjectionStore, after start: Position, through end: Position, events: EventSource,
              progress: ((Position, Position) -> Void)?) throws -> Int64 {
        var count: Int64 = 0
        try events(start, end) { recorded in
            let wanted = targets.filter { $0.handles(type: recorded.type) }
            if wanted.count == 1 {
                try wanted[0].apply(try wanted[0].decode(recorded), in: store)
            } else if !wanted.isEmpty {
                let event = try ProjectedEvent(recorded, withMetadata: true)
                for projection in wanted { try projection.apply(event, in: store) }
            }
            count += 1
            if count % 10_000 == 0 { progress?(recorded.position, end) }
        }
        progress?(end, end)
        return count
    }

    func isStale(_ name: String, in db: Connection) throws -> Bool {
        guard let projection = projection(named: name) else { return false }
        let stored = try storedVersion(of: name, in: db)
        return try stored?.version != projection.schemaVersion || !projection.tablesExist(in: db)
    }

    /// The names that must be rebuilt before use: tables missing, or stored
    /// by another schema version (or never built).
    public func stale(in db: Connection) throws -> Set<String> {
        guard try isPrepared(db) else { return Set(projections.map(\.name)) }
        return Set(try projections.map(\.name).filter { try isStale($0, in: db) })
    }

    /// Brings every projection up to `head` on `db`, inside the caller's
    /// transaction: stale ones are rebuilt, the others apply the events after
    /// their checkpoints, in one pass in position order.
    public func catchUp(in db: Connection, through head: Position, events: EventSource,
                        progress: ((Position, Position) -> Void)? = nil) throws {
        try prepare(db)
        let stale = try stale(in: db)
        if !stale.isEmpty { try rebuild(stale, in: db, through: head, events: events, progress: progress) }
        var behind: [(projection: any Projection, from: Int64)] = []
        for projection in projections where !stale.contains(projection.name) {
            let from = try storedVersion(of: projection.name, in: db)?.position ?? 0
            if from < head.rawValue { behind.append((projection, from)) }
        }
        guard let start = behind.map(\.from).min() else { return }
        for (projection, _) in behind { projection.reset() }
        let store = ProjectionStore(db)
        try events(Position(start), head) { recorded in
            let wanted = behind.filter { $0.from < recorded.position.rawValue && $0.projection.handles(type: recorded.type) }
            guard !wanted.isEmpty else { return }
            let event = try ProjectedEvent(recorded, withMetadata: true)
            for (projection, _) in wanted { try projection.apply(event, in: store) }
        }
        for (projection, _) in behind { try setCheckpoint(projection, position: head.rawValue, in: db) }
    }

    // MARK: Checking stored read models against the log

    /// Compares every table, row by row in primary-key order, with the fold
    /// in `expected`, which must have reached `head`. Only reads `stored`.
    ///
    /// - Returns: The first difference (by projection, then table, then key),
    ///   or `nil` when every stored table equals the fold.
    public func compareStored(_ stored: Connection, head: Position, expected: ExpectedProjections) throws -> ProjectionMismatch? {
        precondition(expected.through == head, "the expected tables are at #\(expected.through.rawValue), not #\(head.rawValue)")
        for projection in projections {
            guard let checkpoint = try? storedVersion(of: projection.name, in: stored) else {
                return ProjectionMismatch(table: "projection_checkpoints", key: "name=\(projection.name)", problem: "no checkpoint is stored")
            }
            if checkpoint.version != projection.schemaVersion {
                return ProjectionMismatch(table: "projection_checkpoints", key: "name=\(projection.name)",
                                          problem: "stored by schema version \(checkpoint.version); this binary folds version \(projection.schemaVersion)")
            }
            if checkpoint.position != head.rawValue {
                return ProjectionMismatch(table: "projection_checkpoints", key: "name=\(projection.name)",
                                          problem: "at #\(checkpoint.position) while the log's head is #\(head.rawValue)")
            }
        }
        for projection in expected.runner.projections {
            for table in projection.tables {
                if let mismatch = try compare(table, stored: stored, expected: expected.scratch) { return mismatch }
            }
        }
        return nil
    }

    /// The first row where `table` on `stored` differs from `expected`.
    func compare(_ table: String, stored: Connection, expected: Connection) throws -> ProjectionMismatch? {
        guard try stored.hasTable(table) else { return ProjectionMismatch(table: table, key: "", problem: "the table is missing") }
        let key = try primaryKey(of: table, in: expected)
        let columns = try columnNames(of: table, in: expected)
        guard try columnNames(of: table, in: stored) == columns else {
            return ProjectionMismatch(table: table, key: "", problem: "the columns differ from this binary's schema")
        }
        let order = key.map { "\"\($0)\"" }.joined(separator: ", ")
        let a = try stored.prepare("SELECT * FROM \"\(table)\" ORDER BY \(order)")
        let b = try expected.prepare("SELECT * FROM \"\(table)\" ORDER BY \(order)")
        let keyIndexes = key.compactMap { columns.firstIndex(of: $0) }
        func row(_ s: Statement) -> [SQLiteValue] { (0..<s.columnCount).map { s.value(at: $0) } }
        func describe(_ row: [SQLiteValue]) -> String {
            keyIndexes.map { "\(columns[$0])=\(text(row[$0]) ?? "NULL")" }.joined(separator: ", ")
        }
        while true {
            let hasA = try a.step(), hasB = try b.step()
            switch (hasA, hasB) {
            case (false, false): return nil
            case (true, false):
                return ProjectionMismatch(table: table, key: describe(row(a)), problem: "a stored row that no event made")
            case (false, true):
                return ProjectionMismatch(table: table, key: describe(row(b)), problem: "a row the log makes is missing")
            case (true, true):
                let x = row(a), y = row(b)
                guard x != y else { continue }
                let keyX = keyIndexes.map { x[$0] }, keyY = keyIndexes.map { y[$0] }
                if keyX != keyY {
                    // One side has a row the other lacks: find out which by looking the stored key up in the fold.
                    let lookup = try expected.prepare("SELECT 1 FROM \"\(table)\" WHERE \(key.map { "\"\($0)\" = ?" }.joined(separator: " AND "))")
                    try lookup.bind(keyX)
                    if try lookup.step() {
                        return ProjectionMismatch(table: table, key: describe(y), problem: "a row the log makes is missing")
                    }
                    return ProjectionMismatch(table: table, key: describe(x), problem: "a stored row that no event made")
                }
                let fields = columns.indices.filter { x[$0] != y[$0] }.map { "\(columns[$0]) is \(text(x[$0]) ?? "NULL"), the log says \(text(y[$0]) ?? "NULL")" }
                return ProjectionMismatch(table: table, key: describe(x), problem: fields.joined(separator: "; "))
            }
        }
    }
}

/// Every read model folded from the log into a scratch database (a temporary
/// file SQLite deletes on close, without a journal) by a runner of its own:
/// what ``ProjectionRunner/compareStored(_:head:expected:)`` holds the stored
/// tables against. ``fold(through:events:progress:)`` may be called again to
/// apply the events appended since, so the long fold can read the log a page
/// per short read transaction and only the catch-up and the comparison share
/// the snapshot they check.
public final class ExpectedProjections {
    let scratch: Connection
    let runner = ProjectionRunner()
    /// The position the fold has reached.
    public private(set) var through: Position = .origin

    public init() throws {
        scratch = try Connection.scratch()
    }

    deinit { scratch.close() }

    /// Folds the events after ``through`` up to `head`.
    public func fold(through head: Position, events: EventSource, progress: ((Position, Position) -> Void)? = nil) throws {
        try scratch.writeTransaction { try runner.catchUp(in: scratch, through: head, events: events, progress: progress) }
        through = head
    }
}
