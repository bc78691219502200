import Foundation
import PicoBlossom
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// The parts of the Blossom and NIP-5A protocols pico writes, each checked against a computation
/// that is not pico's: the aggregate `x` by NIP-5A's own shell pipeline, the authorization event
/// by coincurve, the `d` rule by its regular expression.
@Suite struct BlossomProtocolTests {
    static let key = try! AuthorKey(secretKey: [UInt8](repeating: 7, count: 32))

    // MARK: The aggregate x of NIP-5A

    /// NIP-5A: one line `<sha256> <absolute-path>\n` per `path` tag, sorted, SHA-256 of the
    /// bytes, lowercase hex. Computed here the way the NIP's example does (`sort | sha256sum`).
    @Test func theAggregateHashIsNIP5AsSortOfPathLines() throws {
        let files: [(path: String, sha256: String)] = [
            ("index.html", "186ea5fd14e88fd1ac49351759e7ab906fa94892002b60bf7f5a428f28ca1c99"),
            ("favicon.ico", "fedcba0987654321fedcba0987654321fedcba0987654321fedcba0987654321"),
            ("about/index.html", "186ea5fd14e88fd1ac49351759e7ab906fa94892002b60bf7f5a428f28ca1c99"),
            ("café/ünï.txt", "0000000000000000000000000000000000000000000000000000000000000001"),
            ("SHA256SUMS", "a1b2c3d4e5f6789012345678901234567890abcdef1234567890abcdef123456"),
        ]
        let manifest = SiteManifest(site: "blog", files: files, bundleID: String(repeating: "e", count: 64),
                                    bundleSignature: nil, title: "Blog")
        let lines = files.map { "\($0.sha256) /\($0.path)\n" }.joined()
        let folder = TemporaryFolder()
        try Data(lines.utf8).write(to: folder.path("lines"))
        let shell = try TestEnvironment.run("/bin/sh", ["-c", "LC_ALL=C sort lines | sha256sum"], in: folder.url)
        let expected = try #require(shell.stdout.split(separator: " ").first.map(String.init))
        #expect(expected.count == 64)
        #expect(manifest.aggregateHash == expected)

        // Written as ["x", <hex>, "aggregate"], beside (and unlike) the bundle id.
        let event = manifest.event(createdAt: 1_700_000_000, key: Self.key)
        #expect(event.tags.contains(["x", expected, "aggregate"]))
        #expect(event.tags.contains(["bundle", String(repeating: "e", count: 64)]))
        #expect(event.tags.filter { $0.first == "x" }.count == 1)

        // Order of the tags does not matter; every path tag counts.
        let shuffled = SiteManifest(site: "blog", files: files.reversed(), bundleID: manifest.bundleID, bundleSignature: nil, title: nil)
        #expect(shuffled.aggregateHash == expected)
        let fewer = SiteManifest(site: "blog", files: Array(files.dropLast()), bundleID: manifest.bundleID, bundleSignature: nil, title: nil)
        #expect(fewer.aggregateHash != expected)
    }

    @Test func serverTagsAreWrittenAndReadBack() throws {
        let manifest = SiteManifest(site: "blog", files: [("index.html", String(repeating: "a", count: 64))],
                                    bundleID: String(repeating: "b", count: 64), bundleSignature: nil, title: "Blog",
                                    servers: ["https://blossom.one", "http://127.0.0.1:3000"])
        let event = manifest.event(createdAt: 1_700_000_000, key: Self.key)
        #expect(event.tags.filter { $0.first == "server" } == [["server", "https://blossom.one"], ["server", "http://127.0.0.1:3000"]])
        // Every tag pico wrote before is still there.
        for name in ["d", "path", "bundle", "title", "client"] { #expect(event.tag(name) != nil, "\(name)") }
        let read = try SiteManifest(event: event)
        #expect(read == manifest)
        #expect(read.servers == manifest.servers)
        var other = manifest
        other.servers = ["https://blossom.one"]
        #expect(other != manifest, "a changed server list is a changed site event")
    }

    // MARK: The d rule

    @Test func aSiteIdentifierIsDerivedWithinTheDRule() throws {
        let rule = try Regex("^[a-z0-9-]{1,13}$")
        let names = ["Carried by Hand", "My Blog — 2026!", "Supercalifragilisticexpialidocious", "Café Été", "---", "",
                     "a-b-c-d-e-f-g-h-i-j", "日本語のサイト", "ABCDEFGHIJKLM-NOP", "x"]
        for name in names {
            let d = RelayTarget.siteIdentifier(forName: name)
            #expect(d.wholeMatch(of: rule) != nil && !d.hasSuffix("-"), "\(name) → \(d)")
            #expect(RelayTarget.siteIdentifierProblem(d) == nil, "\(name) → \(d)")
        }
        #expect(RelayTarget.siteIdentifier(forName: "Carried by Hand") == "carried-by")
        #expect(RelayTarget.siteIdentifier(forName: "My Blog — 2026!") == "my-blog-2026")
        #expect(RelayTarget.siteIdentifier(forName: "Café Été") == "cafe-ete")
        #expect(RelayTarget.siteIdentifier(forName: "Supercalifragilisticexpialidocious") == "supercalifrag")
        #expect(RelayTarget.siteIdentifier(forName: "日本語のサイト") == "site")
    }

    @Test func anInvalidSiteIsRefusedWithTheRule() throws {
        #expect(try RelayTarget(parsing: "wss://relay.example?site=blog").site == .named("blog"))
        #expect(try RelayTarget(parsing: "wss://relay.example?site=root").site == .root)
        #expect(try RelayTarget(parsing: "wss://relay.example?site=a-1").site == .named("a-1"))
        for bad in ["carried-by-hand", "Blog", "blog-", "my_blog", "blog%20two", "ünï"] {
            do {
                _ = try RelayTarget(parsing: "wss://relay.example?site=\(bad)")
                Issue.record("?site=\(bad) was accepted")
            } catch {
                let text = String(describing: error)
                #expect(text.contains("?site=") && text.contains("try ?site="), "\(text)")
                #expect(text.contains("13") || text.contains("a-z, 0-9 and -") || text.contains("end in -"), "\(text)")
            }
        }
    }

    // MARK: NIP-11 limits

    @Test func theSiteEventIsCheckedAgainstTheRelaysLimits() throws {
        let files = (0..<50).map { ("page-\($0).html", String(repeating: "c", count: 64)) }
        let event = SiteManifest(site: "blog", files: files, bundleID: String(repeating: "b", count: 64),
                                 bundleSignature: nil, title: "Blog").event(createdAt: 1_700_000_000, key: Self.key)
        let length = JSONValue.array([.string("EVENT"), event.json]).canonicalData.count

        let roomy = RelayInformation(json: Data(#"{"limitation":{"max_event_tags":100,"max_message_length":65536}}"#.utf8))
        #expect(roomy.limitProblem(with: event, relay: "wss://r") == nil)

        let fewTags = RelayInformation(json: Data(#"{"limitation":{"max_event_tags":40}}"#.utf8))
        let tags = try #require(fewTags.limitProblem(with: event, relay: "wss://r"))
        #expect(tags.limit == "max_event_tags" && tags.allowed == 40 && tags.actual == event.tags.count)
        #expect(tags.description.contains("wss://r") && tags.description.contains("max_event_tags 40"), "\(tags)")

        let short = RelayInformation(json: Data("{\"limitation\":{\"max_message_length\":\(length - 1)}}".utf8))
        let message = try #require(short.limitProblem(with: event, relay: "wss://r"))
        #expect(message.limit == "max_message_length" && message.actual == length)
        #expect(message.description.contains("max_message_length \(length - 1)"), "\(message)")
        let exact = RelayInformation(json: Data("{\"limitation\":{\"max_message_length\":\(length)}}".utf8))
        #expect(exact.limitProblem(with: event, relay: "wss://r") == nil)
        #expect(RelayInformation().limitProblem(with: event, relay: "wss://r") == nil, "no document, no limit")
    }

    // MARK: Addresses

    @Test func blossomAddresses() throws {
        let server = try BlossomServer(parsing: "blossom+https://Blossom.Example:8443/")
        #expect(server.url == "https://blossom.example:8443" && server.host == "blossom.example")
        #expect(server.blobURL("ab") == "https://blossom.example:8443/ab")
        #expect(try BlossomServer(parsing: "blossom+http://127.0.0.1:3000").url == "http://127.0.0.1:3000")
        #expect(try BlossomServer(parsing: "blossom+http://localhost:3000").host == "localhost")
        for (bad, says) in [("blossom+http://blossom.example", "only for a server on this machine"),
                            ("blossom+https://blossom.example/upload", "root of its domain"),
                            ("blossom+https://user:pw@blossom.example", "user name or password"),
                            ("blossom+ftp://blossom.example", "blossom+https://host"),
                            ("blossom+https://", "blossom+https://host")] {
            do {
                _ = try BlossomServer(parsing: bad)
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error.description.contains(says), "\(bad): \(error)")
                #expect(!error.description.contains("pw@"), "a password is not repeated")
            }
        }
    }

    // MARK: The authorization event

    /// BUD-11, checked by coincurve and Python's json, not pico: kind 24242, id and signature,
    /// `t=upload`, one `x` per hash, an `expiration` in the future, `server` the host name, and
    /// the header `Nostr <standard padded base64>`.
    @Test func theAuthorizationEventIsWhatBlossomServersCheck() throws {
        let server = try BlossomServer(parsing: "blossom+http://127.0.0.1:3000")
        let hashes = [String(repeating: "a", count: 64), String(repeating: "b", count: 64)]
        let now = Int(Date().timeIntervalSince1970)
        let authorization = BlossomAuthorization(action: "upload", hashes: hashes, server: server, key: Self.key, now: now)
        let header = authorization.header
        #expect(header.hasPrefix("Nostr "))
        let encoded = String(header.dropFirst("Nostr ".count))
        #expect(encoded.count % 4 == 0 && !encoded.contains("-") && !encoded.contains("_"), "standard, padded base64")

        let script = """
        import base64, hashlib, json, sys, time, coincurve
        header, host, hashes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
        assert header.startswith("Nostr "), header
        event = json.loads(base64.b64decode(header[6:], validate=True))
        serial = json.dumps([0, event["pubkey"], event["created_at"], event["kind"], event["tags"], event["content"]],
                            separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(serial.encode()).hexdigest() == event["id"], "id"
        assert coincurve.PublicKeyXOnly(bytes.fromhex(event["pubkey"])).verify(bytes.fromhex(event["sig"]), bytes.fromhex(event["id"])), "sig"
        assert event["kind"] == 24242, "kind"
        tags = event["tags"]
        assert [t[1] for t in tags if t[0] == "t"] == ["upload"], "t"
        assert [t[1] for t in tags if t[0] == "x"] == hashes, "x"
        assert [t[1] for t in tags if t[0] == "server"] == [host], "server"
        expiration = [int(t[1]) for t in tags if t[0] == "expiration"]
        assert len(expiration) == 1 and expiration[0] > time.time(), "expiration"
        assert event["created_at"] <= time.time(), "created_at"
        assert event["content"], "content says what it is for"
        print("ok", event["pubkey"])
        """
        let checked = try TestEnvironment.run(TestEnvironment.venvPython, ["-c", script, header, server.host, hashes.joined(separator: ",")])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout == "ok \(Self.key.publicKeyHex)\n", "\(checked.stdout)\(checked.stderr)")
        #expect(!header.contains(Self.key.nsec), "the key is not in the token")
    }
}
