import Foundation

extension Decision {
    /// Checks a profile's settings against the documented limits and the
    /// Exchange Online rules.
    func validate(_ settings: ProfileSettings) throws(Refusal) {
        let name = settings.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw Refusal(.invalidValue, "the profile needs a name") }
        guard settings.name.count <= 100 else { throw Refusal(.invalidValue, "the profile name may have at most 100 characters, not \(settings.name.count)") }
        if let violation = settings.options.rangeViolation { throw Refusal(.invalidValue, violation) }
        if let location = settings.serverLocation { try validateLocation(location) }
        _ = try user(settings.owner)
        if settings.serverType.exchangeKind == .exchangeOnline {
            switch settings.authentication {
            case .serverToServer, .oauthCrossTenant:
                break
            case .credentialsInProfile, .credentialsByUserOrQueue:
                throw Refusal(.unsupportedForExchangeOnline, "\(settings.authentication.label) is not supported for Exchange Online; use Server-to-Server Authentication (same tenant) or OAuth (cross tenant)")
            }
            guard settings.options.useAutoDiscover else {
                throw Refusal(.unsupportedForExchangeOnline, "Auto Discover Server Location must stay Yes for Exchange Online")
            }
        }
        if case .oauthCrossTenant(let tenant, let application, let secret) = settings.authentication {
            guard !tenant.isEmpty, tenant.count <= 36, !application.isEmpty, !secret.isEmpty else {
                throw Refusal(.invalidValue, "OAuth (Cross Tenant) needs a tenant id (at most 36 characters), an application id and a client secret")
            }
        }
    }

    func validateLocation(_ location: String) throws(Refusal) {
        guard location.count <= 2084, let url = URL(string: location), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw Refusal(.invalidValue, "\(location) is not an http(s) URL of at most 2084 characters")
        }
    }

    mutating func createProfile(_ id: ProfileID, _ environment: EnvironmentID, _ settings: ProfileSettings, _ setAsDefault: Bool) throws(Refusal) {
        let env = try self.environment(environment)
        _ = try requireAdministrator(in: environment, to: "create email server profiles")
        guard !id.rawValue.isEmpty, state.profiles[id] == nil else { throw Refusal(.alreadyExists, "profile id \(id) is already used") }
        try validate(settings)
        if setAsDefault {
            try checkDefaultACT(profile: ProfileState(id: id, environment: environment, settings: settings),
                                act: env.settings.appointmentsContactsTasks, in: environment)
        }
        emit(.serverProfileCreated(ServerProfileCreated(profile: id, environment: environment, settings: settings)))
        if setAsDefault {
            emit(.defaultServerProfileSet(DefaultServerProfileSet(environment: environment, profile: id, previous: env.defaultProfile)))
        }
    }

    mutating func updateProfile(_ id: ProfileID, _ settings: ProfileSettings) throws(Refusal) {
        let profile = try self.profile(id)
        _ = try requireAdministrator(in: profile.environment, to: "change email server profiles")
        try validate(settings)
        guard settings != profile.settings else { throw Refusal(.nothingToChange, "profile \(id) already has these settings") }
        if settings.serverType.exchangeKind == .notExchange {
            // The profile would stop carrying ACT: refuse while it is the default of an ACT-by-SSS
            // environment, or while a mailbox synchronises ACT through it.
            var changed = profile
            changed.settings = settings
            if let env = state.environments[profile.environment], env.defaultProfile == id {
                try checkDefaultACT(profile: changed, act: env.settings.appointmentsContactsTasks, in: env.id)
            }
            if let mailbox = state.mailboxes.values.filter({ $0.configuration.profile == id && $0.configuration.appointmentsContactsTasks == .serverSideSync })
                .min(by: { $0.id < $1.id }) {
                throw Refusal(.actNotSupportedByServerType, "profile \(id) cannot become \(settings.serverType.rawValue): \(mailbox.id) synchronises appointments, contacts, and tasks through it with Server-Side Synchronization, which a POP3/IMAP server cannot carry; set that mailbox's ACT method to none or outlook first")
            }
        }
        emit(.serverProfileUpdated(ServerProfileUpdated(profile: id, before: profile.settings, after: settings)))
    }

    mutating func setDefaultProfile(_ environment: EnvironmentID, _ id: ProfileID) throws(Refusal) {
        let env = try self.environment(environment)
        let profile = try self.profile(id)
        _ = try requireAdministrator(in: environment, to: "choose the default profile")
        guard profile.environment == environment else { throw Refusal(.profileInAnotherEnvironment, "profile \(id) belongs to \(profile.environment), not \(environment)") }
        guard profile.isActive else { throw Refusal(.profileInactive, "profile \(id) is inactive") }
        guard env.defaultProfile != id else { throw Refusal(.nothingToChange, "\(id) is already the default profile of \(environment)") }
        try checkDefaultACT(profile: profile, act: env.settings.appointmentsContactsTasks, in: environment)
        emit(.defaultServerProfileSet(DefaultServerProfileSet(environment: environment, profile: id, previous: env.defaultProfile)))
    }

    mutating func setLocation(_ id: ProfileID, _ location: String) throws(Refusal) {
        let profile = try self.profile(id)
        _ = try requireAdministrator(in: profile.environment, to: "change email server profiles")
        try validateLocation(location)
        guard profile.settings.serverLocation != location else { throw Refusal(.nothingToChange, "profile \(id) already points at \(location)") }
        emit(.serverProfileLocationSet(ServerProfileLocationSet(profile: id, location: location, previous: profile.settings.serverLocation)))
    }

    /// The default profile cannot be deactivated: make another one the default first.
    mutating func deactivate(_ id: ProfileID) throws(Refusal) {
        let profile = try self.profile(id)
        _ = try requireAdministrator(in: profile.environment, to: "deactivate email server profiles")
        guard profile.isActive else { throw Refusal(.nothingToChange, "profile \(id) is already inactive") }
        guard state.environments[profile.environment]?.defaultProfile != id else {
            throw Refusal(.defaultProfileCannotBeDeactivated, "profile \(id) is the default of \(profile.environment); make another profile the default first")
        }
        emit(.serverProfileDeactivated(ServerProfileDeactivated(profile: id)))
    }

    /// The POP3/IMAP rule at the environment level: the default profile and the
    /// default ACT method together decide what every new mailbox and every
    /// Apply Default Email Settings gets, so a non-Exchange default profile
    /// with ACT = Server-Side Synchronization is refused wherever it could
    /// arise (choosing the default, changing the settings, retyping the
    /// default profile), rather than repaired mailbox by mailbox.
    func checkDefaultACT(profile: ProfileState, act: ACTDelivery, in environment: EnvironmentID) throws(Refusal) {
        guard act == .serverSideSync, profile.settings.serverType.exchangeKind == .notExchange else { return }
        throw Refusal(.actNotSupportedByServerType, "appointments, contacts, and tasks cannot synchronise through \(profile.id), a \(profile.settings.serverType.rawValue) profile, yet \(environment)'s default ACT method is Server-Side Synchronization: set the default ACT method to none or outlook first, or choose an Exchange profile")
    }

    // MARK: Email settings

    /// Email settings need an administrator; turning off "process emails only
    /// for approved users / queues" additionally needs someone who may approve
    /// on the environment's Exchange Online row (B6).
    mutating func changeSettings(_ id: EnvironmentID, _ change: EmailSettingsChange) throws(Refusal) {
        let env = try environment(id)
        let actor = try requireAdministrator(in: id, to: "change email settings")
        let after = change.applied(to: env.settings)
        let loosened = (env.settings.processEmailsOnlyForApprovedUsers && !after.processEmailsOnlyForApprovedUsers)
            || (env.settings.processEmailsOnlyForApprovedQueues && !after.processEmailsOnlyForApprovedQueues)
        if loosened {
            try requireApprover(actor, in: env, exchange: .exchangeOnline, crossTenant: false,
                                action: "turn off \"Process emails only for approved users/queues\"")
        }
        guard after != env.settings else { throw Refusal(.nothingToChange, "the email settings of \(id) already have these values") }
        if after.appointmentsContactsTasks == .serverSideSync, let profile = env.defaultProfile.flatMap({ state.profiles[$0] }) {
            try checkDefaultACT(profile: profile, act: after.appointmentsContactsTasks, in: id)
        }
        emit(.emailSettingsChanged(EmailSettingsChanged(environment: id, before: env.settings, after: after)))
    }

    // MARK: Approval authority

    /// Throws unless `actor` may approve on `env`'s row for `exchange`: the
    /// matrix first (the more telling refusal), then the approval privilege.
    func requireApprover(_ actor: Authority, in env: EnvironmentState, exchange: ExchangeKind, crossTenant: Bool, action: String) throws(Refusal) {
        let row = PermissionMatrix.row(deployment: env.deployment, exchange: exchange)
        switch PermissionMatrix.verdict(for: actor, at: row, version: env.version) {
        case .allowed(let column):
            if crossTenant && column == .delegatedApproverAndSystemAdmin {
                throw Refusal(.crossTenantApprovalNeedsTenantAdmin, "\(actor.user) may not \(action): mailboxes on a cross-tenant (OAuth) profile must be approved by a Global admin or Exchange admin of the primary tenant, with System Administrator")
            }
        case .needsVersion(let minimum):
            throw Refusal(.delegatedApprovalNeedsNewerVersion, "\(actor.user) may not \(action): the Delegated Mailbox Approver may approve only from version \(minimum); \(env.id) runs \(env.version). A Global admin or Exchange admin with System Administrator may")
        case .refused:
            let held = actor.rolesHeld.isEmpty ? "no roles" : actor.rolesHeld.joined(separator: ", ")
            throw Refusal(.approverRoleCombinationNotAllowed, "\(actor.user) may not \(action) (\(env.deployment.rawValue) apps with \(row.exchange.rawValue)): it holds \(held); "
                          + PermissionMatrix.remedy(for: actor, at: row, version: env.version))
        }
        guard actor.level(of: .approveEmailAddresses) > .none else {
            throw Refusal(.missingApproveEmailPrivilege, "\(actor.user) may not \(action): none of its security roles grants Approve Email Addresses for Users or Queues")
        }
    }
}
