import Foundation
import Testing

@Suite("The README's testing example")
struct ReadmeExampleTests {
    @Test func theReadmeQuotesTheExampleWordForWord() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try String(contentsOf: root.appendingPathComponent("Tests/ExampleTests/ApprovingAnAddressTests.swift"), encoding: .utf8)
        #expect(readme.contains("```swift\n" + example + "```\n"), "README.md's \"Testing with event streams\" must quote Tests/ExampleTests/ApprovingAnAddressTests.swift")
    }
}
