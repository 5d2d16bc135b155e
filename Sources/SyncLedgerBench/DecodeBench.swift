import EventLog
import Foundation
import Projections
import ServerSideSync

/// `syncledger-bench decode DB [LIMIT]`: decodes the first LIMIT events of a
/// domain ledger (default 200,000), data and metadata as a projection reads
/// them, with `Codable` (one shared `JSONDecoder`) and with the entry points
/// the projections use (per-type decoders, `Codable` for the rest). The
/// events are read into memory first, so only decoding is timed; best of 3.
func runDecode(database: String, limit: Int) throws {
    let log = try EventLog.open(at: database, options: .init(createIfMissing: false, readOnly: true))
    var events: [RecordedEvent] = []
    let last = Position(Int64(min(Int64(limit), (try log.head()).position.rawValue)))
    try log.scanEvents(through: last) { events.append($0) }
    let decoder = DomainEvent.makeDecoder()
    var sink = 0
    func best(_ body: () throws -> Void) rethrows -> Double { try (0..<3).map { _ in try seconds(body) }.min()! }
    let codable = try best {
        for e in events {
            let event = try DomainEvent.decode(type: e.type, schemaVersion: e.schemaVersion, data: Data(e.data.utf8), using: decoder)
            let metadata = try EventMetadata.decodeWithCodableForProjections(e.metadata)
            sink &+= event.typeName.schemaVersion &+ metadata.roles.count
        }
    }
    let fast = try best {
        for e in events {
            let event = try DomainEvent.decode(type: e.type, schemaVersion: e.schemaVersion, json: e.data)
            let metadata = try EventMetadata.decodeForProjections(e.metadata)
            sink &+= event.typeName.schemaVersion &+ metadata.roles.count
        }
    }
    let dataOnly = try best {
        for e in events { sink &+= try DomainEvent.decode(type: e.type, schemaVersion: e.schemaVersion, json: e.data).typeName.schemaVersion }
    }
    print(#"{"impl":"sw","test":"decode","events":\#(events.count),"codable_events_per_s":\#(rate(events.count, codable)),"#
        + #""fast_events_per_s":\#(rate(events.count, fast)),"fast_data_only_events_per_s":\#(rate(events.count, dataOnly)),"sink":\#(sink % 10)}"#)
}
