import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// `N:HASH` — a position (≥ 1, digits only, an optional leading `#`) and its
/// hash (64 hex digits).
struct ChainPoint: ExpressibleByArgument {
    var position: Position
    var hash: [UInt8]
    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 64 else { return nil }
        let digits = parts[0].hasPrefix("#") ? parts[0].dropFirst() : parts[0][...]
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int64(digits), value >= 1 else { return nil }
        var bytes: [UInt8] = []
        var index = parts[1].startIndex
        while index < parts[1].endIndex {
            let next = parts[1].index(index, offsetBy: 2)
            guard let byte = UInt8(parts[1][index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        position = Position(value)
        hash = bytes
    }
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "The event log itself: verify, head, export.",
                                                    subcommands: [Verify.self, Head.self, Export.self, Backup.self, MakeCheckpoint.self, Prove.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Walk the hash chain; exit 76 at the first broken position.",
            discussion: """
                Opens the file read-only: it never catches projections up or writes, and it checks a ledger holding \
                event types this binary does not know. Keep the head it prints somewhere else; passing it back with \
                --expect-head also catches truncation and rewrites. With --projections it also rebuilds every read model \
                from the log in a scratch database and compares it row by row with what the file stores.
                """)
        @OptionGroup var store: StoreOptions
        @Flag(help: "Also rebuild every read model from the log and compare it with the stored tables (current rows, history, audit trail, decision state).")
        var projections = false
        @Option(name: .customLong("expect-head"), help: ArgumentHelp("The head recorded earlier, as N:HASH.", valueName: "N:hash")) var expectHead: ChainPoint?
        @Option(help: ArgumentHelp("Start after a trusted point N:HASH instead of position 1.", valueName: "N:hash")) var anchor: ChainPoint?
        @Option(help: ArgumentHelp("Also prove the log extends this signed checkpoint: its first N events hash to the checkpoint's Merkle root (a rewrite, even with the chain recomputed, or a truncated tail exits 76).", valueName: "file"))
        var checkpoint: String?
        @OptionGroup var key: TrustedKey

        func validate() throws {
            if checkpoint != nil && anchor != nil { throw ValidationError("--checkpoint covers the whole log; it does not go with --anchor") }
        }

        func run() throws {
            let ledger = try store.openReadOnly()
            let trusted = try checkpoint.map { try LogCommand.trustedCheckpoint($0, ledger: ledger, key: key, json: store.json) }
            try reportingFailure(json: store.json) {
                let progress = Progress.isTerminal ? { (p: Position) in FileHandle.standardError.write(Data("\rverified \(p.rawValue)".utf8)) } : nil
                let expected = expectHead.map { LogHead(position: $0.position, hash: $0.hash, recordedAtMicroseconds: nil) }
                let report = try ledger.verify(from: anchor.map { ChainAnchor(position: $0.position, hash: $0.hash) },
                                               expectingHead: expected, checkpoint: trusted, progress: progress)
                if progress != nil { FileHandle.standardError.write(Data("\n".utf8)) }
                switch report {
                case .intact(let count, let head):
                    var mismatch: ProjectionMismatch?
                    if projections {
                        mismatch = try ledger.verifyProjections(progress: Progress.reporter(label: "rebuilding read models"))
                    }
                    if store.json {
                        var document = ["intact": AnyEncodable(mismatch == nil), "events": AnyEncodable(count),
                                        "head": AnyEncodable(["position": head.position.rawValue]), "headHash": AnyEncodable(hexString(head.hash))]
                        if projections { document["projections"] = AnyEncodable(mismatch.map { ["intact": AnyEncodable(false), "table": AnyEncodable($0.table),
                                                                                               "key": AnyEncodable($0.key), "problem": AnyEncodable($0.problem)] }
                                                                                   ?? ["intact": AnyEncodable(true)]) }
                        Output.printJSON(document)
                    } else {
                        print("intact: \(count) events; head \(head.position.rawValue):\(hexString(head.hash))")
                        if projections && mismatch == nil { print("projections: every stored table equals a fresh fold of the log") }
                    }
                    // The report above is the one document on stdout; the reason goes to stderr only.
                    if let mismatch { try fail(code: "Tampered", message: "a read model differs from the log: \(mismatch)", status: ExitStatus.tampered, json: false) }
                case .broken(let position, let reason):
                    if store.json {
                        Output.printJSON(["intact": AnyEncodable(false), "position": AnyEncodable(position.rawValue), "reason": AnyEncodable(reason.description)])
                    }
                    try fail(code: "Tampered", message: "the log is broken at \(position): \(reason)", status: ExitStatus.tampered, json: false)
                }
            }
        }
    }

    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a verified, self-contained copy of the ledger to a new file.",
            discussion: """
                The copy is one consistent snapshot (others may keep writing meanwhile) that includes what is still in the \
                -wal file; its hash chain is walked and its head matched against this ledger before it is kept. DEST must \
                not exist. Copy ledgers this way rather than with cp, which may miss the -wal file.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp("Where to write the copy (must not exist).", valueName: "dest")) var destination: String
        func run() throws {
            let ledger = try store.openReadOnly()
            try reportingFailure(json: store.json) {
                let head = try ledger.backup(to: destination)
                if store.json {
                    Output.printJSON(["path": AnyEncodable(destination), "head": AnyEncodable(["position": head.position.rawValue]),
                                      "headHash": AnyEncodable(hexString(head.hash)), "verified": AnyEncodable(true)])
                } else {
                    print("backed up and verified: \(destination); head \(head.position.rawValue):\(hexString(head.hash))")
                }
            }
        }
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The last position and its hash.")
        @OptionGroup var store: StoreOptions
        func run() throws {
            let ledger = try store.openReadOnly()
            try reportingFailure(json: store.json) {
                let head = try ledger.head()
                let at = head.recordedAtMicroseconds.map { Timestamp.format(Date(microsecondsSince1970: $0)) }
                if store.json {
                    Output.printJSON(["position": AnyEncodable(head.position.rawValue), "hash": AnyEncodable(hexString(head.hash)), "recordedAt": AnyEncodable(at)])
                } else {
                    print("\(head.position.rawValue):\(hexString(head.hash))\(at.map { "  recorded at \($0)" } ?? "")")
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write events to stdout as JSONL or CSV, with everything needed to re-verify the chain offline.")
        @OptionGroup var store: StoreOptions
        @Option(help: "jsonl or csv.") var format: ExportFormat = .jsonl
        @Option(help: "From this position (#N, default #1).") var from: Cutoff?
        @Option(help: "Up to this cutoff (default: latest).") var to: Cutoff = .latest

        struct Line: Encodable {
            var position: Int64, stream: String, streamVersion: Int64, id: String, type: String, schemaVersion: Int
            var data: String, metadata: String, recordedAtMicroseconds: Int64, previousHash: String, hash: String
        }

        func run() throws {
            let ledger = try store.openReadOnly()
            try reportingFailure(json: false) {
                let start = try from.map { try ledger.position(of: $0) } ?? Position(1)
                let end = try ledger.position(of: to)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                if format == .csv {
                    print("position,stream,stream_version,event_id,type,schema_version,data,metadata,recorded_at_us,previous_hash,hash")
                }
                var count = 0
                try ledger.forEachEvent(from: max(start, 1), through: end) { e in
                    let line = Line(position: e.position.rawValue, stream: e.stream.rawValue, streamVersion: e.streamVersion.rawValue,
                                    id: e.id.uuidString.lowercased(), type: e.type, schemaVersion: e.schemaVersion, data: e.data, metadata: e.storedMetadata,
                                    recordedAtMicroseconds: e.recordedAtMicroseconds, previousHash: hexString(e.previousHash), hash: hexString(e.hash))
                    if format == .jsonl {
                        print(String(decoding: try encoder.encode(line), as: UTF8.self))
                    } else {
                        print(csvLine([String(line.position), line.stream, String(line.streamVersion), line.id, line.type, String(line.schemaVersion),
                                       line.data, line.metadata, String(line.recordedAtMicroseconds), line.previousHash, line.hash]))
                    }
                    count += 1
                    if Progress.isTerminal && count % 10_000 == 0 { FileHandle.standardError.write(Data("\rexported \(count)".utf8)) }
                }
            }
        }
    }
}

struct ProjectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "projections", abstract: "Read models: list them, rebuild them from the log.",
                                                    subcommands: [List.self, Rebuild.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each projection's version, checkpoint and tables.")
        @OptionGroup var store: StoreOptions
        func run() throws {
            let ledger = try store.open()
            try reportingFailure(json: store.json) {
                let rows = try ledger.projectionStatus()
                if store.json { Output.printJSON(rows); return }
                Output.table(["NAME", "VERSION", "CHECKPOINT", "TABLES"], rows.map {
                    [$0.name, "\($0.storedVersion.map(String.init) ?? "—")/\($0.schemaVersion)", "#\($0.checkpoint)", $0.tables.joined(separator: ", ")]
                })
            }
        }
    }

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rebuild projections from position 1 (all, or --name).",
            discussion: """
            Folds the log into a temporary scratch file, copies the result into new tables beside the old ones \
            10,000 rows per transaction, then swaps them in one short transaction that also applies the commands \
            committed meanwhile. Commands and queries go on throughout; queries see the old tables until the swap. \
            The scratch file needs about the read models' size where SQLite keeps temporary files \
            (SQLITE_TMPDIR, else TMPDIR, else /var/tmp). The fold keeps the read models' current rows in memory \
            up to --memory MiB (rows past that are folded in the scratch file, more slowly). On a terminal, \
            standard error shows how far the fold (events) and the copy (rows) have come.
            """)
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this projection (repeatable).") var name: [String] = []
        @Option(help: ArgumentHelp("MiB of read-model rows the fold may hold in memory (the process needs about 55 MiB besides).",
                                   valueName: "MiB"))
        var memory: Int = SyncLedger.defaultRebuildMemoryBudget >> 20
        func validate() throws {
            guard (0...(1 << 20)).contains(memory) else { throw ValidationError("--memory must be between 0 and 1048576 MiB (got \(memory))") }
        }
        func run() throws {
            let ledger = try store.open(progress: true)
            try reportingFailure(json: store.json) {
                let started = Date()
                let count = try ledger.rebuild(name.isEmpty ? nil : Set(name), memoryBudget: memory << 20, progress: Progress.reporter(label: "rebuilding"),
                                              copyProgress: Progress.counter(label: "copying rows"))
                let seconds = Date().timeIntervalSince(started)
                if store.json {
                    Output.printJSON(["events": AnyEncodable(count), "seconds": AnyEncodable(seconds)])
                } else {
                    print("rebuilt \(name.isEmpty ? "all projections" : name.joined(separator: ", ")) from \(count) events in \(String(format: "%.2f", seconds)) s")
                }
            }
        }
    }
}

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create an empty ledger file (real, or --simulation).",
        discussion: """
            Admin commands create a real ledger on first use; `init` does it explicitly, and is the only way to create a \
            simulation ledger — for training, tests and scripted demos — on which SYNCLEDGER_NOW may pin the decision clock \
            (never ahead of the system clock). The mode is recorded in the file at creation, cannot change, and every \
            command on a simulation ledger says so on stderr.
            """)
    @OptionGroup var store: StoreOptions
    @Flag(help: "Create a simulation ledger.") var simulation = false
    func run() throws {
        guard !FileManager.default.fileExists(atPath: store.db) else {
            try fail(code: "AlreadyExists", message: "\(store.db) already exists; init never touches an existing file", status: ExitStatus.usage, json: store.json)
        }
        let ledger = try reportingFailure(json: store.json) {
            var options = SyncLedger.Options(createIfMissing: true, simulation: simulation)
            options.lockWait = .milliseconds(Int64(store.lockWait * 1000))
            return try SyncLedger.open(at: store.db, options: options)
        }
        if store.json {
            Output.printJSON(["path": AnyEncodable(ledger.path), "simulation": AnyEncodable(ledger.isSimulation)])
        } else {
            print("created \(ledger.isSimulation ? "simulation" : "real") ledger \(ledger.path)")
        }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay",
        abstract: "Re-execute the commands recorded between two cutoffs against another ledger, deciding each afresh there.",
        discussion: "Use it to promote configuration from a test environment to production. --dry-run reports what would be accepted and refused and changes nothing.")
    @OptionGroup var store: StoreOptions
    @Option(help: "After this cutoff (#N or instant; default #0).") var from: Cutoff = .position(.origin)
    @Option(help: "Up to this cutoff (default: latest).") var to: Cutoff = .latest
    @Option(help: "The target ledger file.") var onto: String
    @Flag(name: .customLong("dry-run"), help: "Report only; write nothing to the target (a missing target is not created).") var dryRun = false
    func run() throws {
        let ledger = try store.open()
        var targetStore = store
        // A dry run onto a missing file decides against an empty scratch ledger that is deleted afterwards.
        let scratch = dryRun && !FileManager.default.fileExists(atPath: onto)
            ? FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-dry-run-\(UUID().uuidString.lowercased()).sqlite").path : nil
        defer { if let scratch { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) } } }
        targetStore.db = scratch ?? onto
        let target = try targetStore.openForCommand()
        try reportingFailure(json: store.json) {
            let report = try ledger.replay(from: from, through: to, onto: target, dryRun: dryRun)
            if store.json { Output.printJSON(report); return }
            Output.table(["COMMAND", "ACTOR", "OUTCOME", "EVENTS", "REASON"], report.map { line in
                [line.command, line.actor, line.outcome, String(line.events), line.refusalCode.map { "\($0): \(line.message ?? "")" } ?? ""]
            })
            let accepted = report.filter { $0.outcome == "accepted" }.count
            print("\(dryRun ? "would accept" : "accepted") \(accepted) of \(report.count) command(s)\(dryRun ? "; nothing was written" : "")")
        }
    }
}
