import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// Bundles made by hand (not by the build), then damaged in each way `pico verify` must catch.
@Suite struct VerifierTests {
    let site = ["index.html": "<h1>hi</h1>", "a/b/index.html": "<p>page</p>", "css/site.css": "body{}"]

    @Test func anIntactBundlePasses() throws {
        let folder = TemporaryFolder()
        let report = BundleVerifier().verify(folder: try folder.makeBundle(site))
        #expect(report.isValid, "\(report.problems)")
        #expect(report.checkedFiles == 3)
    }

    @Test func aFlippedByteIsFoundAndNamed() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        try Data("<p>pagf</p>".utf8).write(to: root.appendingPathComponent("a/b/index.html"))
        let report = BundleVerifier().verify(folder: root)
        #expect(!report.isValid)
        #expect(report.problems.map(\.kind) == [.changed])
        #expect(report.problems.first?.path == "a/b/index.html")
    }

    @Test func aDeletedFileIsFoundAndNamed() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        try FileManager.default.removeItem(at: root.appendingPathComponent("css/site.css"))
        let report = BundleVerifier().verify(folder: root)
        #expect(report.problems.map(\.kind) == [.missing])
        #expect(report.problems.first?.path == "css/site.css")
    }

    @Test func anAddedFileIsFoundAndNamed() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        try Data("evil".utf8).write(to: root.appendingPathComponent("a/extra.js"))
        let report = BundleVerifier().verify(folder: root)
        #expect(report.problems.map(\.kind) == [.unlisted])
        #expect(report.problems.first?.path == "a/extra.js")
    }

    @Test func aSymlinkIsNotAFileOfTheBundle() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("passwd").path, withDestinationPath: "/etc/passwd")
        let report = BundleVerifier().verify(folder: root)
        #expect(report.problems.map(\.kind) == [.notRegularFile])
    }

    @Test func aManifestWithUnsafePathsAndAForgedIDFails() throws {
        let folder = TemporaryFolder()
        let root = folder.write(["index.html": "x"], under: "bundle")
        let files = [
            BundleFile(path: "index.html", size: 1, sha256: SHA256Hex.of(Data("x".utf8)), type: "text/html"),
            BundleFile(path: "../escape.txt", size: 1, sha256: String(repeating: "0", count: 64), type: "text/plain"),
        ]
        let manifest = BundleManifest(name: "t", entry: "index.html", files: files, id: String(repeating: "f", count: 64))
        try manifest.canonicalJSON.write(to: root.appendingPathComponent("pico-manifest.json"))
        try Checksums.render(files).write(to: root.appendingPathComponent("SHA256SUMS"))
        let report = BundleVerifier().verify(folder: root)
        let kinds = Set(report.problems.map(\.kind))
        #expect(kinds.contains(.unsafePath))
        #expect(kinds.contains(.id))
        #expect(report.problems.contains { $0.kind == .unsafePath && $0.path == "../escape.txt" })
    }

    @Test func editedChecksumsChangeTheIDAndAreCaught() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        let sums = root.appendingPathComponent("SHA256SUMS")
        try (try Data(contentsOf: sums) + Data("\n".utf8)).write(to: sums)
        let kinds = Set(BundleVerifier().verify(folder: root).problems.map(\.kind))
        #expect(kinds == [.checksums, .id])
    }

    @Test func aFolderWithoutManifestIsNotABundle() {
        let folder = TemporaryFolder()
        folder.write(["index.html": "x"])
        let report = BundleVerifier().verify(folder: folder.url)
        #expect(!report.isValid)
        #expect(report.problems.first?.kind == .manifest)
    }
}
