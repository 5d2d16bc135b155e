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
    /// The check reads every string of the command's encoded JSON form, so a
    /// text field added to a command later is covered without being listed
    /// here. Controls below U+0020 appear there as escapes (`\n`, `\u001b`),
    /// everything else as itself.
    func refuseHiddenCharacters() throws(Refusal) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        // Printable ASCII without escapes (nearly every command) holds nothing hidden.
        guard data.contains(where: { $0 == UInt8(ascii: "\\") || $0 >= 0x7F }) else { return }
        let text = String(decoding: data, as: UTF8.self)
        var scalars = text.unicodeScalars.makeIterator()
        var current = ""          // the string being read, for the message
        var inString = false
        var found: Unicode.Scalar?
        while let scalar = scalars.next() {
            guard inString else {
                if scalar == "\"" { inString = true; current = "" }
                continue
            }
            switch scalar {
            case "\"":
                if let hidden = found { throw Self.refusal(current, hidden) }
                inString = false
            case "\\":
                guard let escaped = scalars.next() else { return }
                var value: Unicode.Scalar
                switch escaped {
                case "n": value = "\n"
                case "t": value = "\t"
                case "r": value = "\r"
                case "b": value = "\u{08}"
                case "f": value = "\u{0C}"
                case "u":
                    var hex = ""
                    for _ in 0..<4 { if let digit = scalars.next() { hex.unicodeScalars.append(digit) } }
                    value = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) ?? "?"
                default: value = escaped
                }
                if found == nil && Self.isHidden(value) { found = value }
                current.unicodeScalars.append(value)
            default:
                if found == nil && Self.isHidden(scalar) { found = scalar }
                current.unicodeScalars.append(scalar)
            }
        }
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
