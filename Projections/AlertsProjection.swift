import Foundation
import ServerSideSync
import SQLite

/// The Alerts walls: each mailbox's wall (`mailbox:ID`) and each user's
/// personal wall (`user:UPN`, for profile owners and mailbox owners). The same
/// code for the same mailbox on the same wall is one alert whose count and
/// last time grow with each recurrence (B12).
public struct AlertsProjection: Projection {
    public let name = "alerts"
    public let schemaVersion = 1
    public let tables = ["alerts"]

    public init() {}

    public func createTables(in db: Connection) throws {
        try db.execute("""
            CREATE TABLE alerts (
              alert_id       INTEGER PRIMARY KEY,
              wall           TEXT NOT NULL,   -- mailbox:ID or user:UPN
              level          TEXT NOT NULL,   -- Information / Warning / Error
              code           TEXT NOT NULL,
              text           TEXT NOT NULL,
              mailbox        TEXT NOT NULL DEFAULT '',
              profile        TEXT,
              first_position INTEGER NOT NULL,
              last_position  INTEGER NOT NULL,
              first_at       TEXT NOT NULL,
              last_at        TEXT NOT NULL,
              count          INTEGER NOT NULL,
              UNIQUE (wall, code, mailbox)
            ) STRICT;
            """)
    }

    public func handles(type: String) -> Bool { type == "MailboxTestCompleted" }

    public func apply(_ e: ProjectedEvent, in db: Connection) throws {
        guard case .mailboxTestCompleted(let test) = e.event else { return }
        for alert in test.alerts {
            var walls: [String] = []
            if let mailbox = alert.mailbox { walls.append("mailbox:\(mailbox.rawValue)") }
            walls += alert.recipients.map { "user:\($0.rawValue)" }
            for wall in walls {
                try db.run("""
                    INSERT INTO alerts(wall, level, code, text, mailbox, profile, first_position, last_position, first_at, last_at, count)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    ON CONFLICT (wall, code, mailbox) DO UPDATE SET
                      level = excluded.level, text = excluded.text, profile = excluded.profile,
                      last_position = excluded.last_position, last_at = excluded.last_at, count = count + 1
                    """, .text(wall), .text(alert.level.rawValue), .text(alert.code), .text(alert.text),
                    .text(alert.mailbox?.rawValue ?? ""), .optionalText(alert.profile?.rawValue),
                    .integer(e.recorded.position.rawValue), .integer(e.recorded.position.rawValue), .text(e.recordedAtText), .text(e.recordedAtText))
            }
        }
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

    /// Reads alerts on `db`, newest last.
    public static func all(in db: Connection, where filter: String = "", _ arguments: [SQLiteValue] = []) throws -> [AlertRow] {
        let statement = try db.prepare("""
            SELECT wall, level, code, text, mailbox, profile, first_position, last_position, first_at, last_at, count
            FROM alerts \(filter) ORDER BY last_position, alert_id
            """)
        try statement.bind(arguments)
        var rows: [AlertRow] = []
        while try statement.step() {
            let s = statement
            let mailbox = s.text(at: 4)
            rows.append(AlertRow(wall: s.text(at: 0), level: s.text(at: 1), code: s.text(at: 2), text: s.text(at: 3),
                                 mailbox: mailbox.isEmpty ? nil : mailbox, profile: s.optionalText(at: 5), firstPosition: s.int64(at: 6),
                                 lastPosition: s.int64(at: 7), firstAt: s.text(at: 8), lastAt: s.text(at: 9), count: s.int(at: 10)))
        }
        return rows
    }
}
