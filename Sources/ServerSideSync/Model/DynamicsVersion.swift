/// A Dynamics 365 version such as `9.2.22104.00170`, compared numerically part
/// by part (a missing part counts as 0).
public struct DynamicsVersion: Hashable, Sendable, Codable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The text as given.
    public let text: String
    /// The numeric parts.
    public let parts: [Int]

    /// Parses `text`; `nil` unless it is dot-separated decimal numbers.
    public init?(parsing text: String) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        let numbers = pieces.compactMap { piece in piece.allSatisfy(\.isNumber) ? Int(piece) : nil }
        guard !pieces.isEmpty, numbers.count == pieces.count else { return nil }
        self.text = text
        self.parts = numbers
    }

    public init(stringLiteral value: String) { self = DynamicsVersion(parsing: value)! }

    /// The first version that has the Delegated Mailbox Approver role.
    public static let delegatedMailboxApprover: DynamicsVersion = "9.2.22104.00170"

    public static func < (a: DynamicsVersion, b: DynamicsVersion) -> Bool {
        let count = max(a.parts.count, b.parts.count)
        for index in 0..<count {
            let x = index < a.parts.count ? a.parts[index] : 0
            let y = index < b.parts.count ? b.parts[index] : 0
            if x != y { return x < y }
        }
        return false
    }

    public static func == (a: DynamicsVersion, b: DynamicsVersion) -> Bool { !(a < b) && !(b < a) }
    public func hash(into hasher: inout Hasher) {
        var trimmed = parts
        while trimmed.last == 0 { trimmed.removeLast() }
        hasher.combine(trimmed)
    }

    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = DynamicsVersion(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a version: \(text)"))
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
