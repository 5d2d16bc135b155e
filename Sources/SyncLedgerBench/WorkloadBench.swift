import Crypto
import EventLog
import Foundation
import SyncLedgerTesting

// The shared 'mailbox-admin' workload (../shared/bench/WORKLOAD.md) through
// SyncLedger's own EventLog, with the C ceiling's command line and one-line
// JSON output, so that `bench/compare.sh` can run both side by side:
//
//   syncledger-bench append1 DB WORKLOAD.tsv SYNC          (a) one event per transaction
//   syncledger-bench batch   DB WORKLOAD.tsv SYNC BATCH    (b) BATCH events per transaction
//   syncledger-bench replay  DB                            (c) full replay into the status fold
//   syncledger-bench asof    DB WORKLOAD.tsv K SEED        (d) K as-of reads of one mailbox
//   syncledger-bench workload N M P SEED OUT               the generator, ported (prints the file's SHA-256)
//
// Unlike the ceiling's table, every append here also writes what the ledger
// promises: an event id, the hash chain and the Merkle tree. Loading the
// workload and opening the log are not timed.

/// One line of a workload file.
struct WorkloadEvent {
    var stream: String
    var version: Int64
    var type: String
    var data: String
}

func loadWorkload(_ path: String) throws -> [WorkloadEvent] {
    var events: [WorkloadEvent] = []
    try forEachWorkloadLine(path) { line, fields in
        guard fields.count == 4, let version = Int64(String(decoding: fields[1], as: UTF8.self)) else {
            throw BenchError("\(path): line \(line) is not stream<TAB>version<TAB>type<TAB>data")
        }
        events.append(WorkloadEvent(stream: String(decoding: fields[0], as: UTF8.self), version: version,
                                    type: String(decoding: fields[2], as: UTF8.self), data: String(decoding: fields[3], as: UTF8.self)))
    }
    return events
}

/// The stream of every line of a workload file (all the as-of queries need).
func loadStreams(_ path: String) throws -> [String] {
    var streams: [String] = []
    try forEachWorkloadLine(path) { line, fields in
        guard fields.count == 4 else { throw BenchError("\(path): line \(line) is not stream<TAB>version<TAB>type<TAB>data") }
        streams.append(String(decoding: fields[0], as: UTF8.self))
    }
    return streams
}

/// Calls `body` with the number and the tab-separated fields (at most four:
/// the data may hold tabs) of every non-empty line, scanning bytes.
func forEachWorkloadLine(_ path: String, _ body: (Int, [Slice<UnsafeBufferPointer<UInt8>>]) throws -> Void) throws {
    guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
    try data.withUnsafeBytes { raw in try forEachLine(raw.bindMemory(to: UInt8.self), body) }
}

private func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, [Slice<UnsafeBufferPointer<UInt8>>]) throws -> Void) throws {
    var line = 0, start = 0
    while start < bytes.count {
        let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        if end > start {
            line += 1
            var fields: [Slice<UnsafeBufferPointer<UInt8>>] = []
            var fieldStart = start
            while fields.count < 3, let tab = bytes[fieldStart..<end].firstIndex(of: UInt8(ascii: "\t")) {
                fields.append(bytes[fieldStart..<tab])
                fieldStart = tab + 1
            }
            fields.append(bytes[fieldStart..<end])
            try body(line, fields)
        }
        start = end + 1
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func durability(_ sync: String) throws -> EventLog.Options.Durability {
    switch sync.uppercased() {
    case "FULL": .full
    case "NORMAL": .normal
    default: throw BenchError("SYNC must be FULL or NORMAL, not \(sync)")
    }
}

func rate(_ count: Int, _ seconds: Double) -> String { String(format: "%.1f", Double(count) / seconds) }

/// (a) and (b): each event is appended with its expected stream version
/// (version − 1), `batch` events per transaction.
func runAppend(batch: Int, database: String, workload: String, sync: String) throws {
    let events = try loadWorkload(workload)
    let log = try EventLog.open(at: database, options: .init(durability: try durability(sync)))
    let prepared = events.map { event in
        (NewEvent(id: UUID.timeOrdered(), stream: StreamID(event.stream), type: event.type, data: event.data),
         ExpectedVersion.exactly(StreamVersion(event.version - 1)))
    }
    var conflicts = 0
    let elapsed = try seconds {
        var start = 0
        while start < prepared.count {
            let end = min(start + batch, prepared.count)
            if batch == 1 {
                let (event, expected) = prepared[start]
                do { try log.append([event], to: event.stream, expecting: expected) } catch AppendError.wrongExpectedVersion { conflicts += 1 }
            } else {
                conflicts += try log.withWriteTransaction { transaction in
                    var conflicts = 0
                    for (event, expected) in prepared[start..<end] {
                        do { _ = try transaction.append([event], expecting: [event.stream: expected]) } catch AppendError.wrongExpectedVersion { conflicts += 1 }
                    }
                    return conflicts
                }
            }
            start = end
        }
    }
    print(#"{"impl":"sw","test":"\#(batch == 1 ? "append1" : "batch")","sync":"\#(sync.uppercased())","batch":\#(batch),"#
        + #""events":\#(prepared.count),"conflicts":\#(conflicts),"seconds":\#(String(format: "%.4f", elapsed)),"#
        + #""events_per_s":\#(rate(prepared.count, elapsed))}"#)
    if conflicts > 0 { exit(2) }
}

/// A mailbox row of the workload's status fold (WORKLOAD.md §5 c).
struct StatusRow {
    enum Status: Int { case unknown, pending, success, failure }
    var incoming = Status.unknown, outgoing = Status.unknown, act = Status.unknown
    var approved = false

    /// Folds one event; `data` is read only for the types that need it.
    mutating func apply(type: String, data: String) {
        var type = type, data = data
        let kind = type.withUTF8(EventKind.init)
        if kind == .testResult { data.withUTF8 { recordResult($0) } } else { apply(kind) }
    }

    /// Folds an event whose data the fold does not read.
    mutating func apply(_ kind: EventKind) {
        switch kind {
        case .testRequested: (incoming, outgoing, act) = (.pending, .pending, .pending)
        case .approved: approved = true
        case .created: self = StatusRow()
        case .testResult, .other: break
        }
    }

    /// Folds a `MailboxTestResultRecorded` event's compact JSON data.
    mutating func recordResult(_ data: UnsafeBufferPointer<UInt8>) {
        incoming = Self.status(in: data, after: Self.incomingKey)
        outgoing = Self.status(in: data, after: Self.outgoingKey)
        act = Self.status(in: data, after: Self.actKey)
    }

    static let mailboxPrefix = Array("mailbox-".utf8)

    static let incomingKey = Array(#""incoming":""#.utf8)
    static let outgoingKey = Array(#""outgoing":""#.utf8)
    static let actKey = Array(#""appointmentsContactsTasks":""#.utf8)

    /// The status value that follows `key` in the compact JSON `bytes`.
    static func status(in bytes: UnsafeBufferPointer<UInt8>, after key: [UInt8]) -> Status {
        guard bytes.count > key.count else { return .unknown }
        var index = 0
        outer: while index + key.count < bytes.count {
            for offset in 0..<key.count where bytes[index + offset] != key[offset] {
                index += 1
                continue outer
            }
            switch bytes[index + key.count] {
            case UInt8(ascii: "S"): return .success
            case UInt8(ascii: "F"): return .failure
            default: return .unknown
            }
        }
        return .unknown
    }
}

func summary(_ rows: [String: StatusRow]) -> String {
    let names = ["Unknown", "Pending", "Success", "Failure"]
    var counts = [[Int]](repeating: [0, 0, 0, 0], count: 3)
    for row in rows.values {
        counts[0][row.incoming.rawValue] += 1
        counts[1][row.outgoing.rawValue] += 1
        counts[2][row.act.rawValue] += 1
    }
    let columns = zip(["incoming", "outgoing", "act"], counts).map { name, counts in
        #""\#(name)":{"# + zip(names, counts).map { #""\#($0)":\#($1)"# }.joined(separator: ",") + "}"
    }
    return #""mailboxes":\#(rows.count),"approved":\#(rows.values.filter(\.approved).count),"# + columns.joined(separator: ",")
}

/// (c): every event in position order, folded. The rows come from the
/// log's lean walk (`forEachRow`: no `RecordedEvent`, no copies of the text);
/// the stream's mailbox number and the event type are read from the bytes.
func runReplay(database: String) throws {
    let log = try EventLog.open(at: database, options: .init(createIfMissing: false, readOnly: true))
    var rows: [StatusRow?] = []
    rows.reserveCapacity(16_384)
    var count = 0
    var failure: String?
    let elapsed = try seconds {
        try log.forEachRow { row in
            count += 1
            guard let mailbox = row.withStream(mailboxNumber) else { return }
            let kind = row.withType(EventKind.init)
            if mailbox >= rows.count { rows.append(contentsOf: repeatElement(nil, count: mailbox + 1 - rows.count)) }
            if kind == .created { rows[mailbox] = StatusRow() }
            guard rows[mailbox] != nil else { failure = "event before MailboxCreated at \(row.position)"; return }
            if kind == .testResult {
                row.withData { rows[mailbox]!.recordResult($0) }
            } else {
                rows[mailbox]!.apply(kind)
            }
        }
    }
    if let failure { throw BenchError(failure) }
    let folded = rows.enumerated().compactMap { index, row in row.map { ("mailbox-\(index)", $0) } }
    print(#"{"impl":"sw","test":"replay","events":\#(count),"seconds":\#(String(format: "%.4f", elapsed)),"#
        + #""events_per_s":\#(rate(count, elapsed)),"projection":{\#(summary(Dictionary(uniqueKeysWithValues: folded)))}}"#)
}

/// N of a stream id `mailbox-N`, or nil for any other stream.
func mailboxNumber(_ stream: UnsafeBufferPointer<UInt8>) -> Int? {
    let prefix = StatusRow.mailboxPrefix
    guard stream.count > prefix.count, stream.starts(with: prefix) else { return nil }
    var n = 0
    for byte in stream[prefix.count...] {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        n = n * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return n
}

/// The event types the status fold reads.
enum EventKind: Equatable {
    case created, approved, testRequested, testResult, other

    init(_ type: UnsafeBufferPointer<UInt8>) {
        switch type.count {
        case 14 where type.elementsEqual("MailboxCreated".utf8): self = .created
        case 15 where type.elementsEqual("MailboxApproved".utf8): self = .approved
        case 29 where type.elementsEqual("MailboxTestAndEnableRequested".utf8): self = .testRequested
        case 25 where type.elementsEqual("MailboxTestResultRecorded".utf8): self = .testResult
        default: self = .other
        }
    }
}

/// (d): `k` queries (position P drawn with SplitMix64(seed), kept when its
/// event is on a mailbox stream): the mailbox's row folded from its events
/// at positions ≤ P.
func runAsOf(database: String, workload: String, queries k: Int, seed: UInt64) throws {
    let streams = try loadStreams(workload)
    let log = try EventLog.open(at: database, options: .init(createIfMissing: false, readOnly: true))
    var random = SplitMix(state: seed)
    var positions: [Int] = []
    while positions.count < k {
        let position = 1 + Int(random.next() % UInt64(streams.count))
        if streams[position - 1].hasPrefix("mailbox-") { positions.append(position) }
    }
    var latencies: [Double] = []
    var rowsRead = 0, approved = 0, incomingSuccess = 0
    let total = try seconds {
        for position in positions {
            var row = StatusRow()
            latencies.append(try seconds {
                try log.forEachEvent(in: StreamID(streams[position - 1]), through: Position(Int64(position))) { event in
                    row.apply(type: event.type, data: event.data)
                    rowsRead += 1
                }
            })
            if row.approved { approved += 1 }
            if row.incoming == .success { incomingSuccess += 1 }
        }
    }
    latencies.sort()
    func us(_ value: Double) -> String { String(format: "%.2f", value * 1e6) }
    print(#"{"impl":"sw","test":"asof","queries":\#(k),"events_in_db":\#(streams.count),"median_us":\#(us(latencies[k / 2])),"#
        + #""p90_us":\#(us(latencies[Int(Double(k) * 0.9)])),"p99_us":\#(us(latencies[Int(Double(k) * 0.99)])),"#
        + #""mean_us":\#(us(total / Double(k))),"rows_read":\#(rowsRead),"approved_at_p":\#(approved),"incoming_success_at_p":\#(incomingSuccess)}"#)
}

/// The workload generator of WORKLOAD.md §3, ported: writes `events` lines to
/// `output` and prints the file's SHA-256, which must equal the table there
/// (for example c500b14f… for 100,000 events, 10,000 mailboxes, 5 profiles,
/// seed 1). It lets CI run a smoke test without the reference generator.
func generateWorkload(events count: Int, mailboxes: Int, profiles: Int, seed: UInt64, output: String) throws -> String {
    enum Next { case settings, approve, role, testRequest, testResult, steady }
    var random = SplitMix(state: seed)
    func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    var versions: [String: Int] = [:]
    var next: [Next] = [.steady], profileOf: [String?] = [nil]
    var created = 0
    var defaultProfile: String?
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
    func json(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "null" }
    func six(_ n: Int) -> String { String(format: "%06d", n) }
    var out = ""
    out.reserveCapacity(count * 330)
    for position in 1...count {
        let stream: String, type: String, fields: String
        if position <= profiles {
            stream = "profile-\(position)"; type = "ProfileCreated"
            fields = #""profileId":"\#(stream)","name":"Exchange Server Profile \#(position)","serverUrl":"https://mail\#(position).contoso.example/EWS/Exchange.asmx","authMethod":"OAuth2","autodiscover":true,"impersonation":true"#
        } else if position == profiles + 1 {
            stream = "profile-1"; type = "ProfileSetAsDefault"
            fields = #""profileId":"\#(stream)","previousDefaultId":\#(json(defaultProfile)),"reason":"Set as organization default by administrator""#
            defaultProfile = stream
        } else {
            let r = below(1000)
            if r == 0 {
                stream = "profile-\(1 + below(profiles))"; type = "ProfileSetAsDefault"
                fields = #""profileId":"\#(stream)","previousDefaultId":\#(json(defaultProfile)),"reason":"Set as organization default by administrator""#
                defaultProfile = stream
            } else if created < mailboxes && (created == 0 || r < 200) {
                created += 1
                let n = created
                stream = "mailbox-\(n)"; type = "MailboxCreated"
                profileOf.append(defaultProfile); next.append(.settings)
                fields = #""mailboxId":"\#(stream)","emailAddress":"user\#(six(n))@contoso.example","displayName":"User \#(six(n))","department":"Dept-\#(String(format: "%02d", n % 20))","serverProfileId":\#(json(defaultProfile)),"licenseSku":"E3""#
            } else {
                let n = 1 + below(created)
                stream = "mailbox-\(n)"
                var action = next[n]
                let afterSettings: Next
                if action == .steady {
                    let s = below(10)
                    action = s == 0 ? .role : s == 1 ? .settings : .testRequest
                    afterSettings = .testRequest
                } else {
                    afterSettings = .approve
                }
                switch action {
                case .settings:
                    type = "MailboxDefaultSettingsApplied"
                    profileOf[n] = defaultProfile
                    fields = #""mailboxId":"\#(stream)","serverProfileId":\#(json(defaultProfile)),"syncIncoming":true,"syncOutgoing":true,"syncAppointments":true,"syncContacts":true,"syncTasks":true,"pollIntervalSec":300"#
                    next[n] = afterSettings
                case .approve:
                    type = "MailboxApproved"
                    fields = #""mailboxId":"\#(stream)","approvalNote":"Approved for synchronization","ticket":"CHG-\#(six(below(1_000_000)))""#
                    next[n] = .role
                case .role:
                    type = "RoleAssigned"
                    fields = #""mailboxId":"\#(stream)","role":"\#(["MailboxUser", "Delegate", "HelpdeskOperator"][below(3)])","scope":"mailbox","grantedTo":"user\#(six(n))@contoso.example""#
                    next[n] = .testRequest
                case .testRequest:
                    type = "MailboxTestAndEnableRequested"
                    fields = #""mailboxId":"\#(stream)","serverProfileId":\#(json(profileOf[n])),"tests":["incoming","outgoing","appointmentsContactsTasks"],"enableOnSuccess":true"#
                    next[n] = .testResult
                case .testResult, .steady:
                    type = "MailboxTestResultRecorded"
                    let incoming = below(10) < 8, outgoing = below(10) < 9, act = below(10) < 7
                    func word(_ ok: Bool) -> String { ok ? "Success" : "Failure" }
                    fields = #""mailboxId":"\#(stream)","incoming":"\#(word(incoming))","outgoing":"\#(word(outgoing))","appointmentsContactsTasks":"\#(word(act))","durationMs":\#(100 + below(5000)),"message":"\#(incoming && outgoing && act ? "All tests passed" : "One or more tests failed")""#
                    next[n] = .steady
                }
            }
        }
        let occurred = formatter.string(from: Date(timeIntervalSince1970: Double(1_704_067_200 + position - 1)))
        let actor = String(format: "admin-%02d", 1 + below(8))
        let correlation = String(format: "%016llx%016llx", random.next(), random.next())
        let version = (versions[stream] ?? 0) + 1
        versions[stream] = version
        out += "\(stream)\t\(version)\t\(type)\t{\(fields),\"occurredAt\":\"\(occurred)\",\"actor\":\"\(actor)\",\"source\":\"admin-console\",\"correlationId\":\"\(correlation)\"}\n"
    }
    try out.write(toFile: output, atomically: true, encoding: .utf8)
    return SHA256.hash(data: Array(out.utf8)).map { String(format: "%02x", $0) }.joined()
}
