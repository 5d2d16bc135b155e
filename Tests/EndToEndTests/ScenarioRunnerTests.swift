import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `syncledger test`: the example scenarios, broken files, failures, JUnit XML
/// and --against.
@Suite("syncledger test: declarative scenarios", .serialized)
struct ScenarioRunnerTests {
    static let examples: [String] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { folder.appendingPathComponent($0).path }
    }()

    func write(_ cli: CLI, _ name: String, _ text: String) throws -> String {
        let path = cli.folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func everyExampleScenarioPassesAndTheJUnitReportHasTheSchemasShape() throws {
        let cli = CLI(simulation: false)
        defer { cli.cleanUp() }
        #expect(Self.examples.count >= 6)
        let junit = cli.folder.appendingPathComponent("junit.xml").path
        let result = try cli.run(["test"] + Self.examples + ["--junit", junit])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last?.hasSuffix("passed, 0 failed") == true)
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("✓ ") }, "\(result.stdout)")
        try checkJUnitShape(junit, suites: Self.examples.count, failures: 0, errors: 0)
    }

    /// The rules of the JUnit XML schema CI servers read (the Ant-derived
    /// `JUnit.xsd`): a `testsuites` root of `testsuite` elements carrying name,
    /// timestamp (no zone), hostname, tests, failures, errors, time, package and
    /// id, whose children are `properties`, `testcase`s, `system-out` and
    /// `system-err` in that order; each `testcase` has name, classname and
    /// time and at most one `failure` or `error` with message and type.
    func checkJUnitShape(_ path: String, suites: Int, failures: Int, errors: Int) throws {
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path), options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        let testsuites = root.elements(forName: "testsuite")
        #expect(testsuites.count == suites)
        #expect(root.children?.count == suites, "testsuites holds only testsuite elements")
        var failed = 0, erred = 0
        for suite in testsuites {
            for attribute in ["name", "timestamp", "hostname", "tests", "failures", "errors", "time", "package", "id"] {
                #expect(suite.attribute(forName: attribute) != nil, "testsuite lacks \(attribute)")
            }
            let stamp = suite.attribute(forName: "timestamp")?.stringValue ?? ""
            #expect(stamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"#, options: .regularExpression) != nil, "timestamp \(stamp)")
            let names = (suite.children ?? []).compactMap(\.name)
            #expect(names.first == "properties" && names.suffix(2) == ["system-out", "system-err"], "\(names)")
            #expect(names.dropFirst().dropLast(2).allSatisfy { $0 == "testcase" }, "\(names)")
            let cases = suite.elements(forName: "testcase")
            #expect(suite.attribute(forName: "tests")?.stringValue == String(cases.count))
            for testcase in cases {
                for attribute in ["name", "classname", "time"] { #expect(testcase.attribute(forName: attribute) != nil) }
                let outcomes = (testcase.children ?? []).compactMap(\.name)
                #expect(outcomes.count <= 1 && outcomes.allSatisfy { $0 == "failure" || $0 == "error" }, "\(outcomes)")
                for outcome in testcase.elements(forName: "failure") + testcase.elements(forName: "error") {
                    #expect(outcome.attribute(forName: "message") != nil && outcome.attribute(forName: "type") != nil)
                }
                failed += testcase.elements(forName: "failure").count
                erred += testcase.elements(forName: "error").count
            }
        }
        #expect(failed == failures)
        #expect(erred == errors)
    }

    @Test func theReadmeScenarioPasses() throws {
        let cli = CLI(simulation: false)
        defer { cli.cleanUp() }
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "### Scenario files: `syncledger test`"))
        let start = try #require(readme.range(of: "```json\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let path = try write(cli, "readme.json", String(readme[start.upperBound..<end.lowerBound]))
        let result = try cli.run(["test", path])
        #expect(result.status == 0, "\(result.stdout)")
    }

    @Test func brokenFilesNameTheFileTheLineAndTheField() throws {
        let cli = CLI(simulation: false)
        defer { cli.cleanUp() }
        let cases: [(String, String, String)] = [
            ("syntax.json", "{\n  \"scenario\": \"x\",\n  \"then\": { \"events\": [ }\n}\n", ":3: not valid JSON: unexpected character '}'"),
            ("unknown.json", "{\n  \"scenario\": \"x\",\n  \"when\": { \"run\": \"tick\" },\n  \"then\": {\n    \"evnts\": []\n  }\n}\n",
             ":5: then.evnts: unknown field; expected one of events, refused, message, grid, alerts, audit, asOf"),
            ("type.json", "[\n  {\n    \"scenario\": \"x\",\n    \"given\": [ { \"run\": 42 } ],\n    \"then\": { \"refused\": \"X\" }\n  }\n]\n",
             ":4: [0].given[0].run: expected a string, found a number"),
            ("missing.json", "{\n  \"scenario\": \"x\"\n}\n", ":1: then: missing (required)"),
            ("both.json", "{\n  \"scenario\": \"x\",\n  \"then\": {\n    \"refused\": \"A\",\n    \"events\": []\n  }\n}\n",
             ":3: then: say either \"events\" (exactly these events) or \"refused\" (this refusal code)"),
            ("instant.json", "{\n  \"scenario\": \"x\",\n  \"when\": { \"run\": \"tick\", \"at\": \"2025-02-31T00:00:00Z\" },\n  \"then\": { \"events\": [] }\n}\n",
             ":3: when.at: \"2025-02-31T00:00:00Z\" is not an RFC 3339 instant"),
            ("db.json", "{\n  \"scenario\": \"x\",\n  \"when\": { \"run\": \"tick --db other.sqlite\" },\n  \"then\": { \"events\": [] }\n}\n",
             ":3: when.run: --db is set by the runner (each scenario gets a fresh ledger)"),
        ]
        for (name, text, expected) in cases {
            let path = try write(cli, name, text)
            let result = try cli.run(["test", path])
            #expect(result.status == 64, "\(name)")
            #expect(result.stdout.hasPrefix("✗ \(path)\(expected)\n"), "\(name): \(result.stdout)")
        }
        let junit = cli.folder.appendingPathComponent("junit.xml").path
        let paths = cases.map { cli.folder.appendingPathComponent($0.0).path }
        #expect(try cli.run(["test"] + paths + ["--junit", junit]).status == 64)
        try checkJUnitShape(junit, suites: cases.count, failures: 0, errors: cases.count)
    }

    @Test func aFailingScenarioSaysWhatDiffersAndExits1() throws {
        let cli = CLI(simulation: false)
        defer { cli.cleanUp() }
        let path = try write(cli, "wrong.json", """
            {
              "scenario": "a wrong expectation",
              "given": [ { "run": "tenant create Contoso --admin gabriela@contoso.com" } ],
              "when": { "run": "env provision contoso-prod --as gabriela@contoso.com" },
              "then": {
                "events": [ { "type": "EnvironmentProvisioned" } ],
                "grid": [ { "mailbox": "contoso-prod/user:gabriela@contoso.com", "emailStatus": "Approved" } ]
              }
            }
            """)
        let junit = cli.folder.appendingPathComponent("junit.xml").path
        let result = try cli.run(["test", path, "--junit", junit])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("✗ \(path): a wrong expectation (") == true)
        #expect(lines.dropFirst().first == "    then.events: expected 1 event(s) (EnvironmentProvisioned), got 6 (EnvironmentProvisioned, ServerProfileCreated, DefaultServerProfileSet, SecurityRoleAssigned, UserJoinedEnvironment, MailboxCreated)")
        #expect(lines.contains("    then.grid[0] (line 7) contoso-prod/user:gabriela@contoso.com: emailStatus is \"Pending Approval\", expected \"Approved\" (line 7)"))
        #expect(lines.last == "1 scenario(s): 0 passed, 1 failed")
        try checkJUnitShape(junit, suites: 1, failures: 1, errors: 0)
    }

    @Test func againstARealLedgerChecksWhatItRecordedAfterAPosition() throws {
        var cli = CLI.real()
        defer { cli.cleanUp() }
        for line in ["tenant create Contoso --admin gabriela@contoso.com", "env provision contoso-prod --as gabriela@contoso.com",
                     "directory add-user sam@contoso.com --as gabriela@contoso.com"] {
            #expect(try cli.run(line).status == 0)
        }
        cli.now = nil
        #expect(try cli.run("mailbox approve sam@contoso.com --as sam@contoso.com").status == 77)
        let scenario = try write(cli, "logged.json", """
            {
              "scenario": "sam's self-approval attempt was refused and audited",
              "after": "#12",
              "then": {
                "refused": "ApproverRoleCombinationNotAllowed",
                "audit": [ { "actor": "sam@contoso.com", "outcome": "denied", "roles": [] } ]
              }
            }
            """)
        let checked = try cli.run(["test", "--against", cli.db, scenario])
        #expect(checked.status == 0, "\(checked.stdout)")
        let wrong = try cli.run(["test", "--against", cli.db, "--after", "9", scenario])
        #expect(wrong.status == 1, "\(wrong.stdout)")
        #expect(wrong.stdout.contains("then.refused: expected the refusal ApproverRoleCombinationNotAllowed, but the command was accepted (UserAdded, UserJoinedEnvironment, MailboxCreated, CommandRefused)"), "\(wrong.stdout)")
    }
}
