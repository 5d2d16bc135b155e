extension Connection {
    /// Runs `body` between `BEGIN IMMEDIATE` and `COMMIT`.
    ///
    /// `BEGIN IMMEDIATE` takes the database's write lock up front (waiting up to
    /// the busy timeout), so two writers never both read and then conflict at
    /// commit. If `body` throws, the transaction is rolled back and the error
    /// from `body` is rethrown, even if the rollback itself fails.
    public func writeTransaction<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
        try beginImmediate()
        let result: T
        do {
            result = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try commit()
        } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }

    /// `BEGIN IMMEDIATE`, from a statement prepared once per connection.
    /// Prefer ``writeTransaction(_:)``; this is for callers that run several
    /// units of work in one transaction and decide themselves when it ends.
    public func beginImmediate() throws(SQLiteError) { try runPrepared("BEGIN IMMEDIATE") }

    /// `COMMIT`, from a statement prepared once per connection.
    public func commit() throws(SQLiteError) { try runPrepared("COMMIT") }

    /// Runs one cached statement that returns no rows, and resets it, so a
    /// transaction-control statement is compiled once, not on every call.
    private func runPrepared(_ sql: String) throws(SQLiteError) {
        let statement = try statement(sql)
        defer { statement.reset() }
        _ = try statement.step()
    }

    /// Runs `body` inside a deferred (read) transaction, so every statement in it
    /// sees the same snapshot of the database.
    public func readTransaction<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
        try runPrepared("BEGIN DEFERRED")
        defer { rollbackQuietly() }
        return try body()
    }

    /// Runs `body` inside a savepoint that is rolled back if `body` throws.
    /// Usable inside an open transaction.
    /// The `SAVEPOINT` and `RELEASE` statements are prepared once per name.
    public func savepoint<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws -> T {
        try runPrepared("SAVEPOINT \"\(name)\"")
        do {
            let result = try body()
            try runPrepared("RELEASE \"\(name)\"")
            return result
        } catch {
            do {
                try execute("ROLLBACK TO \"\(name)\"; RELEASE \"\(name)\"")
            } catch {
                // The first error (from body) is the one the caller must see.
            }
            throw error
        }
    }

    /// Rolls back the open transaction, if any. A failing rollback is not
    /// reported: it only runs while another error is already being thrown, and
    /// SQLite has then already rolled the transaction back itself.
    public func rollbackQuietly() {
        guard isInTransaction else { return }
        do { try runPrepared("ROLLBACK") } catch { /* see doc comment */ }
    }
}
