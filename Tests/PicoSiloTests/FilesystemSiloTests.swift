import Foundation
import PicoCore
@testable import PicoSilo
import PicoTestSupport
import Testing

@Suite struct FilesystemSiloTests {
    static func pages(_ count: Int, version: String) -> [String: String] {
        var files = ["index.html": "<h1>home \(version)</h1>", "css/site.css": "body{}"]
        for i in 0..<count { files["p/\(i)/index.html"] = "<p>page \(i) of \(version == "v2" && i % 2 == 0 ? "v2" : "v1")</p>" }
        return files
    }

    static func identity(_ path: String) -> (inode: UInt64, mtime: Int) {
        var info = stat()
        _ = lstat(path, &info)
        return (UInt64(info.st_ino), Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec))
    }

    @Test func publishingAgainWritesOnlyWhatChanged() async throws {
        let folder = TemporaryFolder()
        let v1 = try folder.makeBundle(Self.pages(10, version: "v1"), under: "v1", name: "My Site")
        let silo = FilesystemSilo(url: folder.path("drive"), address: "drive")
        let first = try await silo.publish(bundle: v1, options: PublishOptions())
        #expect(first.written == 14 && first.unchanged == 0)
        let target = folder.path("drive/my-site")
        let before = Dictionary(uniqueKeysWithValues: (0..<10).map { i in (i, Self.identity(target.path + "/p/\(i)/index.html")) })

        // Identical content: nothing is written at all.
        let again = try await silo.publish(bundle: v1, options: PublishOptions())
        #expect(again.written == 0 && again.unchanged == 12)

        // Half the pages change, one file goes, one comes.
        var files = Self.pages(10, version: "v2")
        files.removeValue(forKey: "css/site.css")
        files["new.txt"] = "new"
        let v2 = try folder.makeBundle(files, under: "v2", name: "My Site")
        let second = try await silo.publish(bundle: v2, options: PublishOptions())
        #expect(second.written == 5 + 1 + 1 + 2) // 5 pages, index.html, new.txt, the two manifest files
        #expect(second.unchanged == 5)
        #expect(second.removed == 1)
        for i in stride(from: 1, to: 10, by: 2) {
            let now = Self.identity(target.path + "/p/\(i)/index.html")
            #expect(now.inode == before[i]!.inode && now.mtime == before[i]!.mtime, "p/\(i) was rewritten")
        }
        let reports = try await silo.verify(with: BundleVerifier())
        #expect(reports.count == 1 && reports[0].isValid)
        #expect(reports[0].manifest?.id == folder.bundleID(v2))
        #expect(!FileManager.default.fileExists(atPath: target.path + "/css"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("drive/.pico").path))
    }

    /// A crash after any number of moves leaves the old or the new bundle whole, and the next
    /// publish finishes the job.
    @Test(arguments: Array(0...14))
    func aCrashAtAnyStepLeavesOneWholeVersion(_ moves: Int) async throws {
        let folder = TemporaryFolder()
        let v1 = try folder.makeBundle(Self.pages(4, version: "v1"), under: "v1", name: "Site")
        var files = Self.pages(4, version: "v2")
        files["extra/added.html"] = "<p>added</p>"
        files.removeValue(forKey: "css/site.css")
        let v2 = try folder.makeBundle(files, under: "v2", name: "Site")
        let silo = FilesystemSilo(url: folder.path("drive"), address: "drive")
        _ = try await silo.publish(bundle: v1, options: PublishOptions())

        let staged = try silo.stage(bundle: v2, options: PublishOptions())
        do {
            try staged.journal.apply(at: staged.location, interruptAfter: moves)
        } catch is PublishJournal.Interrupted {}
        let report = FilesystemSilo.verifyBundle(at: folder.path("drive/site"), with: BundleVerifier())
        #expect(report.isValid, "after \(moves) moves: \(report.problems)")
        #expect([folder.bundleID(v1), folder.bundleID(v2)].contains(report.manifest?.id))

        _ = try await silo.publish(bundle: v2, options: PublishOptions())
        let finished = FilesystemSilo.verifyBundle(at: folder.path("drive/site"), with: BundleVerifier())
        #expect(finished.isValid && finished.manifest?.id == folder.bundleID(v2) && finished.note == nil)
    }

    @Test func aLibraryListsEveryBundleAndFetchPicksOne() async throws {
        let folder = TemporaryFolder()
        let a = try folder.makeBundle(["index.html": "a"], under: "a", name: "Alpha Notes", created: "2024-03-01T00:00:00Z")
        let b = try folder.makeBundle(["index.html": "b"], under: "b", name: "Beta")
        let drive = FilesystemSilo(url: folder.path("drive"), address: "drive")
        _ = try await drive.publish(bundle: a, options: PublishOptions())
        _ = try await drive.publish(bundle: b, options: PublishOptions())
        let index = folder.read("drive/index.html")
        #expect(index.contains("alpha-notes/index.html"))
        #expect(index.contains("beta/index.html"))
        #expect(index.contains("Alpha Notes"))
        #expect(index.contains("1 March 2024"))
        #expect(index.contains(String(folder.bundleID(a)!.prefix(12))))
        #expect(try await drive.verify(with: BundleVerifier()).count == 2)

        await #expect(throws: SiloError.self) { try await drive.fetch(to: folder.path("out"), verifier: .standard()) }
        let one = FilesystemSilo(url: folder.path("drive/beta"), address: "drive/beta")
        let report = try await one.fetch(to: folder.path("out"), verifier: .standard())
        #expect(report.isValid)
        #expect(folder.read("out/index.html") == "b")
    }

    @Test func fetchRefusesADamagedBundleAndLeavesNothing() async throws {
        let folder = TemporaryFolder()
        let a = try folder.makeBundle(["index.html": "a", "x.txt": "x"], under: "a", name: "A")
        let drive = FilesystemSilo(url: folder.path("drive"), address: "drive")
        _ = try await drive.publish(bundle: a, options: PublishOptions())
        try Data("y".utf8).write(to: folder.path("drive/a/x.txt"))
        let one = FilesystemSilo(url: folder.path("drive/a"), address: "drive/a")
        await #expect(throws: SiloError.self) { try await one.fetch(to: folder.path("out"), verifier: .standard()) }
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
    }

    @Test func namesThatFATCannotHoldAreWarningsOrErrors() async throws {
        let problems = PortableNames.problems(in: [
            ("a:b.html", 1), ("CON.txt", 1), ("docs/aux", 1), ("trailing.", 1), ("sp ace ", 1),
            ("Readme.md", 1), ("README.md", 1), ("big.bin", 5 << 30), ("fine/name.html", 1),
        ])
        #expect(problems.count == 7)
        #expect(problems.contains { $0.contains("README.md and Readme.md") })
        #expect(!problems.contains { $0.contains("fine/name.html") })

        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "x", "What?.html": "q"], under: "b", name: "B")
        let drive = FilesystemSilo(url: folder.path("drive"), address: "drive")
        var strict = PublishOptions()
        strict.strictPortable = true
        await #expect(throws: SiloError.self) { try await drive.publish(bundle: bundle, options: strict) }
        let lenient = try await drive.publish(bundle: bundle, options: PublishOptions())
        #expect(lenient.warnings.count == 1)
    }

    @Test func aFolderThatIsNotABundleIsNeverOverwritten() async throws {
        let folder = TemporaryFolder()
        folder.write(["precious.txt": "keep"], under: "drive/b")
        let bundle = try folder.makeBundle(["index.html": "x"], under: "src", name: "B")
        await #expect(throws: SiloError.self) {
            try await FilesystemSilo(url: folder.path("drive"), address: "drive").publish(bundle: bundle, options: PublishOptions())
        }
        #expect(folder.read("drive/b/precious.txt") == "keep")
    }

    /// A library holding one bundle is read through the same `BundleReader` as a bundle folder
    /// (what `pico serve` uses); an address that names no single bundle is refused up front.
    @Test func aLibraryWithOneBundleIsReadFileByFile() async throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>one</h1>"], under: "src", name: "One")
        let drive = FilesystemSilo(url: folder.path("drive"), address: "drive")
        #expect(throws: SiloError.self) { try drive.reader() }
        _ = try await drive.publish(bundle: bundle, options: PublishOptions())

        let reader = try drive.reader()
        #expect(reader.description == folder.path("drive/one").path)
        let manifest = try #require(try await reader.readWhole(BundleManifest.fileName, limit: 1 << 20))
        #expect(try BundleManifest.decode(manifest).id == folder.bundleID(bundle))
        #expect(try await reader.readWhole("index.html", limit: 1 << 20) == Data("<h1>one</h1>".utf8))
        #expect(try await reader.open("absent.html", limit: 1 << 20) == nil)
        // A describing file larger than the limit is refused, not read on.
        await #expect(throws: BundleReadError.self) { try await reader.readWhole(BundleManifest.fileName, limit: 8) }
        // A symlink inside the bundle is never followed.
        try FileManager.default.createSymbolicLink(atPath: folder.path("drive/one/link.html").path, withDestinationPath: "index.html")
        #expect(try await reader.open("link.html", limit: 1 << 20) == nil)

        _ = try await drive.publish(bundle: try folder.makeBundle(["index.html": "two"], under: "src2", name: "Two"), options: PublishOptions())
        #expect(throws: SiloError.self) { try drive.reader() }
    }
}
