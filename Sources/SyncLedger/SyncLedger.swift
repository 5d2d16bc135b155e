import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite
import Synchronization

/// The application: executes admin commands against the log and answers the
/// auditors' questions from the projections.
///
/// `execute` loads the decision state, asks the pure domain to decide,
/// appends the events with their metadata, and updates the inline
/// projections and the decision state — all in one write transaction. A
/// refusal appends one audited denial event instead, and nothing else.
///
/// ## Topics
/// - ``open(at:options:)``
/// - ``execute(_:as:source:commandID:correlationID:causationID:at:)``
/// - ``mailboxStatus(asOf:)``, ``alerts(asOf:wall:)``, ``audit(asOf:filter:)``
/// - ``diff(from:to:)``, ``explain(mailbox:field:asOf:)``
/// - ``rebuild(_:progress:)``, ``verify(progress:)``, ``replay(from:through:onto:dryRun:)``
public final class SyncLedger: Sendable {
    /// How a ledger is opened.
    public struct Options: Sendable {
        public var log = EventLog.Options()
        public var ambient = Ambient.live
        public var exchange: any ExchangeOnline = SimulatedExchangeOnline()
        public var snapshotInterval: Int64 = 20_000
        /// Called while stale projections are rebuilt on open (done, total).
        public var progress: (@Sendable (Position, Position) -> Void)?

        public init(ambient: Ambient = .live, durability: EventLog.Options.Durability = .full, createIfMissing: Bool = true,
                    snapshotInterval: Int64 = 20_000, exchange: any ExchangeOnline = SimulatedExchangeOnline(),
                    progress: (@Sendable (Position, Position) -> Void)? = nil) {
            self.ambient = ambient
            self.log = EventLog.Options(durability: durability, createIfMissing: createIfMissing, clock: ambient.now)
            self.snapshotInterval = snapshotInterval
            self.exchange = exchange
            self.progress = progress
        }
    }

    /// The decision state as of a position, cached between commands.
    struct Cached: Sendable {
        var state: SyncState
        var position: Position
    }

    public let log: EventLog
    public let runner: ProjectionRunner
    let options: Options
    let cache = Mutex<Cached?>(nil)

    init(log: EventLog, runner: ProjectionRunner, options: Options) {
        self.log = log
        self.runner = runner
        self.options = options
    }

    /// Opens (creating when absent) the ledger at `path`, and brings every
    /// projection up to date: missing or outdated ones are rebuilt from the log.
    public static func open(at path: String, options: Options = Options()) throws(SyncLedgerError) -> SyncLedger {
        let log: EventLog
        do { log = try EventLog.open(at: path, options: options.log) } catch { throw .cannotOpen(error) }
        let ledger = SyncLedger(log: log, runner: ProjectionRunner(snapshotInterval: options.snapshotInterval), options: options)
        do {
            // Take the write lock only when there is something to catch up, so
            // queries on a live ledger never wait for writers.
            let behind = try log.withReadTransaction { db in try ledger.runner.needsCatchUp(in: db, head: try db.headPosition()) }
            if behind {
                try log.withWriteTransaction { tx in try ledger.runner.catchUp(in: tx, progress: options.progress) }
            }
        } catch {
            throw SyncLedgerError.wrap(error)
        }
        return ledger
    }

    /// The path of the ledger's file.
    public var path: String { log.path }

    // MARK: Executing commands

    /// What an executed command recorded.
    public struct Execution: Sendable {
        public var commandID: UUID
        /// The events recorded, in order; empty when there was nothing to do.
        public var events: [RecordedEvent]
        /// The same command id had already been executed: these are its
        /// original events, and nothing new was written.
        public var isRepeat: Bool
    }

    /// Executes `command` by `actor`.
    ///
    /// - Parameters:
    ///   - commandID: Makes the call idempotent: a command id already executed
    ///     returns its first outcome (events, or the refusal) and writes nothing.
    ///   - at: Decide at this instant instead of the ambient clock (replay).
    /// - Throws: ``SyncLedgerError/refused(_:denial:)`` after recording the
    ///   audited denial; ``SyncLedgerError/conflict(_:)``; storage errors.
    @discardableResult
    public func execute(_ command: Command, as actor: Actor, source: CommandSource = .cli, commandID: UUID? = nil,
                        correlationID: UUID? = nil, causationID: UUID? = nil, at instant: Date? = nil) throws(SyncLedgerError) -> Execution {
        let request = Request(command: command, actor: actor, source: source, commandID: commandID ?? options.ambient.newID(),
                              correlationID: correlationID, causationID: causationID, at: instant)
        for attempt in 1...3 {
            do {
                let (outcome, cached) = try log.withWriteTransaction { tx in
                    var cached = try self.loadState(in: tx)
                    let outcome = try self.run(request, in: tx, cached: &cached)
                    return (outcome, cached)
                }
                cache.withLock { $0 = cached }
                return try outcome.get()
            } catch let error as SyncLedgerError {
                if case .conflict = error, attempt < 3 { cache.withLock { $0 = nil }; continue }
                throw error
            } catch {
                cache.withLock { $0 = nil }
                let wrapped = SyncLedgerError.wrap(error)
                if case .conflict = wrapped, attempt < 3 { continue }
                throw wrapped
            }
        }
        throw .storage("unreachable")
    }

    /// One command to run, with its ids.
    struct Request: Sendable {
        var command: Command
        var actor: Actor
        var source: CommandSource
        var commandID: UUID
        var correlationID: UUID?
        var causationID: UUID?
        var at: Date?
    }

    /// The decision state as of the transaction's head: the cache, folded
    /// forward over events other writers appended since (this process's other
    /// ledgers, other processes); without a cache, the stored rows, folded
    /// forward over any events they lack (which are then saved).
    func loadState(in tx: WriteTransaction) throws -> Cached {
        let head = try tx.head().position
        if var cached = cache.withLock({ $0 }), cached.position <= head {
            if cached.position < head {
                try tx.forEachEvent(after: cached.position, through: head) { recorded in
                    SyncDomain.apply(try ProjectedEvent(recorded).event, to: &cached.state)
                }
                cached.position = head
            }
            return cached
        }
        let db = tx.connection
        let checkpoint = try db.scalar("SELECT position FROM projection_checkpoints WHERE name = ?", .text(DecisionStateStore.name))?.int64 ?? 0
        var state = try DecisionStateStore.load(from: db)
        if checkpoint < head.rawValue {
            var missed: [DomainEvent] = []
            try tx.forEachEvent(after: Position(checkpoint), through: head) { recorded in
                let event = try ProjectedEvent(recorded).event
                SyncDomain.apply(event, to: &state)
                missed.append(event)
            }
            try DecisionStateStore.save(missed, state: state, in: db)
            try runner.setDecisionCheckpoint(head, in: db)
        }
        return Cached(state: state, position: head)
    }

    /// Runs one request inside `tx`, updating `cached`. A refusal is recorded
    /// and returned as a failure (not thrown, so the denial commits).
    func run(_ request: Request, in tx: WriteTransaction, cached: inout Cached) throws -> Result<Execution, SyncLedgerError> {
        let db = tx.connection
        if let earlier = try earlierOutcome(of: request.commandID, in: tx) { return earlier }
        let now = (request.at ?? options.ambient.now()).truncatedToMilliseconds
        let context = DecisionContext(actor: request.actor, now: now, source: request.source, exchange: options.exchange)
        let metadata = EventMetadata(
            actor: request.actor.description, roles: rolesHeld(by: request.actor, for: request.command, in: cached.state),
            command: request.command.name, arguments: request.command, commandID: request.commandID,
            correlationID: request.correlationID ?? request.commandID, causationID: request.causationID,
            source: request.source, decidedAt: now)
        let events: [DomainEvent]
        var refusal: Refusal?
        do {
            events = try SyncDomain.decide(request.command, given: cached.state, context: context)
        } catch {
            refusal = error
            events = [.commandRefused(CommandRefused(
                command: request.command.name, target: request.command.target, actor: request.actor.description,
                rolesHeld: metadata.roles, code: error.code.rawValue, category: error.category, message: error.message))]
        }
        guard !events.isEmpty else { return .success(Execution(commandID: request.commandID, events: [], isRepeat: false)) }
        var newEvents: [NewEvent] = []
        var metadataOf: [EventMetadata] = []
        var expectations: [StreamID: ExpectedVersion] = [:]
        for (index, event) in events.enumerated() {
            var eventMetadata = metadata
            if index > 0 { eventMetadata.arguments = nil }
            metadataOf.append(eventMetadata)
            let (type, version) = event.typeName
            let stream = StreamID(event.stream)
            if refusal == nil, expectations[stream] == nil { expectations[stream] = .exactly(try tx.streamVersion(of: stream)) }
            newEvents.append(NewEvent(id: options.ambient.newID(), stream: stream, type: type, schemaVersion: version,
                                      data: String(decoding: try event.encodedData(), as: UTF8.self), metadata: try eventMetadata.encoded()))
        }
        let recorded = try tx.append(newEvents, expecting: expectations)
        let projected = recorded.indices.map { ProjectedEvent(recorded: recorded[$0], event: events[$0], metadata: metadataOf[$0]) }
        try runner.applyInline(projected, in: db)
        var newState = cached.state
        for event in events { SyncDomain.apply(event, to: &newState) }
        try DecisionStateStore.save(events, state: newState, in: db)
        let head = recorded.last!.position
        try runner.setDecisionCheckpoint(head, in: db)
        cached = Cached(state: newState, position: head)
        if let refusal { return .failure(.refused(refusal, denial: recorded[0].position)) }
        return .success(Execution(commandID: request.commandID, events: recorded, isRepeat: false))
    }

    /// The first outcome of `commandID`, if it was executed before.
    func earlierOutcome(of commandID: UUID, in tx: WriteTransaction) throws -> Result<Execution, SyncLedgerError>? {
        let statement = try tx.connection.statement("SELECT first_position, last_position FROM commands WHERE command_id = ?")
        try statement.bind([.text(commandID.uuidString.lowercased())])
        guard try statement.step() else { statement.reset(); return nil }
        let first = statement.int64(at: 0), last = statement.int64(at: 1)
        statement.reset()
        var events: [RecordedEvent] = []
        try tx.forEachEvent(after: Position(first - 1), through: Position(last)) { event in
            if (try? EventMetadata.decode(event.metadata).commandID) == commandID { events.append(event) }
        }
        if let denial = events.first, case .commandRefused(let refused) = try ProjectedEvent(denial).event {
            let code = RefusalCode(rawValue: refused.code) ?? .invalidValue
            return .failure(.refused(Refusal(code, refused.message), denial: nil))
        }
        return .success(Execution(commandID: commandID, events: events, isRepeat: true))
    }

    /// The roles `actor` holds for `command`: directory roles and the security
    /// roles of the environment the command concerns.
    func rolesHeld(by actor: Actor, for command: Command, in state: SyncState) -> [String] {
        guard case .user(let upn) = actor else { return [] }
        return Authority(user: upn, in: command.environment(in: state), state: state).rolesHeld
    }

    /// The current decision state (directory, environments, profiles, mailboxes).
    ///
    /// Read without the write lock when the stored state is current; folded
    /// forward (and saved) under the write lock otherwise.
    public func currentState() throws(SyncLedgerError) -> SyncState {
        do {
            let stored: Cached? = try log.withReadTransaction { db in
                let head = try db.headPosition()
                if let cached = self.cache.withLock({ $0 }), cached.position == head { return cached }
                let checkpoint = try db.scalar("SELECT position FROM projection_checkpoints WHERE name = ?", .text(DecisionStateStore.name))?.int64 ?? -1
                guard checkpoint == head.rawValue else { return nil }
                return Cached(state: try DecisionStateStore.load(from: db), position: head)
            }
            if let stored {
                cache.withLock { $0 = stored }
                return stored.state
            }
            return try log.withWriteTransaction { tx in
                let cached = try self.loadState(in: tx)
                self.cache.withLock { $0 = cached }
                return cached.state
            }
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }
}

extension ProjectionRunner {
    /// Moves the decision state's checkpoint.
    func setDecisionCheckpoint(_ position: Position, in db: Connection) throws {
        try db.run("""
            INSERT INTO projection_checkpoints(name, schema_version, position) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET schema_version = excluded.schema_version, position = excluded.position
            """, .text(DecisionStateStore.name), .int(DecisionStateStore.schemaVersion), .integer(position.rawValue))
    }
}

extension Command {
    /// The environment a command concerns, for recording the actor's roles.
    public func environment(in state: SyncState) -> EnvironmentID? {
        switch self {
        case .provisionEnvironment(let p): p.environment
        case .addUser(_, _, let env): env
        case .enableChinaExchangeAccess(let env), .createTeam(let env, _), .addTeamMember(let env, _, _), .createQueue(let env, _, _),
             .createRole(let env, _), .setRolePrivilege(let env, _, _, _), .assignRole(let env, _, _), .removeRole(let env, _, _),
             .createProfile(_, let env, _, _), .setDefaultProfile(let env, _), .changeEmailSettings(let env, _):
            env
        case .updateProfile(let id, _), .setProfileLocation(let id, _), .deactivateProfile(let id), .testProfileMailboxes(let id, _):
            state.profiles[id]?.environment
        case .applyDefaultSettings(let ids, _), .editMailboxes(let ids, _), .testAndEnable(let ids, _):
            ids.first.flatMap { state.mailboxes[$0]?.environment }
        case .changeEmailAddress(let id, _), .approveEmail(let id, _), .rejectEmail(let id):
            state.mailboxes[id]?.environment
        case .createTenant, .grantAdminRole, .revokeAdminRole, .processDueRetries, .addExchangeMailbox, .recordExchangeOutage:
            nil
        }
    }
}
