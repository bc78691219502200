import Foundation
@testable import PicoSilo
import PicoTestSupport
import Testing

/// Where `pico publish --to …` writes: one silo per address, every relay together as one.
@Suite struct PublishDestinationsTests {
    @Test func relaysAreOneSiloAndTheKeyIsAskedForOnlyWhenThereAreRelays() throws {
        let folder = TemporaryFolder()
        var asked = 0
        let local = try SiloAddress.publishDestinations([folder.path("drive").path, "file://" + folder.path("other").path]) {
            asked += 1
            return nil
        }
        #expect(asked == 0 && local.count == 2 && local.allSatisfy { $0.silo is FilesystemSilo })

        let mixed = try SiloAddress.publishDestinations(["ws://127.0.0.1:1", folder.path("drive").path, "wss://relay.example"]) {
            asked += 1
            return nil
        }
        #expect(asked == 1)
        #expect(mixed.map(\.address) == ["ws://127.0.0.1:1, wss://relay.example", folder.path("drive").path])
        #expect(mixed[0].silo is NostrSilo && mixed[1].silo is FilesystemSilo)
        // An address that is no silo is refused before any key is read.
        #expect(throws: (any Error).self) { try SiloAddress.publishDestinations(["ftp://x", "ws://127.0.0.1:1"]) { asked += 1; return nil } }
        #expect(asked == 1)
    }
}
