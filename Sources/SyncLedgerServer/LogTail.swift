import Foundation
import Hummingbird
import ServiceLifecycle
import SyncLedger

/// The live tail of the log as server-sent events: every event after a
/// position, then each new one as it commits (the log is polled every
/// quarter second, which also sees other processes' commits). Each message's
/// `id` is the event's position, so a client that reconnects with
/// `Last-Event-ID` resumes exactly after the last event it received. When the
/// server shuts down gracefully, open streams end (after the events already
/// read), so a listening client never holds the shutdown up.
struct LogTail {
    let server: LedgerServer

    /// Up to `limit` events after position `after`.
    static func page(_ ledger: SyncLedger, after: Int64, limit: Int) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        events.reserveCapacity(limit)
        try ledger.forEachEvent(from: Position(after + 1), through: Position(after + Int64(limit))) { events.append($0) }
        return events
    }

    /// The stream, ending after `limit` events when one is given.
    func response(after start: Int64, limit: Int? = nil) -> Response {
        let ledger = server.ledger, server = self.server
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                let stopping = Flag()
                try await withGracefulShutdownHandler {
                    try await Self.stream(ledger: ledger, server: server, after: start, limit: limit, stopping: stopping, writer: &writer)
                } onGracefulShutdown: {
                    stopping.signal()
                }
                try await writer.finish(nil)
            })
    }

    /// Writes events after `start` as they come, until `limit` events, the
    /// client leaves, or the server stops.
    static func stream(ledger: SyncLedger, server: LedgerServer, after start: Int64, limit: Int?, stopping: Flag,
                       writer: inout any ResponseBodyWriter) async throws {
        var last = start
        var sent = 0
        var idle = 0
        while !Task.isCancelled && !stopping.happened {
            let want = min(500, limit.map { $0 - sent } ?? 500)
            if want <= 0 { break }
            let after = last
            let events = try await server.blocking { try Self.page(ledger, after: after, limit: want) }
            if events.isEmpty {
                idle += 1
                // A comment line every ~15 s keeps proxies from closing the stream and finds gone clients.
                if idle % 60 == 0 { try await writer.write(ByteBuffer(string: ": idle\n\n")) }
                try await Task.sleep(for: .milliseconds(250))
                continue
            }
            idle = 0
            var text = ""
            for event in events {
                let json = String(decoding: try JSONBody.encoder.encode(EventJSON(event)), as: UTF8.self)
                text += "id: \(event.position.rawValue)\nevent: \(event.type)\ndata: \(json)\n\n"
            }
            try await writer.write(ByteBuffer(string: text))
            last = events.last!.position.rawValue
            sent += events.count
        }
    }
}
