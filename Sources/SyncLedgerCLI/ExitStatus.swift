import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// SyncLedger's exit codes, in one place.
enum ExitStatus {
    static let usage: Int32 = 64          // EX_USAGE: unparseable input
    static let unavailable: Int32 = 69    // EX_UNAVAILABLE: `serve` could not listen on its address
    static let unknownObject: Int32 = 65  // EX_DATAERR: no such mailbox, profile, user…
    static let noSpace: Int32 = 73        // EX_CANTCREAT: the disk is full; nothing recorded
    static let cannotOpen: Int32 = 74     // EX_IOERR: not a ledger, cannot open
    static let conflict: Int32 = 75       // EX_TEMPFAIL: the write lock stayed busy (or a version conflict); retry
    static let tampered: Int32 = 76       // verify found tampering
    static let permission: Int32 = 77     // EX_NOPERM: permission refused (audited)
    static let rule: Int32 = 78           // EX_CONFIG: rule refused (audited)

    /// The exit code for a SyncLedger error.
    static func code(for error: SyncLedgerError) -> Int32 {
        switch error {
        case .refused(let refusal, _):
            switch refusal.category {
            case .permission: permission
            case .rule: rule
            case .notFound: unknownObject
            }
        case .conflict, .busy: conflict
        case .noSpace: noSpace
        case .cannotOpen: cannotOpen
        case .invalidInput: usage
        case .notFound: unknownObject
        case .storage: cannotOpen
        }
    }

}

/// Runs `body`; on failure prints the message (stderr, and a JSON error on
/// stdout with `--json`) and exits with the documented code.
func reportingFailure<T>(json: Bool, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as SyncLedgerError {
        var message = error.description
        if case .refused(_, let denial?) = error { message += " (denial recorded at \(denial))" }
        try fail(code: error.code, message: message, status: ExitStatus.code(for: error), json: json)
    }
}

/// Prints an error and ends the command with `status`. It throws rather than
/// calling `exit`, so the ledger is released on the way out and its WAL
/// checkpointed into the main file.
func fail(code: String, message: String, status: Int32, json: Bool) throws -> Never {
    FileHandle.standardError.write(Data("error: \(Output.printable(message))\n".utf8))
    if json {
        Output.printJSON(["error": ["code": code, "message": message]])
    }
    throw ExitCode(status)
}
