import Foundation
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// `pico serve --gateway`, a local NIP-5A gateway, against the real relay of Silos/nostr and the
/// real Blossom servers of Silos/blossom (`--tamper HASH` serves that blob with one byte
/// flipped). Requests name the site by host, as a browser does: `curl --resolve` sends
/// `Host: <label>.localhost:PORT` to 127.0.0.1. The named sites' labels are computed here with
/// Python's integers, apart from pico's own base36.
@Suite(.serialized) struct GatewayTests {
    typealias Publish = BlossomPublishTests

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    /// The gateway, its cache in `cache`.
    static func gateway(relays: [String], cache: URL, extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(TestEnvironment.pico, ["serve", "--gateway", "--port", "0", "--cache", cache.path]
                          + relays.flatMap { ["--relay", $0] } + extra)
    }

    static func port(of gateway: ServerProcess) throws -> Int {
        try #require(URL(string: gateway.url)?.port)
    }

    /// GET (or HEAD) `path` of the site at `label`.localhost, or with `host` as the Host header as given.
    static func get(_ gateway: ServerProcess, label: String? = nil, host: String? = nil, _ path: String = "/",
                    method: String = "GET") throws -> Answer {
        let port = try port(of: gateway)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        var arguments = ["-s", "-o", out.path, "-D", "-", "--max-time", "60"]
        if method == "HEAD" { arguments.append("-I") }
        if let label {
            let name = "\(label).localhost"
            arguments += ["--resolve", "\(name):\(port):127.0.0.1", "http://\(name):\(port)\(path)"]
        } else {
            arguments += ["-H", "Host: \(host ?? "")", "http://127.0.0.1:\(port)\(path)"]
        }
        let result = try TestEnvironment.run("curl", arguments)
        let lines = result.stdout.split(whereSeparator: \.isNewline).map(String.init)
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return Answer(status: status, headers: headers, body: (try? Data(contentsOf: out)) ?? Data())
    }

    /// A named site's label, `<pubkeyB36><d>`, computed by Python.
    static func namedLabel(author hex: String, site: String) throws -> String {
        let code = "import sys\nn=int(sys.argv[1],16);s=''\nwhile n: s='0123456789abcdefghijklmnopqrstuvwxyz'[n%36]+s;n//=36\nprint(s.rjust(50,'0')+sys.argv[2])"
        let output = try TestEnvironment.run("/usr/bin/python3", ["-c", code, hex, site])
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The blog built with a new key and published to `relay` as the author's root site (and
    /// as the named site `named`, when given), its files on `servers`.
    static func publishBlog(relay: NostrTestRelay, servers: [BlossomTestServer], named: String? = nil, folder: TemporaryFolder)
        throws -> (bundle: URL, npub: String, hex: String) {
        let key = try Publish.makeKey(in: folder)
        let bundle = try Publish.buildBlog(in: folder, named: "blog", key: key.file)
        for site in ["root"] + (named.map { [$0] } ?? []) {
            let published = try Publish.publish(bundle, to: ["\(relay.url)?site=\(site)"] + servers.map(\.address), key: key.file)
            try #require(published.status == 0, "\(published.stderr)")
        }
        return (bundle, key.npub, key.hex)
    }

    static func urlPath(_ path: String) -> String {
        "/" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)
    }

    static func css(of bundle: URL) throws -> (path: String, sha256: String, bytes: Data) {
        let css = try #require(try Publish.manifest(bundle).files.first { $0.path.hasSuffix(".css") })
        return (css.path, css.sha256, try Data(contentsOf: bundle.appendingPathComponent(css.path)))
    }

    @Test func theBlogIsServedByHostNameByteForByte() throws {
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let folder = TemporaryFolder()
        let (bundle, npub, hex) = try Self.publishBlog(relay: relay, servers: [a, b], named: "blog", folder: folder)
        let gateway = try Self.gateway(relays: [relay.url], cache: folder.path("cache"))

        // The root site: every file, byte for byte, the describing files too.
        let files = try BlossomFetchTests.files(in: bundle)
        #expect(files.count > 20)
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            let answer = try Self.get(gateway, label: npub, Self.urlPath(path))
            #expect(answer.status == 200 && answer.body == bytes, "\(path): \(answer.status)")
            #expect(answer.headers["etag"] == "\"\(SHA256Hex.of(bytes))\"", "\(path)")
        }
        // NIP-5A's paths: / and a folder are their index.html; a folder without its slash is
        // sent to it (its page's links are relative); anything else is the site's 404.html, status 404.
        let index = try #require(files["index.html"]), about = try #require(files["about/index.html"])
        let root = try Self.get(gateway, label: npub, "/")
        #expect(root.status == 200 && root.body == index && root.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(try Self.get(gateway, label: npub, "/about/").body == about)
        let moved = try Self.get(gateway, label: npub, "/about")
        #expect(moved.status == 301 && moved.headers["location"] == "/about/", "\(moved.status) \(moved.headers)")
        let missing = try Self.get(gateway, label: npub, "/no/such/page.html")
        #expect(missing.status == 404 && missing.body == files["404.html"], "\(missing.status)")
        let head = try Self.get(gateway, label: npub, "/", method: "HEAD")
        // (curl -I writes the header where the body would go: no byte of the page is there.)
        #expect(head.status == 200 && head.headers["content-length"] == String(index.count) && head.body.range(of: index.prefix(64)) == nil)

        // The named site, at <pubkeyB36><d>.
        let named = try Self.namedLabel(author: hex, site: "blog")
        #expect(named.count == 54)
        #expect(try Self.get(gateway, label: named, "/").body == index)
        #expect(try Self.get(gateway, label: named, "/about/").body == about)
        // The upper-case host is the same host.
        #expect(try Self.get(gateway, label: named.uppercased(), "/").body == index)
        _ = gateway.stop()
    }

    @Test func hostsThatNameNoSiteGetAPageThatSaysSo() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        let gateway = try Self.gateway(relays: [relay.url], cache: folder.path("cache"))
        let port = try Self.port(of: gateway)
        let bare = try Self.get(gateway, host: "localhost:\(port)")
        #expect(bare.status == 404 && String(decoding: bare.body, as: UTF8.self).contains("NPUB.localhost"))
        let unknown = try Self.get(gateway, host: "not-a-site.localhost:\(port)")
        #expect(unknown.status == 404 && String(decoding: unknown.body, as: UTF8.self).contains("not-a-site names no site"))
        // Another name for this machine is not answered (a DNS-rebinding page would send its own host).
        let foreign = try Self.get(gateway, host: "example.com:\(port)")
        #expect(foreign.status == 400 && String(decoding: foreign.body, as: UTF8.self).contains("example.com is not a host this gateway answers"))
        let long = try Self.get(gateway, host: String(repeating: "a", count: 300) + ".localhost")
        #expect(long.status == 400 && String(decoding: long.body, as: UTF8.self).contains("DNS allows 253"))
        let twoLabels = try Self.get(gateway, host: "a.b.localhost:\(port)")
        #expect(twoLabels.status == 400)
        let none = try Self.get(gateway, host: "")
        #expect(none.status == 400 && String(decoding: none.body, as: UTF8.self).contains("names no host"), "\(none.status)")
        // An author with no site on the relay.
        let key = try Publish.makeKey(in: folder)
        let nobody = try Self.get(gateway, label: key.npub)
        #expect(nobody.status == 404 && String(decoding: nobody.body, as: UTF8.self).contains(key.npub), "\(nobody.status) \(String(decoding: nobody.body, as: UTF8.self))")
        // Markup in what a host says is shown as text.
        let markup = try Self.get(gateway, host: "<b>x</b>.localhost:\(port)")
        #expect(!String(decoding: markup.body, as: UTF8.self).contains("<b>x"))
        _ = gateway.stop()
    }

    @Test func aTamperedBlobOnOneServerIsPassedOverForTheGoodCopy() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        // The blog's CSS is the same whatever the key: its hash is known before the servers start.
        let probe = try Publish.buildBlog(in: folder, named: "probe", key: Publish.makeKey(in: folder, name: "probe.key").file)
        let css = try Self.css(of: probe)
        let liar = try BlossomTestServer(options: ["--tamper", css.sha256]), honest = try BlossomTestServer()
        let (_, npub, _) = try Self.publishBlog(relay: relay, servers: [liar, honest], folder: folder)
        let gateway = try Self.gateway(relays: [relay.url], cache: folder.path("cache"))

        let answer = try Self.get(gateway, label: npub, "/" + css.path)
        #expect(answer.status == 200 && answer.body == css.bytes)
        #expect(liar.requests("GET", "/" + css.sha256) == 1 && honest.requests("GET", "/" + css.sha256, status: 200) == 1,
                "\(liar.requestLog()) \(honest.requestLog())")
        let log = gateway.stop()
        #expect(log.contains(liar.url) && log.contains("wrong bytes"), "\(log)")
    }

    @Test func withNoGoodCopyTheAnswerIs502AndNotOneByteOfTheBadBlob() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let probe = try Publish.buildBlog(in: folder, named: "probe", key: Publish.makeKey(in: folder, name: "probe.key").file)
        let css = try Self.css(of: probe)
        let a = try BlossomTestServer(options: ["--tamper", css.sha256]), b = try BlossomTestServer(options: ["--tamper", css.sha256])
        let (_, npub, _) = try Self.publishBlog(relay: relay, servers: [a, b], folder: folder)
        let gateway = try Self.gateway(relays: [relay.url], cache: folder.path("cache"))

        let answer = try Self.get(gateway, label: npub, "/" + css.path)
        let page = String(decoding: answer.body, as: UTF8.self)
        #expect(answer.status == 502, "\(answer.status) \(page)")
        #expect(page.contains(css.path) && page.contains(css.sha256) && page.contains("matches its SHA-256"), "\(page)")
        // Not the altered blob (the good one with its last byte flipped), nor any piece of it: the page is the gateway's own.
        #expect(answer.body.range(of: css.bytes.prefix(64)) == nil)
        #expect(answer.headers["content-type"] == "text/html; charset=utf-8")
        // Not cached either: a later request asks the servers again.
        #expect(try Self.get(gateway, label: npub, "/" + css.path).status == 502)
        // The rest of the site is served.
        #expect(try Self.get(gateway, label: npub, "/about/").status == 200)
        let log = gateway.stop()
        #expect(log.contains(a.url) && log.contains(b.url), "\(log)")
    }

    /// A site published the way nsyte publishes it (Tests/tools/nsyte_publish.py: path and
    /// server tags, no pico bundle), as a root and as a named site: served as any NIP-5A site.
    @Test func aSitePublishedByNsyteIsServedByteForByte() throws {
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let site = BlossomServerTests.nsyteSite(folder)
        for name in [nil, "notes"] {
            let sent = try BlossomTestServer.publishLikeNsyte(folder: site, relay: relay.url, servers: [server.url],
                                                             secretKey: BlossomServerTests.secretKey, site: name)
            try #require(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        }
        let npub = NIP19Entity.npub(publicKey: try #require([UInt8](hex: BlossomServerTests.author))).encoded
        let named = try Self.namedLabel(author: BlossomServerTests.author, site: "notes")
        let gateway = try Self.gateway(relays: [relay.url], cache: folder.path("cache"))
        let files = try BlossomFetchTests.files(in: site)
        for label in [npub, named] {
            for path in ["index.html", "posts/first.html", "css/site.css", "404.html"] {
                let answer = try Self.get(gateway, label: label, "/" + path)
                #expect(answer.status == 200 && answer.body == files[path], "\(label) \(path): \(answer.status)")
            }
            #expect(try Self.get(gateway, label: label, "/").body == files["index.html"])
            // A dotfile nsyte leaves out is not in the site: its 404.html.
            let env = try Self.get(gateway, label: label, "/.env")
            #expect(env.status == 404 && env.body == files["404.html"], "\(env.status)")
        }
        _ = gateway.stop()
    }

    /// A new version published while the gateway runs is served once the relays are asked again
    /// (after --refresh seconds, in the background: meanwhile the old version, never a mix), and
    /// its event replaces the old one in the cache.
    @Test func aRepublishedSiteIsServedOnceTheRelaysAreAskedAgain() throws {
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let key = try Publish.makeKey(in: folder)
        let first = try Publish.buildBlog(in: folder, named: "first", key: key.file)
        let second = try Publish.buildBlog(in: folder, named: "second", key: key.file) { site in
            let about = site.appendingPathComponent("content/about.md")
            try (try String(contentsOf: about, encoding: .utf8) + "\nA sentence the second version adds.\n").write(to: about, atomically: true, encoding: .utf8)
        }
        let (old, new) = (try Data(contentsOf: first.appendingPathComponent("about/index.html")),
                          try Data(contentsOf: second.appendingPathComponent("about/index.html")))
        try #require(old != new)
        let published = try Publish.publish(first, to: ["\(relay.url)?site=root", server.address], key: key.file)
        try #require(published.status == 0, "\(published.stderr)")
        let cache = folder.path("cache")
        var gateway = try Self.gateway(relays: [relay.url], cache: cache, extra: ["--refresh", "1"])
        #expect(try Self.get(gateway, label: key.npub, "/about/").body == old)

        let republished = try Publish.publish(second, to: ["\(relay.url)?site=root", server.address], key: key.file)
        try #require(republished.status == 0, "\(republished.stderr)")
        var bodies: [Data] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, bodies.last != new {
            usleep(300_000)
            bodies.append(try Self.get(gateway, label: key.npub, "/about/").body)
        }
        #expect(bodies.last == new, "\(bodies.count) answers")
        #expect(bodies.allSatisfy { $0 == old || $0 == new })

        _ = relay.server.stop()
        server.stop()
        _ = gateway.stop()
        gateway = try Self.gateway(relays: [relay.url], cache: cache)
        #expect(try Self.get(gateway, label: key.npub, "/about/").body == new)
        _ = gateway.stop()
    }

    /// A blob over 1 MiB is not held whole when it comes from the cache: hashed in one pass, sent
    /// in a second (its last piece held back until it matched); a damaged copy is found in the
    /// first pass and not sent at all.
    @Test func aLargeBlobIsCheckedWholeBeforeItIsStreamedFromTheCache() throws {
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let site = folder.write(["index.html": "<!doctype html><title>Big</title><a href=big.bin>big</a>\n"], under: "site")
        let big = try #require(FileHandle(forReadingAtPath: "/dev/urandom")).readData(ofLength: 3 << 20)
        try big.write(to: site.appendingPathComponent("big.bin"))
        let sent = try BlossomTestServer.publishLikeNsyte(folder: site, relay: relay.url, servers: [server.url],
                                                         secretKey: BlossomServerTests.secretKey)
        try #require(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        let npub = NIP19Entity.npub(publicKey: try #require([UInt8](hex: BlossomServerTests.author))).encoded
        let cache = folder.path("cache")
        var gateway = try Self.gateway(relays: [relay.url], cache: cache)
        // From the server, then from the cache.
        #expect(try Self.get(gateway, label: npub, "/big.bin").body == big)
        let again = try Self.get(gateway, label: npub, "/big.bin")
        #expect(again.status == 200 && again.body == big && again.headers["content-length"] == String(big.count))
        #expect(server.requests("GET", "/" + SHA256Hex.of(big)) == 1, "\(server.requestLog())")

        _ = relay.server.stop()
        server.stop()
        _ = gateway.stop()
        gateway = try Self.gateway(relays: [relay.url], cache: cache)
        #expect(try Self.get(gateway, label: npub, "/big.bin").body == big)
        let cached = cache.appendingPathComponent("blobs/\(SHA256Hex.of(big).prefix(2))/\(SHA256Hex.of(big))")
        var damaged = try Data(contentsOf: cached)
        damaged[damaged.count / 2] ^= 1
        try damaged.write(to: cached)
        let answer = try Self.get(gateway, label: npub, "/big.bin")
        #expect(answer.status == 502 && answer.body.count < 4096, "\(answer.status) \(answer.body.count) bytes")
        #expect(!FileManager.default.fileExists(atPath: cached.path))
        _ = gateway.stop()
    }

    /// Chromium resolves NAME.localhost to this machine by itself: the blog opens at its host
    /// name through the gateway, its service worker takes over (a *.localhost origin is a secure
    /// context), and the pages work with the gateway stopped (Tests/tools/browser.py offline).
    @Test func chromiumOpensTheSiteAtItsHostNameAndItsWorkerTakesOver() throws {
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let (_, npub, _) = try Self.publishBlog(relay: relay, servers: [server], folder: folder)
        let gateway = try Self.gateway(relays: [relay.url], cache: folder.path("cache"))
        let url = "http://\(npub).localhost:\(try Self.port(of: gateway))/"
        let result = try TestEnvironment.run("/usr/bin/python3", [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/browser.py").path, "offline", url,
            "--server-pid", String(gateway.process.processIdentifier),
            "--pages", "about/index.html,posts/index.html,tags/index.html", "--timeout", "150",
        ])
        let log = gateway.stop()
        print(result.stdout)
        #expect(result.status == 0 && result.stdout.contains(": PASS"), "\(result.stdout)\n\(result.stderr)\n\(log)")
    }

    @Test func visitedPagesAreServedFromTheCacheWithTheNetworkGone() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let (bundle, npub, hex) = try Self.publishBlog(relay: relay, servers: [a, b], named: "blog", folder: folder)
        let files = try BlossomFetchTests.files(in: bundle)
        let css = try Self.css(of: bundle)
        let colophon = try #require(files["colophon/index.html"])
        let visited = ["/", "/about/", "/" + css.path, "/nope.html"]
        let named = try Self.namedLabel(author: hex, site: "blog")
        let cache = folder.path("cache")
        var gateway = try Self.gateway(relays: [relay.url], cache: cache)
        for path in visited {
            let expected = path == "/nope.html" ? 404 : 200
            #expect(try Self.get(gateway, label: npub, path).status == expected, "\(path)")
        }
        #expect(try Self.get(gateway, label: named, "/").status == 200)

        // Relays and servers gone: the same gateway serves what it has seen.
        _ = relay.server.stop()
        a.stop()
        b.stop()
        func expectVisited(_ gateway: ServerProcess, _ when: String) throws {
            #expect(try Self.get(gateway, label: npub, "/").body == files["index.html"], "\(when)")
            #expect(try Self.get(gateway, label: npub, "/about/").body == files["about/index.html"], "\(when)")
            #expect(try Self.get(gateway, label: npub, "/" + css.path).body == css.bytes, "\(when)")
            let missing = try Self.get(gateway, label: npub, "/nope.html")
            #expect(missing.status == 404 && missing.body == files["404.html"], "\(when)")
            #expect(try Self.get(gateway, label: named, "/").body == files["index.html"], "\(when)")
            // A page never visited has no copy anywhere now: an error, never other bytes.
            let unvisited = try Self.get(gateway, label: npub, "/colophon/")
            #expect(unvisited.status == 502 && unvisited.body != colophon, "\(when): \(unvisited.status)")
        }
        try expectVisited(gateway, "same gateway")
        // A new gateway with the same cache: the site events come from the disk, checked again.
        _ = gateway.stop()
        gateway = try Self.gateway(relays: [relay.url], cache: cache)
        try expectVisited(gateway, "restarted gateway")

        // A cached blob altered on disk is not served: it is checked again when read.
        let cached = cache.appendingPathComponent("blobs/\(css.sha256.prefix(2))/\(css.sha256)")
        var altered = try Data(contentsOf: cached)
        altered[0] ^= 1
        try altered.write(to: cached)
        let answer = try Self.get(gateway, label: npub, "/" + css.path)
        #expect(answer.status == 502 && answer.body != altered, "\(answer.status)")
        #expect(!FileManager.default.fileExists(atPath: cached.path), "the damaged copy is removed")
        // So is an altered site event: the site is then unknown.
        let events = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("sites").path)
        #expect(events.count == 2, "\(events)")
        _ = gateway.stop()
        for name in events {
            let file = cache.appendingPathComponent("sites/\(name)")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "about", with: "abort")
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        gateway = try Self.gateway(relays: [relay.url], cache: cache)
        let forged = try Self.get(gateway, label: npub, "/")
        #expect(forged.status == 502 && forged.body != files["index.html"], "\(forged.status)")
        _ = gateway.stop()
    }
}
