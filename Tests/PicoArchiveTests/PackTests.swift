import Foundation
import PicoArchive
import PicoCore
import PicoTestSupport
import Testing

/// Packing and reading back, checked with GNU tar, unzip and bsdtar.
@Suite struct PackTests {
    static let site: [String: String] = [
        "index.html": "<h1>Home</h1>" + String(repeating: "text compresses well ", count: 200),
        "posts/caf\u{E9}/index.html": "<p>non-ASCII path</p>",
        "img/photo.jpg": String(repeating: "\u{1}\u{7F}", count: 3000),
        "css/site.css": "body { color: black }",
        "a/very/long/path/" + String(repeating: "n", count: 120) + "/index.html": "<p>long name</p>",
    ]

    @Test(arguments: ["zip", "tar", "tar.gz", "tar.zst"])
    func roundTripGivesTheSameBundle(_ ending: String) throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site, created: "2024-05-06T07:08:09Z")
        let archive = folder.path("b.\(ending)")
        let packed = try BundlePacker().pack(bundle: bundle, to: archive)
        #expect(packed.files == Self.site.count + 2)

        let report = ArchiveVerifier(BundleVerifier()).verify(archive: archive)
        #expect(report.isValid, "\(report.problems)")
        #expect(report.checkedFiles == Self.site.count)

        let unpacked = try BundleUnpacker(BundleVerifier()).unpack(archive: archive, to: folder.path("out"))
        #expect(unpacked.isValid)
        for (path, text) in Self.site { #expect(folder.read("out/" + path) == text) }
        #expect(try Data(contentsOf: folder.path("out/pico-manifest.json")) == Data(contentsOf: bundle.appendingPathComponent("pico-manifest.json")))
    }

    @Test(arguments: ["zip", "tar", "tar.gz", "tar.zst"])
    func packingTwiceGivesTheSameBytes(_ ending: String) throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site, created: "2024-05-06T07:08:09Z")
        _ = try BundlePacker().pack(bundle: bundle, to: folder.path("1.\(ending)"))
        // A second apart, so that any clock time that leaked into the archive would show.
        Thread.sleep(forTimeInterval: 1.1)
        // Touching the files must not matter either: times come from the manifest.
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: bundle.appendingPathComponent("index.html").path)
        _ = try BundlePacker().pack(bundle: bundle, to: folder.path("2.\(ending)"))
        #expect(try Data(contentsOf: folder.path("1.\(ending)")) == Data(contentsOf: folder.path("2.\(ending)")))
    }

    @Test func gnuTarUnzipAndBsdtarReadWhatPicoPacks() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site, created: "2024-05-06T07:08:09Z")
        for ending in ["zip", "tar", "tar.gz", "tar.zst"] {
            _ = try BundlePacker().pack(bundle: bundle, to: folder.path("b.\(ending)"))
            let listed = try TestEnvironment.run("bsdtar", ["-tf", folder.path("b.\(ending)").path])
            #expect(listed.status == 0, "bsdtar \(ending): \(listed.stderr)")
            #expect(Set(listed.stdout.split(separator: "\n").map(String.init)) == Set(Self.site.keys).union(["SHA256SUMS", "pico-manifest.json"]))
        }
        let unzip = try TestEnvironment.run("unzip", ["-t", folder.path("b.zip").path])
        #expect(unzip.status == 0 && unzip.stdout.contains("No errors detected"), "\(unzip.stdout)")
        // GNU tar unpacks every tar form; sha256sum -c then checks the files it wrote.
        for (ending, flag) in [("tar", "-xf"), ("tar.gz", "-xzf"), ("tar.zst", "--zstd")] {
            let out = folder.path("gnu-\(ending)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let args = flag == "--zstd" ? ["--zstd", "-xf", folder.path("b.\(ending)").path, "-C", out.path]
                                        : [flag, folder.path("b.\(ending)").path, "-C", out.path]
            let tar = try TestEnvironment.run("tar", args)
            #expect(tar.status == 0, "tar \(ending): \(tar.stderr)")
            let sums = try TestEnvironment.run("sha256sum", ["--strict", "--quiet", "-c", "SHA256SUMS"], in: out)
            #expect(sums.status == 0, "\(ending): \(sums.stdout)")
        }
        let mtime = try TestEnvironment.run("tar", ["--utc", "-tvf", folder.path("b.tar").path])
        #expect(mtime.stdout.contains("2024-05-06 07:08"), "\(mtime.stdout)")
        #expect(mtime.stdout.contains("-rw-r--r-- 0/0"))
    }

    @Test func aDamagedBundleIsNotPacked() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site)
        try Data("<h1>Hom3</h1>".utf8).write(to: bundle.appendingPathComponent("css/site.css"))
        #expect(throws: ArchiveError.self) { try BundlePacker().pack(bundle: bundle, to: folder.path("b.zip")) }
        #expect(!FileManager.default.fileExists(atPath: folder.path("b.zip").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).allSatisfy { !$0.contains("partial") })
    }

    @Test func anUnknownEndingIsRefused() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(Self.site)
        #expect(throws: ArchiveError.self) { try BundlePacker().pack(bundle: bundle, to: folder.path("b.rar")) }
    }
}
