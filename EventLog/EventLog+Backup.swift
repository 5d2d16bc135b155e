import Foundation
import SQLite

/// Why a backup was not written.
public enum BackupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Something already exists at the destination; it was left untouched.
    case destinationExists(path: String)
    /// The copy did not verify, or its head is not a point of the source's
    /// chain; it was deleted.
    case copyDoesNotVerify(reason: String)

    public var description: String {
        switch self {
        case .destinationExists(let path): "\(path) already exists; a backup never overwrites a file"
        case .copyDoesNotVerify(let reason): "the copy did not verify (\(reason)); it was deleted"
        }
    }
}

extension EventLog {
    /// Writes a consistent copy of the whole file (log and read models) to
    /// `destination`, which must not exist, and proves it before keeping it.
    ///
    /// The copy is made with `VACUUM INTO` from one read snapshot, so other
    /// processes may keep writing; it holds everything committed before the
    /// snapshot, WAL included, as one self-contained file. It is written under
    /// a temporary name in the destination's folder, its hash chain is walked
    /// end to end, its head is checked against the source's event at that
    /// position, and only then is it linked to `destination`.
    ///
    /// - Returns: The head of the copy.
    public func backup(to destination: String) throws -> LogHead {
        guard !FileManager.default.fileExists(atPath: destination) else { throw BackupError.destinationExists(path: destination) }
        let url = URL(fileURLWithPath: destination)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).backup-\(UUID().lowercasedText)").path
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) } }
        try reader.withLock { (db: inout Connection) throws in
            try db.execute("PRAGMA query_only = OFF")  // the connection itself stays read-only
            defer { try? db.execute("PRAGMA query_only = ON") }
            try db.run("VACUUM INTO ?", .text(temporary))
        }
        let head: LogHead
        do {
            let copy = try EventLog.open(at: temporary, options: Options(createIfMissing: false, readOnly: true))
            switch try copy.verify() {
            case .broken(let position, let reason):
                throw BackupError.copyDoesNotVerify(reason: "broken at \(position): \(reason)")
            case .intact(_, let copied):
                head = copied
            }
        }
        if head.position > .origin {
            let source = try read { db in try db.page(after: Position(head.position.rawValue - 1), through: head.position, limit: 1).first }
            guard let source, source.hash == head.hash else {
                throw BackupError.copyDoesNotVerify(reason: "its head \(head.position) is not the source's event at that position")
            }
        }
        syncToDisk(temporary)
        guard link(temporary, destination) == 0 else {
            if errno == EEXIST { throw BackupError.destinationExists(path: destination) }
            throw SQLiteError(code: .cantOpen, message: "cannot write \(destination): \(String(cString: strerror(errno)))")
        }
        syncToDisk(url.deletingLastPathComponent().path)
        return head
    }
}
