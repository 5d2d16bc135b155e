/// Ordered, named schema migrations, each applied once in its own write
/// transaction that also records its identifier.
///
/// A shipped migration is never edited; change the schema by registering a new
/// one. A database that records a migration this code does not know was
/// written by a newer version and is refused, never "repaired".
public struct Migrator: Sendable {
    /// A database was migrated by a newer version of the program.
    public struct UnknownMigrations: Error, Equatable, Sendable, CustomStringConvertible {
        /// The identifiers recorded in the database that this code does not know.
        public let identifiers: [String]
        public init(identifiers: [String]) { self.identifiers = identifiers }

        public var description: String {
            "the file was migrated by a newer version (unknown schema migrations: \(identifiers.joined(separator: ", "))); upgrade to open it"
        }
    }

    private var migrations: [(identifier: String, body: @Sendable (Connection) throws -> Void)] = []
    /// The table that records applied migrations.
    public let table: String

    public init(table: String) { self.table = table }

    /// Adds a migration after those already registered.
    public mutating func register(_ identifier: String, _ body: @escaping @Sendable (Connection) throws -> Void) {
        precondition(!migrations.contains { $0.identifier == identifier }, "duplicate migration \(identifier)")
        migrations.append((identifier, body))
    }

    /// The identifiers of all registered migrations, in order.
    public var identifiers: [String] { migrations.map(\.identifier) }

    /// The identifiers already applied to `db`, in the order they were applied.
    public func appliedIdentifiers(in db: Connection) throws -> [String] {
        guard try db.hasTable(table) else { return [] }
        let statement = try db.prepare("SELECT identifier FROM \"\(table)\" ORDER BY rowid")
        var applied: [String] = []
        while try statement.step() { applied.append(statement.text(at: 0)) }
        return applied
    }

    /// Applies every registered migration that `db` lacks, in order, each in
    /// its own transaction (or savepoint, when `db` is already in a transaction).
    ///
    /// - Throws: ``UnknownMigrations`` when `db` records migrations this code
    ///   does not know (nothing is changed), or the first error of a failing
    ///   migration (that migration is rolled back; earlier ones stay).
    public func migrate(_ db: Connection) throws {
        let applied = try appliedIdentifiers(in: db)
        let unknown = applied.filter { id in !migrations.contains { $0.identifier == id } }
        guard unknown.isEmpty else { throw UnknownMigrations(identifiers: unknown) }
        for migration in migrations where !applied.contains(migration.identifier) {
            // Inside a caller's transaction a savepoint gives the same all-or-nothing.
            let unit: (() throws -> Void) throws -> Void = db.isInTransaction
                ? { body in try db.savepoint("migration") { try body() } }
                : { body in try db.writeTransaction { try body() } }
            try unit {
                // Re-check inside the lock: another process may have migrated meanwhile.
                try db.execute("CREATE TABLE IF NOT EXISTS \"\(table)\" (identifier TEXT NOT NULL PRIMARY KEY) STRICT")
                let done = try db.scalar("SELECT count(*) FROM \"\(table)\" WHERE identifier = ?", .text(migration.identifier))
                guard done?.int64 == 0 else { return }
                try migration.body(db)
                try db.run("INSERT INTO \"\(table)\"(identifier) VALUES (?)", .text(migration.identifier))
            }
        }
    }
}
