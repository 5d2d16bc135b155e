import EventLog
import Foundation
import Synchronization

/// A fresh folder for one test's files, removed when the value is released.
final class TemporaryFolder: Sendable {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String = "log.sqlite") -> String { url.appendingPathComponent(name).path }
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_735_689_600)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func set(_ date: Date) { current.withLock { $0 = date } }
    func advance(seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { self.now } }
}

/// Readable, deterministic event ids: `uuid(1)` is 00000000-0000-0000-0000-000000000001.
func uuid(_ n: Int) -> UUID {
    UUID(uuidString: String(format: "00000000-0000-0000-0000-%012x", n))!
}

func event(_ n: Int, _ stream: StreamID, type: String = "Counted", data: String? = nil) -> NewEvent {
    NewEvent(id: uuid(n), stream: stream, type: type, data: data ?? #"{"n":\#(n)}"#, metadata: #"{"actor":"test"}"#)
}

/// A log with `count` events, closed, so raw SQL can work on the file.
func makeLog(_ folder: TemporaryFolder, count: Int = 5) throws -> String {
    let log = try openLog(folder)
    for n in 1...count { try log.append([event(n, StreamID("s\(n % 2)"))]) }
    return folder.path()
}

func openLog(_ folder: TemporaryFolder, clock: ManualClock = ManualClock(), name: String = "log.sqlite") throws -> EventLog {
    try EventLog.open(at: folder.path(name), options: .init(clock: clock.function))
}

func allEvents(_ log: EventLog) throws -> [RecordedEvent] {
    var events: [RecordedEvent] = []
    try log.forEachEvent { events.append($0) }
    return events
}

/// A compact view of recorded events for whole-list assertions.
struct Summary: Equatable, CustomStringConvertible {
    var position: Int64, stream: String, version: Int64, id: UUID, data: String
    init(_ e: RecordedEvent) {
        position = e.position.rawValue; stream = e.stream.rawValue; version = e.streamVersion.rawValue; id = e.id; data = e.data
    }
    init(_ position: Int64, _ stream: String, _ version: Int64, _ id: Int, _ data: String? = nil) {
        self.position = position; self.stream = stream; self.version = version; self.id = uuid(id); self.data = data ?? #"{"n":\#(id)}"#
    }
    var description: String { "#\(position) \(stream)@\(version) \(data)" }
}
