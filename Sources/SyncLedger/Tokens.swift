import ServerSideSync

/// The words people type for the domain's enumerations, shared by every
/// front end so the CLI's arguments and the HTTP API's bodies spell values
/// the same way (`server-side-sync`, `global-admin`, `on-premises`).
public protocol TokenArgument: CaseIterable {
    /// The word a person types for this value (CLI arguments, API bodies).
    var token: String { get }
}

extension TokenArgument {
    public init?(token: String) {
        guard let value = Self.allCases.first(where: { $0.token == token.lowercased() }) else { return nil }
        self = value
    }
    public static var tokens: [String] { allCases.map(\.token) }
}

extension IncomingDelivery: TokenArgument {
    public var token: String {
        switch self { case .none: "none"; case .outlook: "outlook"; case .serverSideSync: "server-side-sync"; case .forwardMailbox: "forward-mailbox" }
    }
}
extension OutgoingDelivery: TokenArgument {
    public var token: String { switch self { case .none: "none"; case .outlook: "outlook"; case .serverSideSync: "server-side-sync" } }
}
extension ACTDelivery: TokenArgument {
    public var token: String { switch self { case .none: "none"; case .outlook: "outlook"; case .serverSideSync: "server-side-sync" } }
}
extension AdminRole: TokenArgument {
    public var token: String { switch self { case .globalAdmin: "global-admin"; case .exchangeAdmin: "exchange-admin"; case .serviceAdmin: "service-admin" } }
}
extension Privilege: TokenArgument { public var token: String { rawValue } }
extension PrivilegeLevel: TokenArgument { public var token: String { rawValue } }
extension Deployment: TokenArgument { public var token: String { rawValue } }
extension Region: TokenArgument { public var token: String { rawValue } }
extension CommandSource: TokenArgument { public var token: String { rawValue } }
extension ServerType: TokenArgument {
    public var token: String {
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
extension AlertLevel: TokenArgument {
    public var token: String { rawValue.lowercased() }
}
extension TokenScope: TokenArgument { public var token: String { rawValue } }
