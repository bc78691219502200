import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// `pico key`, `build --key`, and `publish/fetch/verify/serve` on nostr relays, against a real
/// relay (PyPI nostr-relay, which checks every event's id and signature, started by
/// Silos/nostr/start-relay.sh), cross-checked with coincurve (Tests/tools/nostr_check.py).
@Suite(.serialized) struct NostrSiloTests {
    /// A new author key in `folder`, with its npub and hex public key.
    static func makeKey(in folder: TemporaryFolder) throws -> (file: String, npub: String, hex: String) {
        let file = folder.path("author.key").path
        let made = try TestEnvironment.pico("key", "new", "-o", file, "--json")
        try #require(made.status == 0, "\(made.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String])
        return (file, try #require(json["npub"]), try #require(json["pubkey"]))
    }

    static func publish(_ bundle: URL, to relay: NostrTestRelay, key: String, extra: [String] = []) throws -> [String: Any] {
        let published = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--to", relay.url, "--key", key, "--json"] + extra)
        try #require(published.status == 0, "\(published.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(published.stdout.utf8)) as? [String: Any])
    }

    static let chunkKind = 1128

    @Test func keysAreMadePrivateAndShownWithoutTheSecret() throws {
        let folder = TemporaryFolder()
        let file = folder.path("k.key").path
        let made = try TestEnvironment.pico("key", "new", "-o", file)
        #expect(made.status == 0)
        let npub = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(npub.hasPrefix("npub1") && npub.count == 63)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let shown = try TestEnvironment.pico("key", "show", file)
        #expect(shown.stdout.hasPrefix(npub + "\n"))
        let secret = try #require(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").last.map(String.init))
        #expect(secret.hasPrefix("nsec1"))
        #expect(!(made.stdout + made.stderr + shown.stdout + shown.stderr).contains(secret))
        // Never over an existing key.
        let again = try TestEnvironment.pico("key", "new", "-o", file)
        #expect(again.status == 1 && again.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains(secret))
    }

    @Test func aSignedBuildVerifiesAndDemandsItsSigner() throws {
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let other = TemporaryFolder()
        let otherKey = try Self.makeKey(in: other)
        let bundle = try BlogFixture.build(in: folder, key: key.file)
        let again = try BlogFixture.build(in: folder, named: "again", key: key.file)
        #expect(try Data(contentsOf: bundle.appendingPathComponent("pico-manifest.json"))
                == Data(contentsOf: again.appendingPathComponent("pico-manifest.json")), "a signed build is reproducible")
        #expect(try BlogFixture.manifest(bundle).signature?.pubkey == key.hex)

        let verified = try TestEnvironment.pico("verify", bundle.path, "--signer", key.npub)
        #expect(verified.status == 0 && verified.stdout.contains("signed by \(key.npub)"), "\(verified.stdout)\(verified.stderr)")
        #expect(try TestEnvironment.pico("verify", bundle.path, "--signer", key.hex).status == 0)
        let wrongSigner = try TestEnvironment.pico("verify", bundle.path, "--signer", otherKey.npub)
        #expect(wrongSigner.status == 1 && wrongSigner.stderr.contains("not by the required \(otherKey.hex)"))

        // PICO_KEY works like --key; an unsigned bundle fails --signer.
        let viaEnvironment = folder.path("env")
        let built = try TestEnvironment.run(TestEnvironment.pico.path, ["build", folder.path("site-bundle").path, "-o", viaEnvironment.path, "-q"],
                                            environment: ["PICO_KEY": key.file])
        #expect(built.status == 0)
        #expect(try BlogFixture.manifest(viaEnvironment).id == BlogFixture.manifest(bundle).id)
        let unsigned = try BlogFixture.build(in: folder, named: "unsigned")
        #expect(try TestEnvironment.pico("verify", unsigned.path, "--signer", key.npub).status == 1)

        // A forged signature (another key's, over this id) is found.
        var manifest = try BlogFixture.manifest(bundle)
        let otherSigned = try BlogFixture.manifest(try BlogFixture.build(in: other, key: otherKey.file))
        manifest.signature = BundleSignature(pubkey: key.hex, sig: try #require(otherSigned.signature).sig)
        try manifest.canonicalJSON.write(to: bundle.appendingPathComponent("pico-manifest.json"))
        let forged = try TestEnvironment.pico("verify", bundle.path)
        #expect(forged.status == 1 && forged.stderr.contains("signature"), "\(forged.stderr)")
    }

    /// The whole round trip, with the relay's default 4,096-character content limit (many
    /// chunk events per file) and with a large one (one event per file).
    @Test(arguments: [4096, 1 << 20])
    func publishFetchVerifyAndServeTheBlog(maxContent: Int) throws {
        let relay = try NostrTestRelay(maxContent: maxContent)
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let bundle = try BlogFixture.build(in: folder, key: key.file)
        let manifest = try BlogFixture.manifest(bundle)

        let result = try Self.publish(bundle, to: relay, key: key.file)
        let address = try #require(result["fetch"] as? String)
        #expect(address.hasPrefix("nostr:naddr1"))
        let events = try #require((result["requests"] as? [String: Int])?["EVENT"])
        let contents = Set(manifest.files.map(\.sha256)).count + 2
        if maxContent == 4096 {
            #expect(events > contents * 2, "small limit: files go in several chunks")
        } else {
            #expect(events == contents + 1, "large limit: one chunk per content, plus the site event")
        }

        // coincurve, not pico: every stored event's id and signature, the path tags against
        // SHA256SUMS, every file complete in chunks within the relay's limit.
        let checked = try relay.check(author: key.hex, bundle: bundle, site: "carried-by")
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("\(manifest.files.count + 2) path tags match SHA256SUMS"), "\(checked.stdout)")

        // Fetched into an empty folder: verifies, signed by the author, byte-identical.
        let fetched = folder.path("fetched")
        let fetch = try TestEnvironment.pico("fetch", address, "-o", fetched.path)
        #expect(fetch.status == 0, "\(fetch.stderr)")
        let verified = try TestEnvironment.pico("verify", fetched.path, "--signer", key.npub)
        #expect(verified.status == 0, "\(verified.stderr)")
        for path in manifest.files.map(\.path) + ["pico-manifest.json", "SHA256SUMS"] {
            #expect(try Data(contentsOf: fetched.appendingPathComponent(path)) == Data(contentsOf: bundle.appendingPathComponent(path)), "\(path)")
        }
        let sums = try TestEnvironment.run("sha256sum", ["--quiet", "--strict", "-c", "SHA256SUMS"], in: fetched)
        #expect(sums.status == 0, "\(sums.stdout)\(sums.stderr)")

        // The npub address finds the author's only site; verify reads it without fetching.
        let byAuthor = "nostr:\(key.npub)?relay=\(relay.url)"
        let remote = try TestEnvironment.pico("verify", byAuthor, "--signer", key.npub)
        #expect(remote.status == 0 && remote.stdout.contains("\(manifest.files.count) files"), "\(remote.stdout)\(remote.stderr)")

        // Served through the verifying server, straight from the relay.
        let served = try ServerProcess(TestEnvironment.pico, ["serve", byAuthor, "--port", "0"])
        let page = try TestEnvironment.get(served.url + "about/")
        #expect(page.status == 200)
        #expect(page.body == (try Data(contentsOf: bundle.appendingPathComponent("about/index.html"))))
        _ = served.stop()
    }

    @Test func anAlteredChunkEventMakesFetchFailNamingTheFile() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let bundle = try BlogFixture.build(in: folder, key: key.file)
        let result = try Self.publish(bundle, to: relay, key: key.file)
        let address = try #require(result["fetch"] as? String)

        let target = try #require(try BlogFixture.manifest(bundle).files.first { $0.path == "posts/a-library-on-a-thumb-drive/photo.png" })
        let tampered = try relay.tamper(fileSHA256: target.sha256)
        try #require(tampered.status == 0, "\(tampered.stderr)")
        let eventID = tampered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let fetched = folder.path("fetched")
        let fetch = try TestEnvironment.pico("fetch", address, "-o", fetched.path)
        #expect(fetch.status == 1)
        #expect(fetch.stderr.contains(target.path), "\(fetch.stderr)")
        #expect(fetch.stderr.contains("altered") && fetch.stderr.contains(String(eventID.prefix(12))), "\(fetch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fetched.path), "nothing is left behind")
        let verified = try TestEnvironment.pico("verify", address)
        #expect(verified.status == 1 && verified.stderr.contains(target.path), "\(verified.stderr)")

        // coincurve sees the same forgery.
        let checked = try relay.check(author: key.hex, bundle: bundle, site: "carried-by")
        #expect(checked.status == 1, "\(checked.stdout)")
    }

    @Test func republishingAfterOneChangeSendsOnlyTheNewChunksAndASiteEvent() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let first = try BlogFixture.build(in: folder, named: "v1", key: key.file, search: false)
        _ = try Self.publish(first, to: relay, key: key.file)
        let chunksBefore = try relay.count(author: key.hex, kind: Self.chunkKind)

        // The same bundle again: nothing at all is sent.
        let same = try Self.publish(first, to: relay, key: key.file)
        #expect((same["requests"] as? [String: Int])?["EVENT"] == 0)

        let second = try BlogFixture.build(in: folder, named: "v2", key: key.file, search: false) { site in
            let post = site.appendingPathComponent("content/posts/what-a-hash-promises.md")
            try (try String(contentsOf: post, encoding: .utf8) + "\nOne more paragraph, added later.\n").write(to: post, atomically: true, encoding: .utf8)
        }
        let old = Set(try BlogFixture.manifest(first).files.map(\.sha256))
        let changed = try BlogFixture.manifest(second).files.filter { !old.contains($0.sha256) }
        #expect(changed.map(\.path) == ["posts/what-a-hash-promises/index.html"])

        let result = try Self.publish(second, to: relay, key: key.file)
        let events = try #require((result["requests"] as? [String: Int])?["EVENT"])
        let chunksAfter = try relay.count(author: key.hex, kind: Self.chunkKind)
        #expect(result["written"] as? Int == changed.count + 2, "the page, SHA256SUMS and pico-manifest.json")
        #expect(events == chunksAfter - chunksBefore + 1, "only new chunks, and one site event")
        #expect(chunksAfter - chunksBefore < 10)

        // The relay keeps the newest site event; fetch gets version 2.
        #expect(try relay.count(author: key.hex, kind: 35128) == 1)
        let fetched = folder.path("fetched")
        #expect(try TestEnvironment.pico("fetch", try #require(result["fetch"] as? String), "-o", fetched.path).status == 0)
        #expect(try BlogFixture.manifest(fetched).id == BlogFixture.manifest(second).id)
        let checked = try relay.check(author: key.hex, bundle: second, site: "carried-by")
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }

    @Test func mismatchesAreRefusedWithClearErrors() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let other = TemporaryFolder()
        let otherKey = try Self.makeKey(in: other)
        let bundle = try BlogFixture.build(in: folder, key: key.file)

        // A bundle signed by one author is not published under another's key.
        let wrongKey = try TestEnvironment.pico("publish", bundle.path, "--to", relay.url, "--key", otherKey.file)
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("rebuild it with the same --key"), "\(wrongKey.stderr)")
        // No key at all: say how to get one.
        let noKey = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--to", relay.url],
                                            environment: ["HOME": folder.url.path, "XDG_CONFIG_HOME": ""])
        #expect(noKey.status == 1 && noKey.stderr.contains("pico key new"), "\(noKey.stderr)")
        // A relay that is not there.
        let down = try TestEnvironment.pico("publish", bundle.path, "--to", "ws://127.0.0.1:9", "--key", key.file)
        #expect(down.status == 1 && down.stderr.contains("ws://127.0.0.1:9"), "\(down.stderr)")
        // Nothing published by this author: fetch says so.
        let nothing = try TestEnvironment.pico("fetch", "nostr:\(otherKey.npub)?relay=\(relay.url)", "-o", folder.path("none").path)
        #expect(nothing.status == 1 && nothing.stderr.contains("no site by \(otherKey.npub)"), "\(nothing.stderr)")

        // Published, then read under the wrong author: another author's events do not count.
        _ = try Self.publish(bundle, to: relay, key: key.file)
        let wrongAuthor = try TestEnvironment.pico("verify", "nostr:\(otherKey.npub)?relay=\(relay.url)")
        #expect(wrongAuthor.status == 1)
        let key1 = try String(contentsOfFile: key.file, encoding: .utf8)
        #expect(!(wrongKey.stderr + noKey.stderr + down.stderr).contains(key1.split(separator: "\n").last!))
    }

    @Test func severalRelaysAtOnceAndFetchFallsBackWhenOneIsDown() throws {
        let small = try NostrTestRelay(maxContent: 4096)
        let large = try NostrTestRelay(maxContent: 1 << 20)
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let bundle = try BlogFixture.build(in: folder, key: key.file)
        let published = try TestEnvironment.run(TestEnvironment.pico.path, [
            "publish", bundle.path, "--to", small.url, "--to", large.url, "--key", key.file,
        ])
        #expect(published.status == 0, "\(published.stderr)")
        // Each relay got chunks sized to its own limit.
        #expect(published.stdout.contains("\(small.url): ") && published.stdout.contains("chunks of 3072 bytes"), "\(published.stdout)")
        #expect(published.stdout.contains("\(large.url): "), "\(published.stdout)")
        for relay in [small, large] {
            let checked = try relay.check(author: key.hex, bundle: bundle, site: "carried-by")
            #expect(checked.status == 0, "\(relay.url): \(checked.stdout)\(checked.stderr)")
        }
        // One relay gone: the other serves the fetch.
        _ = small.server.stop()
        let fetched = folder.path("fetched")
        let fetch = try TestEnvironment.pico("fetch", "nostr:\(key.npub)?relay=\(small.url)&relay=\(large.url)", "-o", fetched.path)
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(try BlogFixture.manifest(fetched).id == BlogFixture.manifest(bundle).id)
    }

    /// A proxy drops the first two WebSocket connections halfway through the publish: pico
    /// reconnects and sends what was not acknowledged; the relay ends up with the whole site.
    @Test func aDroppedConnectionIsResumedOnANewOne() throws {
        let relay = try NostrTestRelay()
        let proxy = try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/tcp_cut_proxy.py").path,
            "--upstream", String(relay.url.dropFirst("ws://".count)), "--cut-after", "100000", "--cuts", "2",
        ])
        let folder = TemporaryFolder()
        let key = try Self.makeKey(in: folder)
        let bundle = try BlogFixture.build(in: folder, key: key.file)
        let result = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", bundle.path, "--to", proxy.url, "--key", key.file, "--json"])
        let log = proxy.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(log.contains("cut 2 connection(s)"), "\(log)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((json["retries"] as? Int ?? 0) >= 1, "\(result.stdout)")
        let checked = try relay.check(author: key.hex, bundle: bundle, site: "carried-by")
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }
}
