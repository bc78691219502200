import Foundation
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// Issue 16 points 3 and 4, and its integration test: `pico fetch|verify|locate NAME` read the
/// newest record (the signed site event) and try the places it lists in order — the `--from`
/// library, `mirror` tags, Blossom `server` tags, relay chunks — each file from the first place
/// whose bytes verify. One `pico publish` puts Examples/blog on a real relay, two real Blossom
/// servers, moto (its own path-style HTTP endpoint is the `mirror`, read anonymously as plain
/// files thanks to the bucket policy a user sets for a public bucket) and a folder library,
/// which keeps `site-event.json` beside the bundle.
@Suite(.serialized) struct NameFetchTests {
    /// Everything the blog was published to, and the record that lists it.
    final class Places: @unchecked Sendable {
        let folder = TemporaryFolder()
        let relay: NostrTestRelay
        let a: BlossomTestServer, b: BlossomTestServer
        let s3: S3TestServer
        let bundle: URL, library: URL, libraryCopy: URL
        let keyFile: String
        let naddr: String
        /// moto's path-style URL of s3://sites/blog: the record's mirror tag.
        let mirrorBase: String
        static let bucket = "sites", prefix = "blog"
        /// pico's record history, kept out of the real home. No AWS credentials: every read of
        /// the bucket by name is an anonymous GET, as anyone reading the site would make it.
        var environment: [String: String] { ["XDG_CACHE_HOME": folder.path("cache").path] }
        /// What `pico publish` is given: the history and the bucket's credentials.
        var publishEnvironment: [String: String] { s3.environment.merging(environment) { $1 } }

        /// The blog published in one command to the library, the bucket (made public by a bucket
        /// policy first), the relay and both Blossom servers. `tamperPath`'s hash is served
        /// altered by both Blossom servers.
        init(tamperPath: String? = nil) throws {
            relay = try NostrTestRelay()
            s3 = try S3TestServer()
            try s3.makeBucket(Self.bucket)
            try Self.makePublic(Self.bucket, on: s3)
            let key = try BlossomPublishTests.makeKey(in: folder)
            keyFile = key.file
            let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: key.file)
            self.bundle = bundle
            let tampered = try tamperPath.map { SHA256Hex.of(try Data(contentsOf: bundle.appendingPathComponent($0))) }
            let options = tampered.map { ["--tamper", $0] } ?? []
            (a, b) = (try BlossomTestServer(options: options), try BlossomTestServer(options: options))
            library = folder.path("library")
            try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)

            let published = try TestEnvironment.run(TestEnvironment.pico.path, [
                "publish", bundle.path, "--key", key.file, "--json", "--to", library.path, "--to", "s3://\(Self.bucket)/\(Self.prefix)",
                "--to", relay.url, "--to", a.address, "--to", b.address,
            ], environment: s3.environment.merging(["XDG_CACHE_HOME": folder.path("cache").path]) { $1 })
            try #require(published.status == 0, "\(published.stdout)\(published.stderr)")
            let lines = try published.stdout.split(whereSeparator: \.isNewline).map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            // One line per silo: the library, the bucket, and the relay with its Blossom servers.
            #expect(lines.count == 3, "\(published.stdout)")
            naddr = try #require(lines.compactMap { $0["fetch"] as? String }.first, "\(published.stdout)")
            mirrorBase = "\(s3.url)/\(Self.bucket)/\(Self.prefix)/"
            // The bundle's folder in the library: the one that keeps the record.
            let root = library
            let entries = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
            let kept = entries.map { root.appendingPathComponent($0) }.filter {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("site-event.json").path)
            }
            try #require(kept.count == 1, "\(entries)")
            libraryCopy = kept[0]
        }

        /// The bucket policy that makes a bucket's objects readable by anyone (Principal "*",
        /// s3:GetObject), as a user sets it for a site served from S3; put with the aws CLI.
        static func makePublic(_ bucket: String, on s3: S3TestServer) throws {
            let policy = """
            {"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",\
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::\(bucket)/*"}]}
            """
            let put = try s3.aws(["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy])
            try #require(put.status == 0, "\(put.stderr)")
        }

        func pico(_ arguments: [String]) throws -> ProcessOutput {
            try TestEnvironment.run(TestEnvironment.pico.path, arguments, environment: environment)
        }

        /// `pico locate NAME --json`'s rows.
        func locate(_ extra: [String] = []) throws -> (output: ProcessOutput, rows: [[String: Any]]) {
            let located = try pico(["locate", naddr, "--json"] + extra)
            print("locate:", located.stdout, located.stderr)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(located.stdout.utf8)) as? [String: Any], "\(located.stdout)\(located.stderr)")
            return (located, try #require(json["places"] as? [[String: Any]]))
        }

        /// One byte of `path` flipped in `copy`.
        static func alter(_ path: String, in copy: URL) throws {
            let file = copy.appendingPathComponent(path)
            var data = try Data(contentsOf: file)
            data[data.count / 2] ^= 0x20
            try data.write(to: file)
        }

        /// One byte of `path` flipped in the bucket: the object overwritten through the S3 API
        /// (aws s3 cp, signed), as someone with write access to the bucket would.
        func alterObject(_ path: String) throws {
            var data = try Data(contentsOf: bundle.appendingPathComponent(path))
            data[data.count / 2] ^= 0x20
            let file = folder.path("altered-object")
            try data.write(to: file)
            let copied = try s3.aws(["s3", "cp", file.path, "s3://\(Self.bucket)/\(Self.prefix)/\(path)"])
            try #require(copied.status == 0, "\(copied.stderr)")
        }

        /// The bucket's anonymous GETs of bundle files so far (moto's access log).
        func mirrorGets() -> Int {
            s3.requestLog().filter { $0.contains("\"GET /\(Self.bucket)/\(Self.prefix)/") && $0.contains("\" 200 ") }.count
        }
    }

    static let css = "css/site.css"

    /// The fetched folder against the bundle that was built, by independent tools: `diff -r`
    /// (every byte, no file more or less) and `sha256sum -c` of the built bundle's SHA256SUMS.
    static func assertIdentical(_ fetched: URL, _ bundle: URL) throws {
        let diff = try TestEnvironment.run("diff", ["-r", bundle.path, fetched.path])
        #expect(diff.status == 0, "diff -r: \(diff.stdout)\(diff.stderr)")
        let sums = try TestEnvironment.run("sha256sum", ["-c", "--strict", "--quiet", bundle.appendingPathComponent("SHA256SUMS").path], in: fetched)
        #expect(sums.status == 0, "sha256sum -c: \(sums.stdout)\(sums.stderr)")
    }

    @Test func everyPlaceIsCurrentAndTheNameFetchesIdenticalBytes() throws {
        let places = try Places()
        // The record lists every place the one publish wrote: the bucket's URL is its mirror.
        let (located, rows) = try places.locate(["--from", places.library.path])
        #expect(located.status == 0, "\(located.stdout)\(located.stderr)")
        // The files went to Blossom, so the relays hold the record but no chunk events: no relay place.
        #expect(rows.map { $0["kind"] as? String } == ["library", "mirror", "blossom", "blossom"] as [String?])
        #expect(rows.map { $0["place"] as? String } == [places.library.path, places.mirrorBase, places.a.url, places.b.url] as [String?], "\(rows)")
        #expect(rows.allSatisfy { $0["state"] as? String == "current" }, "\(rows)")

        let table = try places.pico(["locate", places.naddr])
        print("locate table:", table.stdout)
        #expect(table.status == 0 && table.stdout.contains(places.mirrorBase) && table.stdout.contains("current"), "\(table.stdout)")

        let destination = places.folder.path("fetched")
        let blobsBefore = places.a.requests("GET", "/*") + places.b.requests("GET", "/*")
        let mirrorBefore = places.mirrorGets()
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        try Self.assertIdentical(destination, places.bundle)
        // The mirror comes first among the network places: every file from moto, no blob asked for.
        let count = try BlossomPublishTests.manifest(places.bundle).files.count
        #expect(fetched.stdout.contains("files from mirror \(places.mirrorBase) (\(count))"), "\(fetched.stdout)")
        #expect(places.mirrorGets() - mirrorBefore >= count, "moto served the files: \(places.s3.requestLog().suffix(5))")
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
        try Self.assertIdentical(viaAlias, places.bundle)
        let npub = NIP19Entity.npub(publicKey: try #require([UInt8](hex: author))).encoded
        let viaNpub = places.folder.path("npub")
        let named = try places.pico(["fetch", "nostr:\(npub)/\(site)?relay=\(places.relay.url)", "-o", viaNpub.path])
        #expect(named.status == 0, "\(named.stderr)")
    }

    @Test func aStoppedBucketIsNamedAndTheNextPlaceServes() throws {
        let places = try Places()
        _ = places.s3.server.stop()
        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("mirror \(places.mirrorBase) is unreachable"), "\(fetched.stderr)")
        try Self.assertIdentical(destination, places.bundle)
        #expect(fetched.stdout.contains("files from blossom \(places.a.url)"), "\(fetched.stdout)")
        #expect(places.a.requests("GET", "/*", status: 200) > 0)

        let (located, rows) = try places.locate()
        #expect(located.status == 1)
        let mirror = try #require(rows.first { $0["kind"] as? String == "mirror" })
        #expect(mirror["state"] as? String == "unreachable", "\(mirror)")
        #expect(rows.filter { $0["kind"] as? String == "blossom" }.allSatisfy { $0["state"] as? String == "current" }, "\(rows)")
    }

    @Test func oneAlteredObjectInTheBucketIsNamedByLocateAndFetchStillSucceeds() throws {
        let places = try Places()
        try places.alterObject(Self.css)
        let (located, rows) = try places.locate()
        #expect(located.status == 1, "\(located.stdout)\(located.stderr)")
        let mirror = try #require(rows.first { $0["kind"] as? String == "mirror" })
        #expect(mirror["state"] as? String == "tampered", "\(mirror)")
        #expect((mirror["detail"] as? String)?.hasPrefix(Self.css) == true, "\(mirror)")
        #expect(rows.filter { $0["kind"] as? String == "blossom" }.allSatisfy { $0["state"] as? String == "current" }, "\(rows)")
        let table = try places.pico(["locate", places.naddr])
        print("locate table:", table.stdout)
        #expect(table.status == 1 && table.stdout.contains("tampered") && table.stdout.contains(Self.css), "\(table.stdout)")

        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("mirror \(places.mirrorBase) served wrong bytes for \(Self.css)"), "\(fetched.stderr)")
        try Self.assertIdentical(destination, places.bundle)

        // pico serve NAME: the good bytes, from the next place.
        let served = try ServerProcess(TestEnvironment.pico, ["serve", places.naddr, "--port", "0"], environment: places.environment)
        let page = try TestEnvironment.get(served.url + Self.css)
        let good = try Data(contentsOf: places.bundle.appendingPathComponent(Self.css))
        #expect(page.status == 200 && page.body == good)
        let log = served.stop()
        #expect(log.contains("served wrong bytes for \(Self.css)"), "\(log)")
    }

    @Test func everyPlaceTamperedIsExit1AndNothingWritten() throws {
        let places = try Places(tamperPath: Self.css)
        try places.alterObject(Self.css)
        try Places.alter(Self.css, in: places.libraryCopy)
        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains(Self.css), "\(fetched.stderr)")
        for place in ["library \(places.library.path)", "mirror \(places.mirrorBase)", "blossom \(places.a.url)", "blossom \(places.b.url)"] {
            #expect(fetched.stderr.contains("\(place) served wrong bytes for \(Self.css)"), "\(place): \(fetched.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: places.folder.url.path)) ?? []).allSatisfy { !$0.hasPrefix("fetched") })
    }

    @Test func withTheRelaysDownTheLibraryAloneServesTheName() throws {
        let places = try Places()
        _ = places.relay.server.stop()
        _ = places.s3.server.stop()
        _ = places.a.stop()
        _ = places.b.stop()
        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        try Self.assertIdentical(destination, places.bundle)
        #expect(fetched.stdout.contains("library \(places.library.path)"), "\(fetched.stdout)")
        #expect(fetched.stderr.contains("using the one kept in the library"), "\(fetched.stderr)")

        // A library record that does not verify is not used.
        let recordFile = places.libraryCopy.appendingPathComponent("site-event.json")
        let text = try String(contentsOf: recordFile, encoding: .utf8)
        try text.replacingOccurrences(of: "\"mirror\"", with: "\"mirror\",\"x\"").write(to: recordFile, atomically: true, encoding: .utf8)
        let again = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", places.folder.path("again").path])
        #expect(again.status == 1, "\(again.stdout)")
    }

    @Test func anOlderRecordThanOneAcceptedIsRefused() throws {
        let places = try Places()
        // The record the publish wrote, kept by the library; then a newer one (b dropped) on the relay.
        let old = try Data(contentsOf: places.libraryCopy.appendingPathComponent("site-event.json"))
        let newer = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", places.bundle.path, "--key", places.keyFile,
                                                                        "--to", places.relay.url, "--drop", places.b.address],
                                            environment: places.publishEnvironment)
        try #require(newer.status == 0, "\(newer.stderr)")
        let first = try places.pico(["fetch", places.naddr, "-o", places.folder.path("first").path])
        #expect(first.status == 0, "\(first.stderr)")

        // Replayed to a relay (validly signed, older created_at): a second relay holds only it.
        let stale = try NostrTestRelay()
        #expect(try NameRecordTests.replay(old, to: stale).contains("true"))
        let site = try NameRecordTests.site(of: places.bundle)
        let author = try #require(try BlossomPublishTests.manifest(places.bundle).signature?.pubkey)
        let npub = NIP19Entity.npub(publicKey: try #require([UInt8](hex: author))).encoded
        let viaStale = places.folder.path("via-stale")
        let replayed = try places.pico(["fetch", "nostr:\(npub)/\(site)?relay=\(stale.url)", "-o", viaStale.path])
        print("fetch of the replayed record:", replayed.stderr)
        #expect(replayed.status == 1)
        #expect(replayed.stderr.contains("is older than the one pico already accepted"), "\(replayed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: viaStale.path))

        // The library offers the older record, the relay none (it is down).
        _ = places.relay.server.stop()
        let destination = places.folder.path("replayed")
        let offline = try places.pico(["fetch", places.naddr, "--from", places.library.path, "-o", destination.path])
        #expect(offline.status == 1)
        #expect(offline.stderr.contains("is older than the one pico already accepted"), "\(offline.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    @Test func movingToASecondBucketWithDropKeepsTheName() throws {
        let places = try Places()
        try places.s3.makeBucket("new-home")
        try Places.makePublic("new-home", on: places.s3)
        let moved = try TestEnvironment.run(TestEnvironment.pico.path, [
            "publish", places.bundle.path, "--key", places.keyFile, "--to", "s3://new-home/blog",
            "--drop", "s3://\(Places.bucket)/\(Places.prefix)", "--to", places.relay.url,
        ], environment: places.publishEnvironment)
        print("move:", moved.stdout, moved.stderr)
        try #require(moved.status == 0, "\(moved.stderr)")
        let newBase = "\(places.s3.url)/new-home/blog/"

        let (located, rows) = try places.locate()
        #expect(located.status == 0, "\(located.stdout)\(located.stderr)")
        #expect(rows.map { $0["place"] as? String } == [newBase, places.a.url, places.b.url] as [String?], "only the new bucket: \(rows)")
        #expect(rows.allSatisfy { $0["state"] as? String == "current" }, "\(rows)")
        #expect(!located.stdout.contains("/\(Places.bucket)/\(Places.prefix)/"), "\(located.stdout)")

        // The old bucket emptied: the same naddr fetches from the new one.
        let emptied = try places.s3.aws(["s3", "rm", "--recursive", "s3://\(Places.bucket)/\(Places.prefix)"])
        #expect(emptied.status == 0, "\(emptied.stderr)")
        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch after the move:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let count = try BlossomPublishTests.manifest(places.bundle).files.count
        #expect(fetched.stdout.contains("files from mirror \(newBase) (\(count))"), "\(fetched.stdout)")
        try Self.assertIdentical(destination, places.bundle)
    }

    @Test func aNewVersionPublishedElsewhereLeavesTheBucketStale() throws {
        let places = try Places()
        let old = try BlossomPublishTests.manifest(places.bundle).id
        let v2 = try BlossomPublishTests.buildBlog(in: places.folder, named: "v2", key: places.keyFile) { site in
            try Data("---\ntitle: New\n---\nA new page.\n".utf8).write(to: site.appendingPathComponent("content/new.md"))
        }
        // The new version goes to the relay and both servers; the record keeps the bucket, which still holds v1.
        let published = try TestEnvironment.run(TestEnvironment.pico.path, ["publish", v2.path, "--key", places.keyFile, "--to", places.relay.url,
                                                                            "--to", places.a.address, "--to", places.b.address],
                                                environment: places.publishEnvironment)
        try #require(published.status == 0, "\(published.stderr)")
        let (located, rows) = try places.locate()
        #expect(located.status == 1)
        let mirror = try #require(rows.first { $0["kind"] as? String == "mirror" })
        #expect(mirror["place"] as? String == places.mirrorBase)
        #expect(mirror["state"] as? String == "stale" && mirror["detail"] as? String == "holds bundle \(old)", "\(mirror)")
        #expect(rows.filter { $0["kind"] as? String == "blossom" }.map { $0["state"] as? String } == ["current", "current"], "\(rows)")

        let destination = places.folder.path("fetched")
        let fetched = try places.pico(["fetch", places.naddr, "-o", destination.path])
        print("fetch:", fetched.stdout, fetched.stderr)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("mirror \(places.mirrorBase) is stale: it holds bundle \(old)"), "\(fetched.stderr)")
        try Self.assertIdentical(destination, v2)
    }
}
