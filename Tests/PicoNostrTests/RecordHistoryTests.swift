import Foundation
import PicoCore
@testable import PicoNostr
import PicoTestSupport
import Testing

/// Issue 16 point 6: pico remembers the newest record of each name and refuses an older one.
@Suite struct RecordHistoryTests {
    static let key = try! AuthorKey(secretKey: [UInt8](hex: "3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243a")!)

    static func record(_ site: String?, createdAt: Int, title: String = "blog", key: AuthorKey = key) -> NostrEvent {
        SiteManifest(site: site, files: [("index.html", String(repeating: "a", count: 64))], bundleID: String(repeating: "b", count: 64),
                     bundleSignature: nil, title: title).event(createdAt: createdAt, key: key)
    }

    @Test func anOlderRecordOfTheSameNameIsRefusedAndANewerOneAccepted() throws {
        let folder = TemporaryFolder("pico-names")
        let history = RecordHistory(folder: folder.url)
        let first = Self.record("blog", createdAt: 1_000), second = Self.record("blog", createdAt: 2_000)
        try history.accept(first)
        try history.accept(second)
        try history.accept(second)  // the same record seen again
        #expect(history.newest(author: Self.key.publicKeyHex, site: "blog")?.id == second.id)
        #expect(history.newest(author: Self.key.publicKeyHex, site: "blog")?.createdAt == 2_000)
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("\(Self.key.publicKeyHex)/blog.json").path))

        // Replayed: refused, with a message naming the name and both records; nothing changes.
        let refusal = try #require(throws: RecordHistory.Refusal.self) { try history.accept(first) }
        #expect(refusal.kind == .older)
        #expect(refusal.description.contains("older than the one pico already accepted"))
        #expect(refusal.description.contains("nostr:naddr1"))
        #expect(refusal.description.contains(String(first.id.prefix(12))) && refusal.description.contains(String(second.id.prefix(12))))
        #expect(history.newest(author: Self.key.publicKeyHex, site: "blog")?.id == second.id)

        // Another name of the same author, the root site and another author are separate names.
        try history.accept(Self.record("docs", createdAt: 10))
        try history.accept(Self.record(nil, createdAt: 10))
        try history.accept(Self.record("blog", createdAt: 10, key: AuthorKey.generate()))
        #expect(history.newest(author: Self.key.publicKeyHex, site: nil)?.createdAt == 10)
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("\(Self.key.publicKeyHex)/_root.json").path))
    }

    @Test func atTheSameSecondTheLowerIdIsTheNewerRecord() throws {
        let history = RecordHistory(folder: TemporaryFolder("pico-names").url)
        let a = Self.record("blog", createdAt: 5_000, title: "one"), b = Self.record("blog", createdAt: 5_000, title: "two")
        let (low, high) = a.id < b.id ? (a, b) : (b, a)
        try history.accept(high)
        try history.accept(low)
        #expect(throws: RecordHistory.Refusal.self) { try history.accept(high) }
    }

    @Test func anAlteredOrForeignEventIsNoRecord() throws {
        let history = RecordHistory(folder: TemporaryFolder("pico-names").url)
        var altered = Self.record("blog", createdAt: 3_000)
        altered.createdAt = 9_000
        #expect((try? history.accept(altered)) == nil)
        #expect(history.newest(author: Self.key.publicKeyHex, site: "blog") == nil)
        let note = NostrEvent(kind: 1, tags: [], content: "hi", createdAt: 1, signedBy: Self.key)
        let refusal = try #require(throws: RecordHistory.Refusal.self) { try history.accept(note) }
        #expect(refusal.kind == .notASiteEvent)
    }

    @Test func aDThatIsNoFileNameIsKeptUnderItsHash() throws {
        let history = RecordHistory(folder: TemporaryFolder("pico-names").url)
        let event = Self.record("../../etc/passwd", createdAt: 1)
        try history.accept(event)
        let file = history.file(author: Self.key.publicKeyHex, site: "../../etc/passwd")
        #expect(file.lastPathComponent.hasPrefix("_sha256-"))
        #expect(file.deletingLastPathComponent().lastPathComponent == Self.key.publicKeyHex)
        #expect(history.newest(author: Self.key.publicKeyHex, site: "../../etc/passwd")?.id == event.id)
    }

    @Test func theStandardFolderFollowsXDGCacheHomeThenHome() {
        #expect(RecordHistory.standard(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/h"]).folder.path == "/x/cache/pico/names")
        #expect(RecordHistory.standard(environment: ["HOME": "/h"]).folder.path == "/h/.cache/pico/names")
    }
}
