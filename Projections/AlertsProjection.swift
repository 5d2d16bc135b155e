import Foundation
import ServerSideSync
import SQLite

/// The Alerts walls: each mailbox's wall (`mailbox:ID`) and each user's
/// personal wall (`user:UPN`, for profile owners and mailbox owners). The same
/// code for the same mailbox on the same wall is one alert whose count and
/// last time grow with each recurrence (B12). System-versioned in
/// `alerts_history`.
public struct AlertsProjection: Projection {
    public let name = "alerts"
    public let schemaVersion = 3

    /// Key: wall, code, mailbox (`''` for alerts about no mailbox).
    /// `ordinal` keeps the order alerts were first raised in within one event.
    public static let table = VersionedTable("alerts", key: [
        .init("wall", "TEXT NOT NULL"), .init("code", "TEXT NOT NULL"), .init("mailbox", "TEXT NOT NULL"),
    ], columns: [
        .init("level", "TEXT NOT NULL"),   // Information / Warning / Error
        .init("text", "TEXT NOT NULL"),
        .init("profile", "TEXT"),
        .init("first_position", "INTEGER NOT NULL"),
        .init("ordinal", "INTEGER NOT NULL"),
        .init("last_position", "INTEGER NOT NULL"),
        .init("first_at", "TEXT NOT NULL"),
        .init("last_at", "TEXT NOT NULL"),
        .init("count", "INTEGER NOT NULL"),
    ])
    public var versionedTables: [VersionedTable] { [Self.table] }

    public init() {}

    public func handles(type: String) -> Bool { type == "MailboxTestCompleted" }

    public func apply(_ e: ProjectedEvent, in store: ProjectionStore) throws {
        guard case .mailboxTestCompleted(let test) = e.event else { return }
        var ordinal = 0
        for alert in test.alerts {
            var walls: [String] = []
            if let mailbox = alert.mailbox { walls.append("mailbox:\(mailbox.rawValue)") }
            walls += alert.recipients.map { "user:\($0.rawValue)" }
            for wall in walls {
                let key: [SQLiteValue] = [.text(wall), .text(alert.code), .text(alert.mailbox?.rawValue ?? "")]
                // The test's decision time (also the time of its retry schedule), not the append time.
                let at = SQLiteValue.text(Timestamp.format(test.testedAt)), position = SQLiteValue.integer(e.position)
                var values: [SQLiteValue]
                let previous = try Self.table.current(key, in: store)
                if let current = previous?.values {
                    values = current
                    values[0] = .text(alert.level.rawValue)
                    values[1] = .text(alert.text)
                    values[2] = .optionalText(alert.profile?.rawValue)
                    values[5] = position
                    values[7] = at
                    values[8] = .integer((current[8].int64 ?? 0) + 1)
                } else {
                    values = [.text(alert.level.rawValue), .text(alert.text), .optionalText(alert.profile?.rawValue),
                              position, .int(ordinal), position, at, at, .integer(1)]
                }
                ordinal += 1
                try Self.table.write(key, values, at: e.position, previous: previous, in: store)
            }
        }
    }

    /// The alerts as of `position` (current when `nil`), on one wall or all,
    /// newest last.
    public static func rows(asOf position: Int64?, wall: String? = nil, in db: Connection) throws -> [AlertRow] {
        var rows: [AlertRow] = []
        try table.forEachRow(asOf: position, where: wall.map { _ in "h.wall = ?" }, wall.map { [.text($0)] } ?? [],
                             orderBy: "h.last_position, h.first_position, h.ordinal", in: db) { s in
            let mailbox = s.text(at: 2)
            rows.append(AlertRow(wall: s.text(at: 0), level: s.text(at: 3), code: s.text(at: 1), text: s.text(at: 4),
                                 mailbox: mailbox.isEmpty ? nil : mailbox, profile: s.optionalText(at: 5), firstPosition: s.int64(at: 6),
                                 lastPosition: s.int64(at: 8), firstAt: s.text(at: 9), lastAt: s.text(at: 10), count: s.int(at: 11)))
        }
        return rows
    }
}

/// One alert on a wall.
public struct AlertRow: Hashable, Sendable, Codable {
    public var wall: String
    public var level: String
    public var code: String
    public var text: String
    public var mailbox: String?
    public var profile: String?
    public var firstPosition: Int64
    public var lastPosition: Int64
    public var firstAt: String
    public var lastAt: String
    public var count: Int
}
