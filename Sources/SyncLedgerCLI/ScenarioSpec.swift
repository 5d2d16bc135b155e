import Foundation
import ServerSideSync
import SyncLedger

/// One scenario of a scenario file, validated. The format (JSON) is
/// documented in the README ("Testing with event streams") and in
/// `syncledger test --help`:
///
/// ```json
/// {
///   "scenario": "a name",
///   "given": [ { "run": "tenant create Contoso --admin gabriela@contoso.com", "at": "2025-03-03T09:00:00Z" } ],
///   "when":  { "run": "mailbox approve alice@contoso.com --as sam@contoso.com" },
///   "then":  { "refused": "ApproverRoleCombinationNotAllowed" }
/// }
/// ```
///
/// A file holds one scenario object or an array of them.
struct ScenarioSpec {
    /// A command line to run at an instant.
    struct Step {
        var words: [String]
        var at: String?
        var line: Int
        var text: String
    }

    /// Expected fields of one row (or event), and where they were written.
    struct Expected {
        var fields: [String: LocatedJSON]
        var line: Int
    }

    /// Read models expected as of an earlier cutoff.
    struct AsOf {
        var cutoff: String
        var grid: [Expected]?
        var alerts: [Expected]?
        var line: Int
    }

    var file: String
    var index: Int
    var name: String
    var line: Int
    var given: [Step] = []
    var when: Step?
    var after: String?
    var events: [Expected]?
    var refused: String?
    var message: String?
    var grid: [Expected]?
    var alerts: [Expected]?
    var audit: [Expected]?
    var asOf: [AsOf] = []

    /// Reads and validates every scenario of `file`.
    static func load(_ file: String) throws(ScenarioFileError) -> [ScenarioSpec] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ScenarioFileError(file: file, line: 0, field: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioFileError(file: file, line: 0, field: "", message: "the file is not UTF-8 text")
        }
        let root = try LocatedJSONParser.parse(text, file: file)
        let reader = Reader(file: file)
        switch root {
        case .array(let items, _):
            guard !items.isEmpty else { throw reader.error(root, "", "the file holds no scenario") }
            var specs: [ScenarioSpec] = []
            for (index, item) in items.enumerated() { specs.append(try reader.scenario(item, index: index, path: "[\(index)]")) }
            return specs
        case .object:
            return [try reader.scenario(root, index: 0, path: "")]
        default:
            throw reader.error(root, "", "expected a scenario object or an array of them, found \(root.kind)")
        }
    }

    /// Validates the parts of a scenario file, naming the field of any error.
    struct Reader {
        let file: String

        func error(_ value: LocatedJSON, _ field: String, _ message: String) -> ScenarioFileError {
            ScenarioFileError(file: file, line: value.line, field: field, message: message)
        }

        func members(_ value: LocatedJSON, _ field: String, allowed: [String], required: [String] = []) throws(ScenarioFileError) -> [String: LocatedJSON] {
            guard case .object(let pairs, _) = value else { throw error(value, field, "expected an object, found \(value.kind)") }
            var result: [String: LocatedJSON] = [:]
            for (key, member) in pairs {
                let path = field.isEmpty ? key : "\(field).\(key)"
                guard allowed.contains(key) else {
                    throw error(member, path, "unknown field; expected one of \(allowed.joined(separator: ", "))")
                }
                guard result[key] == nil else { throw error(member, path, "given twice") }
                result[key] = member
            }
            for key in required where result[key] == nil {
                throw error(value, field.isEmpty ? key : "\(field).\(key)", "missing (required)")
            }
            return result
        }

        func string(_ value: LocatedJSON, _ field: String) throws(ScenarioFileError) -> String {
            guard case .string(let text, _) = value else { throw error(value, field, "expected a string, found \(value.kind)") }
            return text
        }

        func array(_ value: LocatedJSON, _ field: String) throws(ScenarioFileError) -> [LocatedJSON] {
            guard case .array(let items, _) = value else { throw error(value, field, "expected an array, found \(value.kind)") }
            return items
        }

        func instant(_ value: LocatedJSON, _ field: String) throws(ScenarioFileError) -> String {
            let text = try string(value, field)
            guard Timestamp.parse(text) != nil else { throw error(value, field, "\"\(text)\" is not an RFC 3339 instant") }
            return text
        }

        func step(_ value: LocatedJSON, _ field: String) throws(ScenarioFileError) -> Step {
            let fields = try members(value, field, allowed: ["run", "at"], required: ["run"])
            let text = try string(fields["run"]!, "\(field).run")
            var words = CommandLineWords.split(text)
            if words.first == "syncledger" { words.removeFirst() }
            guard !words.isEmpty else { throw error(fields["run"]!, "\(field).run", "an empty command") }
            if let forbidden = words.first(where: { $0 == "--db" || $0.hasPrefix("--db=") }) {
                throw error(fields["run"]!, "\(field).run", "\(forbidden) is set by the runner (each scenario gets a fresh ledger)")
            }
            return Step(words: words, at: try fields["at"].map { value throws(ScenarioFileError) in try instant(value, "\(field).at") },
                        line: value.line, text: text)
        }

        func rows(_ value: LocatedJSON, _ field: String, required: [String] = []) throws(ScenarioFileError) -> [Expected] {
            var result: [Expected] = []
            for (index, item) in try array(value, field).enumerated() {
                let path = "\(field)[\(index)]"
                guard case .object(let pairs, _) = item else { throw error(item, path, "expected an object, found \(item.kind)") }
                let fields = Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
                for key in required where fields[key] == nil { throw error(item, "\(path).\(key)", "missing (required)") }
                result.append(Expected(fields: fields, line: item.line))
            }
            return result
        }

        func scenario(_ value: LocatedJSON, index: Int, path: String) throws(ScenarioFileError) -> ScenarioSpec {
            let prefix = path.isEmpty ? "" : "\(path)."
            let top = try members(value, path, allowed: ["scenario", "given", "when", "then", "after"], required: ["scenario", "then"])
            var spec = ScenarioSpec(file: file, index: index, name: try string(top["scenario"]!, "\(prefix)scenario"), line: value.line)
            if let given = top["given"] {
                for (n, item) in try array(given, "\(prefix)given").enumerated() { spec.given.append(try step(item, "\(prefix)given[\(n)]")) }
            }
            spec.when = try top["when"].map { value throws(ScenarioFileError) in try step(value, "\(prefix)when") }
            if let after = top["after"] {
                let text = try string(after, "\(prefix)after")
                guard text.hasPrefix("#"), let position = Int64(text.dropFirst()), position >= 0 else { throw error(after, "\(prefix)after", "expected a position #N") }
                spec.after = text
            }
            let then = try members(top["then"]!, "\(prefix)then", allowed: ["events", "refused", "message", "grid", "alerts", "audit", "asOf"])
            spec.events = try then["events"].map { value throws(ScenarioFileError) in try rows(value, "\(prefix)then.events", required: ["type"]) }
            spec.refused = try then["refused"].map { value throws(ScenarioFileError) in try string(value, "\(prefix)then.refused") }
            spec.message = try then["message"].map { value throws(ScenarioFileError) in try string(value, "\(prefix)then.message") }
            guard (spec.events == nil) != (spec.refused == nil) else {
                throw error(top["then"]!, "\(prefix)then", "say either \"events\" (exactly these events) or \"refused\" (this refusal code)")
            }
            if spec.message != nil && spec.refused == nil { throw error(then["message"]!, "\(prefix)then.message", "only with \"refused\"") }
            spec.grid = try then["grid"].map { value throws(ScenarioFileError) in try rows(value, "\(prefix)then.grid", required: ["mailbox"]) }
            spec.alerts = try then["alerts"].map { value throws(ScenarioFileError) in try rows(value, "\(prefix)then.alerts") }
            spec.audit = try then["audit"].map { value throws(ScenarioFileError) in try rows(value, "\(prefix)then.audit") }
            if let asOf = then["asOf"] {
                for (n, item) in try array(asOf, "\(prefix)then.asOf").enumerated() {
                    let field = "\(prefix)then.asOf[\(n)]"
                    let parts = try members(item, field, allowed: ["at", "grid", "alerts"], required: ["at"])
                    let cutoff = try string(parts["at"]!, "\(field).at")
                    guard Cutoff(parsing: cutoff) != nil else { throw error(parts["at"]!, "\(field).at", "\"\(cutoff)\" is neither #N nor an RFC 3339 instant") }
                    spec.asOf.append(AsOf(cutoff: cutoff,
                                          grid: try parts["grid"].map { value throws(ScenarioFileError) in try rows(value, "\(field).grid", required: ["mailbox"]) },
                                          alerts: try parts["alerts"].map { value throws(ScenarioFileError) in try rows(value, "\(field).alerts") },
                                          line: item.line))
                }
            }
            return spec
        }
    }
}

/// Splits a command line into words the way a POSIX shell does for plain
/// words, single quotes, double quotes and backslashes.
enum CommandLineWords {
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        var escaped = false
        for character in line {
            if escaped { current.append(character); escaped = false; inWord = true; continue }
            if let open = quote {
                if character == open { quote = nil } else if character == "\\" && open == "\"" { escaped = true } else { current.append(character) }
                continue
            }
            switch character {
            case "'", "\"": quote = character; inWord = true
            case "\\": escaped = true
            case " ", "\t":
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(character); inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
