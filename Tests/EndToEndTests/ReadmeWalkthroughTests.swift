import Foundation
import Testing

@Suite("The README's walkthrough")
struct ReadmeWalkthroughTests {
    /// The `sh` blocks of the README's "Walkthrough" section, line by line.
    static func walkthroughLines() throws -> [String] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let start = text.range(of: "\n## Walkthrough\n"), let end = text.range(of: "\n## ", range: start.upperBound..<text.endIndex) else {
            return []
        }
        var lines: [String] = []
        var inShell = false
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inShell = line == "```sh"; continue }
            if inShell && !line.trimmingCharacters(in: .whitespaces).isEmpty { lines.append(String(line)) }
        }
        return lines
    }

    @Test func everyCommandRunsWithItsDocumentedExitCode() throws {
        let lines = try Self.walkthroughLines()
        #expect(lines.count > 40)
        var cli = CLI()
        defer { cli.cleanUp() }
        var environment: [String: String] = [:]
        for line in lines {
            if line.hasPrefix("export ") {
                let assignment = line.dropFirst(7).split(separator: "=", maxSplits: 1).map(String.init)
                if assignment[0] == "SYNCLEDGER_NOW" { cli.now = assignment[1] } else { environment[assignment[0]] = assignment[1] }
                continue
            }
            var command = line
            var expected: Int32 = 0
            if let comment = line.range(of: "#", options: .backwards), line[comment.upperBound...].trimmingCharacters(in: .whitespaces).hasPrefix("exit ") {
                expected = Int32(line[comment.upperBound...].trimmingCharacters(in: .whitespaces).dropFirst(5)) ?? -1
                command = String(line[..<comment.lowerBound]).trimmingCharacters(in: .whitespaces)
            }
            #expect(command.hasPrefix("syncledger "), "unexpected walkthrough line: \(line)")
            var words = CLI.words(command)
            words.removeFirst()
            if let db = environment["SYNCLEDGER_DB"], !words.contains("--db") {
                words += ["--db", cli.folder.appendingPathComponent(db).path]
            }
            let result = try cli.run(words)
            #expect(result.status == expected, "\(line) exited \(result.status): \(result.stderr)")
        }
    }

    @Test func theDocumentedExplanationMatches() throws {
        // Section 6 of the README quotes `explain`'s output; check the two rows hold.
        var cli = CLI()
        defer { cli.cleanUp() }
        var environment: [String: String] = [:]
        for line in try Self.walkthroughLines() {
            if line.hasPrefix("export ") {
                let assignment = line.dropFirst(7).split(separator: "=", maxSplits: 1).map(String.init)
                if assignment[0] == "SYNCLEDGER_NOW" { cli.now = assignment[1] } else { environment[assignment[0]] = assignment[1] }
                continue
            }
            let command = line.components(separatedBy: "   #")[0]
            var words = CLI.words(command)
            words.removeFirst()
            words += ["--db", cli.folder.appendingPathComponent(environment["SYNCLEDGER_DB"] ?? "x.sqlite").path]
            let result = try cli.run(words)
            if command == "syncledger explain Support --field email_status" {
                #expect(result.stdout.contains("27  2025-03-03T09:00:00.000Z  sam@contoso.com   queue.create     MailboxCreated        ∅                 Pending Approval"))
                #expect(result.stdout.contains("41  2025-03-03T10:00:00.000Z  dana@contoso.com  mailbox.approve  MailboxEmailApproved  Pending Approval  Approved"))
                return
            }
        }
        Issue.record("the walkthrough has no explain line")
    }
}
