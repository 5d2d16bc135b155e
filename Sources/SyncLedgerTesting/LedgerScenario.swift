import Foundation
import ServerSideSync
import SyncLedger
import Testing

/// Given commands, when one more, then exactly these events — and exactly this
/// change to the mailbox grid, the alerts walls and the audit trail.
///
/// Where ``Scenario`` folds events in memory, a `LedgerScenario` runs every
/// command through a real ledger (a temporary simulation ledger file, removed
/// when the scenario is released), so `then` can also assert what auditors
/// see. The assertions are exhaustive: ``LedgerOutcome/thenGrid(_:sourceLocation:)``
/// takes the grid as it was before the command, lets you describe every
/// change, and fails with a line diff when the grid after the command is
/// anything else — an unexpected change is as much a failure as a missing one.
///
/// ```swift
/// let world = try LedgerScenario().given(Contoso.worldCommands)
/// world.when(.approveEmail(Contoso.mailbox(Contoso.alice)), by: .user(Contoso.gabriela))
///     .then(.mailboxEmailApproved(...))
///     .thenGrid { grid in
///         grid["contoso-prod/user:alice@contoso.com"]?.emailStatus = "Approved"
///     }
/// ```
///
/// Times are decision times on a hand-driven clock (``clock``) and ids are
/// sequential, so rows are the same on every run; the audit trail's
/// `recordedAt` (the system clock's append time) is the one field left out of
/// comparisons.
public final class LedgerScenario: Sendable {
    /// The ledger the commands run on.
    public let ledger: SyncLedger
    /// The decision clock; ``given(_:by:at:sourceLocation:)`` and
    /// ``when(_:by:at:source:)`` set it when given an instant.
    public let clock: ManualAmbient
    private let folder: URL

    /// A fresh temporary simulation ledger whose clock starts at `start`.
    public init(at start: Date = Contoso.t0) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        clock = ManualAmbient(at: start)
        ledger = try SyncLedger.open(at: folder.appendingPathComponent("scenario.sqlite").path,
                                     options: .init(ambient: clock.ambient, simulation: true))
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Runs `command` by `actor` (at `instant`, when given) as part of the
    /// past. A refusal or failure records an issue: the past must happen.
    @discardableResult
    public func given(_ command: Command, by actor: Actor, at instant: Date? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) -> LedgerScenario {
        if let instant { clock.set(instant) }
        do {
            try ledger.execute(command, as: actor)
        } catch {
            Issue.record("setting up: \(command.name) by \(actor) failed: \(error)", sourceLocation: sourceLocation)
        }
        return self
    }

    /// Runs each `(command, actor)` in order as part of the past.
    @discardableResult
    public func given(_ commands: [(Command, Actor)], sourceLocation: SourceLocation = #_sourceLocation) -> LedgerScenario {
        for (command, actor) in commands { given(command, by: actor, sourceLocation: sourceLocation) }
        return self
    }

    /// Runs `command` by `actor` and captures what it did: the recorded
    /// events (or the refusal) and the read models before and after.
    public func when(_ command: Command, by actor: Actor, at instant: Date? = nil, source: CommandSource = .cli) -> LedgerOutcome {
        if let instant { clock.set(instant) }
        let before = LedgerOutcome.Snapshot(ledger)
        let result = Result { () throws(SyncLedgerError) in try ledger.execute(command, as: actor, source: source) }
        return LedgerOutcome(scenario: self, before: before, after: LedgerOutcome.Snapshot(ledger), result: result)
    }
}

extension Contoso {
    /// The commands that build ``world(deployment:version:exchangeOnlineInTenant:region:provisionedOn:)``'s
    /// default world, with their actors, for ``LedgerScenario/given(_:sourceLocation:)``.
    public static var worldCommands: [(Command, Actor)] {
        var commands: [(Command, Actor)] = [
            (.createTenant(name: "Contoso", firstGlobalAdmin: gabriela, displayName: "Gabriela"), .user(gabriela)),
            (.provisionEnvironment(ProvisionEnvironment(environment: environment, provisionedOn: Timestamp.parse("2024-01-15")!,
                                                        exchangeProfile: exchangeProfile)), .user(gabriela)),
        ]
        for (upn, name) in [(sam, "Sam"), (erin, "Erin"), (alice, "Alice"), (dana, "Dana")] {
            commands.append((.addUser(upn, displayName: name, environment: environment), .user(gabriela)))
        }
        commands += [
            (.grantAdminRole(erin, .exchangeAdmin), .user(gabriela)),
            (.assignRole(environment, .systemAdministrator, .user(sam)), .user(gabriela)),
            (.assignRole(environment, .systemAdministrator, .user(dana)), .user(gabriela)),
            (.assignRole(environment, .delegatedMailboxApprover, .user(dana)), .user(gabriela)),
            (.assignRole(environment, .basicUser, .user(alice)), .user(gabriela)),
        ]
        for upn in [gabriela, sam, erin, alice, dana] {
            commands.append((.addExchangeMailbox(EmailAddress(upn.rawValue), syncOrg: nil), .user(gabriela)))
        }
        return commands
    }
}

/// What one command did to a ``LedgerScenario``'s ledger, with exhaustive
/// assertions on the events and the read models. Each assertion records an
/// issue with a line diff (− expected, + actual) and returns the outcome, so
/// assertions chain.
public struct LedgerOutcome: Sendable {
    /// The read models at one moment.
    public struct Snapshot: Sendable {
        /// The mailbox grid, by mailbox id.
        public var grid: [String: MailboxStatusRow]
        /// The alerts walls, by `wall|code|mailbox`.
        public var alerts: [String: AlertRow]
        /// The audit trail, in position order.
        public var audit: [AuditRow]

        init(_ ledger: SyncLedger) {
            grid = Dictionary(uniqueKeysWithValues: ((try? ledger.mailboxStatus()) ?? []).map { ($0.mailbox, $0) })
            alerts = Dictionary(uniqueKeysWithValues: ((try? ledger.alerts()) ?? []).map { ("\($0.wall)|\($0.code)|\($0.mailbox ?? "")", $0) })
            audit = (try? ledger.audit()) ?? []
        }
    }

    /// The scenario, to run the next command on.
    public let scenario: LedgerScenario
    /// The read models before the command.
    public let before: Snapshot
    /// The read models after the command.
    public let after: Snapshot
    /// The recorded events, or why the command failed.
    public let result: Result<SyncLedger.Execution, SyncLedgerError>

    /// Expects the command to have recorded exactly `expected` (compared as
    /// domain events, in order).
    @discardableResult
    public func then(_ expected: [DomainEvent], sourceLocation: SourceLocation = #_sourceLocation) -> LedgerOutcome {
        switch result {
        case .success(let execution):
            let actual = execution.events.compactMap { try? DomainEvent.decode(type: $0.type, schemaVersion: $0.schemaVersion, data: Data($0.data.utf8)) }
            if actual != expected {
                Issue.record("the events differ (− expected, + actual):\n\(EventDiff.lines(expected: expected, actual: actual))", sourceLocation: sourceLocation)
            }
        case .failure(let error):
            Issue.record("expected \(expected.count) event(s), but the command failed: \(error)", sourceLocation: sourceLocation)
        }
        return self
    }

    /// Expects exactly `expected`, in order.
    @discardableResult
    public func then(_ expected: DomainEvent..., sourceLocation: SourceLocation = #_sourceLocation) -> LedgerOutcome {
        then(expected, sourceLocation: sourceLocation)
    }

    /// Expects a refusal with `code`; the refusal's audited denial is then the
    /// only change to the audit trail, and the grid and alerts must not change.
    @discardableResult
    public func thenRefused(_ code: RefusalCode, sourceLocation: SourceLocation = #_sourceLocation) -> LedgerOutcome {
        guard case .failure(.refused(let refusal, _)) = result else {
            Issue.record("expected a refusal \(code.rawValue), got \(result)", sourceLocation: sourceLocation)
            return self
        }
        if refusal.code != code { Issue.record("expected refusal \(code.rawValue), got \(refusal)", sourceLocation: sourceLocation) }
        thenGrid({ _ in }, sourceLocation: sourceLocation)
        thenAlerts({ _ in }, sourceLocation: sourceLocation)
        return self
    }

    /// Expects the grid after the command to equal the grid before it with
    /// exactly the changes `update` makes (rows keyed by mailbox id; add,
    /// change or remove rows). Every field of every row is compared.
    @discardableResult
    public func thenGrid(_ update: (inout [String: MailboxStatusRow]) -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> LedgerOutcome {
        var expected = before.grid
        update(&expected)
        Self.compare("the grid differs", expected: expected, actual: after.grid, sourceLocation: sourceLocation)
        return self
    }

    /// Expects the alerts after the command to equal those before it with
    /// exactly the changes `update` makes (keyed by `wall|code|mailbox`).
    @discardableResult
    public func thenAlerts(_ update: (inout [String: AlertRow]) -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> LedgerOutcome {
        var expected = before.alerts
        update(&expected)
        Self.compare("the alerts differ", expected: expected, actual: after.alerts, sourceLocation: sourceLocation)
        return self
    }

    /// Expects the command to have added exactly `expected` to the audit
    /// trail, in order. `recordedAt` (the system clock's append time) is not
    /// compared; every other field is.
    @discardableResult
    public func thenAudit(_ expected: [AuditRow], sourceLocation: SourceLocation = #_sourceLocation) -> LedgerOutcome {
        func comparable(_ rows: [AuditRow]) -> [String] {
            LineDiff.jsonLines(rows.map { row -> AuditRow in var row = row; row.recordedAt = ""; return row })
        }
        let added = Array(after.audit.dropFirst(before.audit.count))
        let (a, b) = (comparable(expected), comparable(added))
        if a != b { Issue.record("the audit rows differ (− expected, + actual):\n\(LineDiff.lines(expected: a, actual: b))", sourceLocation: sourceLocation) }
        return self
    }

    /// The audit rows the command added, to start an expectation from.
    public var addedAudit: [AuditRow] { Array(after.audit.dropFirst(before.audit.count)) }

    /// Records one issue listing what differs: a whole line for a row only
    /// one side has, and for a row both have, only the fields that differ
    /// (`− key.field: expected` / `+ key.field: actual`).
    static func compare<Row: Encodable & Equatable>(_ what: String, expected: [String: Row], actual: [String: Row], sourceLocation: SourceLocation) {
        guard expected != actual else { return }
        var lines: [String] = []
        for key in Set(expected.keys).union(actual.keys).sorted() {
            switch (expected[key], actual[key]) {
            case (let e?, let a?) where e != a:
                let (fe, fa) = (fields(e), fields(a))
                for field in Set(fe.keys).union(fa.keys).sorted() where fe[field] != fa[field] {
                    lines.append("− \(key).\(field): \(fe[field] ?? "∅")")
                    lines.append("+ \(key).\(field): \(fa[field] ?? "∅")")
                }
            case (let e?, nil): lines.append("− \(key): \(LineDiff.jsonLines([e])[0])")
            case (nil, let a?): lines.append("+ \(key): \(LineDiff.jsonLines([a])[0])")
            default: break
            }
        }
        Issue.record("\(what) (− expected, + actual):\n\(lines.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    /// A row's fields as JSON text, by name.
    static func fields<Row: Encodable>(_ row: Row) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(row)) as? [String: Any] else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in object {
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
            result[key] = data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        return result
    }
}
