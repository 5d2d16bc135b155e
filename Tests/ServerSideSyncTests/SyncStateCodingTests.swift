import Foundation
import HashTreeCollections
import ServerSideSync
import SyncLedgerTesting
import Testing

/// The state keeps its mailboxes in a persistent hash tree, but encodes them
/// exactly as the `Dictionary` it replaced did.
@Suite("Decision state coding")
struct SyncStateCodingTests {
    @Test func theMailboxesEncodeAsADictionaryAndTheStateRoundTrips() throws {
        let state = try Contoso.world().state
        #expect(state.mailboxes.count == 5)
        let encoder = DomainEvent.makeEncoder()
        let json = try encoder.encode(state)
        #expect(try DomainEvent.makeDecoder().decode(SyncState.self, from: json) == state)

        // The "mailboxes" member is byte for byte what [MailboxID: MailboxState] encodes to.
        let members = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let mailboxes = try JSONSerialization.data(withJSONObject: try #require(members["mailboxes"]), options: [.sortedKeys])
        let asDictionary = Dictionary(uniqueKeysWithValues: state.mailboxes.map { ($0.key, $0.value) })
        let expected = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: encoder.encode(asDictionary)),
                                                  options: [.sortedKeys])
        #expect(String(decoding: mailboxes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))

        // A copy changed in one mailbox leaves the original as it was.
        var copy = state
        let id = try #require(state.mailboxes.keys.min())
        copy.mailboxes[id]?.retryNumber = 7
        #expect(state.mailboxes[id]?.retryNumber == 0)
        #expect(copy.mailboxes.filter { $0.key != id } == state.mailboxes.filter { $0.key != id })
    }
}
