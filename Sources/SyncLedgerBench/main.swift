// syncledger-bench: release-build measurements of SyncLedger's write and read
// sides. Run it in release:
//
//   swift run -c release syncledger-bench facade [EVENTS] [MAILBOXES]
//       Commands through the facade (the same workload as earlier versions of
//       this bench, synchronous=NORMAL so the CPU cost shows, not fsync):
//       prints events/s and commands/s, then rebuild and verify times.
//
//   swift run -c release syncledger-bench time-travel [EVENTS] [MAILBOXES] [--keep PATH | --reuse PATH]
//       Builds a ledger of at least EVENTS domain events over MAILBOXES
//       mailboxes through the facade (Test & Enable in batches of 500), then
//       times the grid now, the grid as of random positions, one mailbox as of
//       random positions, as-of an instant, diff and explain. Ends with one
//       JSON line. `tools/time-travel-bench.sh` runs it beside the C ceiling.
//
//   swift run -c release syncledger-bench merkle [EVENTS] [--keep PATH]
//       Appends EVENTS events (1,000 per transaction, synchronous=NORMAL, each
//       event like a domain event: ~900 bytes of data and metadata) straight to
//       the EventLog, with its Merkle tree; then times inclusion proofs and
//       consistency proofs at random points (median and worst of 1,000), the
//       Merkle root, and `verify` without and with a tree head. Ends with one
//       JSON line. --keep writes the log there (for `log export` and
//       tools/verify_ledger.py).
//
//   syncledger-bench append1|batch|replay|asof|workload …   (WorkloadBench.swift)
//       The shared workload's measures with the C ceiling's command line and
//       one-line JSON, through SyncLedger's EventLog; bench/compare.sh runs
//       them beside the ceiling and the Python peer.
//
//   syncledger-bench commands DB CLIENTS COMMANDS MAILBOXES SYNC   (CommandsBench.swift)
//       Test & Enable commands through the facade from CLIENTS threads.
//
//   syncledger-bench decode DB [LIMIT]   (DecodeBench.swift)
//       Decodes a domain ledger's events and metadata with Codable and with
//       the per-type decoders the projections use; events/s of each.
//
// Defaults: facade 100000 events / 2000 mailboxes; time-travel 1000000 / 10000; merkle 1000000.
import EventLog
import Foundation
import Projections
import ServerSideSync
import SQLite
import SyncLedger
import SyncLedgerTesting

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func ms(_ value: Double) -> String { String(format: "%.2f", value * 1000) }

var arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? "facade"
if !arguments.isEmpty { arguments.removeFirst() }
@MainActor func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...index + 1) }
    return arguments[index + 1]
}
let keep = option("--keep"), reuse = option("--reuse")
let defaults = mode == "time-travel" ? (1_000_000, 10_000) : (100_000, 2_000)
let targetEvents = arguments.count > 0 ? Int(arguments[0]) ?? defaults.0 : defaults.0
let mailboxCount = arguments.count > 1 ? Int(arguments[1]) ?? defaults.1 : defaults.1
switch mode {
case "append1", "batch", "replay", "asof", "workload", "commands", "decode":
    do {
        switch (mode, arguments.count) {
        case ("append1", 3): try runAppend(batch: 1, database: arguments[0], workload: arguments[1], sync: arguments[2])
        case ("batch", 4): try runAppend(batch: max(1, Int(arguments[3]) ?? 1_000), database: arguments[0], workload: arguments[1], sync: arguments[2])
        case ("replay", 1): try runReplay(database: arguments[0])
        case ("decode", 1), ("decode", 2): try runDecode(database: arguments[0], limit: arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000)
        case ("asof", 4):
            try runAsOf(database: arguments[0], workload: arguments[1], queries: Int(arguments[2]) ?? 1_000, seed: UInt64(arguments[3]) ?? 2)
        case ("commands", 5):
            try runCommands(database: arguments[0], clients: max(1, Int(arguments[1]) ?? 1), commands: Int(arguments[2]) ?? 2_000,
                            mailboxes: max(1, Int(arguments[3]) ?? 2_000), sync: arguments[4])
        case ("workload", 5):
            let digest = try generateWorkload(events: Int(arguments[0]) ?? 100_000, mailboxes: Int(arguments[1]) ?? 10_000,
                                              profiles: Int(arguments[2]) ?? 5, seed: UInt64(arguments[3]) ?? 1, output: arguments[4])
            print(#"{"file":"\#(arguments[4])","sha256":"\#(digest)"}"#)
        default:
            FileHandle.standardError.write(Data("""
                usage: syncledger-bench append1 DB WORKLOAD.tsv SYNC | batch DB WORKLOAD.tsv SYNC BATCH | replay DB
                       | asof DB WORKLOAD.tsv K SEED | workload N M P SEED OUT
                       | commands DB CLIENTS COMMANDS MAILBOXES SYNC | decode DB [LIMIT]\n
                """.utf8))
            exit(64)
        }
    } catch {
        FileHandle.standardError.write(Data("syncledger-bench \(mode): \(error)\n".utf8))
        exit(1)
    }
    exit(0)
default: break
}
guard ["facade", "time-travel", "merkle"].contains(mode) else {
    print("usage: syncledger-bench facade [EVENTS] [MAILBOXES] | time-travel [EVENTS] [MAILBOXES] [--keep PATH | --reuse PATH] | merkle [EVENTS] [--keep PATH]")
    exit(64)
}
if mode == "merkle" {
    try runMerkleBench(events: arguments.first.flatMap { Int($0) } ?? 1_000_000, keep: keep)
    exit(0)
}

let path = reuse ?? keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-bench-\(getpid()).sqlite").path
defer {
    if keep == nil && reuse == nil {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

let clock = ManualAmbient(at: Timestamp.parse("2025-01-01T08:00:00Z")!)
let ledger = try SyncLedger.open(at: path, options: .init(ambient: clock.ambient, durability: .normal, simulation: true))
let gabriela: UserPrincipalName = "gabriela@contoso.com"
let env: EnvironmentID = "contoso-prod"
var commands = 0
@MainActor func run(_ command: Command, by actor: Actor = .user(gabriela)) throws {
    clock.advance(seconds: 1)
    try ledger.execute(command, as: actor)
    commands += 1
}

/// The workload of every version of this bench: a tenant, MAILBOXES users
/// with Exchange mailboxes (nine in ten approved), then rounds of Test &
/// Enable over `batch` mailboxes, due retries, and an outage every 7 rounds.
@MainActor func generate(events: Int, batch: Int) throws {
    try run(.createTenant(name: "Contoso", firstGlobalAdmin: gabriela, displayName: "Gabriela"))
    try run(.provisionEnvironment(ProvisionEnvironment(environment: env, provisionedOn: clock.now, exchangeProfile: "exo")))
    var users: [MailboxID] = []
    for n in 0..<mailboxCount {
        let upn = UserPrincipalName("user\(n)@contoso.com")
        try run(.addUser(upn, displayName: "User \(n)", environment: env))
        try run(.addExchangeMailbox(EmailAddress(upn.rawValue), syncOrg: nil))
        if n % 10 != 0 { try run(.approveEmail(MailboxID(environment: env, owner: .user(upn)))) }
        users.append(MailboxID(environment: env, owner: .user(upn)))
    }
    var round = 0
    while try ledger.head().position.rawValue < Int64(events) {
        round += 1
        if round % 7 == 0 { try run(.recordExchangeOutage(from: clock.now, until: clock.now.addingTimeInterval(12 * 60)), by: .system) }
        let start = (round * batch) % users.count
        try run(.testAndEnable(Array(users[start..<min(start + batch, users.count)]), TestOptions()))
        clock.advance(seconds: 5 * 60)
        try run(.processDueRetries, by: .system)
    }
}

if reuse == nil {
    let generation = try seconds { try generate(events: targetEvents, batch: mode == "facade" ? 50 : 500) }
    let head = try ledger.head().position.rawValue
    print("generated \(head) events (\(commands) commands, \(mailboxCount) mailboxes) in \(String(format: "%.1f", generation)) s: "
          + "\(String(format: "%.0f", Double(head) / generation)) events/s, \(String(format: "%.0f", Double(commands) / generation)) commands/s "
          + "through the facade (synchronous=NORMAL)")
}
let head = try ledger.head()
let size = ((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
    + ((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0)
print("file: \(size / 1_048_576) MiB (\(size / max(1, Int(head.position.rawValue))) bytes per event, all tables and indexes)")

if mode == "facade" {
    var rebuilt: Int64 = 0
    let rebuild = try seconds { rebuilt = try ledger.rebuild() }
    print("rebuild all projections: \(rebuilt) events in \(String(format: "%.2f", rebuild)) s = \(String(format: "%.0f", Double(rebuilt) / rebuild)) events/s")
    var report: VerifyReport?
    let verify = try seconds { report = try ledger.verify() }
    print("verify: \(report!) in \(String(format: "%.2f", verify)) s")
    exit(0)
}

// MARK: Time travel

let last = head.position.rawValue
var random = SplitMix(state: 2)
@MainActor func randomPosition() -> Int64 { 1 + Int64(random.next() % UInt64(last - 1)) }   // never the head: always the history path

var rowsNow = 0
let now = median(try (0..<15).map { _ in try seconds { rowsNow = try ledger.mailboxStatus().count } })
print("grid now: \(rowsNow) rows, median \(ms(now)) ms (15 runs)")

var gridTimes: [Double] = []
var gridRows = 0
for _ in 0..<31 {
    let position = Position(randomPosition())
    gridTimes.append(try seconds { gridRows = try ledger.mailboxStatus(asOf: .position(position)).count })
}
let gridAsOf = median(gridTimes)
print("grid as of a random position: median \(ms(gridAsOf)) ms, max \(ms(gridTimes.max()!)) ms (31 positions; last had \(gridRows) rows) = \(String(format: "%.2f", gridAsOf / now))x now")

for (label, fraction) in [("early", 0.05), ("middle", 0.5), ("near the head", 0.995)] {
    let position = Position(Int64(Double(last) * fraction))
    let time = median(try (0..<7).map { _ in try seconds { _ = try ledger.mailboxStatus(asOf: .position(position)) } })
    print("grid as of \(position) (\(label)): median \(ms(time)) ms")
}

let ids = try ledger.mailboxStatus().map(\.mailbox)
var oneTimes: [Double] = []
var existed = 0
for _ in 0..<1001 {
    let id = ids[Int(random.next() % UInt64(ids.count))]
    let position = Position(randomPosition())
    oneTimes.append(try seconds {
        do { _ = try ledger.mailbox(id, asOf: .position(position)); existed += 1 } catch SyncLedgerError.notFound {}
    })
}
let oneAsOf = median(oneTimes)
print("one mailbox as of a random position: median \(String(format: "%.1f", oneAsOf * 1e6)) µs, p99 \(String(format: "%.1f", oneTimes.sorted()[990] * 1e6)) µs (1001 queries, \(existed) found)")

let instant = Date(microsecondsSince1970: head.recordedAtMicroseconds! - 3_600_000_000)
let byInstant = median(try (0..<7).map { _ in try seconds { _ = try ledger.mailboxStatus(asOf: .instant(instant)) } })
print("grid as of an instant one hour before the head: median \(ms(byInstant)) ms")
let stateAsOf = median(try (0..<5).map { _ in try seconds { _ = try ledger.decisionState(asOf: .position(Position(last / 2))) } })
print("decision state as of the middle: median \(ms(stateAsOf)) ms")
var diffRows = 0
let diffTime = try seconds { diffRows = try ledger.diff(from: .position(Position(last - 2_000)), to: .latest).count }
print("diff over the last 2000 positions: \(diffRows) rows in \(ms(diffTime)) ms")
var steps = 0
let explainTime = try seconds { steps = try ledger.explain(mailbox: ids[1], field: "incoming_status").steps.count }
print("explain one field of one mailbox: \(steps) steps in \(ms(explainTime)) ms")

// The plan of the as-of query in the middle of the log (SQLite's planner can
// walk half the table for naive interval predicates).
let log = try EventLog.open(at: path, options: .init(readOnly: true))
let plan = try log.withReadTransaction { db -> String in
    var plan = ""
    let statement = try db.prepare("EXPLAIN QUERY PLAN " + MailboxStatusProjection.table.rowsSQL(asOf: true))
    try statement.bind([.integer(last / 2)])
    while try statement.step() { plan += "  " + statement.text(at: 3) + "\n" }
    return plan
}
print("query plan of the grid as of N:\n\(plan)", terminator: "")
let versions = try log.withReadTransaction { db in try db.scalar("SELECT count(*) FROM mailbox_status_history")?.int64 ?? 0 }
print("mailbox_status_history: \(versions) versions")

print("""
    {"test":"time-travel","events":\(last),"mailboxes":\(rowsNow),"grid_now_ms":\(ms(now)),"grid_asof_median_ms":\(ms(gridAsOf)),\
    "grid_asof_over_now":\(String(format: "%.2f", gridAsOf / now)),"one_mailbox_asof_median_us":\(String(format: "%.1f", oneAsOf * 1e6)),\
    "grid_versions":\(versions),"file_bytes":\(size)}
    """)
