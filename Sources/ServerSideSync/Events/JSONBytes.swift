import Foundation

/// Writes JSON by hand, byte for byte as the domain's `JSONEncoder`
/// (``DomainEvent/makeEncoder()``: sorted keys, absent optionals left out,
/// slashes unescaped), for the few hot values where `JSONEncoder`'s cost
/// shows: the grid's pages and the mailboxes of the decision state. Each
/// writer built on it is checked against `JSONEncoder` by a test.
public struct JSONBytes: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int) { bytes.reserveCapacity(capacity) }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string: `"`, `\` and controls escaped as `JSONEncoder` does
    /// (`\b \f \n \r \t`, else `\u00XX`); everything else as UTF-8.
    public mutating func string(_ text: String) {
        bytes.append(0x22)
        var text = text
        text.withUTF8 { utf8 in
            // Nearly every value needs no escape: copy it whole.
            guard utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case 0x22: bytes.append(0x5C); bytes.append(0x22)
                case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
                case 0x08: bytes.append(0x5C); bytes.append(0x62)
                case 0x0C: bytes.append(0x5C); bytes.append(0x66)
                case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
                case 0x0D: bytes.append(0x5C); bytes.append(0x72)
                case 0x09: bytes.append(0x5C); bytes.append(0x74)
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(0x22)
    }

    public mutating func integer(_ value: some BinaryInteger) { bytes.append(contentsOf: String(value).utf8) }
    public mutating func bool(_ value: Bool) { if value { raw("true") } else { raw("false") } }
    /// An instant as the domain encodes it (``Timestamp/format(_:)``).
    public mutating func date(_ value: Date) { string(Timestamp.format(value)) }

    /// An object: `body` writes the members, calling ``JSONMembers/key(_:into:)``
    /// before each value, keys in sorted order.
    public mutating func object(_ body: (inout JSONMembers, inout JSONBytes) -> Void) {
        bytes.append(0x7B)
        var members = JSONMembers()
        body(&members, &self)
        bytes.append(0x7D)
    }

    /// An array of `items`, each written by `element`.
    public mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONBytes, Items.Element) -> Void) {
        bytes.append(0x5B)
        var first = true
        for item in items {
            if !first { bytes.append(0x2C) }
            first = false
            element(&self, item)
        }
        bytes.append(0x5D)
    }

    /// The bytes as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// The members of one object being written: call ``key(_:into:)`` before
/// each value, in sorted key order.
public struct JSONMembers: Sendable {
    var first = true

    public init() {}

    public mutating func key(_ name: StaticString, into out: inout JSONBytes) {
        if !first { out.bytes.append(0x2C) }
        first = false
        out.bytes.append(0x22)
        out.raw(name)
        out.bytes.append(0x22)
        out.bytes.append(0x3A)
    }
}
