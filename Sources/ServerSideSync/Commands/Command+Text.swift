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
    /// The check walks every string of the command's encoded form, so a text
    /// field added to a command later is covered without being listed here.
    func refuseHiddenCharacters() throws(Refusal) {
        guard let data = try? JSONEncoder().encode(self),
              let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return }
        if let (text, scalar) = Self.firstHidden(in: value) {
            let shown = String(text.unicodeScalars.map { Self.isHidden($0) ? "?" : Character($0) })
            throw Refusal(.invalidValue, "\"\(shown)\" contains an invisible or control character (U+\(String(format: "%04X", scalar.value))); names, user principal names and addresses may not")
        }
    }

    private static func firstHidden(in value: Any) -> (String, Unicode.Scalar)? {
        switch value {
        case let text as String:
            return text.unicodeScalars.first(where: isHidden).map { (text, $0) }
        case let array as [Any]:
            for element in array { if let found = firstHidden(in: element) { return found } }
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = firstHidden(in: key) ?? firstHidden(in: object[key]!) { return found }
            }
        default: break
        }
        return nil
    }

    /// Whether `scalar` is a character a reader cannot see or that acts on a terminal.
    public static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate: true
        default: false
        }
    }
}
