import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// `pico publish --to wss://… --to blossom+http://…`, the real `pico` against the real parts: the
/// relay of Silos/nostr (nostr-relay), two Blossom servers of Silos/blossom (every upload's hash
/// and every authorization event checked with coincurve), and nostr-sdk reading the site the way
/// a NIP-5A gateway does (Tests/tools/nsite_reader.py).
@Suite(.serialized) struct BlossomPublishTests {
    static let chunkKind = 1128

    /// A new author key in `folder`: its file, npub and hex public key.
    static func makeKey(in folder: TemporaryFolder, name: String = "author.key") throws -> (file: String, npub: String, hex: String) {
        let file = folder.path(name).path
        let made = try TestEnvironment.run(TestEnvironment.pico.path, ["key", "new", "-o", file, "--json"])
        try #require(made.status == 0, "\(made.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String])
        return (file, try #require(json["npub"]), try #require(json["pubkey"]))
    }

    /// Examples/blog built into `folder/name`, after `change` to a copy of its source; `search:
    /// false` builds with `--no-search`, for tests that count what one page's change sends (with
    /// the index on, the shards holding the page's words change too).
    static func buildBlog(in folder: TemporaryFolder, named name: String, key: String, search: Bool = true,
                          change: ((URL) throws -> Void)? = nil) throws -> URL {
        let site = folder.path("site-\(name)")
        try FileManager.default.copyItem(at: TestEnvironment.repository.appendingPathComponent("Examples/blog"), to: site)
        try change?(site)
        let bundle = folder.path(name)
        let built = try TestEnvironment.run(TestEnvironment.pico.path, ["build", site.path, "-o", bundle.path, "-q", "--key", key] + (search ? [] : ["--no-search"]))
        try #require(built.status == 0, "\(built.stderr)")
        return bundle
    }

    static func manifest(_ bundle: URL) throws -> BundleManifest {
        try BundleManifest.decode(Data(contentsOf: bundle.appendingPathComponent("pico-manifest.json")))
    }

    static func publish(_ bundle: URL, to addresses: [String], key: String) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--key", key, "--json"] + addresses.flatMap { ["--to", $0] })
    }

    static func json(_ output: ProcessOutput) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)\(output.stderr)")
    }

    /// What nostr-sdk read (`nsite_reader.py`'s JSON).
    static func read(_ relay: NostrTestRelay, author: String, site: String) throws -> (status: Int32, json: [String: Any]) {
        let output = try BlossomTestServer.readSite(relay: relay.url, author: author, site: site)
        return (output.status, try json(output))
    }

    /// NIP-5A's aggregate hash, from its text: a line `<sha256> <absolute-path>\n` per path tag,
    /// sorted, concatenated as UTF-8, SHA-256, lowercase hex. The path tags of a pico bundle are
    /// its SHA256SUMS lines and the two describing files.
    static func aggregate(of bundle: URL) throws -> String {
        let sums = try String(contentsOf: bundle.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        var lines = sums.split(separator: "\n").map { line -> String in
            let parts = line.split(separator: " ", maxSplits: 1)
            return "\(parts[0]) /\(parts[1].dropFirst())\n"
        }
        for name in ["SHA256SUMS", "pico-manifest.json"] {
            lines.append("\(SHA256Hex.of(try Data(contentsOf: bundle.appendingPathComponent(name)))) /\(name)\n")
        }
        return SHA256Hex.of(Data(lines.sorted().joined().utf8))
    }

    @Test func theBlogOnTwoBlossomServersIsReadAsGatewaysReadIt() throws {
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let first = try Self.buildBlog(in: folder, named: "v1", key: key.file, search: false)
        let manifest = try Self.manifest(first)
        let contents = Set(manifest.files.map(\.sha256)).count + 2

        let published = try Self.publish(first, to: [relay.url, a.address, b.address], key: key.file)
        #expect(published.status == 0, "\(published.stderr)")
        print("publish v1 stdout:", published.stdout, "stderr:", published.stderr)
        let result = try Self.json(published)
        #expect((result["requests"] as? [String: Int])?["EVENT"] == 1, "the site event alone goes to the relay")
        #expect(result["written"] as? Int == contents)
        #expect(!published.stderr.contains("gateways cannot read"), "\(published.stderr)")

        // Every blob once onto A, and copied from A to B with BUD-04, not uploaded twice.
        #expect(a.requests("PUT", "/upload", status: 201) == contents)
        #expect(b.requests("PUT", "/upload") == 0, "\(b.requestLog())")
        #expect(b.requests("PUT", "/mirror", status: 201) == contents, "\(b.requestLog())")
        #expect(a.blobs() == b.blobs() && a.blobs().count == contents)
        #expect(try relay.count(author: key.hex, kind: Self.chunkKind) == 0, "no chunk events when the files are on Blossom servers")

        // nostr-sdk finds the event, verifies it, loads every path through the server tags.
        let (status, site) = try Self.read(relay, author: key.hex, site: "carried-by")
        #expect(status == 0, "\(site)")
        #expect(site["id_ok"] as? Bool == true && site["signature_ok"] as? Bool == true)
        #expect(site["servers"] as? [String] == [a.url, b.url])
        let files = try #require(site["files"] as? [[String: Any]])
        #expect(files.count == manifest.files.count + 2 && files.allSatisfy { $0["ok"] as? Bool == true }, "\(files.filter { $0["ok"] as? Bool != true })")
        #expect(Set(files.compactMap { $0["path"] as? String }) == Set((manifest.files.map(\.path) + ["SHA256SUMS", "pico-manifest.json"]).map { "/" + $0 }))
        for file in files.prefix(5) {
            let path = try #require(file["path"] as? String)
            let local = try Data(contentsOf: first.appendingPathComponent(String(path.dropFirst())))
            #expect(file["sha256"] as? String == SHA256Hex.of(local) && file["size"] as? Int == local.count, "\(path)")
        }
        // The aggregate x: what nostr-sdk's reader computes, what this test computes from NIP-5A's
        // text, and not the bundle id.
        let aggregate = try #require(site["aggregate"] as? [String: Any])
        let expected = try Self.aggregate(of: first)
        print("aggregate x:", expected, "bundle id:", manifest.id)
        #expect(aggregate["match"] as? Bool == true && aggregate["tag"] as? String == expected && aggregate["computed"] as? String == expected, "\(aggregate)")
        #expect(expected != manifest.id)
        let tags = try #require(site["tags"] as? [[String]])
        #expect(tags.contains(["bundle", manifest.id]) && tags.contains(["client", "pico"]) && tags.contains(["d", "carried-by"]))
        #expect(tags.contains { $0.first == "bundle-signature" } && tags.contains(["title", manifest.name]))

        // The same bundle again: every blob is there, the site event is unchanged: nothing is sent.
        let again = try Self.publish(first, to: [relay.url, a.address, b.address], key: key.file)
        #expect(again.status == 0, "\(again.stderr)")
        #expect((try Self.json(again)["requests"] as? [String: Int])?["EVENT"] == 0)
        #expect(a.requests("PUT", "/upload") == contents && b.requests("PUT", "/mirror") == contents)

        // One page changed: that page, SHA256SUMS and pico-manifest.json go up once and are
        // mirrored once; one event goes to the relay.
        let second = try Self.buildBlog(in: folder, named: "v2", key: key.file, search: false) { site in
            let post = site.appendingPathComponent("content/posts/what-a-hash-promises.md")
            try (try String(contentsOf: post, encoding: .utf8) + "\nOne more paragraph, added later.\n").write(to: post, atomically: true, encoding: .utf8)
        }
        let old = Set(manifest.files.map(\.sha256))
        #expect(try Self.manifest(second).files.filter { !old.contains($0.sha256) }.map(\.path) == ["posts/what-a-hash-promises/index.html"])
        let (uploadsBefore, mirrorsBefore) = (a.requests("PUT", "/upload"), b.requests("PUT", "/mirror"))
        let republished = try Self.publish(second, to: [relay.url, a.address, b.address], key: key.file)
        #expect(republished.status == 0, "\(republished.stderr)")
        print("republish v2 stdout:", republished.stdout)
        let again2 = try Self.json(republished)
        #expect((again2["requests"] as? [String: Int])?["EVENT"] == 1)
        #expect(again2["written"] as? Int == 3, "the page, SHA256SUMS and pico-manifest.json")
        #expect(a.requests("PUT", "/upload") - uploadsBefore == 3 && b.requests("PUT", "/mirror") - mirrorsBefore == 3,
                "\(a.requestLog().suffix(8)) \(b.requestLog().suffix(8))")
        #expect(b.requests("PUT", "/upload") == 0)
        let (status2, site2) = try Self.read(relay, author: key.hex, site: "carried-by")
        let secondID = try Self.manifest(second).id
        #expect(status2 == 0 && (site2["tags"] as? [[String]])?.contains(["bundle", secondID]) == true, "\(site2)")
        #expect((site2["aggregate"] as? [String: Any])?["tag"] as? String == (try Self.aggregate(of: second)))
    }

    @Test func aBlobAlreadyOnOneServerIsMirroredToTheOther() throws {
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let bundle = try Self.buildBlog(in: folder, named: "blog", key: key.file)
        let first = try Self.publish(bundle, to: [relay.url, a.address], key: key.file)
        #expect(first.status == 0, "\(first.stderr)")
        let held = a.blobs()

        // B given later: A holds every blob, so B copies each from A and nothing is uploaded.
        let both = try Self.publish(bundle, to: [relay.url, a.address, b.address], key: key.file)
        #expect(both.status == 0, "\(both.stderr)")
        print("add a second server:", both.stdout)
        #expect(b.requests("PUT", "/upload") == 0 && b.requests("PUT", "/mirror", status: 201) == held.count, "\(b.requestLog())")
        #expect(a.requests("PUT", "/upload") == held.count, "A is asked, not sent the blobs again")
        #expect(b.blobs() == held)
        // The site event now names both servers.
        #expect((try Self.json(both)["requests"] as? [String: Int])?["EVENT"] == 1)
        let (status, site) = try Self.read(relay, author: key.hex, site: "carried-by")
        #expect(status == 0 && site["servers"] as? [String] == [a.url, b.url], "\(site)")
    }

    /// Each refusal names the server, the file and what to do, exits 1, sends nothing to the relay
    /// (the previous site event stays), and never shows the key.
    @Test func blossomRefusalsStopThePublishAndLeaveThePreviousSiteEvent() throws {
        let relay = try NostrTestRelay()
        let good = try BlossomTestServer()
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let other = try Self.makeKey(in: folder, name: "other.key")
        let secret = try #require(try String(contentsOfFile: key.file, encoding: .utf8).split(separator: "\n").last.map(String.init))
        let v1 = try Self.buildBlog(in: folder, named: "v1", key: key.file)
        #expect(try Self.publish(v1, to: [relay.url, good.address], key: key.file).status == 0)
        let before = try Self.read(relay, author: key.hex, site: "carried-by").json["event_id"] as? String
        let v2 = try Self.buildBlog(in: folder, named: "v2", key: key.file) { site in
            let post = site.appendingPathComponent("content/posts/what-a-hash-promises.md")
            try (try String(contentsOf: post, encoding: .utf8) + "\nA change that never arrives.\n").write(to: post, atomically: true, encoding: .utf8)
        }

        let cases: [(options: [String], says: [String])] = [
            (["--allow-pubkey", other.hex], ["HTTP 403", "may not upload", "does not allow \(key.npub)", "Ask its operator"]),
            (["--max-upload-bytes", "1000"], ["HTTP 413", "larger than this server stores", "bytes)"]),
            (["--refuse-type", "text/html"], ["HTTP 415", "does not store files of type text/html"]),
            (["--require-payment"], ["HTTP 402", "wants payment"]),
        ]
        for (options, says) in cases {
            let bad = try BlossomTestServer(options: options)
            let failed = try Self.publish(v2, to: [relay.url, good.address, bad.address], key: key.file)
            print("\(options):", failed.stderr)
            #expect(failed.status == 1, "\(options): \(failed.stdout)")
            #expect(failed.stderr.contains(bad.url) && failed.stderr.contains("refused PUT /"), "\(failed.stderr)")
            for text in says { #expect(failed.stderr.contains(text), "\(options): \(text) in \(failed.stderr)") }
            let paths = try Self.manifest(v2).files.map(\.path) + ["SHA256SUMS", "pico-manifest.json"]
            #expect(paths.contains { failed.stderr.contains(" of \($0) (HTTP") }, "names the file: \(failed.stderr)")
            #expect(failed.stderr.contains("nothing was sent to the relays"), "\(failed.stderr)")
            #expect(!(failed.stdout + failed.stderr).contains(secret))
            #expect(try Self.read(relay, author: key.hex, site: "carried-by").json["event_id"] as? String == before)
        }

        // A server that is down: named, exit 1, the site event unchanged.
        let gone = try BlossomTestServer()
        let address = gone.address
        gone.stop()
        let started = Date()
        let down = try Self.publish(v2, to: [relay.url, good.address, address], key: key.file)
        print("server down:", down.stderr, Date().timeIntervalSince(started), "s")
        #expect(down.status == 1 && down.stderr.contains("could not reach \(address.dropFirst("blossom+".count))"), "\(down.stderr)")
        #expect(down.stderr.contains("is the address right and the server running?"))
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(try Self.read(relay, author: key.hex, site: "carried-by").json["event_id"] as? String == before)
        #expect(try relay.count(author: key.hex, kind: 35128) == 1)

        // Once the servers take it, the same command finishes the publish.
        let fixed = try Self.publish(v2, to: [relay.url, good.address], key: key.file)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(try Self.read(relay, author: key.hex, site: "carried-by").json["event_id"] as? String != before)
    }

    @Test func aSiteEventLargerThanTheRelayTakesIsRefusedBeforeAnythingIsSent() throws {
        let relay = try NostrTestRelay(environment: ["PICO_NOSTR_MAX_EVENT_TAGS": "20"])
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let bundle = try Self.buildBlog(in: folder, named: "blog", key: key.file)
        let failed = try Self.publish(bundle, to: [relay.url, server.address], key: key.file)
        print("too many tags:", failed.stderr)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("max_event_tags 20") && failed.stderr.contains(relay.url), "\(failed.stderr)")
        #expect(server.blobs().isEmpty && server.requests("PUT", "/upload") == 0, "no blob is sent for a site event that cannot go")
        #expect(try relay.count(author: key.hex, kind: 35128) == 0)
    }

    @Test func addressesThatCannotMakeANIP5ASiteAreRefused() throws {
        let relay = try NostrTestRelay()
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let bundle = try Self.buildBlog(in: folder, named: "blog", key: key.file)

        let badSite = try Self.publish(bundle, to: [relay.url + "?site=carried-by-hand", server.address], key: key.file)
        #expect(badSite.status == 1 && badSite.stderr.contains("?site=carried-by-hand is 15 characters long")
                && badSite.stderr.contains("try ?site=carried-by"), "\(badSite.stderr)")
        let noRelay = try Self.publish(bundle, to: [server.address], key: key.file)
        #expect(noRelay.status == 1 && noRelay.stderr.contains("add the relays that carry its site event"), "\(noRelay.stderr)")
        let plainHTTP = try Self.publish(bundle, to: [relay.url, "blossom+http://blossom.example"], key: key.file)
        #expect(plainHTTP.status == 1 && plainHTTP.stderr.contains("only for a server on this machine"), "\(plainHTTP.stderr)")
        let verify = try TestEnvironment.run(TestEnvironment.pico.path, ["verify", server.address])
        #expect(verify.status == 1 && verify.stderr.contains("is a Blossom server"), "\(verify.stderr)")
        #expect(server.requestLog().filter { $0.hasPrefix("PUT") }.isEmpty)

        // Relays alone: chunk events, and publish says gateways cannot read them.
        let chunks = try Self.publish(bundle, to: [relay.url], key: key.file)
        #expect(chunks.status == 0 && chunks.stderr.contains("nsite gateways cannot read"), "\(chunks.stderr)")
        #expect(try relay.count(author: key.hex, kind: Self.chunkKind) > 0)
    }

    /// A small nostr client of its own (coincurve, websockets): `put RELAY NSEC KIND TAGS_JSON`
    /// signs and sends an event; `get RELAY PUBKEY KIND` prints the tags of the newest valid one.
    static let listScript = """
    import hashlib, json, sys, time, coincurve
    from websockets.sync.client import connect
    from nostr_sdk import Keys
    mode, relay = sys.argv[1], sys.argv[2]
    def event_id(e):
        serial = json.dumps([0, e["pubkey"], e["created_at"], e["kind"], e["tags"], e["content"]], separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(serial.encode()).hexdigest()
    with connect(relay, open_timeout=20) as ws:
        if mode == "put":
            secret = Keys.parse(sys.argv[3]).secret_key().to_hex()
            private = coincurve.PrivateKey(bytes.fromhex(secret))
            e = {"pubkey": private.public_key_xonly.format().hex(), "created_at": int(time.time()) - 5,
                 "kind": int(sys.argv[4]), "tags": json.loads(sys.argv[5]), "content": "kept"}
            e["id"] = event_id(e)
            e["sig"] = private.sign_schnorr(bytes.fromhex(e["id"])).hex()
            ws.send(json.dumps(["EVENT", e]))
            while True:
                m = json.loads(ws.recv(timeout=30))
                if m[0] == "OK":
                    print(json.dumps({"ok": m[2], "message": m[3] if len(m) > 3 else ""})); sys.exit(0 if m[2] else 1)
        ws.send(json.dumps(["REQ", "q", {"authors": [sys.argv[3]], "kinds": [int(sys.argv[4])]}]))
        found = []
        while True:
            m = json.loads(ws.recv(timeout=30))
            if m[0] == "EOSE": break
            if m[0] == "EVENT":
                e = m[2]
                if event_id(e) == e["id"] and coincurve.PublicKeyXOnly(bytes.fromhex(e["pubkey"])).verify(bytes.fromhex(e["sig"]), bytes.fromhex(e["id"])):
                    found.append(e)
        newest = max(found, key=lambda e: (e["created_at"], e["id"]))
        print(json.dumps({"tags": newest["tags"], "content": newest["content"], "count": len(found)}))
    """

    static func list(_ arguments: [String]) throws -> [String: Any] {
        let output = try TestEnvironment.run(TestEnvironment.venvPython, ["-c", listScript] + arguments)
        try #require(output.status == 0, "\(output.stdout)\(output.stderr)")
        return try json(output)
    }

    /// `--announce`: the author's server list (kind 10063) and relay list (kind 10002) name the
    /// servers and relays published to, merged into the lists the author had: nothing dropped.
    @Test func announceMergesTheAuthorsServerAndRelayLists() throws {
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let nsec = try #require(try String(contentsOfFile: key.file, encoding: .utf8).split(separator: "\n").last.map(String.init))
        let bundle = try Self.buildBlog(in: folder, named: "blog", key: key.file)
        _ = try Self.list(["put", relay.url, nsec, "10063", #"[["server","https://other.example"],["client","elsewhere"]]"#])
        _ = try Self.list(["put", relay.url, nsec, "10002", "[[\"r\",\"wss://other.example\"],[\"r\",\"\(relay.url)\",\"read\"]]"])

        let published = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--key", key.file, "--announce",
                                                                             "--to", relay.url, "--to", a.address, "--to", b.address])
        print("announce:", published.stdout, published.stderr)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("announced the author's list (kind 10063, 3 Blossom servers)"), "\(published.stdout)")
        #expect(published.stdout.contains("announced the author's list (kind 10002, 2 relays)"), "\(published.stdout)")

        let servers = try Self.list(["get", relay.url, key.hex, "10063"])
        #expect(servers["tags"] as? [[String]] == [["server", "https://other.example"], ["client", "elsewhere"], ["server", a.url], ["server", b.url]], "\(servers)")
        #expect(servers["content"] as? String == "kept")
        let relays = try Self.list(["get", relay.url, key.hex, "10002"])
        #expect(relays["tags"] as? [[String]] == [["r", "wss://other.example"], ["r", relay.url]], "read-only became read and write: \(relays)")
        // A gateway that reads the author's server list finds the same servers.
        let site = try Self.read(relay, author: key.hex, site: "carried-by").json
        #expect(site["server_list"] as? [String] == ["https://other.example", a.url, b.url], "\(site)")

        // Announcing again changes nothing and sends nothing.
        let again = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--key", key.file, "--announce", "--json",
                                                                         "--to", relay.url, "--to", a.address, "--to", b.address])
        let againJSON = try Self.json(again)
        #expect(again.status == 0 && (againJSON["requests"] as? [String: Int])?["EVENT"] == 0, "\(again.stdout)\(again.stderr)")
    }
}
