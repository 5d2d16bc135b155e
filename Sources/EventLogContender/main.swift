// eventlog-contender: appends to a shared log file with expected versions, to
// exercise cross-process concurrency in EventLogTests.
//
// usage: eventlog-contender PATH NAME STREAMS APPENDS
// prints: "appended N conflicts M" and exits 0, or an error and exits 1.
import EventLog
import Foundation

/// Appends one event to `stream` expecting its current version; `false` on a conflict.
func appendOnce(to log: EventLog, stream: StreamID, by name: String) throws -> Bool {
    let version = try log.streamVersion(of: stream)
    let event = NewEvent(id: UUID(), stream: stream, type: "Counted", data: #"{"by":"\#(name)","seen":\#(version.rawValue)}"#)
    let result = Result { () throws(AppendError) in
        try log.append([event], to: stream, expecting: version == .none ? .noStream : .exactly(version))
    }
    switch result {
    case .success: return true
    case .failure(.wrongExpectedVersion): return false
    case .failure(let error): throw error
    }
}

func contend(path: String, name: String, streams: Int, appends: Int) throws -> (appended: Int, conflicts: Int) {
    let log = try EventLog.open(at: path, options: .init(busyTimeout: .seconds(30)))
    var appended = 0
    var conflicts = 0
    while appended < appends {
        let stream = StreamID("stream-\(Int.random(in: 0..<streams))")
        if try appendOnce(to: log, stream: stream, by: name) { appended += 1 } else { conflicts += 1 }
    }
    return (appended, conflicts)
}

let arguments = CommandLine.arguments
guard arguments.count == 5, let streams = Int(arguments[3]), let appends = Int(arguments[4]), streams > 0 else {
    FileHandle.standardError.write(Data("usage: eventlog-contender PATH NAME STREAMS APPENDS\n".utf8))
    exit(64)
}
do {
    let outcome = try contend(path: arguments[1], name: arguments[2], streams: streams, appends: appends)
    print("appended \(outcome.appended) conflicts \(outcome.conflicts)")
} catch {
    FileHandle.standardError.write(Data("eventlog-contender: \(error)\n".utf8))
    exit(1)
}
