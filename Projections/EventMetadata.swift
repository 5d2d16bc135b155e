import Foundation
import ServerSideSync

/// The metadata SyncLedger records with every event: who, under which roles,
/// by which command, from where.
public struct EventMetadata: Hashable, Sendable, Codable {
    /// The actor's UPN, or `system`.
    public var actor: String
    /// The roles the actor held when the decision was made: directory roles,
    /// then security roles of the environment the command concerned.
    public var roles: [String]
    /// The command's dotted name, e.g. `mailbox.approve`.
    public var command: String
    /// The command itself (its arguments), on the first event of each command
    /// only; secrets never appear (profiles carry fingerprints).
    public var arguments: Command?
    public var commandID: UUID
    public var correlationID: UUID
    public var causationID: UUID?
    public var source: CommandSource
    /// The instant the command was decided at (the domain's "now").
    public var decidedAt: Date
    /// The operating-system account that ran the command (absent in events
    /// recorded before SyncLedger kept it). What the process says it is, not
    /// a proven identity.
    public var osUser: String?
    /// The host the command ran on (absent in older events).
    public var host: String?
    /// The actor's signature of the command (first event only; signed mode,
    /// or whenever a key was given).
    public var signature: CommandSignatureRecord?
    /// The credential that proved the actor over HTTP: `token:ID` (a token
    /// SyncLedger issued) or `jwt:ISSUER` (the organisation's identity
    /// provider). Absent for the CLI, whose actor is the operator's `--as`.
    public var credential: String?

    public init(actor: String, roles: [String], command: String, arguments: Command?, commandID: UUID, correlationID: UUID,
                causationID: UUID?, source: CommandSource, decidedAt: Date) {
        self.actor = actor
        self.roles = roles
        self.command = command
        self.arguments = arguments
        self.commandID = commandID
        self.correlationID = correlationID
        self.causationID = causationID
        self.source = source
        self.decidedAt = decidedAt
    }

    /// The operating-system user and host of this process.
    public static let runningProcess: (user: String, host: String) = {
        var user = ProcessInfo.processInfo.environment["USER"] ?? ""
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { user = String(cString: name) }
        return (user, ProcessInfo.processInfo.hostName)
    }()

    /// A stored command signature: what the signer saw and what they signed.
    public struct CommandSignatureRecord: Hashable, Sendable, Codable {
        /// The head the command was decided on, `N:hex-hash`.
        public var head: String
        /// SHA-256 of the command's JSON (the `arguments`), hex.
        public var digest: String
        /// The Ed25519 signature, base64.
        public var value: String
        public init(head: String, digest: String, value: String) {
            self.head = head
            self.digest = digest
            self.value = value
        }
    }

    /// Decodes metadata stored as JSON text.
    public static func decode(_ text: String) throws -> EventMetadata {
        try DomainEvent.makeDecoder().decode(EventMetadata.self, from: Data(text.utf8))
    }

    /// Decodes metadata for the projections, which never read the command's
    /// arguments: `arguments` is left `nil` instead of decoding the whole
    /// command (the costliest part of a rebuild's metadata).
    ///
    /// Reads the text with a per-type decoder (``JSONReader``); text it does
    /// not take (a signature, an unknown member, ...) goes to `JSONDecoder`.
    public static func decodeForProjections(_ text: String) throws -> EventMetadata {
        if let metadata = try? JSONReader.read(text, { try EventMetadata(withoutArguments: &$0) }) { return metadata }
        return try decodeWithCodableForProjections(text)
    }

    /// `Codable`'s reading for the projections: the fallback, and what the
    /// per-type decoder is tested against.
    public static func decodeWithCodableForProjections(_ text: String) throws -> EventMetadata {
        try projectionDecoder.decode(EventMetadata.self, from: Data(text.utf8))
    }

    /// The per-type decoder behind ``decodeForProjections(_:)``: the members
    /// `init(from:)` reads, `arguments` passed over, `signature` not taken.
    init(withoutArguments r: inout JSONReader) throws {
        typealias R = JSONReader
        func uuid(_ r: inout JSONReader) throws -> UUID {
            guard let id = UUID(uuidString: try r.string()) else { throw R.Unsupported() }
            return id
        }
        var actor: String?, roles: [String]?, command: String?, arguments: Void?, commandID: UUID?, correlationID: UUID?
        var causationID: UUID??, source: CommandSource?, decidedAt: Date?, osUser: String??, host: String??, credential: String??
        try r.object { key, r in
            switch key {
            case "actor": try R.assign(&actor, r.string())
            case "roles": try R.assign(&roles, r.array { try $0.string() })
            case "command": try R.assign(&command, r.string())
            case "arguments": try R.assign(&arguments, r.skipValue())
            case "commandID": try R.assign(&commandID, uuid(&r))
            case "correlationID": try R.assign(&correlationID, uuid(&r))
            case "causationID": try R.assign(&causationID, r.optional(uuid))
            case "source": try R.assign(&source, r.value())
            case "decidedAt": try R.assign(&decidedAt, r.date())
            case "osUser": try R.assign(&osUser, r.optional { try $0.string() })
            case "host": try R.assign(&host, r.optional { try $0.string() })
            case "credential": try R.assign(&credential, r.optional { try $0.string() })
            default: throw R.Unsupported()
            }
        }
        self.init(actor: try R.required(actor), roles: try R.required(roles), command: try R.required(command), arguments: nil,
                  commandID: try R.required(commandID), correlationID: try R.required(correlationID), causationID: causationID ?? nil,
                  source: try R.required(source), decidedAt: try R.required(decidedAt))
        self.osUser = osUser ?? nil
        self.host = host ?? nil
        self.credential = credential ?? nil
    }

    private static let skipArguments = CodingUserInfoKey(rawValue: "syncledger.skipArguments")!
    private static let projectionDecoder: JSONDecoder = {
        let decoder = DomainEvent.makeDecoder()
        decoder.userInfo[skipArguments] = true
        return decoder
    }()

    private enum CodingKeys: String, CodingKey {
        case actor, roles, command, arguments, commandID, correlationID, causationID, source, decidedAt, osUser, host, signature, credential
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actor = try c.decode(String.self, forKey: .actor)
        roles = try c.decode([String].self, forKey: .roles)
        command = try c.decode(String.self, forKey: .command)
        arguments = decoder.userInfo[Self.skipArguments] as? Bool == true ? nil : try c.decodeIfPresent(Command.self, forKey: .arguments)
        commandID = try c.decode(UUID.self, forKey: .commandID)
        correlationID = try c.decode(UUID.self, forKey: .correlationID)
        causationID = try c.decodeIfPresent(UUID.self, forKey: .causationID)
        source = try c.decode(CommandSource.self, forKey: .source)
        decidedAt = try c.decode(Date.self, forKey: .decidedAt)
        osUser = try c.decodeIfPresent(String.self, forKey: .osUser)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        signature = try c.decodeIfPresent(CommandSignatureRecord.self, forKey: .signature)
        credential = try c.decodeIfPresent(String.self, forKey: .credential)
    }

    /// The stable JSON text of this metadata; pass the command's encoder
    /// (``DomainEvent/makeEncoder()``) to reuse it.
    ///
    /// Written by hand (``JSONBytes``), byte for byte what `encoder` gives
    /// for `self`: only the command's arguments go through `encoder`. The
    /// envelope through `JSONEncoder` was a tenth of a command's CPU. A test
    /// checks the two agree on random metadata, and that this writer names
    /// every stored property, so one added later is not left out unseen.
    public func encoded(using encoder: JSONEncoder = DomainEvent.makeEncoder()) throws -> String {
        let arguments = try arguments.map { try encoder.encode($0) }
        var out = JSONBytes(capacity: 320 + (arguments?.count ?? 0))
        out.object { m, out in
            m.key("actor", into: &out); out.string(actor)
            if let arguments { m.key("arguments", into: &out); out.bytes.append(contentsOf: arguments) }
            if let causationID { m.key("causationID", into: &out); out.string(causationID.uuidString) }
            m.key("command", into: &out); out.string(command)
            m.key("commandID", into: &out); out.string(commandID.uuidString)
            m.key("correlationID", into: &out); out.string(correlationID.uuidString)
            if let credential { m.key("credential", into: &out); out.string(credential) }
            m.key("decidedAt", into: &out); out.date(decidedAt)
            if let host { m.key("host", into: &out); out.string(host) }
            if let osUser { m.key("osUser", into: &out); out.string(osUser) }
            m.key("roles", into: &out); out.array(roles) { out, role in out.string(role) }
            if let signature {
                m.key("signature", into: &out)
                out.object { m, out in
                    m.key("digest", into: &out); out.string(signature.digest)
                    m.key("head", into: &out); out.string(signature.head)
                    m.key("value", into: &out); out.string(signature.value)
                }
            }
            m.key("source", into: &out); out.string(source.rawValue)
        }
        return out.text
    }

    /// The members ``encoded(using:)`` writes, in its order.
    static let writtenMembers = ["actor", "arguments", "causationID", "command", "commandID", "correlationID", "credential", "decidedAt",
                                 "host", "osUser", "roles", "signature", "source"]
}
