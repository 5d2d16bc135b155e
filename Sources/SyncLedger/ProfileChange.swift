import Foundation
import ServerSideSync

/// How a profile authenticates to Exchange, as people name it.
public enum AuthenticationKind: String, TokenArgument, Sendable {
    case s2s, oauth, profileCredentials = "profile-credentials", userCredentials = "user-credentials"
    public var token: String { rawValue }
}

/// The profile fields `profile create` and `profile update` change, shared by
/// every front end; `nil` keeps the current (or default) value.
///
/// A secret never enters the command: a front end that was given one (read
/// from a file, or sent in a request body) sets `newClientSecret` or
/// `newPassword`, and the setting records a fresh random marker
/// (``SyncLedger/secretMarker()``), so the log shows that and when a secret
/// was set or rotated, and nothing that could be guessed back to it.
///
/// Without `authentication`, the OAuth fields change the profile's current
/// OAuth settings (a new secret alone rotates it) and `userName` /
/// `newPassword` its profile credentials. With `authentication`, fields of
/// another kind are refused rather than ignored.
public struct ProfileChange: Sendable {
    public var serverType: ServerType?
    public var authentication: AuthenticationKind?
    public var tenantID: String?
    public var applicationID: String?
    public var newClientSecret = false
    public var userName: String?
    public var newPassword = false
    public var owner: String?
    public var processEmailsFrom: Date?
    public var minPollingMinutes: Int?
    public var maxConnections: Int?
    public var moveFailedToUndeliverable: Bool?
    public var alertEmailToOwner: Bool?
    public var timeoutConnections: Bool?
    public var timeoutMilliseconds: Int?
    public var autoDiscover: Bool?
    public var location: String?

    public init() {}

    /// Why the fields cannot be applied (each front end words it in its own names).
    public enum Problem: Error, Equatable, Sendable {
        /// OAuth fields and profile-credential fields in one change.
        case oauthWithCredentials
        /// OAuth fields with another authentication.
        case oauthFieldsWithoutOAuth
        /// Profile-credential fields with another authentication.
        case credentialFieldsWithoutCredentials
        /// OAuth without a tenant and application id (given or current).
        case oauthIncomplete
        /// OAuth without a secret (given or current).
        case oauthWithoutSecret
        /// Profile credentials without a user name (given or current).
        case credentialsWithoutUser
        /// Profile credentials without a password (given or current).
        case credentialsWithoutPassword
    }

    /// `base` with these fields applied; the domain then checks the values.
    public func apply(to base: ProfileSettings) throws(Problem) -> ProfileSettings {
        var s = base
        if let serverType { s.serverType = serverType }
        if let owner { s.owner = UserPrincipalName(owner) }
        let oauthGiven = tenantID != nil || applicationID != nil || newClientSecret
        let credentialsGiven = userName != nil || newPassword
        if oauthGiven && credentialsGiven { throw .oauthWithCredentials }
        let kind = authentication ?? (oauthGiven ? .oauth : credentialsGiven ? .profileCredentials : nil)
        if oauthGiven && kind != .oauth { throw .oauthFieldsWithoutOAuth }
        if credentialsGiven && kind != .profileCredentials { throw .credentialFieldsWithoutCredentials }
        switch kind {
        case nil: break
        case .s2s: s.authentication = .serverToServer
        case .userCredentials: s.authentication = .credentialsByUserOrQueue
        case .oauth:
            var current: (tenant: String?, application: String?, secret: String?) = (nil, nil, nil)
            if case .oauthCrossTenant(let t, let a, let f) = base.authentication { current = (t, a, f) }
            guard let tenant = tenantID ?? current.tenant, let application = applicationID ?? current.application else { throw .oauthIncomplete }
            guard let secret = newClientSecret ? SyncLedger.secretMarker() : current.secret else { throw .oauthWithoutSecret }
            s.authentication = .oauthCrossTenant(tenantID: tenant, applicationID: application, clientSecretFingerprint: secret)
        case .profileCredentials:
            var current: (user: String?, secret: String?) = (nil, nil)
            if case .credentialsInProfile(let u, let f) = base.authentication { current = (u, f) }
            guard let user = userName ?? current.user else { throw .credentialsWithoutUser }
            guard let secret = newPassword ? SyncLedger.secretMarker() : current.secret else { throw .credentialsWithoutPassword }
            s.authentication = .credentialsInProfile(userName: user, passwordFingerprint: secret)
        }
        if let processEmailsFrom { s.options.processEmailsReceivedAfter = processEmailsFrom }
        if let minPollingMinutes { s.options.minPollingIntervalMinutes = minPollingMinutes }
        if let maxConnections { s.options.maxConcurrentConnections = maxConnections }
        if let moveFailedToUndeliverable { s.options.moveFailedEmailsToUndeliverableFolder = moveFailedToUndeliverable }
        if let alertEmailToOwner { s.options.sendAlertEmailToOwner = alertEmailToOwner }
        if let timeoutConnections { s.options.timeoutMailboxConnection = timeoutConnections }
        if let timeoutMilliseconds { s.options.timeoutMailboxConnectionAfterMilliseconds = timeoutMilliseconds }
        if let autoDiscover { s.options.useAutoDiscover = autoDiscover }
        if let location { s.serverLocation = location }
        return s
    }

    /// A profile id derived from a name: lower-case letters, digits and hyphens.
    public static func slug(_ text: String) -> String {
        let lowered = text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String(lowered).split(separator: "-").joined(separator: "-")
    }
}
