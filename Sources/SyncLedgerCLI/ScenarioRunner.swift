import Foundation
import ServerSideSync
import SyncLedger

/// Runs scenarios: each on a fresh temporary simulation ledger, every command
/// through this very binary (the same parsing, rules and exit codes an admin
/// meets), then compares what was recorded with the scenario's `then`.
struct ScenarioRunner {
    /// What one scenario came to.
    struct Result {
        var spec: ScenarioSpec
        var failures: [String]
        var seconds: Double
        var passed: Bool { failures.isEmpty }
    }

    /// This program's own executable.
    static var executable: String {
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        if FileManager.default.isExecutableFile(atPath: link) && link != "/proc/self/exe" { return link }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// The instant of the first command without an `at`; each later one is a minute on.
    static let start = Timestamp.parse("2025-03-03T09:00:00Z")!

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ words: [String], db: String, at instant: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = words + ["--db", db]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SYNCLEDGER_") }
        environment["SYNCLEDGER_NOW"] = instant
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let notes = String(decoding: stderr, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("note: ") }
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: notes.joined(separator: "\n"))
    }

    /// Runs `spec` on a fresh ledger.
    func run(_ spec: ScenarioSpec) -> Result {
        let started = Date()
        var failures: [String] = []
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-test-\(UUID().uuidString.lowercased())")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let db = folder.appendingPathComponent("scenario.sqlite").path
            _ = try SyncLedger.open(at: db, options: .init(simulation: true))
            var clock = Self.start
            func instant(_ step: ScenarioSpec.Step) -> String {
                if let at = step.at, let date = Timestamp.parse(at) { clock = date }
                defer { clock = clock.addingTimeInterval(60) }
                return Timestamp.format(clock)
            }
            for (n, step) in spec.given.enumerated() {
                let result = try Self.run(step.words, db: db, at: instant(step))
                guard result.status == 0 else {
                    return Result(spec: spec, failures: ["given[\(n)] (line \(step.line)) `\(step.text)` exited \(result.status): \(result.stderr)"],
                                  seconds: Date().timeIntervalSince(started))
                }
            }
            guard let when = spec.when else {
                return Result(spec: spec, failures: ["no \"when\": a scenario needs one unless it runs --against a ledger"], seconds: 0)
            }
            let headBefore = try SyncLedger.open(at: db, options: .evidence).head().position
            let outcome = try Self.run(when.words + ["--json"], db: db, at: instant(when))
            let ledger = try SyncLedger.open(at: db, options: .evidence)
            failures += check(spec, outcome: outcome, ledger: ledger, after: headBefore)
        } catch {
            failures.append("could not run: \(error)")
        }
        return Result(spec: spec, failures: failures, seconds: Date().timeIntervalSince(started))
    }

    /// Checks `spec`'s `then` against what `ledger` recorded after `position`
    /// (`--against`): the events after it, and the read models now.
    func check(_ spec: ScenarioSpec, against ledger: SyncLedger, after position: Position) -> Result {
        let started = Date()
        var failures: [String] = []
        do {
            var events: [RecordedEvent] = []
            try ledger.forEachEvent(from: position.next) { events.append($0) }
            let refused = events.first.flatMap { event -> (String, String)? in
                guard event.type == "CommandRefused", let data = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any] else { return nil }
                return (data["code"] as? String ?? "", data["message"] as? String ?? "")
            }
            failures += compareOutcome(spec, events: events.map(Self.eventJSON), refusal: refused, status: refused == nil ? 0 : 78)
            failures += compareReadModels(spec, ledger: ledger, after: position)
        } catch {
            failures.append("could not read the ledger: \(error)")
        }
        return Result(spec: spec, failures: failures, seconds: Date().timeIntervalSince(started))
    }

    static func eventJSON(_ event: RecordedEvent) -> [String: Any] {
        ["type": event.type, "stream": event.stream.rawValue,
         "data": (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) ?? [:]]
    }

    private func check(_ spec: ScenarioSpec, outcome: Run, ledger: SyncLedger, after position: Position) -> [String] {
        let document = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any]
        let events = (document?["events"] as? [[String: Any]]) ?? []
        // A refusal as the ledger recorded it (its audited denial), or as the CLI reported it when nothing was recorded.
        var refusal: (code: String, message: String)?
        if outcome.status != 0 {
            var denial: [String: Any]?
            try? ledger.forEachEvent(from: position.next) { event in
                if denial == nil, event.type == "CommandRefused" {
                    denial = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
                }
            }
            let error = document?["error"] as? [String: Any]
            refusal = (denial?["code"] as? String ?? error?["code"] as? String ?? "exit \(outcome.status)",
                       denial?["message"] as? String ?? error?["message"] as? String ?? outcome.stderr)
        }
        var failures = compareOutcome(spec, events: events, refusal: refusal, status: outcome.status)
        if spec.events != nil && outcome.status != 0 {
            failures = ["when (line \(spec.when?.line ?? 0)) exited \(outcome.status): \(outcome.stderr)"]
        }
        return failures + compareReadModels(spec, ledger: ledger, after: position)
    }

    private func compareOutcome(_ spec: ScenarioSpec, events: [[String: Any]], refusal: (code: String, message: String)?, status: Int32) -> [String] {
        var failures: [String] = []
        if let code = spec.refused {
            guard let refusal else { return ["then.refused: expected the refusal \(code), but the command was accepted (\(events.map { $0["type"] as? String ?? "?" }.joined(separator: ", ")))"] }
            if refusal.code != code { failures.append("then.refused: expected \(code), got \(refusal.code): \(refusal.message)") }
            if let message = spec.message, message != refusal.message { failures.append("then.message: expected \"\(message)\", got \"\(refusal.message)\"") }
        }
        if let expected = spec.events {
            if let refusal { return ["then.events: expected \(expected.count) event(s), but the command was refused: \(refusal.code): \(refusal.message)"] }
            let types = events.map { $0["type"] as? String ?? "?" }
            if expected.count != events.count {
                failures.append("then.events: expected \(expected.count) event(s) (\(expected.compactMap { Self.text($0.fields["type"]) }.joined(separator: ", "))), got \(events.count) (\(types.joined(separator: ", ")))")
            }
            for (n, (want, got)) in zip(expected, events).enumerated() {
                failures += compareFields(want, got, label: "then.events[\(n)] (line \(want.line))")
            }
        }
        return failures
    }

    private func compareReadModels(_ spec: ScenarioSpec, ledger: SyncLedger, after position: Position) -> [String] {
        var failures: [String] = []
        do {
            if let grid = spec.grid { failures += compareGrid(grid, try ledger.mailboxStatus(), label: "then.grid") }
            if let alerts = spec.alerts { failures += compareList(alerts, try ledger.alerts(), label: "then.alerts") }
            if let audit = spec.audit {
                failures += compareList(audit, try ledger.audit().filter { $0.position > position.rawValue }, label: "then.audit")
            }
            for (n, check) in spec.asOf.enumerated() {
                guard let cutoff = Cutoff(parsing: check.cutoff) else { continue }
                if let grid = check.grid { failures += compareGrid(grid, try ledger.mailboxStatus(asOf: cutoff), label: "then.asOf[\(n)].grid (\(check.cutoff))") }
                if let alerts = check.alerts { failures += compareList(alerts, try ledger.alerts(asOf: cutoff), label: "then.asOf[\(n)].alerts (\(check.cutoff))") }
            }
        } catch {
            failures.append("could not read the ledger: \(error)")
        }
        return failures
    }

    /// The grid: exactly the mailboxes listed, each with the fields listed.
    private func compareGrid(_ expected: [ScenarioSpec.Expected], _ rows: [MailboxStatusRow], label: String) -> [String] {
        var failures: [String] = []
        let actual = Dictionary(rows.map { ($0.mailbox, Self.plain($0)) }, uniquingKeysWith: { first, _ in first })
        let named = expected.compactMap { Self.text($0.fields["mailbox"]) }
        for missing in actual.keys.sorted() where !named.contains(missing) {
            failures.append("\(label): the grid also holds \(missing), which the scenario does not list")
        }
        for (n, row) in expected.enumerated() {
            let mailbox = Self.text(row.fields["mailbox"]) ?? ""
            guard let got = actual[mailbox] else { failures.append("\(label)[\(n)] (line \(row.line)): no mailbox \(mailbox) in the grid"); continue }
            failures += compareFields(row, got, label: "\(label)[\(n)] (line \(row.line)) \(mailbox)")
        }
        return failures
    }

    /// A list: exactly as many rows, in order, each with the fields listed.
    private func compareList<Row: Encodable>(_ expected: [ScenarioSpec.Expected], _ rows: [Row], label: String) -> [String] {
        var failures: [String] = []
        if expected.count != rows.count { failures.append("\(label): expected \(expected.count) row(s), got \(rows.count)") }
        for (n, (want, got)) in zip(expected, rows).enumerated() {
            failures += compareFields(want, Self.plain(got), label: "\(label)[\(n)] (line \(want.line))")
        }
        return failures
    }

    private func compareFields(_ expected: ScenarioSpec.Expected, _ actual: [String: Any], label: String) -> [String] {
        var failures: [String] = []
        for (field, value) in expected.fields.sorted(by: { $0.key < $1.key }) {
            let got = actual[field]
            if !Self.equal(value.plain, got) {
                failures.append("\(label): \(field) is \(Self.show(got)), expected \(Self.show(value.plain)) (line \(value.line))")
            }
        }
        return failures
    }

    static func plain<Row: Encodable>(_ row: Row) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(row)) as? [String: Any]) ?? [:]
    }

    static func text(_ value: LocatedJSON?) -> String? {
        if case .string(let text, _)? = value { return text }
        return nil
    }

    /// JSON equality: numbers by value, null equal to an absent field.
    static func equal(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil), (nil, is NSNull), (is NSNull, nil), (is NSNull, is NSNull): return true
        case (let x as [String: Any], let y as [String: Any]):
            return Set(x.keys) == Set(y.keys) && x.keys.allSatisfy { equal(x[$0], y[$0]) }
        case (let x as [Any], let y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (let x as Bool, let y as Bool): return x == y
        case (let x as String, let y as String): return x == y
        case (let x as NSNumber, let y as NSNumber): return x.doubleValue == y.doubleValue
        default: return false
        }
    }

    static func show(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "absent" }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// JUnit XML, the report format CI servers read: one `testsuite` per file,
/// one `testcase` per scenario, a `failure` per failed scenario and an
/// `error` per file that could not be read.
enum JUnitReport {
    struct Suite {
        var file: String
        var results: [ScenarioRunner.Result]
        var error: ScenarioFileError?
    }

    static func xml(_ suites: [Suite], at instant: Date = Date()) -> String {
        func escape(_ text: String) -> String {
            var result = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "&": result += "&amp;"
                case "<": result += "&lt;"
                case ">": result += "&gt;"
                case "\"": result += "&quot;"
                case "\n", "\t": result.unicodeScalars.append(scalar)
                default:
                    // XML 1.0 allows no other control characters.
                    if scalar.value < 0x20 || (0xD800...0xDFFF).contains(scalar.value) || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                        result += "?"
                    } else {
                        result.unicodeScalars.append(scalar)
                    }
                }
            }
            return result
        }
        let stamp = String(Timestamp.format(instant).prefix(19))
        let host = escape(ProcessInfo.processInfo.hostName)
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        let total = suites.reduce(0) { $0 + $1.results.count + ($1.error == nil ? 0 : 1) }
        let failed = suites.reduce(0) { $0 + $1.results.filter { !$0.passed }.count }
        let errors = suites.filter { $0.error != nil }.count
        let time = suites.reduce(0.0) { $0 + $1.results.reduce(0) { $0 + $1.seconds } }
        lines.append("<testsuites name=\"syncledger test\" tests=\"\(total)\" failures=\"\(failed)\" errors=\"\(errors)\" time=\"\(String(format: "%.3f", time))\">")
        for (id, suite) in suites.enumerated() {
            let name = escape(suite.file)
            let suiteTime = suite.results.reduce(0) { $0 + $1.seconds }
            lines.append("  <testsuite package=\"syncledger.scenarios\" id=\"\(id)\" name=\"\(name)\" timestamp=\"\(stamp)\" hostname=\"\(host)\" tests=\"\(suite.results.count + (suite.error == nil ? 0 : 1))\" failures=\"\(suite.results.filter { !$0.passed }.count)\" errors=\"\(suite.error == nil ? 0 : 1)\" time=\"\(String(format: "%.3f", suiteTime))\">")
            lines.append("    <properties/>")
            for result in suite.results {
                lines.append("    <testcase name=\"\(escape(result.spec.name))\" classname=\"\(name)\" time=\"\(String(format: "%.3f", result.seconds))\">")
                if !result.passed {
                    lines.append("      <failure message=\"\(escape(result.failures[0]))\" type=\"ScenarioFailed\">\(escape(result.failures.joined(separator: "\n")))</failure>")
                }
                lines.append("    </testcase>")
            }
            if let error = suite.error {
                // The schema has no suite-level error: an unreadable file is one test case in error.
                lines.append("    <testcase name=\"(the scenario file)\" classname=\"\(name)\" time=\"0.000\">")
                lines.append("      <error message=\"\(escape(error.description))\" type=\"InvalidScenarioFile\">\(escape(error.description))</error>")
                lines.append("    </testcase>")
            }
            lines.append("    <system-out/>")
            lines.append("    <system-err/>")
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }
}
