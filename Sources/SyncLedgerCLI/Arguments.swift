import ArgumentParser
import Foundation
import SyncLedger
import ServerSideSync

/// Maps command-line tokens (`server-side-sync`) to values of an option set.
protocol TokenArgument: CaseIterable {
    var token: String { get }
}

extension TokenArgument {
    init?(token: String) {
        guard let value = Self.allCases.first(where: { $0.token == token.lowercased() }) else { return nil }
        self = value
    }
    static var tokens: [String] { allCases.map(\.token) }
}

extension IncomingDelivery: TokenArgument {
    var token: String {
        switch self { case .none: "none"; case .outlook: "outlook"; case .serverSideSync: "server-side-sync"; case .forwardMailbox: "forward-mailbox" }
    }
}
extension OutgoingDelivery: TokenArgument {
    var token: String { switch self { case .none: "none"; case .outlook: "outlook"; case .serverSideSync: "server-side-sync" } }
}
extension ACTDelivery: TokenArgument {
    var token: String { switch self { case .none: "none"; case .outlook: "outlook"; case .serverSideSync: "server-side-sync" } }
}
extension AdminRole: TokenArgument {
    var token: String { switch self { case .globalAdmin: "global-admin"; case .exchangeAdmin: "exchange-admin"; case .serviceAdmin: "service-admin" } }
}
extension Privilege: TokenArgument { var token: String { rawValue } }
extension PrivilegeLevel: TokenArgument { var token: String { rawValue } }
extension Deployment: TokenArgument { var token: String { rawValue } }
extension Region: TokenArgument { var token: String { rawValue } }
extension CommandSource: TokenArgument { var token: String { rawValue } }
extension ServerType: TokenArgument {
    var token: String {
        switch self {
        case .exchangeOnline: "exchange-online"
        case .exchangeServer: "exchange-server"
        case .exchangeServerHybrid: "exchange-server-hybrid"
        case .exchangeOnlineHybrid: "exchange-online-hybrid"
        case .pop3SMTP: "pop3-smtp"
        case .imapSMTP: "imap-smtp"
        }
    }
}

/// How a profile authenticates, as typed on the command line.
enum AuthenticationKind: String, TokenArgument {
    case s2s, oauth, profileCredentials = "profile-credentials", userCredentials = "user-credentials"
    var token: String { rawValue }
}

/// `on` / `off`.
enum Switch: String, TokenArgument {
    case on, off
    var token: String { rawValue }
    var isOn: Bool { self == .on }
}

/// An output format for exports.
enum ExportFormat: String, TokenArgument {
    case jsonl, csv
    var token: String { rawValue }
}

/// An alert level filter.
extension AlertLevel: TokenArgument {
    var token: String { rawValue.lowercased() }
}

extension IncomingDelivery: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension OutgoingDelivery: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension ACTDelivery: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension AdminRole: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension Privilege: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension PrivilegeLevel: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension Deployment: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension Region: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension CommandSource: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension ServerType: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension AlertLevel: ExpressibleByArgument {
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
}
extension AuthenticationKind: ExpressibleByArgument {
    init?(argument: String) { self.init(token: argument) }
    static var allValueStrings: [String] { tokens }
    var defaultValueDescription: String { token }
}
extension Switch: ExpressibleByArgument {
    init?(argument: String) { self.init(token: argument) }
    static var allValueStrings: [String] { tokens }
    var defaultValueDescription: String { token }
}
extension ExportFormat: ExpressibleByArgument {
    init?(argument: String) { self.init(token: argument) }
    static var allValueStrings: [String] { tokens }
    var defaultValueDescription: String { token }
}

/// A cutoff: `#N` or an RFC 3339 instant.
extension Cutoff: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// An instant: RFC 3339 or a bare date.
struct Instant: ExpressibleByArgument {
    var date: Date
    init?(argument: String) {
        guard let date = Timestamp.parse(argument) else { return nil }
        self.date = date
    }
}

extension DynamicsVersion: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
