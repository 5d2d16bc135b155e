import Foundation

/// A JSON value that remembers the line it starts on, so a scenario file's
/// errors can name the file, the line and the field.
indirect enum LocatedJSON {
    case object([(key: String, value: LocatedJSON)], line: Int)
    case array([LocatedJSON], line: Int)
    case string(String, line: Int)
    case number(Double, line: Int)
    case bool(Bool, line: Int)
    case null(line: Int)

    var line: Int {
        switch self {
        case .object(_, let line), .array(_, let line), .string(_, let line), .number(_, let line), .bool(_, let line), .null(let line): line
        }
    }

    /// The value as plain Foundation JSON (for comparing with what the ledger shows).
    var plain: Any {
        switch self {
        case .object(let members, _): Dictionary(members.map { ($0.key, $0.value.plain) }, uniquingKeysWith: { _, last in last })
        case .array(let items, _): items.map(\.plain)
        case .string(let text, _): text
        case .number(let value, _): value
        case .bool(let flag, _): flag
        case .null: NSNull()
        }
    }

    var kind: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "true or false"
        case .null: "null"
        }
    }
}

/// A problem in a scenario file: where, which field, what.
struct ScenarioFileError: Error, CustomStringConvertible {
    var file: String
    var line: Int
    var field: String
    var message: String
    var description: String { "\(file):\(line): \(field.isEmpty ? "" : "\(field): ")\(message)" }
}

/// A strict JSON parser (RFC 8259) that records each value's line.
struct LocatedJSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    let file: String

    init(_ text: String, file: String) {
        bytes = Array(text.utf8)
        self.file = file
    }

    static func parse(_ text: String, file: String) throws(ScenarioFileError) -> LocatedJSON {
        var parser = LocatedJSONParser(text, file: file)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private func error(_ message: String) -> ScenarioFileError {
        ScenarioFileError(file: file, line: line, field: "", message: "not valid JSON: \(message)")
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A: line += 1; index += 1
            case 0x20, 0x09, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value() throws(ScenarioFileError) -> LocatedJSON {
        skipSpace()
        guard index < bytes.count else { throw error("the file ends where a value was expected") }
        let start = line
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: LocatedJSON)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members, line: start) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after \"\(key)\"") }
                index += 1
                members.append((key, try value()))
                skipSpace()
                guard index < bytes.count else { throw error("the file ends inside an object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members, line: start) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [LocatedJSON] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items, line: start) }
            while true {
                items.append(try value())
                skipSpace()
                guard index < bytes.count else { throw error("the file ends inside an array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items, line: start) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string(), line: start)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true, line: start)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false, line: start)
        case UInt8(ascii: "n"): try literal("null"); return .null(line: start)
        default:
            let begin = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            guard index > begin, let number = Double(String(decoding: bytes[begin..<index], as: UTF8.self)) else {
                throw error("unexpected character '\(String(decoding: [bytes[begin]], as: UTF8.self))'")
            }
            return .number(number, line: start)
        }
    }

    private mutating func literal(_ word: String) throws(ScenarioFileError) {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
            throw error("unexpected text (expected \(word))")
        }
        index += expected.count
    }

    private mutating func string() throws(ScenarioFileError) -> String {
        index += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { break }
                flush()
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                        throw error("a \\u escape needs four hexadecimal digits")
                    }
                    index += 4
                    var value = code
                    // A surrogate pair.
                    if (0xD800...0xDBFF).contains(code), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                       let low = UInt32(String(decoding: bytes[index + 2..<index + 6], as: UTF8.self), radix: 16), (0xDC00...0xDFFF).contains(low) {
                        value = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    guard let scalar = Unicode.Scalar(value) else { throw error("\\u\(String(code, radix: 16)) is not a character") }
                    scalars.append(scalar)
                default: scalars.append(Unicode.Scalar(escaped))
                }
            case 0x0A:
                throw error("a string may not span lines")
            default:
                raw.append(byte)
            }
        }
        throw error("the file ends inside a string")
    }
}
