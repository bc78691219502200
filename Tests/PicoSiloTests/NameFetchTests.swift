import Foundation
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// Issue 16 points 3 and 4: `pico fetch|verify|locate NAME` read the newest record (the signed
/// site event) and try the places it lists in order — the `--from` library, `mirror` tags,
/// Blossom `server` tags, relay chunks — each file from the first place whose bytes verify.
/// Real relay, two real Blossom servers, a plain static host (Tests/tools/static_host.py) as
/// the mirror, and a folder library keeping `site-event.json` beside the bundle.
@Suite(.serialized) struct NameFetchTests {
    /// Everything the blog was published to, and the record that lists it.
    final class Places: @unchecked Sendable {
        let folder = TemporaryFolder()
        let relay: NostrTestRelay
        let a: BlossomTestServer, b: BlossomTestServer
        var mirror: ServerProcess
        let bundle: URL, mirrorCopy: URL, library: URL, libraryCopy: URL
        let naddr: String
        /// The record pico publish wrote, older than the one the places were added to.
        let original: NostrEvent
        let mirrorBase: String
        /// pico's record history, kept out of the real home.
        var environment: [String: String] { ["XDG_CACHE_HOME": folder.path("cache").path] }

        /// The blog published to the relay and two Blossom servers, copied to a mirror and a
        /// library; then its record re-signed with the relay and mirror places (as issue 16's
        /// publish writes it) and kept beside the library copy. `tamper` hashes are served
        /// altered by both Blossom servers.
        init(tamperPath: String? = nil) async throws {
            relay = try NostrTestRelay()
            let key = try BlossomPublishTests.makeKey(in: folder)
            let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: key.file)
            self.bundle = bundle
            let tampered = try tamperPath.map { SHA256Hex.of(try Data(contentsOf: bundle.appendingPathComponent($0))) }
            let options = tampered.map { ["--tamper", $0] } ?? []
            (a, b) = (try BlossomTestServer(options: options), try BlossomTestServer(options: options))
            let published = try BlossomPublishTests.publish(bundle, to: [relay.url, a.address, b.address], key: key.file)
            try #require(published.status == 0, "\(published.stderr)")
            let plain = try #require(try BlossomPublishTests.json(published)["fetch"] as? String)

            mirrorCopy = folder.path("web/sub")
            try FileManager.default.createDirectory(at: mirrorCopy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: bundle, to: mirrorCopy)
            mirror = try ServerProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                       ["python3", TestEnvironment.repository.appendingPathComponent("Tests/tools/static_host.py").path,
                                        folder.path("web").path, "--port", "0"])
            let root = mirror.url.hasSuffix("/") ? mirror.url : mirror.url + "/"
            mirrorBase = root + "sub/"

            library = folder.path("library")
            libraryCopy = library.appendingPathComponent("blog")
            try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: bundle, to: libraryCopy)

            let author = try KeyFile.read(key.file)
            // The set-up's own relay session runs in the test process, beside every other suite:
            // a relay that did not answer in time (transient) is asked again, twice at most.
            var republished: (original: NostrEvent, record: NostrEvent)?
            for attempt in 1...3 where republished == nil {
                do { republished = try await Self.republish(plain, relay: relay.url, mirror: mirrorBase, key: author) }
                catch let error as RelayError where error.isTransient && attempt < 3 { continue }
            }
            let (original, record) = try #require(republished)
            self.original = original
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(record).write(to: libraryCopy.appendingPathComponent("site-event.json"))
            naddr = plain
        }

        /// The newest site event of `address`, signed again one second later with `relay` and
        /// `mirror` tags after its `server` tags, and sent to the relay.
        static func republish(_ address: String, relay: String, mirror: String, key: AuthorKey) async throws -> (original: NostrEvent, record: NostrEvent) {
            let reader = NostrSiteReader(address: try NostrSiteAddress(parsing: address))
            let (_, event, _) = try await reader.siteManifest()
            await reader.close()
            var tags = event.tags.filter { $0.first != "server" }
            let servers = event.tags.filter { $0.first == "server" }
            let at = tags.firstIndex { $0.first == "bundle" } ?? tags.endIndex
            tags.insert(contentsOf: servers + [["relay", relay], ["mirror", mirror]], at: at)
            let record = NostrEvent(kind: event.kind, tags: tags, content: event.content, createdAt: event.createdAt + 1, signedBy: key)
            let session = try await RelaySession.open(relay)
            let answer = try await session.run { try await $0.publish(record) }
            await session.close()
            guard answer.accepted else { throw Refused(message: answer.message) }
            return (event, record)
        }

        func pico(_ arguments: [String]) throws -> ProcessOutput {
            try TestEnvironment.run(TestEnvironment.pico.path, arguments, environment: environment)
        }

        /// One byte of `path` flipped in `copy`.
        static func alter(_ path: String, in copy: URL) throws {
            let file = copy.appendingPathComponent(path)
            var data = try Data(contentsOf: file)
            data[data.count / 2] ^= 0x20
            try data.write(to: file)
        }
    }

    struct Refused: Error { let message: String }

    static let css = "css/site.css"

    static func assertSameFiles(_ got: URL, _ want: URL) throws {
        let wanted = try BlossomFetchTests.files(in: want), fetched = try BlossomFetchTests.files(in: got)
        #expect(Set(fetched.keys) == Set(wanted.keys).subtracting(["site-event.json"]))
        #expect(wanted.allSatisfy { $0.key == "site-event.json" || fetched[$0.key] == $0.value })
    }

    @Test func everyPlaceIsCurrentAndTheNameFetchesIdenticalBytes() async throws {
        let places = try await Places()
        let located = try places.pico(["locate", places.naddr, "--from", places.library.path, "--json"])
        print("locate:", located.stdout, located.stderr)
        #expect(located.status == 0, "\(located.stdout)\(located.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(located.stdout.utf8)) as? [String: Any])
        let rows = try #require(json["places"] as? [[String: Any]])
        // The files went to Blossom, so the relays hold the record but no chunk events: no relay place.
        #expect(rows.map { $0["kind"] as? String } == ["library", "mirror", "blossom", "blossom"] as [String?])
        #expect(rows.allSatisfy { $0["state"] as? String == "current" }, "\(rows)")

        let table = try places.pico(["locate", places.naddr])
        #expect(table.stdout.contains(places.mirrorBase) && table.stdout.contains("current"), "\(table.stdout)")

        let destination = places.folder.path("fetched")
        let blobsBefore = places.a.requests("GET", "/*") + places.b.requests("GET", "/*")
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        try Self.assertSameFiles(destination, places.bundle)
        // The mirror comes first among the network places: every file from it, no blob asked for.
        #expect(fetched.stdout.contains("files from mirror \(places.mirrorBase) (46)"), "\(fetched.stdout)")
        #expect(places.a.requests("GET", "/*") + places.b.requests("GET", "/*") == blobsBefore)

        let verified = try places.pico(["verify", places.naddr])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        // The alias forms name the same bundle.
        let author = try #require(try BlossomPublishTests.manifest(places.bundle).signature?.pubkey)
        guard case .naddr(let site, _, _, _) = try NIP19Entity.decode(String(places.naddr.dropFirst("nostr:".count))) else {
            Issue.record("\(places.naddr) is no naddr")
            return
        }
        let viaAlias = places.folder.path("alias")
        let aliased = try places.pico(["fetch", "did:nostr:\(author)/\(site)?relay=\(places.relay.url)", "-o", viaAlias.path])
        #expect(aliased.status == 0, "\(aliased.stderr)")
        try Self.assertSameFiles(viaAlias, places.bundle)
        let npub = NIP19Entity.npub(publicKey: try #require([UInt8](hex: author))).encoded
        let viaNpub = places.folder.path("npub")
        let named = try places.pico(["fetch", "nostr:\(npub)/\(site)?relay=\(places.relay.url)", "-o", viaNpub.path])
        #expect(named.status == 0, "\(named.stderr)")
    }

    @Test func aStoppedMirrorIsNamedAndTheNextPlaceServes() async throws {
        let places = try await Places()
        _ = places.mirror.stop()
        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("mirror \(places.mirrorBase) is unreachable"), "\(fetched.stderr)")
        try Self.assertSameFiles(destination, places.bundle)
        #expect(places.a.requests("GET", "/*", status: 200) > 0)

        let located = try places.pico(["locate", places.naddr])
        #expect(located.status == 1)
        #expect(located.stdout.contains("unreachable"), "\(located.stdout)")
    }

    @Test func oneAlteredFileOnTheMirrorIsNamedByLocateAndFetchStillSucceeds() async throws {
        let places = try await Places()
        try Places.alter(Self.css, in: places.mirrorCopy)
        let located = try places.pico(["locate", places.naddr, "--json"])
        #expect(located.status == 1, "\(located.stdout)\(located.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(located.stdout.utf8)) as? [String: Any])
        let mirror = try #require((json["places"] as? [[String: Any]])?.first { $0["kind"] as? String == "mirror" })
        #expect(mirror["state"] as? String == "tampered", "\(mirror)")
        #expect((mirror["detail"] as? String)?.hasPrefix(Self.css) == true, "\(mirror)")

        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("mirror \(places.mirrorBase) served wrong bytes for \(Self.css)"), "\(fetched.stderr)")
        try Self.assertSameFiles(destination, places.bundle)

        // pico serve NAME: the good bytes, from the next place.
        let served = try ServerProcess(TestEnvironment.pico, ["serve", places.naddr, "--port", "0"], environment: places.environment)
        let page = try TestEnvironment.get(served.url + Self.css)
        let good = try Data(contentsOf: places.bundle.appendingPathComponent(Self.css))
        #expect(page.status == 200 && page.body == good)
        let log = served.stop()
        #expect(log.contains("served wrong bytes for \(Self.css)"), "\(log)")
    }

    @Test func everyPlaceTamperedIsExit1AndNothingWritten() async throws {
        let places = try await Places(tamperPath: Self.css)
        try Places.alter(Self.css, in: places.mirrorCopy)
        try Places.alter(Self.css, in: places.libraryCopy)
        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains(Self.css), "\(fetched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: places.folder.url.path)) ?? []).allSatisfy { !$0.hasPrefix("fetched") })
    }

    @Test func withTheRelaysDownTheLibraryAloneServesTheName() async throws {
        let places = try await Places()
        _ = places.relay.server.stop()
        _ = places.mirror.stop()
        _ = places.a.stop()
        _ = places.b.stop()
        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        try Self.assertSameFiles(destination, places.bundle)
        #expect(fetched.stdout.contains("library \(places.library.path)"), "\(fetched.stdout)")

        // A library record that does not verify is not used.
        let recordFile = places.libraryCopy.appendingPathComponent("site-event.json")
        let text = try String(contentsOf: recordFile, encoding: .utf8)
        try text.replacingOccurrences(of: "\"mirror\"", with: "\"mirror\",\"x\"").write(to: recordFile, atomically: true, encoding: .utf8)
        let again = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", places.folder.path("again").path])
        #expect(again.status == 1, "\(again.stdout)")
    }

    @Test func anOlderRecordThanOneAcceptedIsRefused() async throws {
        let places = try await Places()
        let first = try places.pico(["fetch", places.naddr, "-o", places.folder.path("first").path])
        #expect(first.status == 0, "\(first.stderr)")
        // The library now offers the older record (the one before the places were added), the relay none.
        _ = places.relay.server.stop()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(places.original).write(to: places.libraryCopy.appendingPathComponent("site-event.json"))
        let destination = places.folder.path("replayed")
        let replayed = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", destination.path])
        #expect(replayed.status == 1)
        #expect(replayed.stderr.contains("is older than the one pico already accepted"), "\(replayed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }
}
