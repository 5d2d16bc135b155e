extension Connection {
    /// Runs `body` between `BEGIN IMMEDIATE` and `COMMIT`.
    ///
    /// `BEGIN IMMEDIATE` takes the database's write lock up front (waiting up to
    /// the busy timeout), so two writers never both read and then conflict at
    /// commit. If `body` throws, the transaction is rolled back and the error
    /// from `body` is rethrown, even if the rollback itself fails.
    public func writeTransaction<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }

    /// Runs `body` inside a deferred (read) transaction, so every statement in it
    /// sees the same snapshot of the database.
    public func readTransaction<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer { rollbackQuietly() }
        return try body()
    }

    /// Runs `body` inside a savepoint that is rolled back if `body` throws.
    /// Usable inside an open transaction.
    public func savepoint<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws -> T {
        try execute("SAVEPOINT \"\(name)\"")
        do {
            let result = try body()
            try execute("RELEASE \"\(name)\"")
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
    private func rollbackQuietly() {
        guard isInTransaction else { return }
        do { try execute("ROLLBACK") } catch { /* see doc comment */ }
    }
}
