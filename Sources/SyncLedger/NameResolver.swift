import ServerSideSync
import Synchronization

/// Turns the names people type into the domain's ids, against the state a
/// command is decided on (or the state a query reads). Every front end
/// resolves through it, so a mailbox means the same thing in the CLI and over
/// HTTP.
public struct NameResolver: Sendable {
    /// The state names are resolved in.
    public let state: SyncState
    /// Mailboxes by lower-cased email address, owner UPN and queue name, built
    /// on the first lookup by name, so resolving many names stays linear.
    private let index = MailboxIndex()

    public init(state: SyncState) { self.state = state }

    /// The environment named `name`, or the only one the ledger holds.
    ///
    /// - Throws: ``SyncLedgerError/notFound(_:)`` when there is none yet;
    ///   ``SyncLedgerError/invalidInput(_:)`` when several exist and none was named.
    public func environment(_ name: String?) throws(SyncLedgerError) -> EnvironmentID {
        if let name { return EnvironmentID(name) }
        let all = state.environments.keys.sorted()
        guard all.count == 1 else {
            if all.isEmpty { throw .notFound("no environment exists yet: run `syncledger env provision` first") }
            throw .invalidInput("the ledger holds \(all.count) environments (\(all.map(\.rawValue).joined(separator: ", "))): choose one with --env")
        }
        return all[0]
    }

    /// The environment a new user joins: `name` when given; else the only
    /// environment when there is exactly one; else none (directory only).
    /// `directoryOnly` always means none.
    public func environmentForNewUser(_ name: String?, directoryOnly: Bool) -> EnvironmentID? {
        if directoryOnly { return nil }
        if let name { return EnvironmentID(name) }
        return state.environments.count == 1 ? state.environments.keys.first : nil
    }

    /// A mailbox named by its id, or by its email address, owner UPN or queue
    /// name (within `environment` when given; matching ignores case).
    ///
    /// - Throws: ``SyncLedgerError/notFound(_:)``; ``SyncLedgerError/invalidInput(_:)``
    ///   when the name fits several mailboxes.
    public func mailbox(_ reference: String, environment: String? = nil) throws(SyncLedgerError) -> MailboxID {
        if state.mailboxes[MailboxID(reference)] != nil { return MailboxID(reference) }
        let matches = index.mailboxes(named: reference.lowercased(), in: state).compactMap { state.mailboxes[$0] }.filter { mailbox in
            environment == nil || mailbox.environment.rawValue == environment
        }
        guard !matches.isEmpty else { throw .notFound("no mailbox \(reference)\(environment.map { " in \($0)" } ?? "")") }
        guard matches.count == 1 else {
            throw .invalidInput("\(reference) names \(matches.count) mailboxes (\(matches.map(\.id.rawValue).sorted().joined(separator: ", "))): use --env or the mailbox id")
        }
        return matches[0].id
    }

    /// The profile `id` as it stands.
    ///
    /// - Throws: ``SyncLedgerError/notFound(_:)``.
    public func profile(_ id: String) throws(SyncLedgerError) -> ProfileState {
        guard let profile = state.profiles[ProfileID(id)] else { throw .notFound("no email server profile \(id)") }
        return profile
    }

    /// The environment of a command about profile `id`: `name` when given,
    /// else the profile's own, else the only environment.
    public func environment(_ name: String?, forProfile id: String) throws(SyncLedgerError) -> EnvironmentID {
        if name == nil, let env = state.profiles[ProfileID(id)]?.environment { return env }
        return try environment(name)
    }

    /// The acting user for a name typed by a person (`system` is the system).
    public static func actor(_ name: String) -> Actor {
        name.lowercased() == "system" ? .system : .user(UserPrincipalName(name))
    }
}

/// Mailbox ids by every name a person may type for them (lower-cased),
/// built once per resolver.
private final class MailboxIndex: Sendable {
    private let byName = Mutex<[String: Set<MailboxID>]?>(nil)

    func mailboxes(named name: String, in state: SyncState) -> [MailboxID] {
        byName.withLock { index in
            if index == nil {
                var built: [String: Set<MailboxID>] = [:]
                for mailbox in state.mailboxes.values {
                    built[mailbox.emailAddress.rawValue, default: []].insert(mailbox.id)
                    switch mailbox.owner {
                    case .user(let upn): built[upn.rawValue, default: []].insert(mailbox.id)
                    case .queue(let queue): built[queue.rawValue.lowercased(), default: []].insert(mailbox.id)
                    }
                }
                index = built
            }
            return index![name].map { Array($0) } ?? []
        }
    }
}
