import Foundation
import ServerSideSync
import SyncLedger

// The grid's hot responses are written by hand with the domain's `JSONBytes`:
// the same bytes as the facade's `JSONEncoder` (a test compares the two), at a
// fraction of the cost. A page of the grid spent most of its time in
// `JSONEncoder`.

extension MailboxStatusRow {
    /// The row's JSON, keys in sorted order (as `JSONEncoder` with `.sortedKeys`).
    func write(into out: inout JSONBytes) {
        out.object { m, out in
            if let v = actError { m.key("actError", into: &out); out.string(v) }
            m.key("actMethod", into: &out); out.string(actMethod)
            m.key("actStatus", into: &out); out.string(actStatus)
            if let v = approvedAt { m.key("approvedAt", into: &out); out.string(v) }
            if let v = approvedBy { m.key("approvedBy", into: &out); out.string(v) }
            m.key("approvedByMicrosoft365Admin", into: &out); out.bool(approvedByMicrosoft365Admin)
            m.key("emailAddress", into: &out); out.string(emailAddress)
            m.key("emailStatus", into: &out); out.string(emailStatus)
            m.key("enabledACT", into: &out); out.bool(enabledACT)
            m.key("enabledIncoming", into: &out); out.bool(enabledIncoming)
            m.key("enabledOutgoing", into: &out); out.bool(enabledOutgoing)
            m.key("environment", into: &out); out.string(environment)
            if let v = incomingError { m.key("incomingError", into: &out); out.string(v) }
            m.key("incomingMethod", into: &out); out.string(incomingMethod)
            m.key("incomingStatus", into: &out); out.string(incomingStatus)
            m.key("lastPosition", into: &out); out.integer(lastPosition)
            if let v = lastTestAt { m.key("lastTestAt", into: &out); out.string(v) }
            if let v = lastTestBy { m.key("lastTestBy", into: &out); out.string(v) }
            m.key("mailbox", into: &out); out.string(mailbox)
            if let v = nextRetryAt { m.key("nextRetryAt", into: &out); out.string(v) }
            if let v = outgoingError { m.key("outgoingError", into: &out); out.string(v) }
            m.key("outgoingMethod", into: &out); out.string(outgoingMethod)
            m.key("outgoingStatus", into: &out); out.string(outgoingStatus)
            m.key("owner", into: &out); out.string(owner)
            m.key("retryCount", into: &out); out.integer(retryCount)
            if let v = serverProfile { m.key("serverProfile", into: &out); out.string(v) }
        }
    }
}

extension GridPage {
    /// The page's JSON, as `JSONEncoder` would write it.
    var json: [UInt8] {
        var out = JSONBytes(capacity: 256 + rows.count * 900)
        out.object { m, out in
            m.key("limit", into: &out); out.integer(limit)
            if let nextAfter { m.key("nextAfter", into: &out); out.string(nextAfter) }
            if let nextOffset { m.key("nextOffset", into: &out); out.integer(nextOffset) }
            m.key("offset", into: &out); out.integer(offset)
            m.key("position", into: &out); out.integer(position)
            m.key("rows", into: &out); out.array(rows) { out, row in row.write(into: &out) }
        }
        return out.bytes
    }
}

extension ExecutionDocument {
    /// What a command recorded, as `JSONEncoder` would write it, with each
    /// event's stored data and metadata copied in as the text they are (they
    /// were written by the same encoder, keys sorted) instead of being parsed
    /// and encoded again.
    static func json(_ execution: SyncLedger.Execution) -> [UInt8] {
        var out = JSONBytes(capacity: 512 + execution.events.reduce(0) { $0 + $1.data.utf8.count + $1.metadata.utf8.count + 400 })
        out.object { m, out in
            m.key("commandId", into: &out); out.string(execution.commandID.uuidString.lowercased())
            m.key("events", into: &out)
            out.array(execution.events) { out, event in
                out.object { e, out in
                    e.key("data", into: &out); out.bytes.append(contentsOf: event.data.utf8)
                    e.key("hash", into: &out); out.string(hexString(event.hash))
                    e.key("id", into: &out); out.string(event.id.uuidString.lowercased())
                    e.key("metadata", into: &out); out.bytes.append(contentsOf: event.metadata.utf8)
                    e.key("position", into: &out); out.integer(event.position.rawValue)
                    e.key("recordedAt", into: &out); out.string(Timestamp.format(event.recordedAt))
                    e.key("schemaVersion", into: &out); out.integer(event.schemaVersion)
                    e.key("stream", into: &out); out.string(event.stream.rawValue)
                    e.key("streamVersion", into: &out); out.integer(event.streamVersion.rawValue)
                    e.key("type", into: &out); out.string(event.type)
                }
            }
            m.key("repeat", into: &out); out.bool(execution.isRepeat)
        }
        return out.bytes
    }
}
