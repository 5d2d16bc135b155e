import Foundation

/// The identity of a stream: the aggregate an event belongs to
/// (for example `mailbox-7c1e…`). Any non-empty text.
public struct StreamID: RawRepresentable, Hashable, Comparable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (a: StreamID, b: StreamID) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A global position in the log: gapless, starting at 1, in commit order.
/// Position 0 means "before the first event".
public struct Position: RawRepresentable, Hashable, Comparable, Sendable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public init(integerLiteral value: Int64) { self.rawValue = value }
    /// The position before the first event.
    public static let origin = Position(0)
    /// The position after this one.
    public var next: Position { Position(rawValue + 1) }
    public var description: String { "#\(rawValue)" }
    public static func < (a: Position, b: Position) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The version of a stream: the number of events in it. The first event of a
/// stream has version 1; a stream with no events has version 0.
public struct StreamVersion: RawRepresentable, Hashable, Comparable, Sendable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public init(integerLiteral value: Int64) { self.rawValue = value }
    /// The version of a stream that has no events.
    public static let none = StreamVersion(0)
    /// The version after this one.
    public var next: StreamVersion { StreamVersion(rawValue + 1) }
    public var description: String { "v\(rawValue)" }
    public static func < (a: StreamVersion, b: StreamVersion) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a writer believes a stream's version to be when it appends.
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
    /// Append whatever the stream's version is.
    case any
    /// The stream must have no events yet.
    case noStream
    /// The stream must be at exactly this version (its last event has it).
    case exactly(StreamVersion)

    /// Whether a stream currently at `actual` satisfies the expectation.
    public func isSatisfied(by actual: StreamVersion) -> Bool {
        switch self {
        case .any: true
        case .noStream: actual == .none
        case .exactly(let version): actual == version
        }
    }

    public var description: String {
        switch self {
        case .any: "any version"
        case .noStream: "no stream"
        case .exactly(let version): "exactly \(version)"
        }
    }
}

/// The log's value types under the `EventLog` class, so a module that imports
/// `EventLog` can re-export them by name (`EventLog.Position`): the class
/// `EventLog` shadows the module's name in qualified lookups.
extension EventLog {
    public typealias Position = LogPosition
    public typealias Head = LogHead
    public typealias Recorded = RecordedEvent
    public typealias Report = VerifyReport
    public typealias Anchor = ChainAnchor
    public typealias Break = ChainBreak
    public typealias SignedCheckpoint = Checkpoint
    public typealias KeyFiles = CheckpointKey
}

/// ``Position`` under a name that does not collide with nested aliases.
public typealias LogPosition = Position

extension UUID {
    /// A new time-ordered id (RFC 9562 version 7): 48 bits of Unix time in
    /// milliseconds, then 74 random bits. Ids made later sort after earlier
    /// ones (within a millisecond, in random order), so the log's unique
    /// index of event ids grows at its right edge instead of at a random
    /// page for every insert — the difference between one and two page
    /// writes per event on a large log. As unguessable as a random UUID.
    public static func timeOrdered(at instant: Date = Date()) -> UUID {
        // Two 64-bit draws: each draw of the system generator is a
        // `getrandom` system call, so drawing byte by byte cost sixteen.
        var generator = SystemRandomNumberGenerator()
        var random = (generator.next() as UInt64, generator.next() as UInt64)
        let milliseconds = UInt64(max(0, (instant.timeIntervalSince1970 * 1000).rounded()))
        return withUnsafeMutableBytes(of: &random) { bytes in
            for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
            bytes[6] = 0x70 | (bytes[6] & 0x0F)   // version 7
            bytes[8] = 0x80 | (bytes[8] & 0x3F)   // the RFC 9562 variant
            return UUID(uuid: bytes.load(as: uuid_t.self))
        }
    }

    /// The id as lowercase text (`uuidString.lowercased()`), the form the log
    /// stores and hashes, written without `uuidString`'s formatting and the
    /// copy `lowercased()` makes.
    public var lowercasedText: String {
        let hex: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var at = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 { out[at] = 0x2D; at += 1 }
                    out[at] = hex.utf8Start[Int(byte >> 4)]
                    out[at + 1] = hex.utf8Start[Int(byte & 0x0F)]
                    at += 2
                }
                return at
            }
        }
    }
}
