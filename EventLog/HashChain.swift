import Crypto
import Foundation

/// The tamper-evident chain that links every event to the one before it.
///
/// For the event at position *n*:
///
///     hash(n) = SHA-256( previous_hash(n) ‖ canonical(n) )
///     previous_hash(1) = 32 zero bytes;  previous_hash(n) = hash(n − 1)
///
/// `canonical(n)` is this exact byte sequence (all integers big-endian, all
/// text UTF-8, `str(x)` = the 4-byte unsigned byte length of `x` followed by
/// its bytes):
///
/// | # | bytes |
/// |---|---|
/// | 1 | the 19 ASCII bytes `SYNCLEDGER-EVENT-V1` and one 0x0A byte (20 bytes) |
/// | 2 | position, 8-byte unsigned |
/// | 3 | `str(stream_id)` |
/// | 4 | stream version, 8-byte unsigned |
/// | 5 | `str(event_id)`, the UUID as 36 lowercase hex-and-hyphen characters |
/// | 6 | `str(type)` |
/// | 7 | schema version, 8-byte unsigned |
/// | 8 | `str(data)`, the JSON text exactly as stored |
/// | 9 | `str(metadata)`, the JSON text exactly as stored |
/// | 10 | recorded-at, microseconds since 1970-01-01T00:00:00Z, 8-byte two's complement |
///
/// Every column of the `events` row is covered, so changing, reordering,
/// inserting or removing any event changes every hash after it. An outside
/// tool can recompute the chain from the `events` table (or a JSONL export)
/// with nothing but SHA-256. The chain proves the log is internally
/// consistent; to prove nobody rewrote it *wholesale*, keep the head hash
/// somewhere else and pass it to ``EventLog/verify(from:expectingHead:progress:)``.
public enum HashChain {
    /// The previous hash of the first event: 32 zero bytes.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The domain-separation prefix of every canonical encoding.
    static let prefix = Array("SYNCLEDGER-EVENT-V1\n".utf8)

    /// The canonical bytes of one event (see the type's documentation).
    public static func canonicalBytes(
        position: Position, stream: StreamID, streamVersion: StreamVersion, id: UUID,
        type: String, schemaVersion: Int, data: String, metadata: String, recordedAtMicroseconds: Int64
    ) -> [UInt8] {
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + 64 + data.utf8.count + metadata.utf8.count + stream.rawValue.utf8.count + type.utf8.count + 36)
        appendInteger(UInt64(bitPattern: position.rawValue), to: &bytes)
        appendString(stream.rawValue, to: &bytes)
        appendInteger(UInt64(bitPattern: streamVersion.rawValue), to: &bytes)
        appendString(id.lowercasedText, to: &bytes)
        appendString(type, to: &bytes)
        appendInteger(UInt64(schemaVersion), to: &bytes)
        appendString(data, to: &bytes)
        appendString(metadata, to: &bytes)
        appendInteger(UInt64(bitPattern: recordedAtMicroseconds), to: &bytes)
        return bytes
    }

    /// The hash of an event given its predecessor's hash.
    public static func hash(previous: [UInt8], canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonical)
        return Array(hasher.finalize())
    }

    /// The hash a recorded event should carry, recomputed from its fields and
    /// its stored previous hash.
    public static func expectedHash(of event: RecordedEvent) -> [UInt8] {
        hash(previous: event.previousHash, canonical: canonicalBytes(
            position: event.position, stream: event.stream, streamVersion: event.streamVersion, id: event.id,
            type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.storedMetadata,
            recordedAtMicroseconds: event.recordedAtMicroseconds))
    }

    private static func appendInteger(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    private static func appendString(_ value: String, to bytes: inout [UInt8]) {
        let utf8 = value.utf8
        let count = UInt32(utf8.count)
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: count >> UInt32(shift)))
        }
        bytes.append(contentsOf: utf8)
    }
}

/// Lowercase hexadecimal text of bytes, e.g. a hash.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}

extension EventLog {
    /// Lower-case hexadecimal text of `bytes` (``hexString(_:)`` by a name a
    /// module that imports `EventLog` can re-export without a clash).
    public static func hex(_ bytes: [UInt8]) -> String { hexString(bytes) }
}
