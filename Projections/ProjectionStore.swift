import SQLite

/// Where projections apply events: a database, and, while a rebuild folds the
/// log from position 1, the current rows of the versioned tables it is
/// rebuilding, held in memory.
///
/// Applied straight to SQL, each change of a versioned row costs four
/// statements (read the current row, close the old version, insert the new
/// one, update the current row), each a B-tree seek into tables that grow with
/// the log. A rebuild starts from empty tables and nobody reads them until it
/// ends, so a buffering store (``buffering(_:in:memoryBudget:)``) keeps each table's
/// current rows in a dictionary instead and appends each version to a staging
/// table only once it is closed, already carrying its `valid_to`: one
/// sequential insert per change. ``flush()`` then writes the current rows,
/// and each history table once, sorted by its primary key, so the B-tree is
/// filled from left to right.
///
/// The staging tables live in a scratch database of the store's own (a
/// temporary file SQLite deletes on close, without a journal), so neither
/// their size nor the sort depends on how the target connection keeps its
/// temporary tables.
///
/// Memory grows with the number of rows in the current tables (one per
/// mailbox, object, alert), not with the log, and is capped: once the rows
/// held reach the store's budget, a key seen for the first time is written
/// straight to SQL as without buffering, and stays there. A rebuild of a
/// ledger with more objects than the budget holds is then partly as slow as
/// before, never larger in memory. Reading and writing a buffered table
/// through this store answers exactly as the SQL path would (same "nothing
/// changed" and "second write at the same position" rules); tables of
/// projections that are not being rebuilt are read from SQL.
public final class ProjectionStore {
    /// The database the projections' other tables (and, after ``flush()``,
    /// the buffered ones) live in.
    public let db: Connection
    private var buffers: [String: VersionBuffer] = [:]
    private var staging: Connection?

    /// The bytes of rows a buffering store holds at most when the caller
    /// does not say: 8 MiB, which keeps a rebuild of a 1M-event,
    /// 10,000-mailbox ledger under 64 MiB in all (62 MiB measured) and holds
    /// most rows of a 100,000-event, 2,000-mailbox one.
    public static let defaultMemoryBudget = 8 << 20

    /// The bytes the buffers may still take, shared by every table.
    final class Budget {
        var remaining: Int
        init(_ bytes: Int) { remaining = bytes }
    }

    /// A store that applies every change straight to `db`.
    public init(_ db: Connection) {
        self.db = db
    }

    /// A store that buffers `tables` (which must exist on `db` and be empty)
    /// until ``flush()``, holding at most `memoryBudget` bytes of rows.
    public static func buffering(_ tables: [VersionedTable], in db: Connection,
                                 memoryBudget: Int = defaultMemoryBudget) throws -> ProjectionStore {
        let store = ProjectionStore(db)
        guard !tables.isEmpty else { return store }
        let staging = try Connection.scratch()
        try staging.execute("PRAGMA temp_store = FILE")   // the flush's sort spills to a file, not to memory
        store.staging = staging
        let budget = Budget(memoryBudget)
        for table in tables { store.buffers[table.name] = try VersionBuffer(table, db: db, staging: staging, budget: budget) }
        return store
    }

    /// Whether `table`'s rows are held here rather than in SQL.
    func buffer(of table: VersionedTable) -> VersionBuffer? {
        buffers.isEmpty ? nil : buffers[table.name]
    }

    /// Whether any table is buffered.
    public var isBuffering: Bool { !buffers.isEmpty }

    /// The rows held in memory, over every buffered table.
    public var heldRows: Int { buffers.values.reduce(0) { $0 + $1.rows.count } }

    /// Writes every buffered table into SQL (current rows, then the history
    /// sorted by key) and stops buffering. Runs in the caller's transaction.
    public func flush() throws {
        for name in buffers.keys.sorted() { try buffers[name]?.flush() }
        discard()
    }

    /// Stops buffering without writing anything (after a failure), and
    /// deletes the staging tables.
    public func discard() {
        buffers = [:]
        staging?.close()
        staging = nil
    }
}

/// One versioned table's current rows in memory, and its closed versions in
/// a staging table (`T_history`, in the store's scratch database).
///
/// Keys and values are held packed (``PackedValues``): one byte array per
/// row rather than an array of enum values with a heap string each. A key
/// first seen once the budget is spent lives in `db`'s tables instead, read
/// and written there by the SQL path (`spilled` says whether any does).
final class VersionBuffer {
    struct Row {
        var values: PackedValues
        var validFrom: Int64
        /// The version this one replaced (`nil`: the row was created at
        /// `validFrom`), for ``VersionedTable/change(of:at:in:)``; kept only
        /// until the table is written at a later position.
        var before: PackedValues?
    }

    let table: VersionedTable
    let db: Connection
    let staging: Connection
    let budget: ProjectionStore.Budget
    var rows: [PackedValues: Row] = [:]
    /// Whether some keys live in `db` rather than here.
    var spilled = false
    /// Whether anything was written, here or in `db`.
    var isEmpty: Bool { rows.isEmpty && !spilled }
    let stage: Statement
    /// The keys whose `before` was set at `touchedAt`.
    var touched: [PackedValues] = []
    var touchedAt: Int64 = 0

    init(_ table: VersionedTable, db: Connection, staging: Connection, budget: ProjectionStore.Budget) throws {
        self.table = table
        self.db = db
        self.staging = staging
        self.budget = budget
        let columns = (table.key + table.columns).map(\.name) + ["valid_from", "valid_to"]
        try staging.execute("CREATE TABLE \(table.history)(\(columns.joined(separator: ", ")))")
        stage = try staging.prepare("INSERT INTO \(table.history) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))")
    }

    func current(_ key: [SQLiteValue]) throws -> (values: [SQLiteValue], validFrom: Int64)? {
        if let row = rows[PackedValues(key)] { return (row.values.unpacked, row.validFrom) }
        return spilled ? try table.current(key, in: db) : nil
    }

    /// The bytes a row takes here, as measured on a 1M-event rebuild: about
    /// twice its packed key and values once the allocator's rounding and the
    /// version it replaced are counted, plus two arrays' headers and its share
    /// of the dictionary.
    static func cost(_ key: PackedValues, _ values: PackedValues) -> Int { 2 * (key.bytes.count + values.bytes.count) + 192 }

    /// ``VersionedTable/write(_:_:at:previous:in:)``, in memory; `known` is
    /// the current row when the caller read it already (through ``current(_:)``).
    func write(_ key: [SQLiteValue], _ values: [SQLiteValue], at position: Int64,
               previous known: (values: [SQLiteValue], validFrom: Int64)?? = .none) throws -> Bool {
        if position != touchedAt {
            // Nothing asks for the change of an earlier position any more: let its versions go.
            for key in touched { rows[key]?.before = nil }
            touched.removeAll(keepingCapacity: true)
            touchedAt = position
        }
        let packedKey = PackedValues(key), packed = PackedValues(values)
        guard let previous = rows[packedKey] else {
            if spilled, let previous = try known ?? table.current(key, in: db) {
                return try table.write(key, values, at: position, previous: previous, in: db)
            }
            let cost = Self.cost(packedKey, packed)
            guard budget.remaining >= cost else {
                spilled = true
                return try table.write(key, values, at: position, previous: .some(nil), in: db)
            }
            budget.remaining -= cost
            rows[packedKey] = Row(values: packed, validFrom: position, before: nil)
            return true
        }
        if previous.values == packed { return false }
        budget.remaining -= packed.bytes.count - previous.values.bytes.count
        if previous.validFrom == position {
            rows[packedKey]!.values = packed   // the same position's version, replaced; what it replaced stays `before`
            return true
        }
        precondition(previous.validFrom < position, "\(table.name): versions must move forward")
        try stage.bind(key + previous.values.unpacked + [.integer(previous.validFrom), .integer(position)])
        try stage.step()
        rows[packedKey] = Row(values: packed, validFrom: position, before: previous.values)
        touched.append(packedKey)
        return true
    }

    /// ``VersionedTable/change(of:at:in:)``, in memory.
    func change(of key: [SQLiteValue], at position: Int64) throws -> (before: [SQLiteValue]?, after: [SQLiteValue])? {
        guard let row = rows[PackedValues(key)] else { return spilled ? try table.change(of: key, at: position, in: db) : nil }
        guard row.validFrom == position else { return nil }
        return (row.before?.unpacked, row.values.unpacked)
    }

    /// Writes the rows held here into `db`; the history's rows come sorted
    /// by key, after those of the keys that lived in `db` (no key is in both).
    func flush() throws {
        let current = try db.prepare(table.sql.insertCurrent)
        for (key, row) in rows {
            let values = key.unpacked + row.values.unpacked
            try current.bind(values + [.integer(row.validFrom)])
            try current.step()
            try stage.bind(values + [.integer(row.validFrom), .null])
            try stage.step()
        }
        rows = [:]
        let order = (table.key.map(\.name) + ["valid_from"]).joined(separator: ", ")
        let sorted = try staging.prepare("SELECT * FROM \(table.history) ORDER BY \(order)")
        let insert = try db.prepare(table.sql.insertHistory)
        while try sorted.step() {
            try insert.bindColumns(of: sorted)
            try insert.step()
        }
    }
}

/// A row's values in one byte array: per value a tag (0 NULL, 1 integer,
/// 2 real, 3 text, 4 blob), then 8 little-endian bytes for a number, or a
/// length (LEB128) and the bytes for text and blobs. Equal rows pack to
/// equal bytes, so packed rows compare and hash as the values do (reals by
/// their bits, which differs only for NaN and -0.0; no projection stores a
/// real).
struct PackedValues: Hashable {
    var bytes: [UInt8]

    /// The bytes hashed as one block: `[UInt8]`'s own hashing feeds the
    /// hasher a byte at a time, which was 1.6 % of a rebuild's samples.
    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    init(_ values: [SQLiteValue]) {
        bytes = []
        bytes.reserveCapacity(values.count * 9)
        func length(_ count: Int) {
            var n = UInt(count)
            while n >= 0x80 { bytes.append(UInt8(n & 0x7F) | 0x80); n >>= 7 }
            bytes.append(UInt8(n))
        }
        func number(_ bits: UInt64) { withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) } }
        for value in values {
            switch value {
            case .null: bytes.append(0)
            case .integer(let v): bytes.append(1); number(UInt64(bitPattern: v))
            case .real(let v): bytes.append(2); number(v.bitPattern)
            case .text(let v):
                bytes.append(3)
                var text = v
                text.withUTF8 { utf8 in length(utf8.count); bytes.append(contentsOf: utf8) }
            case .blob(let v): bytes.append(4); length(v.count); bytes.append(contentsOf: v)
            }
        }
        // Held for the whole fold: no spare capacity.
        if bytes.capacity > bytes.count + 16 { bytes = Array(bytes[...]) }
    }

    var unpacked: [SQLiteValue] {
        var values: [SQLiteValue] = []
        var i = 0
        func length() -> Int {
            var n = 0, shift = 0
            while true {
                let byte = bytes[i]; i += 1
                n |= Int(byte & 0x7F) << shift
                if byte < 0x80 { return n }
                shift += 7
            }
        }
        func number() -> UInt64 {
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[i + k]) << (8 * k) }
            i += 8
            return bits
        }
        while i < bytes.count {
            let tag = bytes[i]; i += 1
            switch tag {
            case 1: values.append(.integer(Int64(bitPattern: number())))
            case 2: values.append(.real(Double(bitPattern: number())))
            case 3:
                let count = length()
                values.append(.text(String(decoding: bytes[i..<i + count], as: UTF8.self)))
                i += count
            case 4:
                let count = length()
                values.append(.blob(Array(bytes[i..<i + count])))
                i += count
            default: values.append(.null)
            }
        }
        return values
    }
}

extension VersionedTable {
    /// ``current(_:in:)-(_,Connection)`` through `store`: from memory when the store buffers this table.
    public func current(_ key: [SQLiteValue], in store: ProjectionStore) throws -> (values: [SQLiteValue], validFrom: Int64)? {
        if let buffer = store.buffer(of: self) { return try buffer.current(key) }
        return try current(key, in: store.db)
    }

    /// ``write(_:_:at:previous:in:)-(_,_,_,_,Connection)`` through `store`.
    @discardableResult
    public func write(_ key: [SQLiteValue], _ values: [SQLiteValue], at position: Int64,
                      previous known: (values: [SQLiteValue], validFrom: Int64)?? = .none, in store: ProjectionStore) throws -> Bool {
        guard let buffer = store.buffer(of: self) else { return try write(key, values, at: position, previous: known, in: store.db) }
        precondition(key.count == self.key.count && values.count == columns.count, "\(name): wrong number of values")
        return try buffer.write(key, values, at: position, previous: known)
    }

    /// ``change(of:at:in:)-(_,_,Connection)`` through `store`.
    public func change(of key: [SQLiteValue], at position: Int64, in store: ProjectionStore) throws -> (before: [SQLiteValue]?, after: [SQLiteValue])? {
        if let buffer = store.buffer(of: self) { return try buffer.change(of: key, at: position) }
        return try change(of: key, at: position, in: store.db)
    }
}
