import Foundation
import PicoCore
@testable import PicoNostr
import Testing

/// The places of a name's record (issue 16 point 1): merged, dropped, and read back from tags.
@Suite struct SitePlacesTests {
    @Test func addingKeepsTheOldFirstAndEachPlaceOnce() {
        let old = SitePlaces(servers: ["https://a.example"], relays: ["wss://r1.example"], mirrors: ["https://m.example/blog/"])
        let new = SitePlaces(servers: ["https://b.example", "https://a.example"], relays: ["wss://r1.example"], mirrors: ["http://127.0.0.1:9000/b/p/"])
        let merged = old.adding(new)
        #expect(merged.servers == ["https://a.example", "https://b.example"])
        #expect(merged.relays == ["wss://r1.example"])
        #expect(merged.mirrors == ["https://m.example/blog/", "http://127.0.0.1:9000/b/p/"])
    }

    @Test func dropMatchesAPlaceAsTheUserWritesIt() {
        let places = SitePlaces(servers: ["http://127.0.0.1:4000"], relays: ["ws://127.0.0.1:5000"], mirrors: ["https://Example.org/blog/"])
        let (left, unmatched) = places.dropping(["blossom+http://127.0.0.1:4000/", "https://example.org/blog", "https://other.example/"])
        #expect(left == SitePlaces(relays: ["ws://127.0.0.1:5000"]))
        #expect(unmatched == ["https://other.example/"])
        // A path is compared as written: /Blog is another place than /blog.
        #expect(places.dropping(["https://example.org/Blog/"]).unmatched.count == 1)
    }

    @Test func mirrorBasesAreHTTPURLsEndingInASlash() {
        #expect(SitePlaces.mirrorBase("https://example.org/blog") == "https://example.org/blog/")
        #expect(SitePlaces.mirrorBase("http://127.0.0.1:9000/b/") == "http://127.0.0.1:9000/b/")
        for bad in ["ftp://example.org/", "https://example.org/?x=1", "https://u:p@example.org/", "example.org/blog", "https:///nohost/"] {
            #expect(SitePlaces.mirrorBase(bad) == nil, "\(bad)")
        }
    }

    @Test func relayAndMirrorTagsComeAfterServerAndIllFormedOnesAreNotRead() throws {
        let key = AuthorKey.generate()
        var site = SiteManifest(site: "blog", files: [("index.html", String(repeating: "a", count: 64))], bundleID: String(repeating: "b", count: 64),
                                bundleSignature: nil, title: "Blog", servers: ["https://a.example"])
        site.places = site.places.adding(SitePlaces(relays: ["wss://r.example"], mirrors: ["https://m.example/"]))
        let event = site.event(createdAt: 1, key: key)
        #expect(event.tags.map(\.[0]).filter { ["server", "relay", "mirror", "bundle"].contains($0) } == ["server", "relay", "mirror", "bundle"])
        #expect(try SiteManifest(event: event) == site)

        var tags = event.tags
        tags.insert(["relay", "https://not-a-relay.example"], at: tags.count - 2)
        tags.insert(["mirror", "javascript:alert(1)/"], at: tags.count - 2)
        tags.insert(["mirror", "https://no-slash.example"], at: tags.count - 2)
        let other = NostrEvent(kind: event.kind, tags: tags, content: "", createdAt: 2, signedBy: key)
        let read = try SiteManifest(event: other)
        #expect(read.relays == ["wss://r.example"])
        #expect(read.mirrors == ["https://m.example/"])
    }
}
