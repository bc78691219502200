import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// `pico fetch`, `pico verify` and `pico serve` of a pico site whose files are Blossom blobs (no
/// chunk events): every blob got with `GET <server>/<sha256>` from the site event's `server`
/// tags in order, checked against its hash before it is used; the real relay and the real
/// Blossom servers of Silos/blossom (`--tamper` serves a blob with one byte flipped).
@Suite(.serialized) struct BlossomFetchTests {
    /// Every regular file under `folder`, by relative path.
    static func files(in folder: URL) throws -> [String: Data] {
        let base = folder.resolvingSymlinksInPath().path + "/"
        var found: [String: Data] = [:]
        let walker = try #require(FileManager.default.enumerator(at: folder.resolvingSymlinksInPath(), includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            found[String(url.resolvingSymlinksInPath().path.dropFirst(base.count))] = try Data(contentsOf: url)
        }
        return found
    }

    /// The blog published to the relay and to `servers` (their order is the site event's).
    static func publishBlog(relay: NostrTestRelay, servers: [BlossomTestServer], folder: TemporaryFolder)
        throws -> (bundle: URL, address: String) {
        let key = try BlossomPublishTests.makeKey(in: folder)
        let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: key.file)
        let published = try BlossomPublishTests.publish(bundle, to: [relay.url] + servers.map(\.address), key: key.file)
        try #require(published.status == 0, "\(published.stderr)")
        let address = try #require(try BlossomPublishTests.json(published)["fetch"] as? String, "\(published.stdout)")
        return (bundle, address)
    }

    static func pico(_ arguments: [String]) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.pico.path, arguments)
    }

    @Test func aSiteOnBlossomServersIsFetchedAndVerifiedByteForByte() throws {
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let folder = TemporaryFolder()
        let (bundle, address) = try Self.publishBlog(relay: relay, servers: [a, b], folder: folder)
        #expect(try relay.count(author: BlossomPublishTests.manifest(bundle).signature?.pubkey ?? "", kind: BlossomPublishTests.chunkKind) == 0)

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", address, "-o", destination.path])
        print("fetch stdout:", fetched.stdout, "stderr:", fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let want = try Self.files(in: bundle), got = try Self.files(in: destination)
        #expect(Set(got.keys) == Set(want.keys))
        #expect(want.allSatisfy { got[$0.key] == $0.value }, "\(want.keys.filter { got[$0] != want[$0] }.sorted())")
        // The blobs came from A, the first server tag; B was not needed.
        #expect(a.requests("GET", "/*", status: 200) >= Set(want.values.map { SHA256Hex.of($0) }).count, "\(a.requestLog())")
        #expect(b.requests("GET", "/*") == 0, "\(b.requestLog())")

        let verified = try Self.pico(["verify", address])
        print("verify stdout:", verified.stdout, "stderr:", verified.stderr)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func aServerThatAnswersWrongBytesIsNamedAndTheNextOneIsUsed() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        // The blog's CSS, the same whatever the key: its hash is known before the servers start.
        let probe = try BlossomPublishTests.buildBlog(in: folder, named: "probe", key: BlossomPublishTests.makeKey(in: folder, name: "probe.key").file)
        let css = try #require(try BlossomPublishTests.manifest(probe).files.first { $0.path.hasSuffix(".css") })
        let liar = try BlossomTestServer(options: ["--tamper", css.sha256]), honest = try BlossomTestServer()
        let (bundle, address) = try Self.publishBlog(relay: relay, servers: [liar, honest], folder: folder)

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", address, "-o", destination.path])
        print("fetch stderr:", fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains(liar.url) && fetched.stderr.contains("wrong bytes"), "\(fetched.stderr)")
        #expect(!fetched.stderr.contains(honest.url), "\(fetched.stderr)")
        #expect(try Self.files(in: destination)[css.path] == Data(contentsOf: bundle.appendingPathComponent(css.path)))
        #expect(honest.requests("GET", "/" + css.sha256, status: 200) == 1, "only the blob the first server got wrong: \(honest.requestLog())")

        let verified = try Self.pico(["verify", address])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stderr.contains(liar.url), "\(verified.stderr)")

        // pico serve: the good copy, never the liar's.
        let served = try ServerProcess(TestEnvironment.pico, ["serve", address, "--port", "0"])
        let page = try TestEnvironment.get(served.url + css.path)
        let good = try Data(contentsOf: bundle.appendingPathComponent(css.path))
        #expect(page.status == 200 && page.body == good)
        _ = served.stop()
    }

    @Test func noGoodCopyFailsTheFetchAndWritesNothing() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let probe = try BlossomPublishTests.buildBlog(in: folder, named: "probe", key: BlossomPublishTests.makeKey(in: folder, name: "probe.key").file)
        let css = try #require(try BlossomPublishTests.manifest(probe).files.first { $0.path.hasSuffix(".css") })
        let a = try BlossomTestServer(options: ["--tamper", css.sha256]), b = try BlossomTestServer(options: ["--tamper", css.sha256])
        // B cannot mirror A's altered copy: pico uploads to it, and B then serves it altered too.
        let (_, address) = try Self.publishBlog(relay: relay, servers: [a, b], folder: folder)

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", address, "-o", destination.path])
        print("fetch stderr:", fetched.stderr)
        #expect(fetched.status == 1, "\(fetched.stdout)\(fetched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(fetched.stderr.contains(a.url) && fetched.stderr.contains(b.url), "\(fetched.stderr)")
        #expect(fetched.stderr.contains(css.path), "the message names the file: \(fetched.stderr)")

        let verified = try Self.pico(["verify", address])
        #expect(verified.status == 1, "\(verified.stdout)\(verified.stderr)")

        // pico serve sends no byte of the altered copy; the other files are served.
        let served = try ServerProcess(TestEnvironment.pico, ["serve", address, "--port", "0"])
        let page = try TestEnvironment.get(served.url + css.path)
        #expect(page.status != 200, "\(page.status)")
        let good = try Data(contentsOf: probe.appendingPathComponent(css.path))
        var altered = good
        altered[altered.count - 1] ^= 1
        #expect(page.body != altered && page.body != good)
        #expect(try TestEnvironment.get(served.url + "about/").status == 200)
        _ = served.stop()
    }
    @Test func theAuthorsServerListIsTriedAfterTheServerTags() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let key = try BlossomPublishTests.makeKey(in: folder)
        let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: key.file)
        let css = try #require(try BlossomPublishTests.manifest(bundle).files.first { $0.path.hasSuffix(".css") })
        let listed = try BlossomTestServer(), liar = try BlossomTestServer(options: ["--tamper", css.sha256])
        // First on `listed`, announced (kind 10063 names it); then the same bundle on `liar` only,
        // `listed` dropped from the record (which keeps earlier places otherwise): the site
        // event's one server tag is the liar's.
        let announced = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--key", key.file, "--to", relay.url,
                                                                            "--to", listed.address, "--announce"])
        try #require(announced.status == 0, "\(announced.stderr)")
        let published = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--key", key.file, "--json", "--to", relay.url,
                                                                             "--to", liar.address, "--drop", listed.address])
        try #require(published.status == 0, "\(published.stderr)")
        let address = try #require(try BlossomPublishTests.json(published)["fetch"] as? String)

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", address, "-o", destination.path])
        print("fetch stderr:", fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains(liar.url) && fetched.stderr.contains("kind 10063") && fetched.stderr.contains(listed.url), "\(fetched.stderr)")
        #expect(try Self.files(in: destination) == Self.files(in: bundle))
        #expect(listed.requests("GET", "/" + css.sha256, status: 200) == 1 && listed.requests("GET", "/*") == 1, "\(listed.requestLog())")
    }
}
