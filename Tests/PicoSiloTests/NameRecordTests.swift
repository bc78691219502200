import Foundation
import PicoCore
import PicoNostr
import PicoTestSupport
import Testing

/// Issue 16 points 1, 5 and 6: `pico publish` writes one site event, the name's record, that
/// lists every place the bundle lives (`server`, `relay`, `mirror` tags), merged with the newest
/// record on the relays, less `--drop`ped places; a folder library keeps the signed record beside
/// the bundle; pico refuses a record older than one it accepted. Against the real relay, two
/// real Blossom servers and moto; the event read back with nostr-sdk (nsite_reader.py) and the
/// kept record checked with coincurve (nostr_check.py's event check).
@Suite(.serialized) struct NameRecordTests {
    /// A temporary cache folder for the record history, so tests do not share the user's.
    static func cache(_ folder: TemporaryFolder) -> [String: String] { ["XDG_CACHE_HOME": folder.path("cache").path] }

    static func pico(_ arguments: [String], environment: [String: String]) throws -> ProcessOutput {
        try TestEnvironment.run(TestEnvironment.pico.path, arguments, environment: environment)
    }

    /// The record as nostr-sdk reads it from the relay (id and signature verified there): tags by name.
    static func record(on relay: NostrTestRelay, author: String, site: String) throws -> (json: [String: Any], tags: [String: [String]]) {
        let read = try BlossomTestServer.readSite(relay: relay.url, author: author, site: site)
        let json = try BlossomPublishTests.json(read)
        #expect(json["id_ok"] as? Bool == true && json["signature_ok"] as? Bool == true, "\(read.stdout)")
        let tags = try #require(json["tags"] as? [[String]], "\(read.stdout)")
        var byName: [String: [String]] = [:]
        for tag in tags where tag.count >= 2 { byName[tag[0], default: []].append(tag[1]) }
        return (json, byName)
    }

    /// The record kept beside the one bundle of `library`: the one folder that holds a
    /// site-event.json (the library keeps other things too: index.html, its own folders).
    static func keptRecord(in library: URL) throws -> URL {
        let entries = try FileManager.default.contentsOfDirectory(atPath: library.path).sorted()
        let records = entries.map { library.appendingPathComponent($0).appendingPathComponent("site-event.json") }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        try #require(records.count == 1, "\(entries)")
        return records[0]
    }

    static func site(of bundle: URL) throws -> String {
        RelayTarget.siteIdentifier(forName: try BlossomPublishTests.manifest(bundle).name)
    }

    /// nostr_check.py's event check (coincurve, hashlib): nil when `event` is valid by `author`.
    static func coincurveProblem(_ event: URL, author: String) throws -> String? {
        let script = """
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import nostr_check
        print(nostr_check.event_problem(json.load(open(sys.argv[2])), sys.argv[3]) or "ok")
        """
        let output = try TestEnvironment.run(TestEnvironment.venvPython, ["-c", script,
            TestEnvironment.repository.appendingPathComponent("Tests/tools").path, event.path, author])
        let text = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return output.status == 0 && text == "ok" ? nil : text + output.stderr
    }

    /// Sends `event` (JSON) to the relay as it is, as a replaying relay or peer would.
    static func replay(_ event: Data, to relay: NostrTestRelay) throws -> String {
        let script = """
        import json, sys
        from websockets.sync.client import connect
        event = json.load(open(sys.argv[2]))
        with connect(sys.argv[1]) as ws:
            ws.send(json.dumps(["EVENT", event]))
            print(ws.recv(timeout=10))
        """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("event-\(UUID().uuidString).json")
        try event.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try TestEnvironment.run(TestEnvironment.venvPython, ["-c", script, relay.url, file.path])
        return output.stdout + output.stderr
    }

    @Test func onePublishListsEveryPlaceInOneRecordAndTheLibraryKeepsIt() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let s3 = try S3TestServer()
        try s3.makeBucket("sites")
        let key = try BlossomPublishTests.makeKey(in: folder)
        let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: key.file)
        let library = folder.path("drive")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)

        let published = try Self.pico(["publish", bundle.path, "--key", key.file, "--to", library.path, "--to", "s3://sites/blog",
                                        "--to", relay.url, "--to", a.address, "--to", b.address,
                                        "--mirror", "https://example.org/blog"], environment: s3.environment.merging(Self.cache(folder)) { $1 })
        print("publish:", published.stdout, published.stderr)
        try #require(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("the record lists 2 Blossom servers, 1 relays, 2 mirrors"), "\(published.stdout)")

        let site = try Self.site(of: bundle)
        let (json, tags) = try Self.record(on: relay, author: key.hex, site: site)
        #expect(tags["server"] == [a.url, b.url])
        #expect(tags["relay"] == [relay.url])
        // The bucket's own path-style URL on moto, then the --mirror host (a / added).
        #expect(tags["mirror"] == ["\(s3.url)/sites/blog/", "https://example.org/blog/"], "\(tags)")
        #expect(tags["bundle"] == [try BlossomPublishTests.manifest(bundle).id])
        // Tags in the record's order: server, relay, mirror after the path and x tags, bundle after them.
        let names = try #require(json["tags"] as? [[String]]).map { $0[0] }.filter { ["server", "relay", "mirror", "bundle"].contains($0) }
        #expect(names == ["server", "server", "relay", "mirror", "mirror", "bundle"])
        #expect(json["hashes_ok"] as? Bool == true, "every blob loads from the server tags")
        // The library keeps the very event, and it verifies with coincurve.
        let kept = try Self.keptRecord(in: library)
        let event = try JSONDecoder().decode(NostrEvent.self, from: Data(contentsOf: kept))
        #expect(event.id == json["event_id"] as? String)
        #expect(try Self.coincurveProblem(kept, author: key.hex) == nil)
        let index = try String(contentsOf: library.appendingPathComponent("index.html"), encoding: .utf8)
        let naddr = NostrSiteAddress.naddr(author: [UInt8](hex: key.hex)!, site: site, relays: [relay.url])
        #expect(index.contains(naddr), "the library names the bundle by its naddr")
        #expect(index.contains(key.npub), "and its author")
        // The record is not one of the bundle's files: the library still verifies.
        let verified = try Self.pico(["verify", library.path], environment: [:])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // A second publish to the library only keeps it.
        let again = try Self.pico(["publish", bundle.path, "--to", library.path], environment: [:])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: kept.path))
    }

    @Test func publishingToOneMorePlaceKeepsTheOldOnesAndDropRemovesOne() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let (a, b) = (try BlossomTestServer(), try BlossomTestServer())
        let key = try BlossomPublishTests.makeKey(in: folder)
        let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: key.file)
        let site = try Self.site(of: bundle)
        let environment = Self.cache(folder)
        func publish(_ extra: [String]) throws -> ProcessOutput {
            let output = try Self.pico(["publish", bundle.path, "--key", key.file, "--to", relay.url] + extra, environment: environment)
            print("publish \(extra):", output.stdout, output.stderr)
            return output
        }

        try #require(try publish(["--to", a.address]).status == 0)
        #expect(try Self.record(on: relay, author: key.hex, site: site).tags["server"] == [a.url])

        // One more server and a web host: the old server stays, the new places come after it.
        try #require(try publish(["--to", b.address, "--mirror", "https://mirror.example/blog/"]).status == 0)
        var tags = try Self.record(on: relay, author: key.hex, site: site).tags
        #expect(tags["server"] == [a.url, b.url])
        #expect(tags["mirror"] == ["https://mirror.example/blog/"])
        #expect(tags["relay"] == [relay.url])

        // --drop names a place as the user wrote it (blossom+ prefix, no trailing slash alike).
        let dropped = try publish(["--to", b.address, "--drop", a.address, "--drop", "https://mirror.example/blog", "--drop", "https://never.example/"])
        #expect(dropped.status == 0, "\(dropped.stderr)")
        #expect(dropped.stderr.contains("--drop https://never.example/: the record of this name lists no such place"), "\(dropped.stderr)")
        tags = try Self.record(on: relay, author: key.hex, site: site).tags
        #expect(tags["server"] == [b.url])
        #expect(tags["mirror"] == nil)

        // Nothing new: the same record stays (no new event).
        let before = try Self.record(on: relay, author: key.hex, site: site).json["event_id"] as? String
        try #require(try publish(["--to", b.address]).status == 0)
        #expect(try Self.record(on: relay, author: key.hex, site: site).json["event_id"] as? String == before)

        // --mirror or --drop with no relay: there is no record to change.
        let noRelay = try Self.pico(["publish", bundle.path, "--to", folder.path("lib").path, "--mirror", "https://x.example/"], environment: environment)
        #expect(noRelay.status != 0 && noRelay.stderr.contains("add --to wss://RELAY"), "\(noRelay.stderr)")
    }

    @Test func movingBucketsIsARecordUpdate() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let s3 = try S3TestServer()
        try s3.makeBucket("old-home")
        try s3.makeBucket("new-home")
        let key = try BlossomPublishTests.makeKey(in: folder)
        let bundle = try BlossomPublishTests.buildBlog(in: folder, named: "blog", key: key.file)
        let site = try Self.site(of: bundle)
        let environment = s3.environment.merging(Self.cache(folder)) { $1 }

        let first = try Self.pico(["publish", bundle.path, "--key", key.file, "--to", "s3://old-home/blog", "--to", relay.url], environment: environment)
        try #require(first.status == 0, "\(first.stderr)")
        #expect(try Self.record(on: relay, author: key.hex, site: site).tags["mirror"] == ["\(s3.url)/old-home/blog/"])

        let moved = try Self.pico(["publish", bundle.path, "--key", key.file, "--to", "s3://new-home/blog", "--drop", "s3://old-home/blog",
                                   "--to", relay.url], environment: environment)
        print("move:", moved.stdout, moved.stderr)
        try #require(moved.status == 0, "\(moved.stderr)")
        let tags = try Self.record(on: relay, author: key.hex, site: site).tags
        #expect(tags["mirror"] == ["\(s3.url)/new-home/blog/"], "only the new place: \(tags)")
        #expect(tags["relay"] == [relay.url])
        #expect(tags["bundle"] == [try BlossomPublishTests.manifest(bundle).id])

        // The same name still fetches (the relay's chunks) into identical bytes.
        let address = NostrSiteAddress.naddr(author: [UInt8](hex: key.hex)!, site: site, relays: [relay.url])
        let fetched = try Self.pico(["fetch", address, "-o", folder.path("fetched").path], environment: environment)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(try BlossomFetchTests.files(in: folder.path("fetched")) == BlossomFetchTests.files(in: bundle))
    }

    @Test func anOlderRecordReplayedToARelayIsRefused() throws {
        let folder = TemporaryFolder()
        let relay = try NostrTestRelay()
        let key = try BlossomPublishTests.makeKey(in: folder)
        let v1 = try BlossomPublishTests.buildBlog(in: folder, named: "v1", key: key.file)
        let v2 = try BlossomPublishTests.buildBlog(in: folder, named: "v2", key: key.file) { site in
            try Data("---\ntitle: New\n---\nA new page.\n".utf8).write(to: site.appendingPathComponent("content/new.md"))
        }
        let site = try Self.site(of: v1)
        let environment = Self.cache(folder)
        let library = folder.path("drive")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)

        // v1, its record kept in a library; then v2 (a newer record) on the same relay.
        try #require(try Self.pico(["publish", v1.path, "--key", key.file, "--to", relay.url, "--to", library.path], environment: environment).status == 0)
        let old = try Data(contentsOf: try Self.keptRecord(in: library))
        try #require(try Self.pico(["publish", v2.path, "--key", key.file, "--to", relay.url], environment: environment).status == 0)
        let history = RecordHistory(folder: folder.path("cache/pico/names"))
        let accepted = try #require(history.newest(author: key.hex, site: site))
        #expect(accepted.id == (try Self.record(on: relay, author: key.hex, site: site).json["event_id"] as? String))

        // Another relay is handed the old record (validly signed, older created_at).
        let stale = try NostrTestRelay()
        #expect(try Self.replay(old, to: stale).contains("true"))
        let address = "nostr:\(key.npub)?relay=\(stale.url)&site=\(site)"
        let fetched = try Self.pico(["fetch", address, "-o", folder.path("fetched").path], environment: environment)
        print("fetch of the replayed record:", fetched.stderr)
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains("older than the one pico already accepted"), "\(fetched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("fetched").path))
        let verified = try Self.pico(["verify", address], environment: environment)
        #expect(verified.status != 0 && verified.stderr.contains("older than the one pico already accepted"), "\(verified.stdout)\(verified.stderr)")

        // Publishing there merges only from that old record: refused, nothing sent.
        let republished = try Self.pico(["publish", v2.path, "--key", key.file, "--to", stale.url], environment: environment)
        #expect(republished.status == 1)
        #expect(republished.stderr.contains("older than the one pico already accepted") && republished.stderr.contains("nothing was published"),
                "\(republished.stderr)")
        #expect(try stale.count(author: key.hex, kind: BlossomPublishTests.chunkKind) == 0)

        // A pico that never saw v2 takes the v1 record from that relay (and goes on to its files,
        // which that relay lacks): the refusal came from what pico remembered.
        let fresh = try Self.pico(["fetch", address, "-o", folder.path("fresh").path], environment: ["XDG_CACHE_HOME": folder.path("other-cache").path])
        #expect(!fresh.stderr.contains("older than"), "\(fresh.stderr)")
        let oldEvent = try JSONDecoder().decode(NostrEvent.self, from: old)
        #expect(RecordHistory(folder: folder.path("other-cache/pico/names")).newest(author: key.hex, site: site)?.id == oldEvent.id)
        #expect(history.newest(author: key.hex, site: site) == accepted)
    }
}
