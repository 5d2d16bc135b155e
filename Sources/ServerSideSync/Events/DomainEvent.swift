import Foundation

/// Every event SyncLedger records, one case per past-tense fact.
///
/// ## Streams
/// Each event belongs to the stream of the object it changes, so the history
/// of one object (a mailbox, a profile, an environment) is one short stream:
///
/// | stream | events |
/// |---|---|
/// | `tenant` | tenant, directory users, admin roles |
/// | `environment:NAME` | provisioning, members, teams, queues, security roles, email settings, default profile |
/// | `profile:ID` | one server profile's life |
/// | `mailbox:ID` | one mailbox's configuration, approval and tests |
/// | `exchange` | facts of the simulated Exchange Online |
/// | `job:ID` | one Test & Enable Mailboxes job |
/// | `refusals` | audited denials |
///
/// Decisions read a composite ``SyncState`` rather than one stream, because
/// the rules cross objects (an approval depends on the approver's directory
/// roles, the environment's deployment and version, and the kind of the
/// mailbox's profile). The state stays small: per-object records, no history.
public enum DomainEvent: Hashable, Sendable {
    case tenantCreated(TenantCreated)
    case userAdded(UserAdded)
    case adminRoleGranted(AdminRoleGranted)
    case adminRoleRevoked(AdminRoleRevoked)
    case environmentProvisioned(EnvironmentProvisioned)
    case chinaExchangeAccessEnabled(ChinaExchangeAccessEnabled)
    case userJoinedEnvironment(UserJoinedEnvironment)
    case teamCreated(TeamCreated)
    case teamMemberAdded(TeamMemberAdded)
    case queueCreated(QueueCreated)
    case securityRoleCreated(SecurityRoleCreated)
    case rolePrivilegeSet(RolePrivilegeSet)
    case securityRoleAssigned(SecurityRoleAssigned)
    case securityRoleRemoved(SecurityRoleRemoved)
    case emailSettingsChanged(EmailSettingsChanged)
    case defaultServerProfileSet(DefaultServerProfileSet)
    case serverProfileCreated(ServerProfileCreated)
    case serverProfileUpdated(ServerProfileUpdated)
    case serverProfileLocationSet(ServerProfileLocationSet)
    case serverProfileDeactivated(ServerProfileDeactivated)
    case mailboxCreated(MailboxCreated)
    case mailboxConfigured(MailboxConfigured)
    case mailboxEmailAddressChanged(MailboxEmailAddressChanged)
    case mailboxEmailApproved(MailboxEmailApproved)
    case mailboxEmailRejected(MailboxEmailRejected)
    case mailboxTestCompleted(MailboxTestCompleted)
    case exchangeMailboxAdded(ExchangeMailboxAdded)
    case exchangeOutageRecorded(ExchangeOutageRecorded)
    case exchangeSyncOrgChanged(ExchangeSyncOrgChanged)
    case profileTestJobStarted(ProfileTestJobStarted)
    case profileTestJobCompleted(ProfileTestJobCompleted)
    case commandRefused(CommandRefused)
    case checkpointKeyRegistered(CheckpointKeyRegistered)
    case signingKeyEnrolled(SigningKeyEnrolled)
    case signedModeChanged(SignedModeChanged)
    case accessTokenIssued(AccessTokenIssued)
    case accessTokenRevoked(AccessTokenRevoked)
}

// MARK: - Streams

extension DomainEvent {
    /// The stream name of the tenant directory.
    public static let tenantStream = "tenant"
    /// The stream name of the simulated Exchange Online's facts.
    public static let exchangeStream = "exchange"
    /// The stream name of audited denials.
    public static let refusalsStream = "refusals"
    public static func environmentStream(_ id: EnvironmentID) -> String { "environment:\(id.rawValue)" }
    public static func profileStream(_ id: ProfileID) -> String { "profile:\(id.rawValue)" }
    public static func mailboxStream(_ id: MailboxID) -> String { "mailbox:\(id.rawValue)" }
    public static func jobStream(_ id: JobID) -> String { "job:\(id.rawValue)" }

    /// The stream this event belongs to.
    public var stream: String {
        switch self {
        case .tenantCreated, .userAdded, .adminRoleGranted, .adminRoleRevoked, .checkpointKeyRegistered, .signingKeyEnrolled, .signedModeChanged,
             .accessTokenIssued, .accessTokenRevoked: Self.tenantStream
        case .environmentProvisioned(let e): Self.environmentStream(e.environment)
        case .chinaExchangeAccessEnabled(let e): Self.environmentStream(e.environment)
        case .userJoinedEnvironment(let e): Self.environmentStream(e.environment)
        case .teamCreated(let e): Self.environmentStream(e.environment)
        case .teamMemberAdded(let e): Self.environmentStream(e.environment)
        case .queueCreated(let e): Self.environmentStream(e.environment)
        case .securityRoleCreated(let e): Self.environmentStream(e.environment)
        case .rolePrivilegeSet(let e): Self.environmentStream(e.environment)
        case .securityRoleAssigned(let e): Self.environmentStream(e.environment)
        case .securityRoleRemoved(let e): Self.environmentStream(e.environment)
        case .emailSettingsChanged(let e): Self.environmentStream(e.environment)
        case .defaultServerProfileSet(let e): Self.environmentStream(e.environment)
        case .serverProfileCreated(let e): Self.profileStream(e.profile)
        case .serverProfileUpdated(let e): Self.profileStream(e.profile)
        case .serverProfileLocationSet(let e): Self.profileStream(e.profile)
        case .serverProfileDeactivated(let e): Self.profileStream(e.profile)
        case .mailboxCreated(let e): Self.mailboxStream(e.mailbox)
        case .mailboxConfigured(let e): Self.mailboxStream(e.mailbox)
        case .mailboxEmailAddressChanged(let e): Self.mailboxStream(e.mailbox)
        case .mailboxEmailApproved(let e): Self.mailboxStream(e.mailbox)
        case .mailboxEmailRejected(let e): Self.mailboxStream(e.mailbox)
        case .mailboxTestCompleted(let e): Self.mailboxStream(e.mailbox)
        case .exchangeMailboxAdded, .exchangeOutageRecorded, .exchangeSyncOrgChanged: Self.exchangeStream
        case .profileTestJobStarted(let e): Self.jobStream(e.job)
        case .profileTestJobCompleted(let e): Self.jobStream(e.job)
        case .commandRefused: Self.refusalsStream
        }
    }
}

// MARK: - The registry of stored names

/// The decoding error for an event type or schema version this code does not know.
public struct UnknownEventType: Error, Equatable, Sendable, CustomStringConvertible {
    public let type: String
    public let schemaVersion: Int
    public init(type: String, schemaVersion: Int) {
        self.type = type
        self.schemaVersion = schemaVersion
    }
    public var description: String { "unknown event type \(type) v\(schemaVersion)" }
}

extension DomainEvent {
    /// The name stored in the log's `type` column and the current schema
    /// version of its data. Part of the file format: a name is never changed;
    /// a changed shape gets a new version and an upcaster in ``decode(type:schemaVersion:data:)``.
    public var typeName: (name: String, schemaVersion: Int) {
        switch self {
        case .tenantCreated: ("TenantCreated", 1)
        case .userAdded: ("UserAdded", 1)
        case .adminRoleGranted: ("AdminRoleGranted", 1)
        case .adminRoleRevoked: ("AdminRoleRevoked", 1)
        case .environmentProvisioned: ("EnvironmentProvisioned", 1)
        case .chinaExchangeAccessEnabled: ("ChinaExchangeAccessEnabled", 1)
        case .userJoinedEnvironment: ("UserJoinedEnvironment", 1)
        case .teamCreated: ("TeamCreated", 1)
        case .teamMemberAdded: ("TeamMemberAdded", 1)
        case .queueCreated: ("QueueCreated", 1)
        case .securityRoleCreated: ("SecurityRoleCreated", 1)
        case .rolePrivilegeSet: ("RolePrivilegeSet", 1)
        case .securityRoleAssigned: ("SecurityRoleAssigned", 1)
        case .securityRoleRemoved: ("SecurityRoleRemoved", 1)
        case .emailSettingsChanged: ("EmailSettingsChanged", 1)
        case .defaultServerProfileSet: ("DefaultServerProfileSet", 1)
        case .serverProfileCreated: ("ServerProfileCreated", 1)
        case .serverProfileUpdated: ("ServerProfileUpdated", 1)
        case .serverProfileLocationSet: ("ServerProfileLocationSet", 1)
        case .serverProfileDeactivated: ("ServerProfileDeactivated", 1)
        case .mailboxCreated: ("MailboxCreated", 1)
        case .mailboxConfigured: ("MailboxConfigured", 1)
        case .mailboxEmailAddressChanged: ("MailboxEmailAddressChanged", 1)
        case .mailboxEmailApproved: ("MailboxEmailApproved", 2)
        case .mailboxEmailRejected: ("MailboxEmailRejected", 1)
        case .mailboxTestCompleted: ("MailboxTestCompleted", 3)
        case .exchangeMailboxAdded: ("ExchangeMailboxAdded", 1)
        case .exchangeOutageRecorded: ("ExchangeOutageRecorded", 1)
        case .exchangeSyncOrgChanged: ("ExchangeSyncOrgChanged", 1)
        case .profileTestJobStarted: ("ProfileTestJobStarted", 1)
        case .profileTestJobCompleted: ("ProfileTestJobCompleted", 1)
        case .commandRefused: ("CommandRefused", 1)
        case .checkpointKeyRegistered: ("CheckpointKeyRegistered", 1)
        case .signingKeyEnrolled: ("SigningKeyEnrolled", 1)
        case .signedModeChanged: ("SignedModeChanged", 1)
        case .accessTokenIssued: ("AccessTokenIssued", 1)
        case .accessTokenRevoked: ("AccessTokenRevoked", 1)
        }
    }

    /// An encoder whose output is stable byte for byte: sorted keys, ISO 8601
    /// dates with fractional seconds, no escaped slashes.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    /// The decoder matching ``makeEncoder()``.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 instant: \(text)"))
            }
            return date
        }
        return decoder
    }

    /// The event's data as JSON (stable bytes).
    public func encodedData(using encoder: JSONEncoder = DomainEvent.makeEncoder()) throws -> Data {
        switch self {
        case .tenantCreated(let e): try encoder.encode(e)
        case .userAdded(let e): try encoder.encode(e)
        case .adminRoleGranted(let e): try encoder.encode(e)
        case .adminRoleRevoked(let e): try encoder.encode(e)
        case .environmentProvisioned(let e): try encoder.encode(e)
        case .chinaExchangeAccessEnabled(let e): try encoder.encode(e)
        case .userJoinedEnvironment(let e): try encoder.encode(e)
        case .teamCreated(let e): try encoder.encode(e)
        case .teamMemberAdded(let e): try encoder.encode(e)
        case .queueCreated(let e): try encoder.encode(e)
        case .securityRoleCreated(let e): try encoder.encode(e)
        case .rolePrivilegeSet(let e): try encoder.encode(e)
        case .securityRoleAssigned(let e): try encoder.encode(e)
        case .securityRoleRemoved(let e): try encoder.encode(e)
        case .emailSettingsChanged(let e): try encoder.encode(e)
        case .defaultServerProfileSet(let e): try encoder.encode(e)
        case .serverProfileCreated(let e): try encoder.encode(e)
        case .serverProfileUpdated(let e): try encoder.encode(e)
        case .serverProfileLocationSet(let e): try encoder.encode(e)
        case .serverProfileDeactivated(let e): try encoder.encode(e)
        case .mailboxCreated(let e): try encoder.encode(e)
        case .mailboxConfigured(let e): try encoder.encode(e)
        case .mailboxEmailAddressChanged(let e): try encoder.encode(e)
        case .mailboxEmailApproved(let e): try encoder.encode(e)
        case .mailboxEmailRejected(let e): try encoder.encode(e)
        case .mailboxTestCompleted(let e): try encoder.encode(MailboxTestCompleted.Stored(e))
        case .exchangeMailboxAdded(let e): try encoder.encode(e)
        case .exchangeOutageRecorded(let e): try encoder.encode(e)
        case .exchangeSyncOrgChanged(let e): try encoder.encode(e)
        case .profileTestJobStarted(let e): try encoder.encode(e)
        case .profileTestJobCompleted(let e): try encoder.encode(e)
        case .commandRefused(let e): try encoder.encode(e)
        case .checkpointKeyRegistered(let e): try encoder.encode(e)
        case .signingKeyEnrolled(let e): try encoder.encode(e)
        case .signedModeChanged(let e): try encoder.encode(e)
        case .accessTokenIssued(let e): try encoder.encode(e)
        case .accessTokenRevoked(let e): try encoder.encode(e)
        }
    }

    /// Decodes stored data of `type` at `schemaVersion`, upcasting older
    /// versions to the current shape.
    ///
    /// - Throws: ``UnknownEventType`` for a name or version this code does not
    ///   know; `DecodingError` for data that does not fit.
    public static func decode(type: String, schemaVersion: Int, data: Data,
                              using decoder: JSONDecoder = DomainEvent.makeDecoder()) throws -> DomainEvent {
        func d<T: Decodable>(_: T.Type) throws -> T { try decoder.decode(T.self, from: data) }
        let unknown = UnknownEventType(type: type, schemaVersion: schemaVersion)
        switch (type, schemaVersion) {
        case ("TenantCreated", 1): return .tenantCreated(try d(TenantCreated.self))
        case ("UserAdded", 1): return .userAdded(try d(UserAdded.self))
        case ("AdminRoleGranted", 1): return .adminRoleGranted(try d(AdminRoleGranted.self))
        case ("AdminRoleRevoked", 1): return .adminRoleRevoked(try d(AdminRoleRevoked.self))
        case ("EnvironmentProvisioned", 1): return .environmentProvisioned(try d(EnvironmentProvisioned.self))
        case ("ChinaExchangeAccessEnabled", 1): return .chinaExchangeAccessEnabled(try d(ChinaExchangeAccessEnabled.self))
        case ("UserJoinedEnvironment", 1): return .userJoinedEnvironment(try d(UserJoinedEnvironment.self))
        case ("TeamCreated", 1): return .teamCreated(try d(TeamCreated.self))
        case ("TeamMemberAdded", 1): return .teamMemberAdded(try d(TeamMemberAdded.self))
        case ("QueueCreated", 1): return .queueCreated(try d(QueueCreated.self))
        case ("SecurityRoleCreated", 1): return .securityRoleCreated(try d(SecurityRoleCreated.self))
        case ("RolePrivilegeSet", 1): return .rolePrivilegeSet(try d(RolePrivilegeSet.self))
        case ("SecurityRoleAssigned", 1): return .securityRoleAssigned(try d(SecurityRoleAssigned.self))
        case ("SecurityRoleRemoved", 1): return .securityRoleRemoved(try d(SecurityRoleRemoved.self))
        case ("EmailSettingsChanged", 1): return .emailSettingsChanged(try d(EmailSettingsChanged.self))
        case ("DefaultServerProfileSet", 1): return .defaultServerProfileSet(try d(DefaultServerProfileSet.self))
        case ("ServerProfileCreated", 1): return .serverProfileCreated(try d(ServerProfileCreated.self))
        case ("ServerProfileUpdated", 1): return .serverProfileUpdated(try d(ServerProfileUpdated.self))
        case ("ServerProfileLocationSet", 1): return .serverProfileLocationSet(try d(ServerProfileLocationSet.self))
        case ("ServerProfileDeactivated", 1): return .serverProfileDeactivated(try d(ServerProfileDeactivated.self))
        case ("MailboxCreated", 1): return .mailboxCreated(try d(MailboxCreated.self))
        case ("MailboxConfigured", 1): return .mailboxConfigured(try d(MailboxConfigured.self))
        case ("MailboxEmailAddressChanged", 1): return .mailboxEmailAddressChanged(try d(MailboxEmailAddressChanged.self))
        case ("MailboxEmailApproved", 1): return .mailboxEmailApproved(MailboxEmailApproved(upcasting: try d(MailboxEmailApproved.Version1.self)))
        case ("MailboxEmailApproved", 2): return .mailboxEmailApproved(try d(MailboxEmailApproved.self))
        case ("MailboxEmailRejected", 1): return .mailboxEmailRejected(try d(MailboxEmailRejected.self))
        case ("MailboxTestCompleted", 1): return .mailboxTestCompleted(try d(MailboxTestCompleted.self))
        case ("MailboxTestCompleted", 2): return .mailboxTestCompleted(try d(MailboxTestCompleted.Stored.Version2.self).event)
        case ("MailboxTestCompleted", 3): return .mailboxTestCompleted(try d(MailboxTestCompleted.Stored.self).event)
        case ("ExchangeMailboxAdded", 1): return .exchangeMailboxAdded(try d(ExchangeMailboxAdded.self))
        case ("ExchangeOutageRecorded", 1): return .exchangeOutageRecorded(try d(ExchangeOutageRecorded.self))
        case ("ExchangeSyncOrgChanged", 1): return .exchangeSyncOrgChanged(try d(ExchangeSyncOrgChanged.self))
        case ("ProfileTestJobStarted", 1): return .profileTestJobStarted(try d(ProfileTestJobStarted.self))
        case ("ProfileTestJobCompleted", 1): return .profileTestJobCompleted(try d(ProfileTestJobCompleted.self))
        case ("CommandRefused", 1): return .commandRefused(try d(CommandRefused.self))
        case ("CheckpointKeyRegistered", 1): return .checkpointKeyRegistered(try d(CheckpointKeyRegistered.self))
        case ("SigningKeyEnrolled", 1): return .signingKeyEnrolled(try d(SigningKeyEnrolled.self))
        case ("SignedModeChanged", 1): return .signedModeChanged(try d(SignedModeChanged.self))
        case ("AccessTokenIssued", 1): return .accessTokenIssued(try d(AccessTokenIssued.self))
        case ("AccessTokenRevoked", 1): return .accessTokenRevoked(try d(AccessTokenRevoked.self))
        default: throw unknown
        }
    }
}

/// RFC 3339 instants in UTC with milliseconds, e.g. `2025-01-01T09:30:00.000Z`:
/// the one text form of time in events, the CLI and exports.
///
/// Instants are kept to the millisecond: the application truncates its clock
/// to milliseconds before deciding, so an event decoded from the log equals the
/// event that was decided.
public enum Timestamp {
    /// Whole milliseconds since 1970, rounded down. A date made of whole
    /// milliseconds (`ms / 1000`, as ``parse(_:)`` and the clock's truncation
    /// make it) may lie up to 0.25 µs below its millisecond in binary: none
    /// from mid-2006 to mid-2036 do, but almost a quarter of those of 2038 do, such
    /// as 2038-03-26T00:54:41.219Z. Half a microsecond below a millisecond
    /// counts as that millisecond, so `format(parse(text))` is `text`.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000 + 0.000_5).rounded(.down))
    }

    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func format(_ date: Date) -> String {
        let milliseconds = milliseconds(date)
        let seconds = milliseconds.floorDiv(1000)
        let millis = milliseconds - seconds * 1000
        var days = seconds.floorDiv(86_400)
        let secondOfDay = seconds - days * 86_400
        // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
        days += 719_468
        let era = days.floorDiv(146_097)
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// Parses an RFC 3339 instant (`Z` or a `±HH:MM` offset, optional fraction),
    /// or a bare date `YYYY-MM-DD` meaning its midnight UTC.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == 45, bytes[7] == 45,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var seconds: Int64 = 0
        var milliseconds: Int64 = 0
        var offset: Int64 = 0
        if bytes.count > 10 {
            guard bytes.count >= 20, bytes[10] == 84 || bytes[10] == 116, bytes[13] == 58, bytes[16] == 58,
                  let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  hour < 24, minute < 60, second < 61 else { return nil }
            seconds = hour * 3600 + minute * 60 + second
            var index = 19
            if bytes[index] == 46 {
                // Fractions keep milliseconds; finer digits are dropped.
                index += 1
                let start = index
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    if index - start < 3 { milliseconds = milliseconds * 10 + Int64(bytes[index] - 48) }
                    index += 1
                }
                guard index > start else { return nil }
                for _ in min(3, index - start)..<3 { milliseconds *= 10 }
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == 90 || bytes[index] == 122 {
                guard index == bytes.count - 1 else { return nil }
            } else if bytes[index] == 43 || bytes[index] == 45 {
                guard bytes.count == index + 6, bytes[index + 3] == 58,
                      let oh = number(index + 1, 2), let om = number(index + 4, 2), oh < 24, om < 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (bytes[index] == 43 ? 1 : -1)
            } else {
                return nil
            }
        }
        // Days-from-civil.
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDiv(400)
        let yearOfEra = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * mp + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let total = days * 86_400 + seconds - offset
        return Date(timeIntervalSince1970: Double(total * 1000 + milliseconds) / 1000)
    }

    /// The number of days in `month` of `year` (proleptic Gregorian), so
    /// `2025-02-31` is refused rather than rolled over into March.
    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
