import CSQLite
import Foundation

extension Connection {
    /// The bytes of schema `schema` (`main`, or an attached name) as an SQLite
    /// database file image.
    public func serialize(schema: String = "main") throws(SQLiteError) -> [UInt8] {
        var size: sqlite3_int64 = 0
        guard let pointer = sqlite3_serialize(handle, schema, &size, 0) else {
            if size == 0 { return [] }
            throw SQLiteError(code: .error, message: "could not serialize schema \(schema)")
        }
        defer { sqlite3_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(size)))
    }

    /// Replaces schema `schema` of this connection with the database image
    /// `bytes` (from ``serialize(schema:)``). The image is copied; the
    /// connection may write to it afterwards.
    public func deserialize(_ bytes: [UInt8], schema: String = "main") throws(SQLiteError) {
        guard let buffer = sqlite3_malloc64(sqlite3_uint64(max(bytes.count, 1)))?.assumingMemoryBound(to: UInt8.self) else {
            throw SQLiteError(code: ResultCode(rawValue: SQLITE_NOMEM), message: "out of memory for a \(bytes.count)-byte image")
        }
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { buffer.update(from: base, count: bytes.count) }
        }
        let flags = UInt32(SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE)
        let code = sqlite3_deserialize(handle, schema, buffer, sqlite3_int64(bytes.count), sqlite3_int64(max(bytes.count, 1)), flags)
        guard code == SQLITE_OK else {
            throw SQLiteError(code: ResultCode(rawValue: code), message: lastErrorMessage)
        }
    }
}
