import Foundation

/// Declares a string-backed identifier type that encodes as a bare JSON string.
///
/// Identifiers are `CodingKeyRepresentable`, so dictionaries keyed by them
/// encode as JSON objects (whose keys the encoder sorts), never as arrays in
/// hash order: stored state is byte-for-byte deterministic.
public protocol StringIdentifier: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible, CodingKeyRepresentable where RawValue == String {
    init(rawValue: String)
}

extension StringIdentifier {
    public init(_ rawValue: String) { self.init(rawValue: rawValue) }
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public init(from decoder: any Decoder) throws { self.init(rawValue: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var codingKey: any CodingKey { IdentifierKey(stringValue: rawValue) }
    public init?<T: CodingKey>(codingKey: T) { self.init(rawValue: codingKey.stringValue) }
}

/// The coding key of a dictionary keyed by an identifier.
public struct IdentifierKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// A user's User Principal Name in the tenant directory, e.g. `alice@contoso.com`.
/// Stored lowercased: UPNs compare case-insensitively.
public struct UserPrincipalName: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.lowercased() }
}

/// An email address. Compared case-insensitively (stored lowercased).
public struct EmailAddress: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.lowercased() }

    /// Whether the text has the shape `local@domain.tld` (no spaces, one `@`,
    /// a dot in the domain) and fits the 100-character column.
    public var isWellFormed: Bool {
        let parts = rawValue.split(separator: "@", omittingEmptySubsequences: false)
        guard rawValue.count <= 100, parts.count == 2, !parts[0].isEmpty, !rawValue.contains(" ") else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
    }
}

/// The name of an environment (a Dynamics 365 organization) in the tenant.
public struct EnvironmentID: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// The id of an email server profile.
public struct ProfileID: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// The id of a mailbox: derived from its environment and owner, so it is
/// stable and readable (`contoso-prod/user:alice@contoso.com`).
public struct MailboxID: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The id of the mailbox `owner` has in `environment`.
    public init(environment: EnvironmentID, owner: MailboxOwner) {
        switch owner {
        case .user(let upn): rawValue = "\(environment.rawValue)/user:\(upn.rawValue)"
        case .queue(let name): rawValue = "\(environment.rawValue)/queue:\(name.rawValue)"
        }
    }
}

/// The id of a Test & Enable Mailboxes job on a profile.
public struct JobID: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// The name of a security role within an environment.
public struct RoleName: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let systemAdministrator: RoleName = "System Administrator"
    public static let systemCustomizer: RoleName = "System Customizer"
    public static let delegatedMailboxApprover: RoleName = "Delegated Mailbox Approver"
    public static let basicUser: RoleName = "Basic User"
}

/// The name of a team within an environment.
public struct TeamName: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// The name of a queue within an environment.
public struct QueueName: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Who a mailbox belongs to: a user or a queue (`regardingobjectid`).
public enum MailboxOwner: Hashable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    case user(UserPrincipalName)
    case queue(QueueName)

    public var isQueue: Bool { if case .queue = self { true } else { false } }

    public var description: String {
        switch self {
        case .user(let upn): "user \(upn)"
        case .queue(let name): "queue \(name)"
        }
    }

    /// Parses `user:UPN` or `queue:NAME`.
    public init?(_ text: String) {
        if text.hasPrefix("user:") { self = .user(UserPrincipalName(String(text.dropFirst(5)))) }
        else if text.hasPrefix("queue:") { self = .queue(QueueName(String(text.dropFirst(6)))) }
        else { return nil }
    }

    /// `user:UPN` or `queue:NAME`, the form stored in events.
    public var token: String {
        switch self {
        case .user(let upn): "user:\(upn.rawValue)"
        case .queue(let name): "queue:\(name.rawValue)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let owner = MailboxOwner(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a mailbox owner: \(text)"))
        }
        self = owner
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(token)
    }
}

/// Who a security role is assigned to.
public enum Principal: Hashable, Sendable, Codable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    case user(UserPrincipalName)
    case team(TeamName)

    public var description: String {
        switch self {
        case .user(let upn): "user \(upn)"
        case .team(let name): "team \(name)"
        }
    }

    /// Parses `user:UPN` or `team:NAME`.
    public init?(_ text: String) {
        if text.hasPrefix("user:") { self = .user(UserPrincipalName(String(text.dropFirst(5)))) }
        else if text.hasPrefix("team:") { self = .team(TeamName(String(text.dropFirst(5)))) }
        else { return nil }
    }

    /// `user:UPN` or `team:NAME`, the form stored in events.
    public var token: String {
        switch self {
        case .user(let upn): "user:\(upn.rawValue)"
        case .team(let name): "team:\(name.rawValue)"
        }
    }

    public static func < (a: Principal, b: Principal) -> Bool { a.token < b.token }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let principal = Principal(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a principal: \(text)"))
        }
        self = principal
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(token)
    }
}
