import Foundation
import ServerSideSync

/// A small, readable world for tests: the Contoso tenant with one online
/// environment on a recent version, its people, and helpers to build history
/// by running real commands through `decide`.
public enum Contoso {
    /// The one environment of the world: online, on a recent version.
    public static let environment: EnvironmentID = "contoso-prod"
    /// The Exchange Online profile provisioning created, the environment's default.
    public static let exchangeProfile: ProfileID = "exo-default"
    /// Global admin who created the tenant and provisioned the environment (System Administrator there).
    public static let gabriela: UserPrincipalName = "gabriela@contoso.com"
    /// System Administrator only.
    public static let sam: UserPrincipalName = "sam@contoso.com"
    /// Exchange admin (directory) — given System Administrator where a scenario needs it.
    public static let erin: UserPrincipalName = "erin@contoso.com"
    /// An ordinary user with Basic User.
    public static let alice: UserPrincipalName = "alice@contoso.com"
    /// Delegated Mailbox Approver + System Administrator.
    public static let dana: UserPrincipalName = "dana@contoso.com"

    /// 2025-03-01T09:00:00Z, the default "now" of scenarios.
    public static let t0 = Timestamp.parse("2025-03-01T09:00:00Z")!

    /// The instant `minutes` after ``t0``.
    public static func at(minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }

    /// The id of `upn`'s user mailbox in `env`.
    public static func mailbox(_ upn: UserPrincipalName, in env: EnvironmentID = environment) -> MailboxID {
        MailboxID(environment: env, owner: .user(upn))
    }

    /// The tenant and its environment, with users and roles:
    /// - gabriela: Global admin, System Administrator (provisioner)
    /// - sam: System Administrator
    /// - erin: Exchange admin (no security role)
    /// - dana: Delegated Mailbox Approver + System Administrator
    /// - alice: Basic User
    /// Every mailbox exists in Exchange Online.
    public static func world(deployment: Deployment = .online, version: DynamicsVersion = "9.2.24011.00100",
                             exchangeOnlineInTenant: Bool = true, region: Region = .default,
                             provisionedOn: Date = Timestamp.parse("2024-01-15")!) throws -> Scenario {
        var history: [DomainEvent] = []
        func run(_ command: Command, by actor: UserPrincipalName) throws {
            let state = SyncDomain.fold(history)
            history += try SyncDomain.decide(command, given: state, context: DecisionContext(actor: .user(actor), now: t0))
        }
        try run(.createTenant(name: "Contoso", firstGlobalAdmin: gabriela, displayName: "Gabriela"), by: gabriela)
        try run(.provisionEnvironment(ProvisionEnvironment(environment: environment, deployment: deployment, version: version,
                                                           exchangeOnlineInTenant: exchangeOnlineInTenant, region: region,
                                                           provisionedOn: provisionedOn, exchangeProfile: exchangeProfile)), by: gabriela)
        for (upn, name) in [(sam, "Sam"), (erin, "Erin"), (alice, "Alice"), (dana, "Dana")] {
            try run(.addUser(upn, displayName: name, environment: environment), by: gabriela)
        }
        try run(.grantAdminRole(erin, .exchangeAdmin), by: gabriela)
        try run(.assignRole(environment, .systemAdministrator, .user(sam)), by: gabriela)
        try run(.assignRole(environment, .systemAdministrator, .user(dana)), by: gabriela)
        if deployment == .online && version >= .delegatedMailboxApprover {
            try run(.assignRole(environment, .delegatedMailboxApprover, .user(dana)), by: gabriela)
        }
        try run(.assignRole(environment, .basicUser, .user(alice)), by: gabriela)
        for upn in [gabriela, sam, erin, alice, dana] {
            try run(.addExchangeMailbox(EmailAddress(upn.rawValue), syncOrg: nil), by: gabriela)
        }
        return Scenario(given: history)
    }
}
