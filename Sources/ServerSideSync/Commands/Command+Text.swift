import Foundation

extension Command {
    /// Refuses a command carrying, in any of its texts (names, user principal
    /// names, addresses, ids, locations), a character a person cannot see:
    /// controls (ESC, newline, tab, DEL, C1), invisible format characters
    /// (zero-width spaces and joiners, bidirectional overrides, soft hyphen),
    /// line and paragraph separators, unassigned and private-use code points.
    /// Such characters drive terminals, forge rows of printed tables and make
    /// look-alike identities (`alice\u{200B}@contoso.com`), and no name the
    /// admin centre accepts contains them.
    ///
    /// The check visits every string the command encodes (its values and
    /// the keys of its dictionaries) through `Encodable`, so a text field
    /// added to a command later is covered without being listed here. It
    /// used to encode the command to JSON and read the strings back; visiting
    /// them builds no document, which took about a tenth of a command's CPU.
    func refuseHiddenCharacters() throws(Refusal) {
        let scan = HiddenCharacterScan()
        try? encode(to: scan)
        if let (text, scalar) = scan.found { throw Self.refusal(text, scalar) }
    }

    private static func refusal(_ text: String, _ scalar: Unicode.Scalar) -> Refusal {
        let shown = String(text.unicodeScalars.map { isHidden($0) ? "?" : Character($0) })
        return Refusal(.invalidValue, "\"\(shown)\" contains an invisible or control character (U+\(String(format: "%04X", scalar.value))); names, user principal names and addresses may not")
    }

    /// Whether `scalar` is a character a reader cannot see or that acts on a terminal.
    public static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate: true
        default: false
        }
    }
}

/// An `Encoder` that writes nothing: it looks at every string (and every key)
/// it is given, and stops at the first holding a hidden character.
private final class HiddenCharacterScan: Encoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    /// The first string holding a hidden character, and that character.
    var found: (String, Unicode.Scalar)?

    struct Stop: Error {}

    /// Notes `text` if it holds a hidden character (and nothing was found before).
    func note(_ text: String) {
        // Printable ASCII (nearly every string) holds nothing hidden.
        guard found == nil, !text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return }
        if let scalar = text.unicodeScalars.first(where: Command.isHidden) { found = (text, scalar) }
    }

    /// Notes `text`, and stops the walk once something was found.
    func check(_ text: String) throws {
        note(text)
        if found != nil { throw Stop() }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { KeyedEncodingContainer(Keyed<Key>(scan: self)) }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { Unkeyed(scan: self) }
    func singleValueContainer() -> any SingleValueEncodingContainer { Single(scan: self) }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let scan: HiddenCharacterScan
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: String, forKey key: Key) throws {
            try scan.check(key.stringValue)
            try scan.check(value)
        }
        mutating func encode(_ value: Double, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: Float, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: Int, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { try scan.check(key.stringValue) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try scan.check(key.stringValue)
            try value.encode(to: scan)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            scan.note(key.stringValue)
            return scan.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            scan.note(key.stringValue)
            return scan.unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { scan }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            scan.note(key.stringValue)
            return scan
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer, PassesOverNonText {
        let scan: HiddenCharacterScan
        var codingPath: [any CodingKey] { [] }
        var count = 0
        mutating func encode(_ value: String) throws { try scan.check(value) }
        mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: scan) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> { scan.container(keyedBy: keyType) }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { scan.unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { scan }
    }

    struct Single: SingleValueEncodingContainer, PassesOverNonText {
        let scan: HiddenCharacterScan
        var codingPath: [any CodingKey] { [] }
        mutating func encode(_ value: String) throws { try scan.check(value) }
        mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: scan) }
    }
}

/// The unkeyed and single-value containers' values that hold no text: the
/// scan passes over them.
private protocol PassesOverNonText {}

extension PassesOverNonText {
    mutating func encodeNil() throws {}
    mutating func encode(_ value: Bool) throws {}
    mutating func encode(_ value: Double) throws {}
    mutating func encode(_ value: Float) throws {}
    mutating func encode(_ value: Int) throws {}
    mutating func encode(_ value: Int8) throws {}
    mutating func encode(_ value: Int16) throws {}
    mutating func encode(_ value: Int32) throws {}
    mutating func encode(_ value: Int64) throws {}
    mutating func encode(_ value: UInt) throws {}
    mutating func encode(_ value: UInt8) throws {}
    mutating func encode(_ value: UInt16) throws {}
    mutating func encode(_ value: UInt32) throws {}
    mutating func encode(_ value: UInt64) throws {}
}
