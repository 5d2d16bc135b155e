import EventLog
import Foundation
import Testing

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test func manyTasksAppendingWithExpectedVersionsLoseNothing() async throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for task in 0..<8 {
                group.addTask {
                    var appended = 0, conflicts = 0
                    while appended < 50 {
                        let stream = StreamID("s\((appended + task) % 3)")
                        let version = try log.streamVersion(of: stream)
                        do {
                            try log.append([NewEvent(id: UUID(), stream: stream, type: "Counted", data: "{}")], to: stream, expecting: .exactly(version))
                            appended += 1
                        } catch let error as AppendError {
                            guard case .wrongExpectedVersion = error else { throw error }
                            conflicts += 1
                        }
                    }
                    return (appended, conflicts)
                }
            }
            var total: [(Int, Int)] = []
            for try await result in group { total.append(result) }
            return total
        }
        #expect(results.map(\.0).reduce(0, +) == 400)
        #expect(try log.verify() == .intact(events: 400, head: try log.head()))
    }

    /// The contender executable, built beside the test bundle.
    var contender: URL {
        let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [buildFolder, buildFolder.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent()]
        return candidates.map { $0.appendingPathComponent("eventlog-contender") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? buildFolder.appendingPathComponent("eventlog-contender")
    }

    @Test func twoProcessesAppendingToTheSameStreamsStayConsistent() throws {
        let folder = TemporaryFolder()
        let path = folder.path()
        _ = try openLog(folder) // create the file before the race
        #expect(FileManager.default.isExecutableFile(atPath: contender.path), "eventlog-contender not found at \(contender.path)")
        let processes = try ["p1", "p2"].map { name -> (Process, Pipe) in
            let process = Process()
            process.executableURL = contender
            process.arguments = [path, name, "3", "150"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            return (process, output)
        }
        var appended = 0
        for (process, output) in processes {
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "contender said: \(text)")
            let words = text.split(separator: " ")
            #expect(words.count == 4 && words[0] == "appended", "unexpected output: \(text)")
            appended += Int(words[1]) ?? 0
        }
        #expect(appended == 300)
        let log = try EventLog.open(at: path)
        #expect(try log.verify() == .intact(events: 300, head: try log.head()))
        var perStream: [StreamID: [Int64]] = [:]
        try log.forEachEvent { perStream[$0.stream, default: []].append($0.streamVersion.rawValue) }
        for (_, versions) in perStream { #expect(versions == Array(1...Int64(versions.count))) }
        #expect(perStream.values.map(\.count).reduce(0, +) == 300)
    }
}

@Suite("Crash recovery")
struct CrashRecoveryTests {
    @Test func aWriterKilledMidStreamLeavesAnIntactConsistentLog() throws {
        let folder = TemporaryFolder()
        let path = folder.path()
        _ = try openLog(folder)
        let process = Process()
        process.executableURL = ConcurrencyTests().contender
        process.arguments = [path, "victim", "5", "1000000"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Let it commit a few hundred appends, then kill it without warning.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, (try? EventLog.open(at: path).head().position.rawValue) ?? 0 < 200 {
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let log = try EventLog.open(at: path)
        let head = try log.head()
        #expect(head.position.rawValue >= 200)
        #expect(try log.verify() == .intact(events: head.position.rawValue, head: head))
        // It keeps going where the dead writer stopped.
        let version = try log.streamVersion(of: "stream-0")
        try log.append([event(999_999, "stream-0")], to: "stream-0", expecting: .exactly(version))
        #expect(try log.verify().isIntact)
    }
}
