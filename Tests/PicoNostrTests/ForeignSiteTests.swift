import Foundation
import PicoCore
import PicoNostr
import Testing

/// A site event another tool wrote (no pico bundle tag), read as an unsigned bundle: its
/// `path` tags held to the bundle path rules before anything is fetched, and the describing
/// files pico writes for it.
@Suite struct ForeignSiteTests {
    static let key = try! AuthorKey(secretKey: [UInt8](hex: "1d5ac721315f1dd0745a29b965f3cac547a71581c85bf98334641923fc1189ec")!)

    static func event(_ paths: [[String]], kind: Int = SiteEventKind.rootSite, extra: [[String]] = [["client", "nsyte"]]) -> NostrEvent {
        NostrEvent(kind: kind, tags: paths.map { ["path"] + $0 } + extra, content: "", createdAt: 1_700_000_000, signedBy: key)
    }

    static func hash(_ text: String) -> String { SHA256Hex.of(Data(text.utf8)) }

    @Test func moreThanTheMostPathTagsIsRefused() throws {
        let many = (0...ForeignSite.maxFiles).map { ["/f\($0).html", Self.hash("\($0)")] }
        #expect(throws: ForeignSite.Refusal.self) { try ForeignSite(event: Self.event(many)) }
        do { _ = try ForeignSite(event: Self.event(many)) } catch {
            #expect(error.description.contains("has \(ForeignSite.maxFiles + 1) path tags, more than the \(ForeignSite.maxFiles)"), "\(error)")
        }
        let most = try ForeignSite(event: Self.event(Array(many.dropLast())))
        #expect(most.files.count == ForeignSite.maxFiles)
    }

    @Test func noPathTagsIsRefused() {
        #expect(throws: ForeignSite.Refusal.self) { try ForeignSite(event: Self.event([])) }
    }

    @Test func theBundleIsUnsignedVerifiesAndIsTheSameEveryTime() throws {
        let files = ["index.html": "<!doctype html><p>home", "css/a.css": "p{}", "b/c.txt": "same", "b/d.txt": "same"]
        let event = Self.event(files.map { ["/" + $0.key, Self.hash($0.value)] }, kind: SiteEventKind.namedSite,
                               extra: [["d", "notes"], ["client", "nsyte"]])
        let site = try ForeignSite(event: event)
        #expect(site.name == "notes" && site.publisher == "nsyte" && site.contents.count == 3)
        #expect(site.note.hasPrefix("published by nsyte; the site event's signature by \(Self.key.npub) checked, no bundle signature"))
        let sizes = Dictionary(files.map { (Self.hash($0.value), $0.value.utf8.count) }, uniquingKeysWith: { a, _ in a })
        let bundle = try site.bundle(sizes: sizes)
        #expect(bundle.manifest.signature == nil && bundle.manifest.entry == "index.html")
        #expect(bundle.manifest.created == "2023-11-14T22:13:20Z")
        #expect(bundle.checksums == Checksums.render(bundle.manifest.files))
        #expect(try bundle.manifest == site.bundle(sizes: sizes).manifest)
        let present = Dictionary(uniqueKeysWithValues: files.map {
            ($0.key, PresentFile(isRegularFile: true, size: $0.value.utf8.count, sha256: Self.hash($0.value)))
        })
        let report = BundleVerifier(signatureChecker: SchnorrSignatureChecker())
            .check(target: "t", manifestData: bundle.manifestData, checksumsData: bundle.checksums, present: present)
        #expect(report.isValid && report.signature == .absent, "\(report.problems)")
    }

    @Test func aSiteWithNoIndexPageOpensAtItsFirstPage() throws {
        let site = try ForeignSite(event: Self.event([["/z.txt", Self.hash("z")], ["/docs/b.html", Self.hash("b")], ["/a.html", Self.hash("a")]]))
        let bundle = try site.bundle(sizes: [Self.hash("z"): 1, Self.hash("b"): 1, Self.hash("a"): 1])
        #expect(bundle.manifest.entry == "a.html")
        #expect(site.name.hasPrefix("nsite by npub1"))
    }
}
