import Foundation
import ServerSideSync
import SyncLedger

/// Printing tables and JSON.
enum Output {
    /// Prints `value` as one pretty, key-sorted JSON document.
    static func printJSON(_ value: some Encodable) {
        let encoder = DomainEvent.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    /// `text` with every character that a terminal would act on or not show —
    /// controls (ESC, newline, tab, DEL, C1), invisible format characters
    /// (zero-width spaces and joiners, bidirectional overrides, soft hyphen) and
    /// line/paragraph separators — written as a visible `\u{…}` escape, so a
    /// stored value can neither drive the terminal nor forge a table row.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: Command.isHidden) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if Command.isHidden(scalar) { result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" } else { result.unicodeScalars.append(scalar) }
        }
        return result
    }

    /// Prints rows as an aligned table with a header and a rule. Cells are
    /// made ``printable(_:)`` first.
    static func table(_ header: [String], _ rows: [[String]]) {
        let rows = rows.map { $0.map(printable) }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        print(line(header))
        print(line(widths.map { String(repeating: "-", count: $0) }))
        for row in rows { print(line(row)) }
    }

    /// Prints what an admin action recorded.
    static func report(_ execution: SyncLedger.Execution, json: Bool) {
        if json {
            printJSON(["commandId": AnyEncodable(execution.commandID.uuidString.lowercased()),
                       "repeat": AnyEncodable(execution.isRepeat),
                       "events": AnyEncodable(execution.events.map(EventJSON.init))])
            return
        }
        if execution.events.isEmpty {
            print("nothing to do")
            return
        }
        let first = execution.events.first!.position, last = execution.events.last!.position
        let range = first == last ? "\(first)" : "\(first)–\(last)"
        print("\(execution.isRepeat ? "already recorded" : "recorded") \(execution.events.count) event(s) at \(range):")
        for event in execution.events { print(printable("  \(event.position)  \(event.type)  \(event.stream)")) }
    }
}

/// A type-erased encodable value.
struct AnyEncodable: Encodable {
    let encodeBody: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeBody = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeBody(encoder) }
}

/// Progress lines on stderr, only when stderr is a terminal.
enum Progress {
    static var isTerminal: Bool { isatty(2) == 1 }

    /// `label: done/total` on the terminal's last line, for counts that are not positions.
    static func counter(label: String) -> (@Sendable (Int, Int) -> Void)? {
        guard isTerminal else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)\(done == total ? "\n" : "")".utf8))
        }
    }

    static func reporter(label: String) -> (@Sendable (Position, Position) -> Void)? {
        guard isTerminal else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\r\(label): \(done.rawValue)/\(total.rawValue)\(done == total ? "\n" : "")".utf8))
        }
    }
}
