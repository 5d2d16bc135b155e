/// Whether a refusal is about who asked, about the rules, or about a missing object.
public enum RefusalCategory: String, Hashable, Sendable, Codable {
    /// The actor lacks a role or privilege.
    case permission
    /// The request breaks a rule of the domain.
    case rule
    /// The request names an object that does not exist.
    case notFound = "not-found"
}

/// Every reason SyncLedger refuses a command, with a stable code.
///
/// Documented platform codes keep their hex value (`0x80090904`,
/// `0x80090905`); the others are SyncLedger's own names and never change.
public enum RefusalCode: String, Hashable, Sendable, Codable, CaseIterable {
    // MARK: Permission
    case notGlobalAdmin = "NotGlobalAdmin"
    case notAllowedToProvision = "NotAllowedToProvision"
    case notSystemAdministrator = "NotSystemAdministrator"
    case notAnAdministrator = "NotAnAdministrator"
    case missingMailboxPrivileges = "MissingMailboxPrivileges"
    case missingApproveEmailPrivilege = "MissingApproveEmailPrivilege"
    case approverRoleCombinationNotAllowed = "ApproverRoleCombinationNotAllowed"
    case delegatedApprovalNeedsNewerVersion = "DelegatedApprovalNeedsNewerVersion"
    case crossTenantApprovalNeedsTenantAdmin = "CrossTenantApprovalNeedsTenantAdmin"
    /// Only a Global or Exchange admin may assign the Delegated Mailbox Approver role.
    case onlyTenantAdminCanAssignDelegatedApprover = "0x80090904"
    case notAllowedToTestMailbox = "NotAllowedToTestMailbox"
    case systemOnly = "SystemOnly"
    // MARK: Rule
    /// The Delegated Mailbox Approver role cannot be assigned to a team.
    case cannotAssignDelegatedApproverToTeam = "0x80090905"
    case delegatedApproverUnavailable = "DelegatedMailboxApproverUnavailable"
    case tenantAlreadyExists = "TenantAlreadyExists"
    case noTenant = "NoTenant"
    case alreadyExists = "AlreadyExists"
    case emailAlreadyApproved = "EmailAlreadyApproved"
    case emailAlreadyRejected = "EmailAlreadyRejected"
    case approvalFromPlugInOrWorkflow = "ApprovalFromPlugInOrWorkflow"
    case programmaticApprovalNotAlone = "ProgrammaticApprovalNotAlone"
    case invalidValue = "InvalidValue"
    case unsupportedForExchangeOnline = "UnsupportedForExchangeOnline"
    case actNotSupportedByServerType = "ACTNotSupportedByServerType"
    case profileInactive = "ProfileInactive"
    case profileInAnotherEnvironment = "ProfileInAnotherEnvironment"
    case defaultProfileCannotBeDeactivated = "DefaultProfileCannotBeDeactivated"
    case builtInRoleIsFixed = "BuiltInRoleIsFixed"
    case nothingToTest = "NothingToTest"
    case notAChinaEnvironment = "NotAChinaEnvironment"
    case roleNotAssigned = "RoleNotAssigned"
    case alreadyAssigned = "AlreadyAssigned"
    case nothingToChange = "NothingToChange"
    case notAMember = "NotAMember"
    // MARK: Not found
    /// Signed mode: the command carried no signature.
    case commandNotSigned = "CommandNotSigned"
    /// Signed mode: the signature is not by the claimed actor's enrolled key.
    case identityNotProven = "IdentityNotProven"
    /// The command came with a read-only (auditor) credential.
    case readOnlyCredential = "ReadOnlyCredential"
    case unknownEnvironment = "UnknownEnvironment"
    case unknownUser = "UnknownUser"
    case unknownTeam = "UnknownTeam"
    case unknownRole = "UnknownRole"
    case unknownProfile = "UnknownProfile"
    case unknownMailbox = "UnknownMailbox"

    public var category: RefusalCategory {
        switch self {
        case .notGlobalAdmin, .notAllowedToProvision, .notSystemAdministrator, .notAnAdministrator, .missingMailboxPrivileges,
             .missingApproveEmailPrivilege, .approverRoleCombinationNotAllowed, .delegatedApprovalNeedsNewerVersion,
             .crossTenantApprovalNeedsTenantAdmin, .onlyTenantAdminCanAssignDelegatedApprover, .notAllowedToTestMailbox, .systemOnly,
             .commandNotSigned, .identityNotProven, .readOnlyCredential:
            .permission
        case .unknownEnvironment, .unknownUser, .unknownTeam, .unknownRole, .unknownProfile, .unknownMailbox:
            .notFound
        default:
            .rule
        }
    }
}

/// Why the domain refused a command: a stable code and a message that says
/// what was refused, why, and what would make it allowed.
public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: RefusalCode
    public var message: String

    public init(_ code: RefusalCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var category: RefusalCategory { code.category }
    public var description: String { "\(code.rawValue): \(message)" }
}
