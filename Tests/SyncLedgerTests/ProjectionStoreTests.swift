import Projections
import SQLite
import SyncLedgerTesting
import Testing

@Suite("A rebuild's versioned tables held in memory")
struct ProjectionStoreTests {
    static let table = VersionedTable("t", key: [.init("k", "TEXT NOT NULL"), .init("n", "INTEGER NOT NULL")],
                                      columns: [.init("a", "ANY"), .init("b", "INTEGER NOT NULL")])

    /// Every row of `name` in primary-key order.
    func rows(of name: String, in db: Connection) throws -> [[SQLiteValue]] {
        let statement = try db.prepare("SELECT * FROM \(name) ORDER BY 1, 2, \(name.hasSuffix("_history") ? "5" : "1")")
        var rows: [[SQLiteValue]] = []
        while try statement.step() { rows.append((0..<statement.columnCount).map { statement.value(at: $0) }) }
        return rows
    }

    /// Seeds, and memory budgets: every key held, some (the rest written to SQL as they first appear), none.
    @Test("random writes answer alike in memory and in SQL at every step, and the flushed tables are equal",
          arguments: [(1, Int.max), (2, 300), (3, 0)] as [(UInt64, Int)])
    func bufferedWritesEqualDirectOnes(seed: UInt64, budget: Int) throws {
        let direct = try Connection.scratch(), buffered = try Connection.scratch()
        try Self.table.create(in: direct)
        try Self.table.create(in: buffered)
        let sql = ProjectionStore(direct), memory = try ProjectionStore.buffering([Self.table], in: buffered, memoryBudget: budget)
        #expect(memory.isBuffering && !sql.isBuffering)
        var random = SplitMix(state: seed)
        // Keys and values of every storage class, and a text long enough to need a two-byte length when packed.
        let keys: [[SQLiteValue]] = [[.text("x"), .integer(1)], [.text("x"), .integer(Int64.min)], [.text(String(repeating: "é", count: 200)), .integer(1)],
                                     [.text(""), .integer(-5)]]
        var position: Int64 = 1, changed = 0, unchanged = 0, sameSpot = 0
        for _ in 0..<4_000 {
            // Often a second write at the same position; values from a small set, so a write often changes nothing.
            if random.bool() { position += Int64.random(in: 1...3, using: &random) }
            let key = random.pick(keys)
            let values: [SQLiteValue] = [random.pick([.null, .text("p"), .blob([0, 200]), .real(-1.5)]), .integer(Int64.random(in: 0...1, using: &random))]
            let before = try Self.table.current(key, in: sql)
            let a = try Self.table.write(key, values, at: position, in: sql)
            let b = try Self.table.write(key, values, at: position, previous: before, in: memory)
            #expect(a == b, "write at #\(position)")
            if a { changed += 1 } else { unchanged += 1 }
            if a, before?.validFrom == position { sameSpot += 1 }
            for key in keys {
                let x = try Self.table.current(key, in: sql), y = try Self.table.current(key, in: memory)
                #expect(x?.values == y?.values && x?.validFrom == y?.validFrom, "current \(key) at #\(position)")
                let c = try Self.table.change(of: key, at: position, in: sql), d = try Self.table.change(of: key, at: position, in: memory)
                #expect(c?.before == d?.before && c?.after == d?.after, "change of \(key) at #\(position)")
            }
        }
        // The sequence exercised every rule: changes, writes that change nothing, second writes at one position.
        #expect(changed > 1_500 && unchanged > 200 && sameSpot > 100, "\(changed) changed, \(unchanged) unchanged, \(sameSpot) at one position")
        // Every key held, some of them (the others written to SQL), or none.
        let held = memory.heldRows
        #expect(budget == Int.max ? held == keys.count : budget == 0 ? held == 0 : held > 0 && held < keys.count, "\(held) rows held")
        try memory.flush()
        #expect(!memory.isBuffering)
        #expect(try rows(of: "t", in: buffered) == rows(of: "t", in: direct))
        #expect(try rows(of: "t_history", in: buffered) == rows(of: "t_history", in: direct))
        #expect(try rows(of: "t_history", in: direct).count > 500)

        #expect(try buffered.scalar("SELECT count(*) FROM temp.sqlite_master")?.int64 == 0, "the staging table is gone")
        // After the flush the store reads and writes SQL.
        try Self.table.write(keys[0], [.text("after"), .integer(9)], at: position + 1, in: memory)
        #expect(try Self.table.current(keys[0], in: buffered)?.values == [.text("after"), .integer(9)])
    }

    @Test("a discarded buffer writes nothing and leaves no staging table")
    func discardingWritesNothing() throws {
        let db = try Connection.scratch()
        try Self.table.create(in: db)
        let memory = try ProjectionStore.buffering([Self.table], in: db)
        for position in Int64(1)...50 {
            try Self.table.write([.text("k"), .integer(position % 3)], [.text("v\(position)"), .integer(position)], at: position, in: memory)
        }
        memory.discard()
        #expect(try rows(of: "t", in: db).isEmpty)
        #expect(try rows(of: "t_history", in: db).isEmpty)
        #expect(try db.scalar("SELECT count(*) FROM temp.sqlite_master")?.int64 == 0)
    }
}
