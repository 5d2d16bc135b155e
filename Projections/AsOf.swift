import EventLog
import Foundation
import ServerSideSync
import SQLite

/// A point of the log to read projections at.
public enum Cutoff: Hashable, Sendable, CustomStringConvertible {
    /// The head: everything recorded so far.
    case latest
    /// Up to and including this position.
    case position(Position)
    /// Up to the last position recorded at or before this instant.
    case instant(Date)

    /// Parses `#N` (a position) or an RFC 3339 instant (or a bare date).
    public init?(parsing text: String) {
        if text.hasPrefix("#") {
            guard let value = Int64(text.dropFirst()), value >= 0 else { return nil }
            self = .position(Position(value))
        } else if let instant = Timestamp.parse(text) {
            self = .instant(instant)
        } else {
            return nil
        }
    }

    /// The position this cutoff stands for in `log` (never beyond the head).
    public func resolve(in log: EventLog) throws -> Position {
        let head = try log.head().position
        switch self {
        case .latest: return head
        case .position(let position): return min(position, head)
        case .instant(let instant): return try log.position(atOrBefore: instant)
        }
    }

    public var description: String {
        switch self {
        case .latest: "latest"
        case .position(let position): position.description
        case .instant(let instant): Timestamp.format(instant)
        }
    }
}

extension ProjectionRunner {
    /// `projection`'s tables as they stood at `position`, folded into a new
    /// in-memory database: from the newest usable snapshot at or before the
    /// position (or from nothing), then the events after it up to the position.
    ///
    /// - Returns: The in-memory connection and how many events were folded.
    public func materialize(_ projection: any Projection, at position: Position, from log: EventLog,
                            useSnapshots: Bool = true) throws -> (db: Connection, folded: Int64) {
        let memory = try Connection(path: ":memory:")
        var start: Int64 = 0
        if useSnapshots, let snapshot = try log.withReadTransaction({ db in
            try self.snapshot(of: projection, atOrBefore: position.rawValue, in: db).map { SnapshotImage(position: $0.position, image: $0.image) }
        }) {
            try memory.deserialize(snapshot.image)
            start = snapshot.position
        } else {
            try projection.createTables(in: memory)
        }
        var folded: Int64 = 0
        try memory.writeTransaction {
            try log.forEachEvent(from: Position(start + 1), through: position) { recorded in
                guard projection.handles(type: recorded.type) else { return }
                try projection.apply(try projection.decode(recorded), in: memory)
                folded += 1
            }
        }
        return (memory, folded)
    }
}

/// A snapshot read from the file.
struct SnapshotImage: Sendable {
    var position: Int64
    var image: [UInt8]
}
