import Foundation
import Projections
import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("Metadata decoding for the projections")
struct MetadataDecodingTests {
    @Test("The projections' decoding leaves out only the command's arguments; the full decoding keeps them")
    func projectionsSkipOnlyTheArguments() throws {
        var metadata = EventMetadata(actor: "sam@contoso.com", roles: ["System Administrator"], command: "mailbox.approve",
                                     arguments: .approveEmail(C.mailbox(C.alice), alsoChanging: ["x"]), commandID: UUID(), correlationID: UUID(),
                                     causationID: UUID(), source: .http, decidedAt: C.t0)
        (metadata.osUser, metadata.host) = ("sam", "host")
        metadata.credential = "token:0123456789abcdef"
        let text = try metadata.encoded()
        #expect(try EventMetadata.decode(text) == metadata)
        var expected = metadata
        expected.arguments = nil
        #expect(try EventMetadata.decodeForProjections(text) == expected)
    }
}
