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
        var requests: [Request] = []
        do {
            try log.forEachEvent(from: from.next, through: to) { event in
                let metadata = try EventMetadata.decode(event.metadata)
                guard let command = metadata.arguments else { return }
                requests.append(Request(command: command, actor: Self.actor(named: metadata.actor), source: metadata.source,
                                        commandID: metadata.commandID, correlationID: metadata.correlationID,
                                        causationID: metadata.causationID, at: metadata.decidedAt))
            }
        } catch {
            throw SyncLedgerError.wrap(error)
        }
        struct RolledBack: Error { var report: [ReplayedCommand] }
        do {
            let (report, cached) = try target.log.withWriteTransaction { tx -> ([ReplayedCommand], Cached) in
                var cached = try target.loadState(in: tx)
                var report: [ReplayedCommand] = []
                for request in requests {
                    let outcome = try target.run(request, in: tx, cached: &cached)
                    var line = ReplayedCommand(commandID: request.commandID.uuidString.lowercased(), command: request.command.name,
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
                return (report, cached)
            }
            target.cache.withLock { $0 = cached }
            return report
        } catch let rolledBack as RolledBack {
            target.cache.withLock { $0 = nil }
            return rolledBack.report
        } catch {
            target.cache.withLock { $0 = nil }
            throw SyncLedgerError.wrap(error)
        }
    }

    static func actor(named name: String) -> Actor {
        name == "system" ? .system : .user(UserPrincipalName(name))
    }
}
