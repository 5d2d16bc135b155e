import EventLog
import Foundation
import Projections
import ServerSideSync

/// What happened to one command replayed onto another ledger.
public struct ReplayedCommand: Hashable, Sendable, Codable {
    public var commandID: String
    public var command: String
    public var actor: String
    /// `accepted`, `refused`, `nothing-to-do`, or `already-applied`.
    public var outcome: String
    public var refusalCode: String?
    public var message: String?
    public var events: Int
}

extension SyncLedger {
    /// Re-executes the commands recorded between `start` (exclusive) and `end`
    /// (inclusive) against `target`, deciding each afresh against the target's
    /// state, with the original actor, source, instant and command id (so
    /// replaying twice applies nothing twice). Commands that were refused here
    /// are replayed too: the target may decide otherwise.
    ///
    /// With `dryRun` everything runs in one transaction that is rolled back:
    /// the report says what would be accepted and refused, and the target is
    /// unchanged.
    public func replay(from start: Cutoff, through end: Cutoff, onto target: SyncLedger, dryRun: Bool) throws(SyncLedgerError) -> [ReplayedCommand] {
        let from = try position(of: start), to = try position(of: end)
        guard from <= to else { throw .invalidInput("the start (\(from)) is after the end (\(to))") }
        guard target.path != path else { throw .invalidInput("replay needs another ledger file, not this one") }
        guard !target.options.readOnly else { throw .invalidInput("the target ledger was opened read-only") }
        var requests: [Request] = []
        do {
            try log.forEachEvent(from: from.next, through: to) { event in
                let metadata = try EventMetadata.decode(event.metadata)
                guard let command = metadata.arguments else { return }
                requests.append(Request(command: command, actor: NameResolver.actor(metadata.actor), source: metadata.source,
                                        ids: .init(commandID: metadata.commandID, correlationID: metadata.correlationID,
                                                   causationID: metadata.causationID),
                                        at: metadata.decidedAt))
            }
        } catch {
            throw SyncLedgerError.wrap(error)
        }
        struct RolledBack: Error { var report: [ReplayedCommand] }
        do {
            return try target.log.withWriteTransaction { tx -> [ReplayedCommand] in
                var report: [ReplayedCommand] = []
                for request in requests {
                    let outcome = try target.run(in: tx, actor: request.actor, source: request.source, ids: request.ids, at: request.at) { _ in
                        request.command
                    }
                    var line = ReplayedCommand(commandID: request.ids.commandID.lowercasedText, command: request.command.name,
                                               actor: request.actor.description, outcome: "accepted", refusalCode: nil, message: nil, events: 0)
                    switch outcome {
                    case .success(let execution):
                        line.events = execution.events.count
                        line.outcome = execution.isRepeat ? "already-applied" : (execution.events.isEmpty ? "nothing-to-do" : "accepted")
                    case .failure(.refused(let refusal, _)):
                        line.outcome = "refused"
                        line.refusalCode = refusal.code.rawValue
                        line.message = refusal.message
                    case .failure(let error):
                        throw error
                    }
                    report.append(line)
                }
                if dryRun { throw RolledBack(report: report) }
                return report
            }
        } catch let rolledBack as RolledBack {
            target.runner.reset()
            return rolledBack.report
        } catch {
            target.runner.reset()
            throw SyncLedgerError.wrap(error)
        }
    }
}
