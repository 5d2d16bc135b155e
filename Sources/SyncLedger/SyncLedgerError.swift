import EventLog
import Foundation
import ServerSideSync
import SQLite

/// Every way a SyncLedger call can fail, for interfaces to map once (the CLI
/// to exit codes).
public enum SyncLedgerError: Error, Sendable, CustomStringConvertible {
    /// The domain refused the command; the denial was recorded at `denial`
    /// (nil when re-reporting an earlier denial of the same command id).
    case refused(Refusal, denial: Position?)
    /// An append's expected stream version did not hold (another writer
    /// changed the stream). Commands never expect versions — their decisions
    /// are serialised by the write lock — so only direct appends meet it.
    case conflict(AppendError)
    /// A name given by the caller (mailbox, environment) matches nothing.
    case notFound(String)
    /// The file could not be opened as a SyncLedger log.
    case cannotOpen(OpenError)
    /// Input that could not be understood (a cutoff, a field, a file).
    case invalidInput(String)
    /// Another writer held the ledger's write lock for longer than the lock
    /// wait allows; nothing was recorded, and trying again (with the same
    /// command id) is safe.
    case busy(String)
    /// The disk (or the file system's quota) is full; nothing was recorded.
    case noSpace(String)
    /// SQLite or the file failed.
    case storage(String)

    /// The stable name of the error that every front end shows: the refusal
    /// code for a refusal, else `ConcurrencyConflict`, `LedgerBusy`,
    /// `NoSpace`, `CannotOpen`, `InvalidInput`, `UnknownObject` or
    /// `StorageFailure`.
    public var code: String {
        switch self {
        case .refused(let refusal, _): refusal.code.rawValue
        case .conflict: "ConcurrencyConflict"
        case .busy: "LedgerBusy"
        case .noSpace: "NoSpace"
        case .cannotOpen: "CannotOpen"
        case .invalidInput: "InvalidInput"
        case .notFound: "UnknownObject"
        case .storage: "StorageFailure"
        }
    }

    public var description: String {
        switch self {
        case .refused(let refusal, _): "refused (\(refusal.code.rawValue)): \(refusal.message)"
        case .conflict(let error): "\(error)"
        case .cannotOpen(let error): "\(error)"
        case .invalidInput(let message): message
        case .notFound(let message): message
        case .busy(let message): message
        case .noSpace(let message): message
        case .storage(let message): message
        }
    }

    /// Wraps any error from lower layers.
    static func wrap(_ error: any Error) -> SyncLedgerError {
        switch error {
        case let error as SyncLedgerError: error
        case let error as AppendError:
            switch error {
            case .wrongExpectedVersion: .conflict(error)
            case .storage(let cause): classify(cause) ?? .storage("\(error)")
            default: .storage("\(error)")
            }
        case let error as OpenError:
            if case .storage(let cause) = error, let mapped = classify(cause) { mapped } else { .cannotOpen(error) }
        case let error as SQLiteError: classify(error) ?? .storage("\(error)")
        case let error as Migrator.UnknownMigrations: .storage("cannot open the ledger: its read models: \(error.description)")
        case let error as DecodingError: .storage("an event could not be decoded: \(error)")
        case let error as UnknownEventType: .storage("\(error): written by a newer SyncLedger? `log verify`, `log head` and `log export` still read it")
        default: .storage("\(error)")
        }
    }

    /// The SQLite failures that have their own meaning for a user: a lock
    /// held too long, and a full disk.
    static func classify(_ error: SQLiteError) -> SyncLedgerError? {
        switch error.primaryCode {
        case .busy, .locked:
            .busy("the ledger is busy: another process held its write lock for longer than the lock wait; nothing was recorded. "
                  + "Try again (an admin command retried with the same --command-id is never recorded twice). (\(error.message))")
        case .full:
            .noSpace("the disk is full: nothing was recorded. Free space and try again. (\(error.message))")
        default: nil
        }
    }
}
