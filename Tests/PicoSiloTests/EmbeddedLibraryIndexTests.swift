import Foundation
@testable import PicoSilo
import PicoTestSupport
import Testing

/// The library index page is Sources/PicoSilo/Assets/library-index.mustache, embedded into the
/// binary at build time by Plugins/EmbedAssets: the binary carries exactly its bytes.
@Suite struct EmbeddedLibraryIndexTests {
    @Test func theEmbeddedLibraryIndexIsTheFileByteForByte() throws {
        let file = TestEnvironment.repository.appendingPathComponent("Sources/PicoSilo/Assets/library-index.mustache")
        var text = try String(contentsOf: file, encoding: .utf8)
        if text.hasSuffix("\n") { text.removeLast() }
        #expect(Array(LibraryIndexTemplate.mustache.utf8) == Array(text.utf8))
    }
}
