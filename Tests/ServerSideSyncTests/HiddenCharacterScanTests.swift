import Foundation
@testable import ServerSideSync
import SyncLedgerTesting
import Testing

/// `Command.refuseHiddenCharacters()` visits the command's strings through
/// `Encodable`; the oracle here reads them from the command's JSON instead,
/// which is what the check did before.
@Suite("Hidden characters: the visiting scan against the command's JSON")
struct HiddenCharacterScanTests {
    /// Every string of the command's JSON, keys included, that holds a hidden character.
    static func taintedStrings(of command: Command) throws -> Set<String> {
        var tainted: Set<String> = []
        func walk(_ value: Any) {
            switch value {
            case let text as String:
                if text.unicodeScalars.contains(where: Command.isHidden) { tainted.insert(text) }
            case let array as [Any]: array.forEach(walk)
            case let object as [String: Any]:
                for (key, member) in object {
                    walk(key)
                    walk(member)
                }
            default: break
            }
        }
        walk(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(command), options: [.fragmentsAllowed]))
        return tainted
    }

    /// Commands with `text` in a labelled value, an unlabelled one, a nested
    /// struct, an array and an optional.
    static func commands(with text: String) -> [Command] {
        var settings = ProfileSettings(name: "Second EXO", serverType: .exchangeOnline, authentication: .serverToServer, owner: C.sam)
        settings.name = text
        return [
            .createTenant(name: text, firstGlobalAdmin: C.gabriela, displayName: "Gabriela"),
            .addUser(UserPrincipalName(rawValue: text), displayName: "A", environment: C.environment),
            .createQueue(C.environment, QueueName(rawValue: text), emailAddress: "support@contoso.com"),
            .createProfile("second", C.environment, settings, setAsDefault: false),
            .setProfileLocation("second", text),
            .approveEmail(C.mailbox(C.alice), alsoChanging: ["incoming", text]),
            .applyDefaultSettings([C.mailbox(C.alice), MailboxID(rawValue: text)], test: true),
            .editMailboxes([C.mailbox(C.alice)], MailboxEdit(profile: ProfileID(rawValue: text))),
            .registerCheckpointKey(name: text, publicKey: "AAAA"),
        ]
    }

    @Test(arguments: ["plain", "Zoë Ångström ✓ 🙂", "quote \" and back\\slash / x", "Sup\u{200B}port", "Sup\u{1B}[31m", "Sup\nport",
                      "Sup\tport", "Sup\u{202E}port", "Sup\u{7F}port", "Sup\u{AD}port", "Sup\u{2028}port", "Sup\u{E000}port", "\u{85}"])
    func refusesExactlyWhatTheJSONHolds(_ text: String) throws {
        for command in Self.commands(with: text) {
            let tainted = try Self.taintedStrings(of: command)
            do throws(Refusal) {
                try command.refuseHiddenCharacters()
                #expect(tainted.isEmpty, "\(command.name) with \(text.debugDescription) was let through")
            } catch {
                #expect(error.code == .invalidValue)
                let shown = tainted.map { String($0.unicodeScalars.map { Command.isHidden($0) ? "?" : Character($0) }) }
                let scalar = tainted.first.flatMap { $0.unicodeScalars.first(where: Command.isHidden) }
                #expect(tainted.count == 1 && error.message == "\"\(shown[0])\" contains an invisible or control character (U+\(String(format: "%04X", scalar?.value ?? 0))); names, user principal names and addresses may not",
                        "\(command.name): \(error.message)")
            }
        }
    }
}
