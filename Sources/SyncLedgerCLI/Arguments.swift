import ArgumentParser
import Foundation
import SyncLedger
import ServerSideSync

/// Maps command-line tokens (`server-side-sync`) to values of an option set.
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
    public init?(argument: String) { self.init(token: argument) }
    public static var allValueStrings: [String] { tokens }
    public var defaultValueDescription: String { token }
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
