import Foundation
import ServerSideSync
import Testing

/// Given past events, when a command by an actor at an instant, then exactly
/// these events, or this refusal.
///
/// ```swift
/// Scenario(given: history)
///     .when(.approveEmail(alice), by: .user("gabriela@contoso.com"), at: noon)
///     .then([.mailboxEmailApproved(...)])
/// ```
///
/// The whole event list is compared; on a mismatch the test records one issue
/// with a line diff of expected (−) and actual (+) events as sorted JSON.
public struct Scenario: Sendable {
    /// The past, as events.
    public var history: [DomainEvent]
    /// The state those events fold into.
    public var state: SyncState { SyncDomain.fold(history) }

    /// A scenario whose past is `history` (empty by default).
    public init(given history: [DomainEvent] = []) { self.history = history }

    /// A scenario whose past is `history` followed by the events `command` produces.
    /// Records an issue (and adds nothing) if the command is refused.
    public func and(_ command: Command, by actor: Actor, at instant: Date, source: CommandSource = .cli,
                    sourceLocation: SourceLocation = #_sourceLocation) -> Scenario {
        do {
            let events = try SyncDomain.decide(command, given: state, context: DecisionContext(actor: actor, now: instant, source: source))
            return Scenario(given: history + events)
        } catch {
            Issue.record("setting up: \(command.name) was refused: \(error)", sourceLocation: sourceLocation)
            return self
        }
    }

    /// Decides `command` against the scenario's state.
    public func when(_ command: Command, by actor: Actor, at instant: Date, source: CommandSource = .cli,
                     exchange: any ExchangeOnline = SimulatedExchangeOnline()) -> Outcome {
        let context = DecisionContext(actor: actor, now: instant, source: source, exchange: exchange)
        do {
            return Outcome(history: history, result: .success(try SyncDomain.decide(command, given: state, context: context)))
        } catch {
            return Outcome(history: history, result: .failure(error))
        }
    }
}

/// What a command did: the events, or a refusal.
public struct Outcome: Sendable {
    /// The past the command was decided on.
    public var history: [DomainEvent]
    /// The events the command produced, or its refusal.
    public var result: Result<[DomainEvent], Refusal>

    /// The events, or `[]` after a refusal.
    public var events: [DomainEvent] { (try? result.get()) ?? [] }

    /// Expects exactly `expected`, in order.
    @discardableResult
    public func then(_ expected: [DomainEvent], sourceLocation: SourceLocation = #_sourceLocation) -> Scenario {
        switch result {
        case .success(let actual):
            if actual != expected {
                Issue.record("the events differ (− expected, + actual):\n\(EventDiff.lines(expected: expected, actual: actual))", sourceLocation: sourceLocation)
            }
            return Scenario(given: history + actual)
        case .failure(let refusal):
            Issue.record("expected \(expected.count) event(s), but the command was refused: \(refusal)", sourceLocation: sourceLocation)
            return Scenario(given: history)
        }
    }

    /// Expects exactly `expected`, in order.
    @discardableResult
    public func then(_ expected: DomainEvent..., sourceLocation: SourceLocation = #_sourceLocation) -> Scenario {
        then(expected, sourceLocation: sourceLocation)
    }

    /// Expects success with no events at all.
    public func thenNothing(sourceLocation: SourceLocation = #_sourceLocation) {
        then([], sourceLocation: sourceLocation)
    }

    /// Expects a refusal with `code` (and, when given, exactly `message`).
    public func thenRefused(_ code: RefusalCode, message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        switch result {
        case .success(let events):
            Issue.record("expected a refusal \(code.rawValue), but the command was accepted with:\n\(EventDiff.lines(expected: [], actual: events))", sourceLocation: sourceLocation)
        case .failure(let refusal):
            if refusal.code != code {
                Issue.record("expected refusal \(code.rawValue), got \(refusal)", sourceLocation: sourceLocation)
            } else if let message, refusal.message != message {
                Issue.record("refusal \(code.rawValue) has message:\n  \(refusal.message)\nexpected:\n  \(message)", sourceLocation: sourceLocation)
            }
        }
    }
}

/// Renders events as one line each (`TypeName {sorted json}`) and diffs lists of them.
public enum EventDiff {
    /// The line of one event: its type name and its data as sorted JSON.
    public static func line(_ event: DomainEvent) -> String {
        let data = (try? event.encodedData()) ?? Data()
        return "\(event.typeName.name) \(String(decoding: data, as: UTF8.self))"
    }

    /// A diff of two event lists: common lines indented, expected-only lines
    /// with `−`, actual-only with `+`.
    public static func lines(expected: [DomainEvent], actual: [DomainEvent]) -> String {
        LineDiff.lines(expected: expected.map(line), actual: actual.map(line))
    }
}

/// A minimal line diff (longest common subsequence), the format of every
/// failure message of this library: common lines indented by two spaces,
/// lines only expected prefixed `−`, lines only in the actual value `+`.
public enum LineDiff {
    /// The diff of `expected` against `actual`, one line each.
    public static func lines(expected a: [String], actual b: [String]) -> String {
        // Longest common subsequence, so reordered or inserted lines show plainly.
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var output: [String] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                output.append("  \(a[i])"); i += 1; j += 1
            } else if i < a.count, j == b.count || table[i + 1][j] >= table[i][j + 1] {
                output.append("− \(a[i])"); i += 1
            } else {
                output.append("+ \(b[j])"); j += 1
            }
        }
        return output.joined(separator: "\n")
    }

    /// One line per value: its keys sorted, as compact JSON.
    public static func jsonLines<T: Encodable>(_ values: [T]) -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return values.map { String(decoding: (try? encoder.encode($0)) ?? Data(), as: UTF8.self) }
    }
}
