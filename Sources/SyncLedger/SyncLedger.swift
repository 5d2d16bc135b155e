import EventLog
import SQLite
import Foundation
import Projections
import ServerSideSync
import Synchronization

/// The application: executes admin commands against the log and answers the
/// auditors' questions from the projections. Front ends (the CLI, a server)
/// talk to this type and the domain's value types only; nothing here is SQL.
///
/// `execute` resolves names, reads the decision state once, asks the pure
/// domain to decide, appends the events with their metadata, and updates
/// every projection (current rows and their history versions) — all in one
/// write transaction. A refusal appends one audited denial event instead.
///
/// ## Concurrency
/// Decisions are serialised by the log's write lock: the state a command is
/// decided on is read inside the same `BEGIN IMMEDIATE` transaction that
/// appends its events, so no other writer — thread or process — can move the
/// log in between, and there is nothing to retry. Commands from concurrent
/// threads of one process are group-committed: one transaction takes every
/// command waiting at that moment, one after the other, each in its own
/// savepoint and each decided on the state its predecessors left, and every
/// caller returns after the one `COMMIT`. Other processes' commits
/// are seen at the start of the next command (their inline projections
/// committed with them; a projection left behind by a foreign writer is caught
/// up inside the transaction first).
///
/// ## Topics
/// - ``open(at:options:)``
/// - ``execute(as:source:commandID:correlationID:causationID:at:_:)``
/// - ``mailboxStatus(asOf:environment:)``, ``alerts(asOf:wall:)``, ``audit(asOf:filter:)``
/// - ``diff(from:to:)``, ``explain(mailbox:field:asOf:)``
/// - ``rebuild(_:copyChunk:progress:)``, ``verify(from:expectingHead:progress:)``, ``verifyProjections(progress:)``
public final class SyncLedger: Sendable {
    /// How a ledger is opened.
    public struct Options: Sendable {
        public var ambient = Ambient.live
        public var exchange: any ExchangeOnline = SimulatedExchangeOnline()
        public var durability: Durability = .full
        /// Whether a missing file is created (admin commands) or refused (queries).
        public var createIfMissing = true
        /// Create a missing file as a simulation ledger (training, tests,
        /// demos): recorded in the file at creation and shown by every query;
        /// the only kind on which the decision clock may be pinned. Ignored
        /// for an existing file.
        public var simulation = false
        /// Open for reading only: nothing is caught up or written, commands
        /// fail, and the log can be read even when it holds event types this
        /// binary does not know (verify, head, export).
        public var readOnly = false
        /// Called while stale projections are rebuilt on open (done, total).
        public var progress: (@Sendable (Position, Position) -> Void)?
        /// How long one command waits, in all, for another process's write
        /// lock (sleeping in jittered steps of 1–50 ms) before failing with
        /// ``SyncLedgerError/busy(_:)``. 30 seconds by default.
        public var lockWait: Duration = .seconds(30)

        public init(ambient: Ambient = .live, durability: Durability = .full, createIfMissing: Bool = true, readOnly: Bool = false,
                    simulation: Bool = false, exchange: any ExchangeOnline = SimulatedExchangeOnline(),
                    progress: (@Sendable (Position, Position) -> Void)? = nil) {
            self.ambient = ambient
            self.simulation = simulation
            self.durability = durability
            self.createIfMissing = createIfMissing
            self.readOnly = readOnly
            self.exchange = exchange
            self.progress = progress
        }

        /// Options for examining evidence: read-only, never created.
        public static var evidence: Options { Options(createIfMissing: false, readOnly: true) }

        var log: EventLog.Options {
            // recorded_at comes from the system clock only, whatever the decision clock says.
            EventLog.Options(durability: durability == .full ? .full : .normal, busyTimeout: lockWait, createIfMissing: createIfMissing,
                             readOnly: readOnly, simulation: simulation, clock: { Date() })
        }
    }

    /// How hard a commit works to survive power loss.
    public enum Durability: Sendable {
        /// `synchronous=FULL`: a committed command survives power loss. The default.
        case full
        /// `synchronous=NORMAL`: the last commits may be lost on power loss (never on a crash).
        case normal
    }

    let log: EventLog
    let runner: ProjectionRunner
    let options: Options
    /// Held while a rebuild runs: one at a time per ledger.
    let rebuilding = Mutex(())

    init(log: EventLog, runner: ProjectionRunner, options: Options) {
        self.log = log
        self.runner = runner
        self.options = options
    }

    /// Opens (creating when absent and allowed) the ledger at `path`. A writable
    /// ledger brings every projection up to date first: missing or outdated
    /// ones are rebuilt from the log (taking the write lock only when there is
    /// something to do). A read-only ledger is read as it is.
    public static func open(at path: String, options: Options = Options()) throws(SyncLedgerError) -> SyncLedger {
        let log: EventLog
        do { log = try EventLog.open(at: path, options: options.log) } catch { throw .wrap(error) }
        let ledger = SyncLedger(log: log, runner: ProjectionRunner(), options: options)
        guard !options.readOnly else { return ledger }
        do {
            let (behind, stale, head) = try log.withReadTransaction { db in
                let head = try db.headPosition()
                let stale = try ledger.runner.stale(in: db)
                return (try !stale.isEmpty || ledger.runner.isBehind(head, in: db), stale, head)
            }
            if behind {
                // Outdated or missing read models of a non-empty log are rebuilt in bounded steps.
                if head > .origin && !stale.isEmpty { try ledger.rebuild(stale, progress: options.progress) }
                try log.withWriteTransaction { tx in
                    try ledger.runner.catchUp(in: tx.connection, through: try tx.head().position, events: tx.events,
                                              progress: options.progress)
                }
            }
        } catch {
            ledger.runner.reset()
            throw SyncLedgerError.wrap(error)
        }
        return ledger
    }

    /// The path of the ledger's file.
    public var path: String { log.path }

    /// Whether the ledger was opened read-only.
    public var isReadOnly: Bool { options.readOnly }

    /// Whether the file was created as a simulation ledger (decision times
    /// may be pinned there; they are then not real times).
    public var isSimulation: Bool { log.isSimulation }

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

    /// Executes the command `make` builds by `actor`. `make` runs inside the
    /// command's transaction with a ``NameResolver`` over the same state the
    /// command is decided on, so names resolve to what the decision sees, and
    /// the state is read once.
    ///
    /// - Parameters:
    ///   - commandID: Makes the call idempotent: a command id already executed
    ///     returns its first outcome (events, or the refusal) and writes nothing.
    ///   - at: Decide at this instant instead of the ambient clock (replay).
    /// - Throws: ``SyncLedgerError/refused(_:denial:)`` after recording the
    ///   audited denial; ``SyncLedgerError/notFound(_:)`` or
    ///   ``SyncLedgerError/invalidInput(_:)`` when a name does not resolve
    ///   (nothing is written); storage errors.
    @discardableResult
    ///   - signingKey: The actor's private key: the command is signed (over
    ///     the ledger id, the head it is decided on, its id, the actor and its
    ///     JSON) inside the transaction, and the signature recorded. In signed
    ///     mode a person's command without a valid signature by their enrolled
    ///     key is refused (an audited denial naming the claimed and the proven
    ///     identity).
    public func execute(as actor: Actor, source: CommandSource = .cli, commandID: UUID? = nil, correlationID: UUID? = nil,
                        causationID: UUID? = nil, at instant: Date? = nil, signingKey: SigningKey? = nil,
                        _ make: (NameResolver) throws -> Command) throws(SyncLedgerError) -> Execution {
        try execute(as: actor, source: source, principal: nil, commandID: commandID, correlationID: correlationID, causationID: causationID,
                    at: instant, signingKey: signingKey, make)
    }

    /// Executes the command `make` builds for a caller proven by a credential
    /// (the HTTP API): the principal's user is the actor and the source is
    /// `http`; the credential is recorded in the metadata; an auditor-scope
    /// credential may not run commands, and trying is an audited denial
    /// (``RefusalCode/readOnlyCredential``).
    @discardableResult
    public func execute(as principal: ProvenIdentity, commandID: UUID? = nil,
                        _ make: (NameResolver) throws -> Command) throws(SyncLedgerError) -> Execution {
        try execute(as: .user(principal.user), source: .http, principal: principal, commandID: commandID, correlationID: nil,
                    causationID: nil, at: nil, signingKey: nil, make)
    }

    func execute(as actor: Actor, source: CommandSource, principal: ProvenIdentity?, commandID: UUID?, correlationID: UUID?,
                 causationID: UUID?, at instant: Date?, signingKey: SigningKey?,
                 _ make: (NameResolver) throws -> Command) throws(SyncLedgerError) -> Execution {
        guard !options.readOnly else { throw .invalidInput("the ledger was opened read-only") }
        let ids = Request.IDs(commandID: commandID ?? options.ambient.newID(), correlationID: correlationID, causationID: causationID)
        let runner = self.runner
        do {
            // Commands of concurrent threads share one transaction and one COMMIT (group commit), each in
            // its own savepoint; a command that fails is rolled back alone, and the decision state held in
            // memory, which may hold what was rolled back, is dropped.
            return try log.withGroupCommit(onRollback: { runner.reset() }) { tx in
                try self.run(in: tx, actor: actor, source: source, ids: ids, at: instant, signingKey: signingKey, principal: principal, make)
            }.get()
        } catch {
            throw SyncLedgerError.wrap(error)
        }
    }

    /// Executes `command` by `actor` (names already resolved).
    @discardableResult
    public func execute(_ command: Command, as actor: Actor, source: CommandSource = .cli, commandID: UUID? = nil,
                        correlationID: UUID? = nil, causationID: UUID? = nil, at instant: Date? = nil,
                        signingKey: SigningKey? = nil) throws(SyncLedgerError) -> Execution {
        try execute(as: actor, source: source, commandID: commandID, correlationID: correlationID, causationID: causationID, at: instant,
                    signingKey: signingKey) { _ in command }
    }

    /// One command's ids and clock, as recorded.
    struct Request: Sendable {
        struct IDs: Sendable {
            var commandID: UUID
            var correlationID: UUID?
            var causationID: UUID?
        }
        var command: Command
        var actor: Actor
        var source: CommandSource
        var ids: IDs
        var at: Date?
    }

    /// Runs one command inside `tx`. A refusal is recorded and returned as a
    /// failure (not thrown, so the denial commits).
    func run(in tx: WriteTransaction, actor: Actor, source: CommandSource, ids: Request.IDs, at instant: Date?,
             signingKey: SigningKey? = nil, principal: ProvenIdentity? = nil,
             _ make: (NameResolver) throws -> Command) throws -> Result<Execution, SyncLedgerError> {
        let db = tx.connection
        let head = try tx.head().position
        // Only when another writer moved the log since this ledger's last command can a projection lag behind it.
        if !runner.decisionState.isCached(at: head.rawValue, in: db), try runner.isBehind(head, in: db) {
            try runner.catchUp(in: db, through: head, events: tx.events)
        }
        if let earlier = try earlierOutcome(of: ids.commandID, in: tx) { return earlier }
        let now = (instant ?? options.ambient.now()).truncatedToMilliseconds
        if instant == nil && !options.ambient.isSystemClock {
            guard log.isSimulation else {
                throw SyncLedgerError.invalidInput("a pinned clock (SYNCLEDGER_NOW) is allowed only on a simulation ledger (`syncledger init --simulation`); \(log.path) is a real ledger, whose commands are decided at the system clock's time")
            }
            guard now <= Date() else {
                throw SyncLedgerError.invalidInput("the pinned clock \(Timestamp.format(now)) is ahead of the system clock; a simulation may replay the past, never the future")
            }
        }
        // The state is read once; its scope ends before the projections fold
        // the new events into it, so they change it in place.
        var signature: EventMetadata.CommandSignatureRecord?
        let (command, events, refusal, roles): (Command, [DomainEvent], Refusal?, [String]) = try {
            let state = try runner.decisionState.state(at: head.rawValue, in: db)
            let command = try make(NameResolver(state: state))
            let roles = rolesHeld(by: actor, for: command, in: state)
            let context = DecisionContext(actor: actor, now: now, source: source, exchange: options.exchange)
            do throws(Refusal) {
                if let principal, principal.scope == .auditor {
                    throw Refusal(.readOnlyCredential, "\(principal.credential) is an auditor credential of \(principal.user): it may read, not run \(command.name)")
                }
                signature = try checkSignature(of: command, by: actor, id: ids.commandID, key: signingKey, state: state, in: tx)
                return (command, try SyncDomain.decide(command, given: state, context: context), nil, roles)
            } catch {
                return (command, [.commandRefused(CommandRefused(
                    command: command.name, target: command.target, actor: actor.description, rolesHeld: roles,
                    code: error.code.rawValue, category: error.category, message: error.message))], error, roles)
            }
        }()
        guard !events.isEmpty else { return .success(Execution(commandID: ids.commandID, events: [], isRepeat: false)) }
        var metadata = EventMetadata(
            actor: actor.description, roles: roles, command: command.name, arguments: command, commandID: ids.commandID,
            correlationID: ids.correlationID ?? ids.commandID, causationID: ids.causationID, source: source, decidedAt: now)
        (metadata.osUser, metadata.host) = EventMetadata.runningProcess
        metadata.signature = signature
        metadata.credential = principal?.credential
        var newEvents: [NewEvent] = []
        var metadataOf: [EventMetadata] = []
        let encoder = DomainEvent.makeEncoder()   // one per command
        // The events after the first share its metadata, less the arguments: the log stores it once
        // (MetadataContinuation), and reads it back on each of them.
        var withoutArguments = metadata
        withoutArguments.arguments = nil
        for (index, event) in events.enumerated() {
            let eventMetadata = index == 0 ? metadata : withoutArguments
            let text = index == 0 ? try metadata.encoded(using: encoder) : MetadataContinuation.text(offset: index)
            metadataOf.append(eventMetadata)
            let (type, version) = event.typeName
            newEvents.append(NewEvent(id: options.ambient.newID(), stream: StreamID(event.stream), type: type, schemaVersion: version,
                                      data: String(decoding: try event.encodedData(using: encoder), as: UTF8.self), metadata: text))
        }
        let recorded = try tx.append(newEvents)
        try runner.applyInline(recorded.indices.map { ProjectedEvent(recorded: recorded[$0], event: events[$0], metadata: metadataOf[$0]) }, in: db)
        if let refusal { return .failure(.refused(refusal, denial: recorded[0].position)) }
        return .success(Execution(commandID: ids.commandID, events: recorded, isRepeat: false))
    }

    /// Signs `command` with `key` when one is given, and in signed mode
    /// requires a valid signature by the actor's enrolled key. System commands
    /// (scheduled retries) are exempt: no person runs them.
    func checkSignature(of command: Command, by actor: Actor, id: UUID, key: SigningKey?, state: SyncState,
                        in tx: WriteTransaction) throws(Refusal) -> EventMetadata.CommandSignatureRecord? {
        guard case .user(let upn) = actor, state.signedMode || key != nil else { return nil }
        guard let key else {
            throw Refusal(.commandNotSigned, "the ledger is in signed mode: \(upn)'s command must be signed with their key (--key FILE or SYNCLEDGER_KEY); claimed identity \(upn), proven identity: none")
        }
        let signed: (record: EventMetadata.CommandSignatureRecord, message: Data, value: [UInt8])
        do {
            signed = try Self.sign(command, by: upn, id: id, key: key, in: tx.connection)
        } catch {
            throw Refusal(.invalidValue, "the command could not be signed: \(error)")
        }
        guard state.signedMode else { return signed.record }
        if let enrolled = state.signingKeys[upn], EventLog.Signing.isValid(signed.value, of: signed.message, by: enrolled) { return signed.record }
        let proven = state.signingKeys.sorted { $0.key < $1.key }.first { EventLog.Signing.isValid(signed.value, of: signed.message, by: $0.value) }?.key
        throw Refusal(.identityNotProven, "the signature is not by \(upn)'s enrolled key: claimed identity \(upn), proven identity: \(proven.map(\.rawValue) ?? "none")")
    }

    /// The signature record of `command` by `upn` on the log as `db` sees it.
    static func sign(_ command: Command, by upn: UserPrincipalName, id: UUID, key: SigningKey, in db: Connection) throws
        -> (record: EventMetadata.CommandSignatureRecord, message: Data, value: [UInt8]) {
        let head = try db.logHead()
        let json = try DomainEvent.makeEncoder().encode(command)
        let digest = EventLog.Signing.digest(json)
        let message = EventLog.Signing.message(ledgerID: try db.ledgerID() ?? "", headPosition: head.position.rawValue, headHash: head.hash,
                                               commandID: id, actor: upn.rawValue, digest: digest)
        let value = try EventLog.Signing.sign(message, with: key)
        return (EventMetadata.CommandSignatureRecord(head: "\(head.position.rawValue):\(hexString(head.hash))", digest: hexString(digest),
                                                     value: Data(value).base64EncodedString()), message, value)
    }

    /// The first outcome of `commandID`, if it was executed before.
    func earlierOutcome(of commandID: UUID, in tx: WriteTransaction) throws -> Result<Execution, SyncLedgerError>? {
        guard let (first, last) = try CommandsProjection.positions(of: commandID, in: tx.connection) else { return nil }
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
}

extension WriteTransaction {
    /// This transaction's view of the log, as the runner reads it.
    var events: EventSource {
        { after, through, body in try self.forEachEvent(after: after, through: through, body) }
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
        case .createTenant, .grantAdminRole, .revokeAdminRole, .processDueRetries, .addExchangeMailbox, .recordExchangeOutage, .registerCheckpointKey, .enrolSigningKey, .setSignedMode,
             .issueAccessToken, .revokeAccessToken:
            nil
        }
    }
}
