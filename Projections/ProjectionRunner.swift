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
    /// Snapshots stored for as-of queries.
    public var snapshots: Int
}

/// Runs projections: inline in an append's transaction, catching up, and
/// rebuilding from position 1; it also keeps their checkpoints and snapshots.
///
/// Checkpoints live in `projection_checkpoints(name, schema_version,
/// position)` and move in the same transaction as the rows. Snapshots
/// (`projection_snapshots`) are SQLite images of a projection's tables at a
/// position, taken every `snapshotInterval` positions, tagged with the
/// projection's schema version and ignored when it differs.
public struct ProjectionRunner: Sendable {
    public var projections: [any Projection]
    /// Take a snapshot whenever an append or rebuild crosses a multiple of
    /// this many positions; 0 turns snapshots off.
    public var snapshotInterval: Int64
    /// The projections whose tables are folded for as-of queries (the audit
    /// trail and commands are append-only rows, read with `position <= P`).
    public static let foldedNames: Set<String> = ["mailbox-status", "alerts"]

    public init(projections: [any Projection] = ProjectionRunner.standardProjections, snapshotInterval: Int64 = 20_000) {
        self.projections = projections
        self.snapshotInterval = snapshotInterval
    }

    public static let standardProjections: [any Projection] = [
        MailboxStatusProjection(), AlertsProjection(), AuditTrailProjection(), CommandsProjection(),
    ]

    /// The projection named `name`.
    public func projection(named name: String) -> (any Projection)? { projections.first { $0.name == name } }

    static let migrator: Migrator = {
        var migrator = Migrator(table: "projection_migrations")
        migrator.register("1-checkpoints-and-snapshots") { db in
            try db.execute("""
                CREATE TABLE projection_checkpoints (
                  name           TEXT PRIMARY KEY,
                  schema_version INTEGER NOT NULL,
                  position       INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE projection_snapshots (
                  projection     TEXT NOT NULL,
                  schema_version INTEGER NOT NULL,
                  position       INTEGER NOT NULL,
                  image          BLOB NOT NULL,   -- an SQLite database image of the projection's tables
                  PRIMARY KEY (projection, position)
                ) STRICT;
                """)
            try DecisionStateStore.createTables(in: db)
        }
        return migrator
    }()

    /// Creates the runner's own tables when missing.
    public func prepare(_ db: Connection) throws { try Self.migrator.migrate(db) }

    // MARK: Checkpoints

    func storedVersion(of name: String, in db: Connection) throws -> (version: Int, position: Int64)? {
        let statement = try db.statement("SELECT schema_version, position FROM projection_checkpoints WHERE name = ?")
        try statement.bind([.text(name)])
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return (statement.int(at: 0), statement.int64(at: 1))
    }

    func setCheckpoint(_ name: String, version: Int, position: Int64, in db: Connection) throws {
        try db.run("""
            INSERT INTO projection_checkpoints(name, schema_version, position) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET schema_version = excluded.schema_version, position = excluded.position
            """, .text(name), .int(version), .integer(position))
    }

    /// The status of every projection (and the decision state).
    public func status(in db: Connection) throws -> [ProjectionStatus] {
        var result: [ProjectionStatus] = []
        let names = [(DecisionStateStore.name, DecisionStateStore.schemaVersion)] + projections.map { ($0.name, $0.schemaVersion) }
        for (name, version) in names {
            let stored = try storedVersion(of: name, in: db)
            let snapshots = try db.scalar("SELECT count(*) FROM projection_snapshots WHERE projection = ?", .text(name))?.int64 ?? 0
            result.append(ProjectionStatus(name: name, schemaVersion: version, storedVersion: stored?.version,
                                           checkpoint: stored?.position ?? 0, snapshots: Int(snapshots)))
        }
        return result
    }

    // MARK: Inline

    /// Applies freshly appended events to every projection, in the append's
    /// transaction, and moves the checkpoints; takes snapshots when the batch
    /// crosses an interval.
    public func applyInline(_ events: [ProjectedEvent], in db: Connection) throws {
        guard let first = events.first?.recorded.position.rawValue, let last = events.last?.recorded.position.rawValue else { return }
        for projection in projections {
            for event in events where projection.handles(type: event.recorded.type) {
                try projection.apply(event, in: db)
            }
            try setCheckpoint(projection.name, version: projection.schemaVersion, position: last, in: db)
        }
        if snapshotInterval > 0 && last / snapshotInterval > (first - 1) / snapshotInterval {
            for projection in projections where Self.foldedNames.contains(projection.name) {
                try takeSnapshot(of: projection, at: last, in: db)
            }
        }
    }

    // MARK: Snapshots

    /// Stores an image of `projection`'s tables as they are on `db` now (at `position`).
    func takeSnapshot(of projection: any Projection, at position: Int64, in db: Connection) throws {
        let memory = try Connection(path: ":memory:")
        try projection.createTables(in: memory)
        try memory.writeTransaction { try copyRows(of: projection.tables, from: db, to: memory) }
        let image = try memory.serialize()
        try db.run("""
            INSERT INTO projection_snapshots(projection, schema_version, position, image) VALUES (?, ?, ?, ?)
            ON CONFLICT (projection, position) DO UPDATE SET schema_version = excluded.schema_version, image = excluded.image
            """, .text(projection.name), .int(projection.schemaVersion), .integer(position), .blob(image))
    }

    /// The newest usable snapshot of `projection` at or before `position`.
    func snapshot(of projection: any Projection, atOrBefore position: Int64, in db: Connection) throws -> (position: Int64, image: [UInt8])? {
        let statement = try db.statement("""
            SELECT position, image FROM projection_snapshots
            WHERE projection = ? AND schema_version = ? AND position <= ? ORDER BY position DESC LIMIT 1
            """)
        try statement.bind([.text(projection.name), .int(projection.schemaVersion), .integer(position)])
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return (statement.int64(at: 0), statement.blob(at: 1))
    }

    // MARK: Rebuild and catch-up

    /// Rebuilds `names` (every projection when `nil`, plus the decision state)
    /// from position 1 inside `transaction`: drops the tables and snapshots,
    /// replays the log, and writes the checkpoints. Returns the events replayed.
    @discardableResult
    public func rebuild(_ names: Set<String>? = nil, in transaction: WriteTransaction,
                        progress: ((Position, Position) -> Void)? = nil) throws -> Int64 {
        let db = transaction.connection
        try prepare(db)
        let targets = projections.filter { names?.contains($0.name) ?? true }
        let withState = names?.contains(DecisionStateStore.name) ?? true
        for projection in targets {
            try projection.dropTables(in: db)
            try projection.createTables(in: db)
            try db.run("DELETE FROM projection_snapshots WHERE projection = ?", .text(projection.name))
        }
        let head = try transaction.head().position
        var state = SyncState()
        var count: Int64 = 0
        try transaction.forEachEvent(after: .origin, through: head) { recorded in
            let wanted = targets.filter { $0.handles(type: recorded.type) }
            if wanted.count == 1 && !withState {
                try wanted[0].apply(try wanted[0].decode(recorded), in: db)
            } else if !wanted.isEmpty || withState {
                let event = try ProjectedEvent(recorded, withMetadata: wanted.count > 1)
                for projection in wanted { try projection.apply(event, in: db) }
                if withState { SyncDomain.apply(event.event, to: &state) }
            }
            count += 1
            let position = recorded.position.rawValue
            if snapshotInterval > 0 && position % snapshotInterval == 0 {
                for projection in targets where Self.foldedNames.contains(projection.name) {
                    try takeSnapshot(of: projection, at: position, in: db)
                }
            }
            if count % 10_000 == 0 { progress?(recorded.position, head) }
        }
        for projection in targets { try setCheckpoint(projection.name, version: projection.schemaVersion, position: head.rawValue, in: db) }
        if withState {
            try DecisionStateStore.writeAll(state, in: db)
            try setCheckpoint(DecisionStateStore.name, version: DecisionStateStore.schemaVersion, position: head.rawValue, in: db)
        }
        progress?(head, head)
        return count
    }

    /// The names that must be rebuilt before use: tables missing, or stored
    /// by another schema version (or never built while the log has events).
    public func stale(in db: Connection, head: Position) throws -> Set<String> {
        var stale = Set<String>()
        for projection in projections {
            let stored = try storedVersion(of: projection.name, in: db)
            let exists = try projection.tablesExist(in: db)
            if stored?.version != projection.schemaVersion || !exists { stale.insert(projection.name) }
        }
        let state = try storedVersion(of: DecisionStateStore.name, in: db)
        if state?.version != DecisionStateStore.schemaVersion { stale.insert(DecisionStateStore.name) }
        return stale
    }

    /// Whether ``catchUp(in:progress:)`` has anything to do on `db` (read-only check):
    /// the runner's tables are missing, a projection is stale, or a checkpoint
    /// is behind `head`.
    public func needsCatchUp(in db: Connection, head: Position) throws -> Bool {
        let applied = try Self.migrator.appliedIdentifiers(in: db)
        guard applied == Self.migrator.identifiers else { return true }
        if !(try stale(in: db, head: head)).isEmpty { return true }
        for projection in projections where (try storedVersion(of: projection.name, in: db)?.position ?? 0) < head.rawValue {
            return true
        }
        return false
    }

    /// Brings every projection up to the head inside `transaction`: stale
    /// ones are rebuilt, the others apply the events after their checkpoint.
    public func catchUp(in transaction: WriteTransaction, progress: ((Position, Position) -> Void)? = nil) throws {
        let db = transaction.connection
        try prepare(db)
        let head = try transaction.head().position
        let stale = try stale(in: db, head: head)
        if !stale.isEmpty { try rebuild(stale, in: transaction, progress: progress) }
        for projection in projections where !stale.contains(projection.name) {
            let from = try storedVersion(of: projection.name, in: db)?.position ?? 0
            guard from < head.rawValue else { continue }
            try transaction.forEachEvent(after: Position(from), through: head) { recorded in
                if projection.handles(type: recorded.type) { try projection.apply(try ProjectedEvent(recorded), in: db) }
            }
            try setCheckpoint(projection.name, version: projection.schemaVersion, position: head.rawValue, in: db)
        }
    }
}
