import Foundation
import SQLite

/// Why a file could not be opened as an event log. Nothing is written to the
/// file in any of these cases.
public enum OpenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but is not a SyncLedger event log (not SQLite at all,
    /// empty, or an SQLite database of another application).
    case notAnEventLog(path: String, reason: String)
    /// The file was written by a newer SyncLedger: it records schema migrations
    /// this code does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// No file exists at the path and creating one was not allowed.
    case missing(path: String)
    /// Opened read-only, the file lacks schema migrations this code expects:
    /// an older SyncLedger wrote it, and a writer must open it once to upgrade it.
    case olderSchema(path: String)
    /// The file carries SyncLedger's application id but holds no log tables:
    /// typically the main file copied without its `-wal` file, or a file left
    /// half-made by a SyncLedger older than atomic creation.
    case noLogTables(path: String)
    /// SQLite could not open or prepare the file.
    case storage(SQLiteError)

    public var description: String {
        switch self {
        case .notAnEventLog(let path, let reason):
            "\(path) is not a SyncLedger event log (\(reason)); it was left untouched"
        case .newerSchema(let path, let unknown):
            "\(path) was written by a newer SyncLedger (unknown schema migrations: \(unknown.joined(separator: ", "))); upgrade SyncLedger to open it"
        case .missing(let path):
            "no event log at \(path)"
        case .olderSchema(let path):
            "\(path) was written by an older SyncLedger; open it once for writing (any admin command) to upgrade it"
        case .noLogTables(let path):
            "\(path) carries the SyncLedger application id but holds no log tables — a copy of the main file taken without its -wal file? Copy ledgers with `syncledger log backup DEST`. It was left untouched"
        case .storage(let error):
            "cannot open the event log: \(error)"
        }
    }
}

/// Why an append was refused. Nothing is written in any of these cases.
public enum AppendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another writer (in this process or another) changed the stream since
    /// the caller read it.
    case wrongExpectedVersion(stream: StreamID, expected: ExpectedVersion, actual: StreamVersion)
    /// An event id already in the log was appended again with other content.
    case eventIDReused(id: UUID, position: Position)
    /// Some, but not all, of the batch's event ids are already in the log: the
    /// batch is neither new nor an exact retry.
    case partialRetry(alreadyRecorded: [UUID])
    /// The event is malformed: empty stream or type, schema version below 1,
    /// data or metadata that is not valid JSON, or an id used twice in the batch.
    case invalidEvent(id: UUID, reason: String)
    /// SQLite failed (disk full, I/O error, lock timeout…).
    case storage(SQLiteError)

    public var description: String {
        switch self {
        case .wrongExpectedVersion(let stream, let expected, let actual):
            "concurrency conflict on stream \(stream): expected \(expected), but it is at \(actual)"
        case .eventIDReused(let id, let position):
            "event id \(id.lowercasedText) is already recorded at \(position) with different content"
        case .partialRetry(let ids):
            "\(ids.count) event id(s) of this batch are already recorded but the others are not: not a valid retry"
        case .invalidEvent(let id, let reason):
            "event \(id.lowercasedText) is invalid: \(reason)"
        case .storage(let error):
            "the event log could not be written: \(error)"
        }
    }
}
