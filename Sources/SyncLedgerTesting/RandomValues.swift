import Foundation

/// Random values for the tests that compare a hand-written JSON reader or
/// writer with `Codable`: texts that need every kind of escape, and instants
/// of whole milliseconds far from today.
extension SplitMix {
    /// Pieces of text joined at random: plain, quotes and backslashes,
    /// control characters, slashes, non-ASCII, line separators, empty.
    public static let textPieces = ["alice@contoso.com", "quote \" and back\\slash", "new\nline\ttab\r\u{8}\u{C}", "ctl \u{1}\u{1F} del \u{7F}",
                                    "slash / é ✓ 🙂", "\u{2028}\u{2029}", "", "user:x", "contoso-prod/queue:Support"]

    public mutating func text() -> String {
        (0..<Int.random(in: 1...3, using: &self)).map { _ in Self.textPieces.randomElement(using: &self)! }.joined()
    }

    /// Whole milliseconds from before 1970 to past 2100: what the domain stores.
    public mutating func date() -> Date {
        Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...5_000_000_000_000, using: &self)) / 1000)
    }

    /// `make`'s value or `nil`, one time in two.
    public mutating func maybe<T>(_ make: (inout SplitMix) -> T) -> T? {
        Bool.random(using: &self) ? make(&self) : nil
    }

    public mutating func bool() -> Bool { Bool.random(using: &self) }

    public mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &self)! }

    public mutating func pick<T: CaseIterable>(_: T.Type = T.self) -> T { Array(T.allCases).randomElement(using: &self)! }

    /// Integers at the edges of `Int` as well as small ones.
    public mutating func integer() -> Int { pick([0, 1, 10, -3, Int.max, Int.min, Int.random(in: -1_000_000...1_000_000, using: &self)]) }
}
