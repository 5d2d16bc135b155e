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
    /// SQLite or the file failed.
    case storage(String)

    public var description: String {
        switch self {
        case .refused(let refusal, _): "refused (\(refusal.code.rawValue)): \(refusal.message)"
        case .conflict(let error): "\(error)"
        case .cannotOpen(let error): "\(error)"
        case .invalidInput(let message): message
        case .notFound(let message): message
        case .storage(let message): message
        }
    }

    /// Wraps any error from lower layers.
    static func wrap(_ error: any Error) -> SyncLedgerError {
        switch error {
        case let error as SyncLedgerError: error
        case let error as AppendError:
            if case .wrongExpectedVersion = error { .conflict(error) } else { .storage("\(error)") }
        case let error as OpenError: .cannotOpen(error)
        case let error as SQLiteError: .storage("\(error)")
        case let error as DecodingError: .storage("an event could not be decoded: \(error)")
        case let error as UnknownEventType: .storage("\(error): written by a newer SyncLedger? `log verify`, `log head` and `log export` still read it")
        default: .storage("\(error)")
        }
    }
}
