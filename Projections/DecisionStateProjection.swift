import EventLog
import Foundation
import ServerSideSync
import SQLite
import Synchronization

/// The state decisions need (``SyncState``) as a projection: one JSON row per
/// object (tenant, user, environment, environment member, profile, mailbox,
/// Exchange mailbox, Exchange outages, job), system-versioned like every
/// projection, so "what would have been decided at position N" reads
/// ``state(asOf:in:)`` instead of folding the log.
///
/// Objects are never removed from the state; a row whose `json` is NULL
/// would mean "absent from this version on" and is skipped when loading.
///
/// The projection keeps the state it last wrote in memory (per connection and
/// position), so a command reads the stored rows only when another writer
/// moved the log since; ``reset()`` drops it after a rolled-back transaction.
/// What a writer does when the stored rows disagree with the log: it trusts
/// them (re-folding the log per command would cost what this table exists to
/// save); `log verify --projections` compares them with a fresh fold and names
/// the first differing row, and `projections rebuild` restores them from the
/// log — the log always wins.
public final class DecisionStateProjection: Projection {
    public let name = "decision-state"
    /// 3: mailbox rows without their id and without fields that are false or 0 (``MailboxState/decisionStateJSON``).
    public let schemaVersion = 3
    public static let table = VersionedTable("decision_state",
        key: [.init("kind", "TEXT NOT NULL"), .init("key", "TEXT NOT NULL")],
        columns: [.init("json", "TEXT")])
    public var versionedTables: [VersionedTable] { [Self.table] }

    /// The state as of `position`, written by this process on `connection`.
    struct Cached {
        var state: SyncState
        var position: Int64
        var connection: ObjectIdentifier
    }
    private let cache = Mutex<Cached?>(nil)

    public init() {}

    public func handles(type: String) -> Bool { true }

    public func reset() { cache.withLock { $0 = nil } }

    /// The state at `position` on `db`, whose decision-state rows must be at
    /// that position (inline, or caught up): from memory when this projection
    /// last wrote that position on that connection, else loaded from the rows.
    /// Whether this projection wrote (or loaded) the state at `position` on
    /// `db` itself: then no other writer has moved the log since.
    public func isCached(at position: Int64, in db: Connection) -> Bool {
        cache.withLock { $0.map { $0.connection == ObjectIdentifier(db) && $0.position == position } ?? false }
    }

    public func state(at position: Int64, in db: Connection) throws -> SyncState {
        let id = ObjectIdentifier(db)
        if let cached = cache.withLock({ $0 }), cached.connection == id, cached.position == position { return cached.state }
        let state = try Self.load(asOf: nil, from: db)
        cache.withLock { $0 = Cached(state: state, position: position, connection: id) }
        return state
    }

    public func apply(_ e: ProjectedEvent, in store: ProjectionStore) throws {
        let id = ObjectIdentifier(store.db)
        // Take the state out of the cache so it is mutated in place, not copied.
        var state = try cache.withLock { cached -> SyncState? in
            defer { cached = nil }
            guard let c = cached, c.connection == id, c.position == e.position - 1 else { return nil }
            return c.state
        } ?? loadForApplying(at: e.position, in: store)
        SyncDomain.apply(e.event, to: &state)
        for (kind, key) in Self.rows(changedBy: e.event) {
            try Self.table.write([.text(kind), .text(key)], [Self.json(kind: kind, key: key, in: state)], at: e.position, in: store)
        }
        cache.withLock { $0 = Cached(state: state, position: e.position, connection: id) }
    }

    /// The state before `position` when it is not in memory: the stored
    /// rows. Under a buffering store (a rebuild) the state stays cached from
    /// the fold's first event on, and before it the table is empty.
    private func loadForApplying(at position: Int64, in store: ProjectionStore) throws -> SyncState {
        if let buffer = store.buffer(of: Self.table) {
            precondition(buffer.isEmpty, "decision-state: a buffered fold lost its state at #\(position)")
            return SyncState()
        }
        return try Self.load(asOf: nil, from: store.db)
    }

    // MARK: Reading

    /// The state from the rows on `db`: current, or as of a position.
    public static func load(asOf position: Int64?, from db: Connection) throws -> SyncState {
        let decoder = DomainEvent.makeDecoder()
        var state = SyncState()
        var members: [EnvironmentID: Set<UserPrincipalName>] = [:]
        try table.forEachRow(asOf: position, in: db) { row in
            guard !row.isNull(at: 2) else { return }
            let kind = row.text(at: 0), key = row.text(at: 1), json = Data(row.text(at: 2).utf8)
            switch kind {
            case "tenant": state.tenantName = try decoder.decode(String.self, from: json)
            case "user": state.users[UserPrincipalName(key)] = try decoder.decode(DirectoryUser.self, from: json)
            case "environment":
                let id = EnvironmentID(key)
                state.environments[id] = try decoder.decode(EnvironmentState.self, from: json)
            case "member":
                // key: ENVIRONMENT␟UPN (members are rows of their own so a join writes one small row).
                let parts = key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
                members[EnvironmentID(parts[0]), default: []].insert(UserPrincipalName(parts[1]))
            case "profile": state.profiles[ProfileID(key)] = try decoder.decode(ProfileState.self, from: json)
            case "mailbox": state.mailboxes[MailboxID(key)] = try MailboxState(decisionState: json, id: MailboxID(key), decoder: decoder)
            case "exchange-mailbox": state.exchange.mailboxes[EmailAddress(key)] = .some(try decoder.decode(EnvironmentID?.self, from: json))
            case "exchange-outages": state.exchange.outages = try decoder.decode([ClosedRange<Date>].self, from: json)
            case "checkpoint-keys": state.checkpointKeys = try decoder.decode([CheckpointKeyRegistered].self, from: json)
            case "signing-key": state.signingKeys[UserPrincipalName(key)] = try decoder.decode(String.self, from: json)
            case "signed-mode": state.signedMode = true
            case "access-token": state.accessTokens[key] = try decoder.decode(AccessTokenState.self, from: json)
            case "job": state.jobs.insert(JobID(key))
            default: throw SQLiteError(code: .corrupt, message: "unknown decision-state kind \(kind)", sql: nil)
            }
        }
        for (id, users) in members { state.environments[id]?.members.formUnion(users) }
        return state
    }

    /// The state as of `position` (the current state when `nil`).
    public func state(asOf position: Int64?, in db: Connection) throws -> SyncState { try Self.load(asOf: position, from: db) }

    // MARK: Rows

    /// The rows `event` can change, as (kind, key) pairs.
    public static func rows(changedBy event: DomainEvent) -> [(kind: String, key: String)] {
        switch event {
        case .tenantCreated(let e): [("tenant", ""), ("user", e.firstGlobalAdmin.rawValue)]
        case .userAdded(let e): [("user", e.user.rawValue)]
        case .adminRoleGranted(let e): [("user", e.user.rawValue)]
        case .adminRoleRevoked(let e): [("user", e.user.rawValue)]
        case .userJoinedEnvironment(let e): [("member", "\(e.environment.rawValue)\u{1F}\(e.user.rawValue)")]
        case .environmentProvisioned, .chinaExchangeAccessEnabled, .teamCreated, .teamMemberAdded, .queueCreated, .securityRoleCreated,
             .rolePrivilegeSet, .securityRoleAssigned, .securityRoleRemoved, .emailSettingsChanged, .defaultServerProfileSet:
            [("environment", String(event.stream.dropFirst("environment:".count)))]
        case .serverProfileCreated, .serverProfileUpdated, .serverProfileLocationSet, .serverProfileDeactivated:
            [("profile", String(event.stream.dropFirst("profile:".count)))]
        case .mailboxCreated, .mailboxConfigured, .mailboxEmailAddressChanged, .mailboxEmailApproved, .mailboxEmailRejected, .mailboxTestCompleted:
            [("mailbox", String(event.stream.dropFirst("mailbox:".count)))]
        case .exchangeMailboxAdded(let e): [("exchange-mailbox", e.emailAddress.rawValue)]
        case .exchangeSyncOrgChanged(let e): [("exchange-mailbox", e.emailAddress.rawValue)]
        case .exchangeOutageRecorded: [("exchange-outages", "")]
        case .checkpointKeyRegistered: [("checkpoint-keys", "")]
        case .signingKeyEnrolled(let e): [("signing-key", e.user.rawValue)]
        case .signedModeChanged: [("signed-mode", "")]
        case .accessTokenIssued(let e): [("access-token", e.id)]
        case .accessTokenRevoked(let e): [("access-token", e.id)]
        case .profileTestJobStarted(let e): [("job", e.job.rawValue)]
        case .profileTestJobCompleted, .commandRefused: []
        }
    }

    /// The JSON of one row in `state` (NULL when the object is absent).
    static let encoder = DomainEvent.makeEncoder()

    static func json(kind: String, key: String, in state: SyncState) throws -> SQLiteValue {
        func json(_ value: some Encodable) throws -> SQLiteValue { .text(String(decoding: try encoder.encode(value), as: UTF8.self)) }
        switch kind {
        case "tenant": return try state.tenantName.map(json) ?? .null
        case "user": return try state.users[UserPrincipalName(key)].map(json) ?? .null
        case "environment":
            guard var env = state.environments[EnvironmentID(key)] else { return .null }
            env.members = []   // members are rows of their own
            return try json(env)
        case "member":
            let parts = key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
            return state.environments[EnvironmentID(parts[0])]?.members.contains(UserPrincipalName(parts[1])) == true ? .text("true") : .null
        case "profile": return try state.profiles[ProfileID(key)].map(json) ?? .null
        case "mailbox": return state.mailboxes[MailboxID(key)].map { .text($0.decisionStateJSON) } ?? .null
        case "exchange-mailbox": return try state.exchange.mailboxes[EmailAddress(key)].map { try json($0) } ?? .null
        case "exchange-outages": return try json(state.exchange.outages)
        case "checkpoint-keys": return state.checkpointKeys.isEmpty ? .null : try json(state.checkpointKeys)
        case "signing-key": return try state.signingKeys[UserPrincipalName(key)].map(json) ?? .null
        case "signed-mode": return state.signedMode ? .text("true") : .null
        case "access-token": return try state.accessTokens[key].map(json) ?? .null
        case "job": return state.jobs.contains(JobID(key)) ? .text("true") : .null
        default: return .null
        }
    }
}

extension DecisionStateProjection {
    /// One access token's current row, by id: an indexed read, for
    /// authenticating a request without loading the state.
    public static func accessToken(id: String, in db: Connection) throws -> AccessTokenState? {
        guard let row = try table.current([.text("access-token"), .text(id)], in: db), case .text(let json) = row.values[0] else { return nil }
        return try DomainEvent.makeDecoder().decode(AccessTokenState.self, from: Data(json.utf8))
    }
}
