import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite
@testable import SyncLedger
import SyncLedgerTesting

/// A fresh folder for one test's files.
final class TemporaryFolder: Sendable {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-facade-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String = "ledger.sqlite") -> String { url.appendingPathComponent(name).path }
}

typealias C = Contoso

/// A ledger on a fresh file with a hand-driven clock.
struct Fixture {
    let folder = TemporaryFolder()
    let clock = ManualAmbient(at: C.t0)
    let ledger: SyncLedger

    init(name: String = "ledger.sqlite") throws {
        ledger = try SyncLedger.open(at: folder.path(name), options: .init(ambient: clock.ambient, simulation: true))
    }

    @discardableResult
    func run(_ command: Command, by actor: UserPrincipalName, source: CommandSource = .cli) throws -> SyncLedger.Execution {
        try ledger.execute(command, as: .user(actor), source: source)
    }

    /// The commands that build the Contoso world of SyncLedgerTesting, with their actors.
    static let world: [(Command, UserPrincipalName)] = {
        var commands: [(Command, UserPrincipalName)] = [
            (.createTenant(name: "Contoso", firstGlobalAdmin: C.gabriela, displayName: "Gabriela"), C.gabriela),
            (.provisionEnvironment(ProvisionEnvironment(environment: C.environment, provisionedOn: Timestamp.parse("2024-01-15")!, exchangeProfile: C.exchangeProfile)), C.gabriela),
        ]
        for (upn, name) in [(C.sam, "Sam"), (C.erin, "Erin"), (C.alice, "Alice"), (C.dana, "Dana")] {
            commands.append((.addUser(upn, displayName: name, environment: C.environment), C.gabriela))
        }
        commands += [
            (.grantAdminRole(C.erin, .exchangeAdmin), C.gabriela),
            (.assignRole(C.environment, .systemAdministrator, .user(C.sam)), C.gabriela),
            (.assignRole(C.environment, .systemAdministrator, .user(C.dana)), C.gabriela),
            (.assignRole(C.environment, .delegatedMailboxApprover, .user(C.dana)), C.gabriela),
            (.assignRole(C.environment, .basicUser, .user(C.alice)), C.gabriela),
        ]
        for upn in [C.gabriela, C.sam, C.erin, C.alice, C.dana] {
            commands.append((.addExchangeMailbox(EmailAddress(upn.rawValue), syncOrg: nil), C.gabriela))
        }
        return commands
    }()

    /// The Contoso world, executed through the facade.
    func buildWorld() throws {
        for (command, actor) in Self.world { try run(command, by: actor) }
    }

    /// Every projection's tables as stored in the file.
    func dumps() throws -> [String: [String: [[SQLiteValue]]]] {
        try ledger.log.withReadTransaction { db in
            var result: [String: [String: [[SQLiteValue]]]] = [:]
            for projection in ProjectionRunner().projections { result[projection.name] = try projection.dump(db) }
            return result
        }
    }

    func decisionRows() throws -> [[SQLiteValue]] {
        try ledger.log.withReadTransaction { db in
            let statement = try db.prepare("SELECT kind, key, json, valid_from FROM decision_state ORDER BY kind, key")
            var rows: [[SQLiteValue]] = []
            while try statement.step() { rows.append((0..<4).map { statement.value(at: $0) }) }
            return rows
        }
    }
}

/// Runs `body`, expecting a refusal with `code`; returns it.
func expectRefusal(_ code: RefusalCode, _ body: () throws -> Void) -> (Refusal, Position?)? {
    do {
        try body()
        return nil
    } catch SyncLedgerError.refused(let refusal, let denial) {
        return refusal.code == code ? (refusal, denial) : nil
    } catch {
        return nil
    }
}
