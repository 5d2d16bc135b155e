import Foundation

/// Reads JSON straight from its UTF-8 bytes, for the per-type decoders of the
/// events that replays and rebuilds read most (``DomainEvent/decode(type:schemaVersion:json:)``).
///
/// The reader takes only the plain shapes the domain's encoder writes. Anything
/// else — an unknown or repeated key, a number with a fraction or an exponent,
/// a value of another type, malformed JSON — throws ``Unsupported``, and the
/// caller decodes the text again with `JSONDecoder`, which then decides. So a
/// per-type decoder never accepts what `Codable` would reject, and never reads
/// a value differently: at worst it gives up.
public struct JSONReader {
    /// The input is outside what the fast path reads; decode it with `Codable`.
    public struct Unsupported: Error, Equatable {
        public init() {}
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Runs `body` over `text` (after any leading whitespace), then requires
    /// that only whitespace follows.
    public static func read<T>(_ text: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        var text = text
        return try text.withUTF8 { buffer in
            var reader = JSONReader(buffer)
            reader.skipSpace()
            let value = try body(&reader)
            reader.skipSpace()
            guard reader.index == buffer.count else { throw Unsupported() }
            return value
        }
    }

    // MARK: Values

    /// An object: `member` is called with each key, and must read its value.
    /// A key seen twice throws (see ``assign(_:_:)``).
    public mutating func object(_ member: (String, inout JSONReader) throws -> Void) throws {
        try expect(0x7B)
        skipSpace()
        if peek() == 0x7D { index += 1; return }
        while true {
            skipSpace()
            let key = try string()
            skipSpace()
            try expect(0x3A)
            skipSpace()
            try member(key, &self)
            skipSpace()
            guard index < bytes.count else { throw Unsupported() }
            let byte = bytes[index]
            index += 1
            if byte == 0x7D { return }
            guard byte == 0x2C else { throw Unsupported() }
        }
    }

    /// Whether the next value is a string (for members stored in more than one shape).
    public var nextIsString: Bool { peek() == 0x22 }

    /// Whether the next value is an array.
    public var nextIsArray: Bool { peek() == 0x5B }

    /// An array whose elements `element` reads.
    public mutating func array<T>(_ element: (inout JSONReader) throws -> T) throws -> [T] {
        try expect(0x5B)
        skipSpace()
        var values: [T] = []
        if peek() == 0x5D { index += 1; return values }
        while true {
            skipSpace()
            values.append(try element(&self))
            skipSpace()
            guard index < bytes.count else { throw Unsupported() }
            let byte = bytes[index]
            index += 1
            if byte == 0x5D { return values }
            guard byte == 0x2C else { throw Unsupported() }
        }
    }

    /// `null` gives `nil`; anything else is read by `value`.
    public mutating func optional<T>(_ value: (inout JSONReader) throws -> T) throws -> T? {
        if literal("null") { return nil }
        return try value(&self)
    }

    public mutating func bool() throws -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw Unsupported()
    }

    /// An integer written as digits only (`-?(0|[1-9][0-9]*)`) that fits `Int`.
    public mutating func int() throws -> Int {
        let negative = peek() == 0x2D
        if negative { index += 1 }
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let digit = Int(bytes[index] - 0x30)
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw Unsupported() }
            value = sum
            index += 1
        }
        let count = index - start
        guard count > 0, count == 1 || bytes[start] != 0x30 else { throw Unsupported() }
        if let next = peek(), next == 0x2E || next == 0x65 || next == 0x45 { throw Unsupported() }
        return value
    }

    /// A string, with its escapes resolved.
    public mutating func string() throws -> String {
        try expect(0x22)
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                defer { index += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            if byte == 0x5C { return try escapedString(from: start) }
            guard byte >= 0x20 else { throw Unsupported() }
            index += 1
        }
        throw Unsupported()
    }

    /// An instant in the domain's text form (``Timestamp/parse(_:)``).
    public mutating func date() throws -> Date {
        guard let date = Timestamp.parse(try string()) else { throw Unsupported() }
        return date
    }

    /// A string-backed enumeration or identifier.
    public mutating func value<T: RawRepresentable>(_: T.Type = T.self) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: try string()) else { throw Unsupported() }
        return value
    }

    /// Passes over one value of any type, checking it is well-formed JSON (for
    /// a member a decoder leaves out, as `JSONDecoder` parses it too).
    /// Nesting deeper than 64 levels is left to `JSONDecoder`.
    public mutating func skipValue(depth: Int = 0) throws {
        guard depth < 64, let byte = peek() else { throw Unsupported() }
        switch byte {
        case 0x22: _ = try string()
        case 0x7B:
            try object { _, r in try r.skipValue(depth: depth + 1) }
        case 0x5B: _ = try array { try $0.skipValue(depth: depth + 1) }
        case 0x74, 0x66: _ = try bool()
        case 0x6E: guard literal("null") else { throw Unsupported() }
        default: try skipNumber()
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func skipNumber() throws {
        func digits(_ r: inout JSONReader) -> Int {
            let start = r.index
            while r.index < r.bytes.count, r.bytes[r.index] >= 0x30, r.bytes[r.index] <= 0x39 { r.index += 1 }
            return r.index - start
        }
        if peek() == 0x2D { index += 1 }
        let start = index
        let whole = digits(&self)
        guard whole > 0, whole == 1 || bytes[start] != 0x30 else { throw Unsupported() }
        if peek() == 0x2E {
            index += 1
            guard digits(&self) > 0 else { throw Unsupported() }
        }
        if let e = peek(), e == 0x65 || e == 0x45 {
            index += 1
            if let sign = peek(), sign == 0x2B || sign == 0x2D { index += 1 }
            guard digits(&self) > 0 else { throw Unsupported() }
        }
    }

    /// Stores a member's value in its slot, throwing if the key came before:
    /// `JSONDecoder` has its own rule for repeated keys, so they go to it.
    /// Optional members use a slot of type `T??`, so a `null` counts as seen.
    @inline(__always)
    public static func assign<T>(_ slot: inout T?, _ value: T) throws {
        guard slot == nil else { throw Unsupported() }
        slot = value
    }

    /// The value of a required member, throwing if it was absent.
    @inline(__always)
    public static func required<T>(_ slot: T?) throws -> T {
        guard let slot else { throw Unsupported() }
        return slot
    }

    // MARK: Bytes

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func expect(_ byte: UInt8) throws {
        guard index < bytes.count, bytes[index] == byte else { throw Unsupported() }
        index += 1
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let base = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != base[offset] { return false }
        index += count
        return true
    }

    /// The rest of a string that holds an escape; `start` is just past its quote.
    private mutating func escapedString(from start: Int) throws -> String {
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x22: return String(decoding: out, as: UTF8.self)
            case 0x5C:
                guard index < bytes.count else { throw Unsupported() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F: out.append(escape)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard literal("\\u") else { throw Unsupported() }
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Unsupported() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Unsupported() }
                    out.append(contentsOf: UTF8.encode(unicode)!)
                default: throw Unsupported()
                }
            case 0..<0x20: throw Unsupported()
            default: out.append(byte)
            }
        }
        throw Unsupported()
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw Unsupported() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw Unsupported()
            }
            value = value << 4 | digit
        }
        return value
    }
}
