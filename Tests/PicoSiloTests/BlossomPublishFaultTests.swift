import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// `pico publish` against Blossom servers that misbehave the way deployed ones do (the faults
/// of Silos/blossom/blossom_server.py: a skewed clock, a server known by another name, a proxy
/// that rewrites bodies, no BUD-04 mirror, a store that fails midway), through the real CLI, the
/// real relay and the real servers.
@Suite(.serialized) struct BlossomPublishFaultTests {
    typealias Publish = BlossomPublishTests

    /// The blog with one post changed: its page, SHA256SUMS and pico-manifest.json differ.
    static func changedBlog(in folder: TemporaryFolder, named name: String, key: String, words: String, search: Bool = true) throws -> URL {
        try Publish.buildBlog(in: folder, named: name, key: key, search: search) { site in
            let post = site.appendingPathComponent("content/posts/what-a-hash-promises.md")
            try (try String(contentsOf: post, encoding: .utf8) + "\n\(words)\n").write(to: post, atomically: true, encoding: .utf8)
        }
    }

    /// How many distinct contents a publish of `bundle` puts on a server: its files' and the
    /// two describing files.
    static func contents(of bundle: URL) throws -> Int {
        Set(try Publish.manifest(bundle).files.map(\.sha256)).count + 2
    }

    /// 401 for a token the server's clock finds expired or not yet valid, 403 for a token scoped
    /// to a name the server does not go by, 409 for bytes changed on the way: each names the
    /// server, the file and what to do, exits 1, and leaves the previous site event in force.
    @Test func authorizationAndHashRefusalsNameTheServerAndWhatToDo() throws {
        let relay = try NostrTestRelay()
        let good = try BlossomTestServer()
        let folder = TemporaryFolder()
        let key = try Publish.makeKey(in: folder)
        let secret = try #require(try String(contentsOfFile: key.file, encoding: .utf8).split(separator: "\n").last.map(String.init))
        let v1 = try Publish.buildBlog(in: folder, named: "v1", key: key.file)
        #expect(try Publish.publish(v1, to: [relay.url, good.address], key: key.file).status == 0)
        let before = try Publish.read(relay, author: key.hex, site: "carried-by").json["event_id"] as? String
        #expect(before != nil)
        let v2 = try Self.changedBlog(in: folder, named: "v2", key: key.file, words: "A change that never arrives.")
        let paths = try Publish.manifest(v2).files.map(\.path) + ["SHA256SUMS", "pico-manifest.json"]

        let cases: [(options: [String], says: [String])] = [
            (["--clock-offset", "700"], ["HTTP 401", "the authorization event has expired", "did not accept pico's authorization",
                                         "signed by \(key.npub)", "this machine's clock is right"]),
            (["--clock-offset", "-120"], ["HTTP 401", "created_at is in the future", "this machine's clock is right"]),
            (["--public-url", "http://blossom.test:8080"], ["HTTP 403", "scoped to 127.0.0.1, not to blossom.test",
                                                            "goes by another name than 127.0.0.1", "give --to that name"]),
            (["--alter-uploads"], ["HTTP 409", "not the X-SHA-256", "the bytes changed on the way", "publish to another server"]),
        ]
        for (options, says) in cases {
            let bad = try BlossomTestServer(options: options)
            // The bad server first: new blobs go to it before any other, as an upload.
            let failed = try Publish.publish(v2, to: [relay.url, bad.address, good.address], key: key.file)
            print("\(options):", failed.stderr)
            #expect(failed.status == 1, "\(options): \(failed.stdout)")
            #expect(failed.stderr.contains("\(bad.url) refused PUT /upload of "), "\(options): \(failed.stderr)")
            #expect(paths.contains { failed.stderr.contains(" of \($0) (HTTP") }, "names the file: \(failed.stderr)")
            for text in says { #expect(failed.stderr.contains(text), "\(options): \(text) in \(failed.stderr)") }
            #expect(failed.stderr.contains("nothing was sent to the relays"), "\(failed.stderr)")
            #expect(!(failed.stdout + failed.stderr).contains(secret))
            #expect(bad.requests("PUT", "/upload", status: 201) == 0, "\(options): \(bad.requestLog())")
            #expect(try Publish.read(relay, author: key.hex, site: "carried-by").json["event_id"] as? String == before, "\(options)")
        }
        #expect(try relay.count(author: key.hex, kind: 35128) == 1)
    }

    /// A server whose store fails after some of the new blobs: publish exits 1 naming it, the
    /// relay is sent nothing, and a reader still gets the previous version, byte for byte.
    @Test func aPublishThatFailsMidwayLeavesThePreviousVersionForReaders() throws {
        let relay = try NostrTestRelay()
        let folder = TemporaryFolder()
        let key = try Publish.makeKey(in: folder)
        let v1 = try Publish.buildBlog(in: folder, named: "v1", key: key.file)
        let v1Contents = try Self.contents(of: v1)
        let a = try BlossomTestServer()
        // B stores v1 whole, then one blob of v2, then fails every upload and mirror.
        let b = try BlossomTestServer(options: ["--fail-uploads-after", String(v1Contents + 1)])
        let first = try Publish.publish(v1, to: [relay.url, a.address, b.address], key: key.file)
        try #require(first.status == 0, "\(first.stderr)")
        let address = try #require(try Publish.json(first)["fetch"] as? String)
        #expect(b.blobs().count == v1Contents)

        let v2 = try Self.changedBlog(in: folder, named: "v2", key: key.file, words: "Half of this change arrives.")
        let v2Hashes = Set(try Publish.manifest(v2).files.map(\.sha256))
        let failed = try Publish.publish(v2, to: [relay.url, a.address, b.address], key: key.file)
        print("fails midway:", failed.stderr)
        #expect(failed.status == 1, "\(failed.stdout)")
        #expect(failed.stderr.contains(b.url) && failed.stderr.contains("HTTP 503"), "\(failed.stderr)")
        #expect(failed.stderr.contains("nothing was sent to the relays"), "\(failed.stderr)")
        // Midway: A took every new blob, B one of them, the relay still holds the one site event.
        #expect(v2Hashes.isSubset(of: a.blobs()), "\(a.requestLog().suffix(10))")
        #expect(b.blobs().count == v1Contents + 1, "\(b.requestLog().suffix(10))")
        #expect(try relay.count(author: key.hex, kind: 35128) == 1)

        try Self.expectFetch(address, gives: v1, not: v2, in: folder)
    }

    /// The relay refuses the new site event (its rate limit) after every blob went up: exit 1
    /// naming the relay and its answer; the relay keeps the previous event, a reader gets v1.
    @Test func aRelayThatRefusesTheNewSiteEventLeavesThePreviousVersionForReaders() throws {
        let relay = try NostrTestRelay(environment: ["PICO_NOSTR_EVENT_RATE": "1/hour"])
        let server = try BlossomTestServer()
        let folder = TemporaryFolder()
        let key = try Publish.makeKey(in: folder)
        let v1 = try Publish.buildBlog(in: folder, named: "v1", key: key.file)
        let first = try Publish.publish(v1, to: [relay.url, server.address], key: key.file)
        try #require(first.status == 0, "\(first.stderr)")
        let address = try #require(try Publish.json(first)["fetch"] as? String)

        let v2 = try Self.changedBlog(in: folder, named: "v2", key: key.file, words: "The relay never takes this.")
        let refused = try Publish.publish(v2, to: [relay.url, server.address], key: key.file)
        print("relay refuses:", refused.stderr)
        #expect(refused.status == 1, "\(refused.stdout)")
        #expect(refused.stderr.contains("\(relay.url) refused the site manifest event: rate-limited: slow down"), "\(refused.stderr)")
        #expect(Set(try Publish.manifest(v2).files.map(\.sha256)).isSubset(of: server.blobs()), "the blobs went first")
        #expect(try relay.count(author: key.hex, kind: 35128) == 1)
        try Self.expectFetch(address, gives: v1, not: v2, in: folder)
    }

    /// One changed page, counted where the requests land, not by pico: each server is asked
    /// about each content once (HEAD), A takes the three new blobs (the page, SHA256SUMS,
    /// pico-manifest.json) by PUT /upload, B copies them by PUT /mirror (fetching each from A
    /// once), nothing else is asked, and the relay stores one event, the new site event.
    @Test func republishingOneChangedPageSendsThreeBlobsAndOneEvent() throws {
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let folder = TemporaryFolder()
        let key = try Publish.makeKey(in: folder)
        let v1 = try Publish.buildBlog(in: folder, named: "v1", key: key.file, search: false)
        try #require(try Publish.publish(v1, to: [relay.url, a.address, b.address], key: key.file).status == 0)
        let relayLog = relay.state.url.appendingPathComponent("relay.log")
        func storedEvents() throws -> [String] {
            try String(contentsOf: relayLog, encoding: .utf8).split(separator: "\n")
                .compactMap { line -> String? in
                    guard let at = line.firstRange(of: " added ") else { return nil }
                    return String(line[at.upperBound...].prefix(64))
                }
        }
        let (aBefore, bBefore, eventsBefore, blobsBefore) = (a.requestLog().count, b.requestLog().count, try storedEvents().count, a.blobs())

        let v2 = try Self.changedBlog(in: folder, named: "v2", key: key.file, words: "One paragraph more.", search: false)
        let republished = try Publish.publish(v2, to: [relay.url, a.address, b.address], key: key.file)
        #expect(republished.status == 0, "\(republished.stderr)")
        let aNew = Array(a.requestLog().dropFirst(aBefore)), bNew = Array(b.requestLog().dropFirst(bBefore))
        let contents = try Self.contents(of: v2)
        #expect(aNew.filter { $0.hasPrefix("HEAD /") }.count == contents && bNew.filter { $0.hasPrefix("HEAD /") }.count == contents)
        #expect(aNew.filter { $0.hasPrefix("PUT ") } == Array(repeating: "PUT /upload 201", count: 3), "\(aNew)")
        #expect(bNew.filter { $0.hasPrefix("PUT ") } == Array(repeating: "PUT /mirror 201", count: 3), "\(bNew)")
        // B's mirrors fetched each new blob from A once; nothing else was asked.
        #expect(aNew.filter { $0.hasPrefix("GET /") }.count == 3, "\(aNew)")
        #expect(aNew.count == contents + 6 && bNew.count == contents + 3, "\(aNew) \(bNew)")
        let page = try Data(contentsOf: v2.appendingPathComponent("posts/what-a-hash-promises/index.html"))
        let expected = Set([SHA256Hex.of(page)] + (try ["SHA256SUMS", "pico-manifest.json"].map { SHA256Hex.of(try Data(contentsOf: v2.appendingPathComponent($0))) }))
        #expect(a.blobs().subtracting(blobsBefore) == expected && b.blobs() == a.blobs())
        // The relay's own log: one event stored, the site event a reader now gets.
        let stored = Array(try storedEvents().dropFirst(eventsBefore))
        let site = try Publish.read(relay, author: key.hex, site: "carried-by").json
        #expect(stored.count == 1 && stored.first == site["event_id"] as? String, "\(stored) \(site["event_id"] ?? "")")
    }

    /// `pico fetch ADDRESS` writes `bundle`, every file byte-identical, and not `newer`.
    static func expectFetch(_ address: String, gives bundle: URL, not newer: URL, in folder: TemporaryFolder) throws {
        let destination = folder.path("fetched-\(UUID().uuidString.prefix(8))")
        let fetched = try TestEnvironment.run(TestEnvironment.pico.path, ["fetch", address, "-o", destination.path])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let want = try BlossomFetchTests.files(in: bundle), got = try BlossomFetchTests.files(in: destination)
        #expect(!got.isEmpty && Set(got.keys) == Set(want.keys))
        #expect(want.allSatisfy { got[$0.key] == $0.value }, "\(want.keys.filter { got[$0] != want[$0] }.sorted())")
        #expect(got["pico-manifest.json"] != (try Data(contentsOf: newer.appendingPathComponent("pico-manifest.json"))))
    }

    /// A server that refuses `PUT /mirror` (no BUD-04, or a policy against it) gets the upload
    /// instead, every later blob goes straight to an upload, and publish says so.
    @Test(arguments: [404, 403])
    func aServerThatRefusesToMirrorGetsTheUploadAndPublishSaysSo(status: Int) throws {
        let relay = try NostrTestRelay()
        let a = try BlossomTestServer()
        let b = try BlossomTestServer(options: ["--refuse-mirror", String(status)])
        let folder = TemporaryFolder()
        let key = try Publish.makeKey(in: folder)
        let bundle = try Publish.buildBlog(in: folder, named: "blog", key: key.file)
        let contents = try Self.contents(of: bundle)

        let published = try Publish.publish(bundle, to: [relay.url, a.address, b.address], key: key.file)
        print("refuse-mirror \(status):", published.stderr)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stderr.contains("warning: \(b.url) refused PUT /mirror (HTTP \(status): this server does not mirror blobs (--refuse-mirror)), "
                                          + "the copy from another server (BUD-04); pico uploaded \(contents) files to it instead"), "\(published.stderr)")
        #expect(!published.stderr.contains(a.url), "A mirrored nothing and refused nothing: \(published.stderr)")
        // Every blob is on both; B refused a mirror only while the first refusal was on its way.
        #expect(b.requests("PUT", "/upload", status: 201) == contents, "\(b.requestLog())")
        let mirrors = b.requests("PUT", "/mirror")
        #expect((1...8).contains(mirrors) && b.requests("PUT", "/mirror", status: status) == mirrors, "\(b.requestLog())")
        #expect(a.requests("PUT", "/upload", status: 201) == contents && a.blobs() == b.blobs())
        let site = try Publish.read(relay, author: key.hex, site: "carried-by")
        let files = try #require(site.json["files"] as? [[String: Any]])
        let paths = try Publish.manifest(bundle).files.count + 2
        #expect(site.status == 0 && files.count == paths, "\(site.json)")
        #expect(files.allSatisfy { $0["ok"] as? Bool == true }, "\(files.filter { $0["ok"] as? Bool != true })")
    }
}
