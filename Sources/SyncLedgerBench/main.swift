// syncledger-bench: builds a ledger of realistic domain events through the
// facade, then measures rebuild, as-of (with and without snapshots), diff and
// verify. Run it in release:
//
//   swift run -c release syncledger-bench [EVENTS] [MAILBOXES]
//
// Defaults: 100000 events over 2000 mailboxes. The ledger is written with
// synchronous=NORMAL to keep generation short (durability is not what is measured).
import EventLog
import Foundation
import Projections
import ServerSideSync
import SyncLedger

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let arguments = CommandLine.arguments
let targetEvents = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let mailboxCount = arguments.count > 2 ? Int(arguments[2]) ?? 2_000 : 2_000
let path = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-bench-\(getpid()).sqlite").path
defer {
    if ProcessInfo.processInfo.environment["SYNCLEDGER_BENCH_KEEP"] == nil {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    } else {
        print("kept \(path)")
    }
}

let clock = ManualAmbient(at: Timestamp.parse("2025-01-01T08:00:00Z")!)
let ledger = try SyncLedger.open(at: path, options: .init(ambient: clock.ambient, durability: .normal))
let gabriela: UserPrincipalName = "gabriela@contoso.com"
let env: EnvironmentID = "contoso-prod"
func run(_ command: Command, by actor: Actor = .user(gabriela)) throws -> Int {
    clock.advance(seconds: 1)
    return try ledger.execute(command, as: actor).events.count
}

var commands = 0
let generation = try seconds {
    _ = try run(.createTenant(name: "Contoso", firstGlobalAdmin: gabriela, displayName: "Gabriela"))
    _ = try run(.provisionEnvironment(ProvisionEnvironment(environment: env, provisionedOn: clock.now, exchangeProfile: "exo")))
    var users: [MailboxID] = []
    for n in 0..<mailboxCount {
        let upn = UserPrincipalName("user\(n)@contoso.com")
        _ = try run(.addUser(upn, displayName: "User \(n)", environment: env))
        _ = try run(.addExchangeMailbox(EmailAddress(upn.rawValue), syncOrg: nil))
        if n % 10 != 0 { _ = try run(.approveEmail(MailboxID(environment: env, owner: .user(upn)))) }
        users.append(MailboxID(environment: env, owner: .user(upn)))
        commands += 3
    }
    var round = 0
    while try ledger.log.head().position.rawValue < Int64(targetEvents) {
        round += 1
        if round % 7 == 0 {
            _ = try run(.recordExchangeOutage(from: clock.now, until: clock.now.addingTimeInterval(12 * 60)), by: .system)
        }
        let start = (round * 50) % users.count
        let batch = Array(users[start..<min(start + 50, users.count)])
        _ = try run(.testAndEnable(batch, TestOptions()))
        clock.advance(seconds: 5 * 60)
        _ = try run(.processDueRetries, by: .system)
        commands += 2
    }
}
let head = try ledger.log.head().position
print("generated \(head.rawValue) events (\(commands) commands, \(mailboxCount) mailboxes) in \(String(format: "%.1f", generation)) s: \(String(format: "%.0f", Double(head.rawValue) / generation)) events/s through the facade (synchronous=NORMAL)")

let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print("file: \(size / 1_048_576) MiB")

var rebuilt: Int64 = 0
let rebuild = try seconds { rebuilt = try ledger.rebuild() }
print("rebuild all projections: \(rebuilt) events in \(String(format: "%.2f", rebuild)) s = \(String(format: "%.0f", Double(rebuilt) / rebuild)) events/s")

let mailboxOnly = try seconds { _ = try ledger.rebuild(["mailbox-status"]) }
print("rebuild mailbox-status only: \(String(format: "%.2f", mailboxOnly)) s = \(String(format: "%.0f", Double(rebuilt) / mailboxOnly)) events/s")

let runner = ledger.runner
let snapshots = try ledger.projectionStatus().first { $0.name == "mailbox-status" }?.snapshots ?? 0
print("snapshots of mailbox-status: \(snapshots) (every \(runner.snapshotInterval) positions)")
for (label, fraction) in [("near the head", 0.995), ("middle", 0.5), ("early", 0.05)] {
    let position = Position(Int64(Double(head.rawValue) * fraction))
    var folded: Int64 = 0, foldedCold: Int64 = 0
    let warm = median(try (0..<5).map { _ in try seconds { folded = try runner.materialize(MailboxStatusProjection(), at: position, from: ledger.log).folded } })
    let cold = median(try (0..<3).map { _ in try seconds { foldedCold = try runner.materialize(MailboxStatusProjection(), at: position, from: ledger.log, useSnapshots: false).folded } })
    print("as-of \(position) (\(label)): \(String(format: "%.1f", warm * 1000)) ms with snapshots (\(folded) events folded), \(String(format: "%.1f", cold * 1000)) ms from position 1 (\(foldedCold) folded)")
}
let instant = Date(microsecondsSince1970: try ledger.log.head().recordedAtMicroseconds! - 3_600_000_000)
let byInstant = median(try (0..<5).map { _ in try seconds { _ = try ledger.mailboxStatus(asOf: .instant(instant)) } })
print("status as of an instant one hour before the head: \(String(format: "%.1f", byInstant * 1000)) ms")
let latest = median(try (0..<5).map { _ in try seconds { _ = try ledger.mailboxStatus() } })
print("status now (inline table): \(String(format: "%.1f", latest * 1000)) ms")
let diffTime = try seconds { _ = try ledger.diff(from: .position(Position(head.rawValue - 2_000)), to: .latest) }
print("diff over the last 2000 positions: \(String(format: "%.2f", diffTime)) s")
var report: VerifyReport?
let verify = try seconds { report = try ledger.verify() }
print("verify: \(report!) in \(String(format: "%.2f", verify)) s = \(String(format: "%.0f", Double(head.rawValue) / verify)) events/s")
