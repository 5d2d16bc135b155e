import Foundation

/// Runs the built `syncledger` binary.
struct CLI {
    let folder: URL
    var db: String { folder.appendingPathComponent("ledger.sqlite").path }
    /// The pinned decision clock (`SYNCLEDGER_NOW`); nil runs on the system clock.
    var now: String? = "2025-03-03T09:00:00Z"

    /// A fresh folder; with `simulation`, its ledger is created at once as a
    /// simulation ledger, the only kind on which the pinned clock
    /// (`SYNCLEDGER_NOW`, set on every run) is accepted.
    init(simulation: Bool = true) {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-e2e-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if simulation {
            let created = try! run(["init", "--simulation"])
            precondition(created.status == 0, "init --simulation failed: \(created.stderr)")
        }
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    /// A CLI on a fresh ledger after running `lines`, each of which must succeed.
    static func seeded(_ lines: [String]) throws -> CLI {
        let cli = CLI()
        for line in lines {
            let result = try cli.run(line)
            guard result.status == 0 else { throw Failed(line: line, status: result.status, stderr: result.stderr) }
        }
        return cli
    }

    /// A seeding command that did not succeed.
    struct Failed: Error, CustomStringConvertible {
        var line: String, status: Int32, stderr: String
        var description: String { "\(line) exited \(status): \(stderr)" }
    }

    /// The binary, built beside the test bundle.
    static var binary: URL {
        let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [buildFolder, buildFolder.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent()]
        return candidates.map { $0.appendingPathComponent("syncledger") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
            ?? buildFolder.appendingPathComponent("syncledger")
    }

    struct Result {
        var status: Int32
        var stdout: String
        /// Standard error without the `note:` line every command prints on a
        /// simulation ledger (``rawStderr`` keeps it).
        var stderr: String { rawStderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("note: ") }.joined(separator: "\n") }
        var rawStderr: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    /// Runs `syncledger ARGS` with the test's database and pinned clock.
    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SYNCLEDGER_DB"] = db
        environment["SYNCLEDGER_NOW"] = now
        if now == nil { environment.removeValue(forKey: "SYNCLEDGER_NOW") }
        environment.removeValue(forKey: "SYNCLEDGER_ACTOR")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), rawStderr: String(decoding: stderr, as: UTF8.self))
    }

    func run(_ line: String, environment: [String: String] = [:]) throws -> Result {
        try run(Self.words(line), environment: environment)
    }

    /// Splits a command line into words the way a POSIX shell does for
    /// plain words, single quotes and double quotes.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for character in line {
            if let q = quote {
                if character == q { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
