import ArgumentParser
import Foundation
import SyncLedger

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test",
        abstract: "Run declarative scenario files: given commands, when one more, then exactly these events or this refusal.",
        discussion: """
            A scenario file is JSON: one scenario object, or an array of them.

              {
                "scenario": "what it shows",                       (required)
                "given": [ { "run": "COMMAND LINE", "at": "RFC 3339" }, … ],
                "when":  { "run": "COMMAND LINE", "at": "RFC 3339" },  (required, except with --against)
                "then": {                                          (required)
                  "events":  [ { "type": "…", "stream": "…", "data": { … } }, … ],   exactly these events, or
                  "refused": "REFUSAL CODE", "message": "exact text",                  this refusal
                  "grid":    [ { "mailbox": "ID", FIELD: VALUE, … }, … ],   every mailbox of the grid
                  "alerts":  [ { FIELD: VALUE, … }, … ],                    every alert, in order
                  "audit":   [ { FIELD: VALUE, … }, … ],                    the rows "when" added
                  "asOf":    [ { "at": "#N or RFC 3339", "grid": […], "alerts": […] } ]
                }
              }

            Command lines are the CLI's own (without --db; a leading "syncledger" is optional). Each scenario runs on a \
            fresh temporary simulation ledger; "at" pins the decision clock (default: 2025-03-03T09:00:00Z, then one minute \
            per command). Events compare "type", and "stream" and "data" when given (data exactly); rows compare the fields \
            listed, with the keys of the --json output of status, alerts and audit.

            With --against LEDGER the scenarios' "given" and "when" are skipped: "then" is checked against what that ledger \
            recorded after the scenario's "after": "#N" (or --after N), and against its read models now.

            Prints one line per scenario and a summary; exits 0 when every scenario passed, 1 when one failed, 64 when a \
            file could not be read (with its file, line and field).
            """)
    @Argument(help: ArgumentHelp("Scenario files (JSON).", valueName: "file")) var files: [String]
    @Option(help: ArgumentHelp("Also write the results as JUnit XML to this file.", valueName: "file")) var junit: String?
    @Option(help: ArgumentHelp("Check the scenarios' \"then\" against this ledger instead of running them.", valueName: "ledger")) var against: String?
    @Option(help: ArgumentHelp("With --against: the position after which the ledger's events are checked (default: the scenario's \"after\").", valueName: "N"))
    var after: Int64?

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one scenario file") }
        if after != nil && against == nil { throw ValidationError("--after goes with --against") }
        if let after, after < 0 { throw ValidationError("--after must be 0 or more") }
    }

    func run() throws {
        let runner = ScenarioRunner()
        var suites: [JUnitReport.Suite] = []
        var target: SyncLedger?
        if let against {
            target = try reportingFailure(json: false) { try SyncLedger.open(at: against, options: .evidence) }
        }
        for file in files {
            let specs: [ScenarioSpec]
            do {
                specs = try ScenarioSpec.load(file)
            } catch {
                print("✗ \(error)")
                suites.append(JUnitReport.Suite(file: file, results: [], error: error))
                continue
            }
            var results: [ScenarioRunner.Result] = []
            for spec in specs {
                let result: ScenarioRunner.Result
                if let target {
                    let position = after.map { Position($0) } ?? spec.after.flatMap { Int64($0.dropFirst()) }.map { Position($0) }
                    if let position {
                        result = runner.check(spec, against: target, after: position)
                    } else {
                        result = ScenarioRunner.Result(spec: spec, failures: ["with --against, say where the scenario starts: \"after\": \"#N\" or --after N"], seconds: 0)
                    }
                } else {
                    result = runner.run(spec)
                }
                results.append(result)
                let timing = String(format: "%.2f s", result.seconds)
                if result.passed {
                    print(Output.printable("✓ \(file): \(spec.name) (\(timing))"))
                } else {
                    print(Output.printable("✗ \(file): \(spec.name) (\(timing))"))
                    for failure in result.failures { print(Output.printable("    \(failure)")) }
                }
            }
            suites.append(JUnitReport.Suite(file: file, results: results, error: nil))
        }
        let all = suites.flatMap(\.results)
        let failed = all.filter { !$0.passed }.count
        let unreadable = suites.filter { $0.error != nil }.count
        print("\(all.count) scenario(s): \(all.count - failed) passed, \(failed) failed\(unreadable > 0 ? "; \(unreadable) file(s) could not be read" : "")")
        if let junit {
            do {
                try JUnitReport.xml(suites).write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                try fail(code: "CannotWrite", message: "cannot write \(junit): \(error.localizedDescription)", status: ExitStatus.cannotOpen, json: false)
            }
        }
        if unreadable > 0 { throw ExitCode(ExitStatus.usage) }
        if failed > 0 { throw ExitCode(1) }
    }
}
