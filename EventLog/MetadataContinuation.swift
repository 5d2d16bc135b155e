/// The stored form of metadata an event shares with an earlier event of the
/// same append: `{"continues":N}`, where the event N positions before it (in
/// the same append, and not itself a continuation) holds the metadata in
/// full.
///
/// One command's events carry the same metadata (who, under which roles,
/// which command, when, from where) except that only the first records the
/// command's arguments. Storing it once per command instead of once per event
/// takes a Test & Enable of many mailboxes from about 300 bytes of metadata
/// an event to 15.
///
/// Readers never see this form: every event read from the log
/// (``RecordedEvent/metadata``) carries its command's metadata without the
/// member ``firstEventOnlyMember``, exactly the text that was stored for such
/// an event before continuations existed. The stored text
/// (``RecordedEvent/storedMetadata``) is what the hash chain, the Merkle tree
/// and exports cover.
public enum MetadataContinuation {
    /// The member of a command's metadata recorded on its first event only.
    public static let firstEventOnlyMember = "arguments"

    /// The stored metadata of an event that continues the one `offset`
    /// positions before it.
    public static func text(offset: Int) -> String {
        precondition(offset >= 1, "a continuation refers to an earlier event")
        return #"{"continues":\#(offset)}"#
    }

    /// The offset a continuation's stored metadata names, or `nil` when
    /// `text` is metadata in full.
    public static func offset(in text: String) -> Int? {
        let prefix = #"{"continues":"#
        guard text.utf8.count <= prefix.utf8.count + 20, text.hasPrefix(prefix), text.hasSuffix("}") else { return nil }
        guard let offset = Int(text.dropFirst(prefix.count).dropLast()), offset >= 1 else { return nil }
        return offset
    }

    /// The metadata an event continuing `first` carries: `first` without its
    /// top-level member ``firstEventOnlyMember`` (and the comma that separated
    /// it), byte for byte otherwise. `nil` when `first` is not a JSON object.
    public static func resolve(_ first: String) -> String? {
        var utf8 = Array(first.utf8)
        guard let member = member(named: firstEventOnlyMember, in: utf8) else { return nil }
        guard let range = member else { return first }
        utf8.removeSubrange(range)
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The bytes of top-level member `name` of the object `bytes`: its key,
    /// colon and value, and one comma beside it (the one after and the space
    /// after that, or the one before when it is the last member). `.some(nil)`
    /// when the object has no such member, `nil` when `bytes` is not an
    /// object as far as this reader can tell.
    private static func member(named name: String, in bytes: [UInt8]) -> Range<Int>?? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipSpace()
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        scanner.skipSpace()
        if scanner.take(UInt8(ascii: "}")) { return .some(nil) }
        var found: Range<Int>?
        var previousEnd: Int?   // after the previous member's value
        while true {
            scanner.skipSpace()
            let start = scanner.index
            guard let key = scanner.string() else { return nil }
            scanner.skipSpace()
            guard scanner.take(UInt8(ascii: ":")), scanner.skipValue() else { return nil }
            let end = scanner.index
            scanner.skipSpace()
            let more = scanner.take(UInt8(ascii: ","))
            if found == nil && key.elementsEqual(name.utf8) {
                if more {
                    scanner.skipSpace()
                    found = start..<scanner.index            // the member, the comma after it and its space
                } else {
                    found = (previousEnd ?? start)..<end     // the comma before it (if any) and the member
                }
            }
            if !more {
                guard scanner.take(UInt8(ascii: "}")) else { return nil }
                return .some(found)
            }
            previousEnd = end
        }
    }

    /// Just enough of a JSON reader to find a member: strings' raw bytes and
    /// values skipped over.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek() == byte else { return false }
            index += 1
            return true
        }

        /// A string's bytes between its quotes, escapes left as they are.
        mutating func string() -> ArraySlice<UInt8>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while let byte = peek() {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return bytes[start..<index]
                }
                index += 1
            }
            return nil
        }

        /// Skips one value: a string, an object or array (whatever they hold), or a literal or number.
        mutating func skipValue() -> Bool {
            skipSpace()
            switch peek() {
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while let byte = peek() {
                    switch byte {
                    case UInt8(ascii: "\""): guard string() != nil else { return false }; continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { index += 1; return true }
                    default: break
                    }
                    index += 1
                }
                return false
            case nil: return false
            default:
                let start = index
                while let byte = peek(), byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"), byte != UInt8(ascii: "]"),
                      byte != 0x20, byte != 0x0A, byte != 0x0D, byte != 0x09 { index += 1 }
                return index > start
            }
        }
    }
}
