import Foundation
import SQLite
import Testing

@Suite("SQLite wrapper")
struct SQLiteTests {
    @Test func valuesRoundTripThroughEveryStorageClass() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t(v ANY) STRICT")
        let values: [SQLiteValue] = [.null, .integer(-42), .real(1.5), .text("héllo 🎉 'quoted'"), .text(""), .blob([0, 1, 255]), .blob([])]
        for value in values { try db.run("INSERT INTO t(v) VALUES (?)", value) }
        let statement = try db.prepare("SELECT v FROM t ORDER BY rowid")
        var read: [SQLiteValue] = []
        while try statement.step() { read.append(statement.value(at: 0)) }
        #expect(read == values)
    }

    @Test func anErrorCarriesCodesMessageAndSQL() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, u TEXT UNIQUE)")
        try db.run("INSERT INTO t(u) VALUES ('a')")
        let error = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t(u) VALUES ('a')") }
        #expect(error?.primaryCode == .constraint)
        #expect(error?.code.rawValue == 2067) // SQLITE_CONSTRAINT_UNIQUE
        #expect(error?.message == "UNIQUE constraint failed: t.u")
        #expect(error?.sql == "INSERT INTO t(u) VALUES ('a')")
        let matchesPrimary: Bool = switch error!.code { case .constraint: true; default: false }
        #expect(matchesPrimary)
    }

    @Test func aPrepareErrorNamesTheSQL() throws {
        let db = try Connection(path: ":memory:")
        let error = #expect(throws: SQLiteError.self) { _ = try db.statement("SELEC 1") }
        #expect(error?.sql == "SELEC 1")
        #expect(error?.primaryCode == .error)
    }

    @Test func aThrowingTransactionBodyRollsBackAndRethrowsItsOwnError() throws {
        struct Boom: Error, Equatable {}
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t(x INTEGER)")
        #expect(throws: Boom()) {
            try db.writeTransaction {
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(0))
        #expect(!db.isInTransaction)
        try db.writeTransaction { try db.run("INSERT INTO t VALUES (2)") }
        #expect(try db.scalar("SELECT sum(x) FROM t") == .integer(2))
    }

    @Test func aSavepointRollsBackOnlyItsOwnWork() throws {
        struct Boom: Error {}
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t(x INTEGER)")
        try db.writeTransaction {
            try db.run("INSERT INTO t VALUES (1)")
            _ = try? db.savepoint("inner") {
                try db.run("INSERT INTO t VALUES (10)")
                throw Boom()
            }
            try db.run("INSERT INTO t VALUES (2)")
        }
        #expect(try db.scalar("SELECT group_concat(x) FROM t") == .text("1,2"))
    }

    @Test func migrationsRunOnceInOrderAndRefuseUnknownOnes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var migrator = Migrator(table: "m")
        migrator.register("1-a") { try $0.execute("CREATE TABLE a(x)") }
        migrator.register("2-b") { try $0.execute("CREATE TABLE b(x)") }
        let db = try Connection(path: path)
        try migrator.migrate(db)
        try migrator.migrate(db)
        #expect(try migrator.appliedIdentifiers(in: db) == ["1-a", "2-b"])

        var older = Migrator(table: "m")
        older.register("1-a") { try $0.execute("CREATE TABLE a(x)") }
        #expect(throws: Migrator.UnknownMigrations(identifiers: ["2-b"])) { try older.migrate(db) }
    }

    @Test func aFailingMigrationLeavesNoTrace() throws {
        var migrator = Migrator(table: "m")
        migrator.register("1-bad") { db in
            try db.execute("CREATE TABLE a(x)")
            try db.execute("CREATE TABLE a(x)")
        }
        let db = try Connection(path: ":memory:")
        #expect(throws: SQLiteError.self) { try migrator.migrate(db) }
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'a'") == .integer(0))
        #expect(try migrator.appliedIdentifiers(in: db) == [])
    }

    @Test func cachedStatementsAreReusedAndComeBackReset() throws {
        let db = try Connection(path: ":memory:")
        let first = try db.statement("SELECT ?")
        try first.bind([.integer(7)])
        #expect(try first.step())
        let again = try db.statement("SELECT ?")
        #expect(first === again)
        #expect(try again.step())
        #expect(again.value(at: 0) == .null) // bindings were cleared
    }
}
