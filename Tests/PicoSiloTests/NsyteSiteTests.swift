import Foundation
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// Sites that another tool published: a NIP-5A site event with `path` and `server` tags and no
/// pico bundle (`Tests/tools/nsyte_publish.py` signs it as nsyte does, with coincurve, and
/// uploads the blobs with python-blossom). `pico fetch`, `verify` and `serve` read them as an
/// unsigned bundle whose SHA256SUMS and pico-manifest.json pico writes from the event, every
/// blob checked against its `path` hash first; against the real relay and the real Blossom
/// servers of Silos/blossom (`--tamper` serves a blob with one byte flipped).
@Suite(.serialized) struct NsyteSiteTests {
    /// A fresh author: a random secret (hex, as nsyte_publish.py takes it) and its keys.
    static func author() throws -> (secret: String, npub: String, hex: String) {
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let key = try AuthorKey(secretKey: secret)
        return (secret.hexString, key.npub, key.publicKeyHex)
    }

    /// A small site as any static-site tool leaves it, with a binary file and dotfiles nsyte leaves out.
    static func site(_ folder: TemporaryFolder) throws -> URL {
        let root = folder.write([
            "index.html": "<!doctype html><title>Home</title><link rel=stylesheet href=css/site.css><p>\(UUID().uuidString)</p>\n",
            "posts/first/index.html": "<!doctype html><title>First</title><p>A post.</p>\n",
            "css/site.css": "p { margin: 0 } /* \(UUID().uuidString) */\n",
            "files/a note.txt": "a name with a space\n",
            "404.html": "<!doctype html><title>Not here</title>\n",
            ".env": "SECRET=1\n",
        ], under: "site")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("img"), withIntermediateDirectories: true)
        try Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }).write(to: root.appendingPathComponent("img/dots.bin"))
        return root
    }

    /// The files nsyte publishes of `site` (no dotfiles), by path.
    static func published(_ site: URL) throws -> [String: Data] {
        try BlossomFetchTests.files(in: site).filter { !$0.key.split(separator: "/").contains { $0.hasPrefix(".") } }
    }

    static func publish(_ site: URL, relay: NostrTestRelay, servers: [BlossomTestServer], author: String,
                        name: String? = nil, extra: [String] = []) throws -> ProcessOutput {
        try BlossomTestServer.publishLikeNsyte(folder: site, relay: relay.url, servers: servers.map(\.url), secretKey: author,
                                               site: name, extra: extra)
    }

    static func address(_ npub: String, _ relay: NostrTestRelay, site: String? = nil) -> String {
        "nostr:\(npub)?relay=\(relay.url)" + (site.map { "&site=\($0)" } ?? "")
    }

    static func pico(_ arguments: [String]) throws -> ProcessOutput { try BlossomFetchTests.pico(arguments) }

    @Test func anNsyteSiteIsFetchedByteForByteWithTheDescribingFilesPicoWrote() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let site = try Self.site(folder)
        let author = try Self.author()
        let sent = try Self.publish(site, relay: relay, servers: [a, b], author: author.secret, extra: ["--title", "Notes"])
        try #require(sent.status == 0, "\(sent.stdout)\(sent.stderr)")

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", Self.address(author.npub, relay), "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout.contains("published by nsyte; the site event's signature by \(author.npub) checked, no bundle signature"),
                "\(fetched.stdout)")
        let want = try Self.published(site)
        var got = try BlossomFetchTests.files(in: destination)
        let manifestData = try #require(got[BundleManifest.fileName])
        let checksums = try #require(got[BundleManifest.checksumsFileName])
        got[BundleManifest.fileName] = nil
        got[BundleManifest.checksumsFileName] = nil
        #expect(got == want, "\(Set(got.keys).symmetricDifference(want.keys).sorted())")

        // SHA256SUMS as sha256sum writes it, sorted by path bytes; the manifest unsigned, canonical.
        let lines = want.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { "\(SHA256Hex.of(want[$0]!))  \($0)\n" }
        #expect(String(decoding: checksums, as: UTF8.self) == lines.joined())
        let manifest = try BundleManifest.decode(manifestData)
        #expect(manifest.signature == nil && manifest.name == "Notes" && manifest.entry == "index.html")
        #expect(manifest.id == SHA256Hex.of(checksums) && manifest.canonicalJSON == manifestData)
        #expect(manifest.files.first { $0.path == "img/dots.bin" }?.size == 3000)
        #expect(manifest.files.first { $0.path == "css/site.css" }?.type.hasPrefix("text/css") == true)
        #expect(fetched.stdout.contains(manifest.id))
        // The blobs came from the first server tag; the second was not needed.
        #expect(b.requests("GET", "/*") == 0, "\(b.requestLog())")

        // The folder is a bundle of its own now: unsigned, and it says so.
        let local = try Self.pico(["verify", destination.path])
        #expect(local.status == 0 && local.stdout.contains("unsigned"), "\(local.stdout)\(local.stderr)")

        // Fetching again gives the same bytes: the manifest is made from the event alone.
        let again = folder.path("again")
        #expect(try Self.pico(["fetch", Self.address(author.npub, relay), "-o", again.path]).status == 0)
        #expect(try BlossomFetchTests.files(in: again) == BlossomFetchTests.files(in: destination))
    }

    @Test func verifyOfAnNsyteSiteSaysItHasNoBundleSignatureAndServeServesIt() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let site = try Self.site(folder)
        let author = try Self.author()
        try #require(try Self.publish(site, relay: relay, servers: [server], author: author.secret, name: "notes").status == 0)
        let address = Self.address(author.npub, relay, site: "notes")

        let verified = try Self.pico(["verify", address])
        print("verify:", verified.stdout, verified.stderr)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("unsigned") && !verified.stdout.contains("signed by"), "\(verified.stdout)")
        #expect(verified.stdout.contains("published by nsyte; the site event's signature by \(author.npub) checked, no bundle signature"),
                "\(verified.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try Self.pico(["verify", "--json", address]).stdout.utf8)) as? [String: Any])
        #expect(json["ok"] as? Bool == true && json["signature"] as? String == "absent" && json["signer"] == nil, "\(json)")
        #expect((json["note"] as? String)?.contains("no bundle signature") == true)
        let count = try Self.published(site).count
        #expect(json["files"] as? Int == count)

        // --signer asks for a bundle signature, which an nsyte site does not have.
        let required = try Self.pico(["verify", address, "--signer", author.npub])
        #expect(required.status == 1 && required.stderr.contains("not signed"), "\(required.stdout)\(required.stderr)")

        let served = try ServerProcess(TestEnvironment.pico, ["serve", address, "--port", "0"])
        let home = try TestEnvironment.get(served.url)
        let homeBytes = try Data(contentsOf: site.appendingPathComponent("index.html"))
        #expect(home.status == 200 && home.body == homeBytes)
        let post = try TestEnvironment.get(served.url + "posts/first/")
        let postBytes = try Data(contentsOf: site.appendingPathComponent("posts/first/index.html"))
        #expect(post.status == 200 && post.body == postBytes)
        let image = try TestEnvironment.get(served.url + "img/dots.bin")
        let imageBytes = try Data(contentsOf: site.appendingPathComponent("img/dots.bin"))
        #expect(image.status == 200 && image.body == imageBytes)
        #expect(try TestEnvironment.get(served.url + ".env").status == 404)
        let log = served.stop()
        #expect(log.contains("published by nsyte"), "\(log)")
    }

    @Test func aTamperedBlobIsTakenFromTheOtherServerAndTheBadOneNamed() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let site = try Self.site(folder)
        let css = SHA256Hex.of(try Data(contentsOf: site.appendingPathComponent("css/site.css")))
        let liar = try BlossomTestServer(options: ["--tamper", css]), honest = try BlossomTestServer()
        let author = try Self.author()
        try #require(try Self.publish(site, relay: relay, servers: [liar, honest], author: author.secret).status == 0)

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", Self.address(author.npub, relay), "-o", destination.path])
        print("fetch:", fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains(liar.url) && fetched.stderr.contains("wrong bytes"), "\(fetched.stderr)")
        #expect(!fetched.stderr.contains(honest.url), "\(fetched.stderr)")
        var got = try BlossomFetchTests.files(in: destination)
        got[BundleManifest.fileName] = nil
        got[BundleManifest.checksumsFileName] = nil
        let want = try Self.published(site)
        #expect(got == want)
        #expect(honest.requests("GET", "/" + css, status: 200) == 1 && honest.requests("GET", "/*") == 1, "\(honest.requestLog())")
    }

    @Test func noGoodCopyOfABlobFailsTheFetchAndWritesNothing() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let site = try Self.site(folder)
        let css = SHA256Hex.of(try Data(contentsOf: site.appendingPathComponent("css/site.css")))
        let a = try BlossomTestServer(options: ["--tamper", css]), b = try BlossomTestServer(options: ["--tamper", css])
        let author = try Self.author()
        try #require(try Self.publish(site, relay: relay, servers: [a, b], author: author.secret).status == 0)

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", Self.address(author.npub, relay), "-o", destination.path])
        print("fetch:", fetched.stderr)
        #expect(fetched.status == 1, "\(fetched.stdout)\(fetched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(fetched.stderr.contains(a.url) && fetched.stderr.contains(b.url) && fetched.stderr.contains("css/site.css"), "\(fetched.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["site"])

        let verified = try Self.pico(["verify", Self.address(author.npub, relay)])
        #expect(verified.status == 1 && verified.stderr.contains("css/site.css"), "\(verified.stdout)\(verified.stderr)")

        // pico serve leaves the file out, saying why, and serves the rest; never the altered bytes.
        let served = try ServerProcess(TestEnvironment.pico, ["serve", Self.address(author.npub, relay), "--port", "0"])
        let page = try TestEnvironment.get(served.url + "css/site.css")
        let good = try Data(contentsOf: site.appendingPathComponent("css/site.css"))
        var altered = good
        altered[altered.count - 1] ^= 1
        #expect(page.status == 404 && page.body != altered && page.body != good, "\(page.status)")
        #expect(try TestEnvironment.get(served.url).status == 200)
        let log = served.stop()
        #expect(log.contains("css/site.css: left out of the bundle"), "\(log)")
    }

    @Test(arguments: [
        (#"["path", "/../escape.html", "HASH"]"#, "'..' segment"),
        (#"["path", "//etc/passwd", "HASH"]"#, "the path is absolute"),
        (#"["path", "/C:/Windows/x.html", "HASH"]"#, "the path is absolute"),
        (#"["path", "relative.html", "HASH"]"#, "does not start with /"),
        (#"["path", "/index.html", "HASH"]"#, "names the same path with another SHA-256"),
        (#"["path", "/Index.html", "HASH"]"#, "differ only in case"),
        (#"["path", "/index.html/x", "HASH"]"#, "needs it to be a folder"),
        (#"["path", "/bad.html", "zz9f"]"#, "not 64 hex digits"),
        (#"["path", "/bad.html"]"#, "has no SHA-256"),
        (#"["path", "/", "HASH"]"#, "names the site's root"),
        (#"["path", "/SHA256SUMS", "HASH"]"#, "pico writes itself"),
        (#"["path", "/a\u0007b.html", "HASH"]"#, "control character"),
    ])
    func hostilePathTagsEndTheReadBeforeAnythingIsDownloaded(tag: String, expected: String) throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let site = try Self.site(folder)
        let author = try Self.author()
        let hash = SHA256Hex.of(Data("some other bytes".utf8))
        let sent = try Self.publish(site, relay: relay, servers: [server], author: author.secret,
                                    extra: ["--no-upload", "--raw-tag", tag.replacingOccurrences(of: "HASH", with: hash)])
        try #require(sent.status == 0, "\(sent.stdout)\(sent.stderr)")

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", Self.address(author.npub, relay), "-o", destination.path])
        print("fetch:", fetched.stderr)
        #expect(fetched.status == 1, "\(fetched.stdout)\(fetched.stderr)")
        #expect(fetched.stderr.contains(expected) && fetched.stderr.contains("path tag"), "\(fetched.stderr)")
        #expect(!fetched.stderr.contains("\u{7}"), "control characters are shown escaped")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(server.requests("GET", "/*") == 0, "nothing is downloaded: \(server.requestLog())")
        let verified = try Self.pico(["verify", Self.address(author.npub, relay)])
        #expect(verified.status == 1 && verified.stderr.contains(expected), "\(verified.stderr)")
        // pico serve refuses it before it listens (a timeout, should it serve after all).
        let served = try TestEnvironment.run("timeout", ["60", TestEnvironment.pico.path, "serve", Self.address(author.npub, relay), "--port", "0"])
        #expect(served.status == 1 && served.stderr.contains(expected), "\(served.status) \(served.stdout)\(served.stderr)")
    }

    @Test func theAuthorsRelayListLeadsToTheRelayThatHoldsTheSite() throws {
        let folder = TemporaryFolder()
        let (named, outbox) = (try NostrTestRelay(), try NostrTestRelay())
        let server = try BlossomTestServer()
        let site = try Self.site(folder)
        let author = try Self.author()
        // The site goes to `outbox` only; the relay the address names holds the author's kind
        // 10002, which lists `outbox` as a write relay and a dead relay as read-only.
        let dead = "ws://127.0.0.1:9"
        let sent = try BlossomTestServer.publishLikeNsyte(folder: site, relay: outbox.url, servers: [server.url], secretKey: author.secret,
                                                          extra: ["--relay-list", outbox.url, "--relay-list", "\(dead),read",
                                                                  "--relay-list-to", named.url])
        try #require(sent.status == 0, "\(sent.stdout)\(sent.stderr)")

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", Self.address(author.npub, named), "-o", destination.path])
        print("fetch:", fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("kind 10002") && fetched.stderr.contains(outbox.url), "\(fetched.stderr)")
        #expect(!fetched.stderr.contains(dead), "a read-only relay is not where the author writes: \(fetched.stderr)")
        var got = try BlossomFetchTests.files(in: destination)
        got[BundleManifest.fileName] = nil
        got[BundleManifest.checksumsFileName] = nil
        let want = try Self.published(site)
        #expect(got == want)
    }

    @Test func aPicoBundleDeployedByNsyteIsVerifiedAsThePicoBundleItIs() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let author = try Self.author()
        let keyFile = folder.path("author.key")
        try Data((author.secret + "\n").utf8).write(to: keyFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
        let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: keyFile.path)
        try #require(try Self.publish(bundle, relay: relay, servers: [server], author: author.secret).status == 0)

        let destination = folder.path("fetched")
        let fetched = try Self.pico(["fetch", Self.address(author.npub, relay), "-o", destination.path, "--signer", author.npub])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout.contains("published by nsyte, with its pico-manifest.json"), "\(fetched.stdout)")
        #expect(try BlossomFetchTests.files(in: destination) == BlossomFetchTests.files(in: bundle))
        let verified = try Self.pico(["verify", Self.address(author.npub, relay)])
        #expect(verified.status == 0 && verified.stdout.contains("signed by \(author.npub)"), "\(verified.stdout)\(verified.stderr)")
    }
}
