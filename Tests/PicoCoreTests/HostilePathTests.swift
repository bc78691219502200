import Foundation
import PicoCore
import PicoFiles
import PicoTestSupport
import Testing

/// Names an attacker chooses: twins up to Unicode normalisation or case, names that are not
/// UTF-8, bidi and C1 control characters, a file that is also a folder, absurd sizes.
@Suite struct HostilePathTests {
    let site = ["index.html": "<h1>hi</h1>", "caf\u{E9}.html": "<p>listed</p>", "css/site.css": "body{}"]

    @Test func anNFDTwinOfAListedFileIsReportedAsUnlisted() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        // "cafe" + U+0301: equal to "café" as a Swift String, a different file on disk.
        try TemporaryFolder.writeRaw(Array("cafe\u{301}.html".utf8), in: root, "<p>attacker</p>")
        let report = BundleVerifier().verify(folder: root)
        #expect(!report.isValid)
        #expect(report.problems.map(\.kind) == [.unlisted], "\(report.problems)")
        #expect(report.problems.first.map { Array($0.path!.utf8) } == Array("cafe\u{301}.html".utf8))
        #expect(report.checkedFiles == 3)
    }

    @Test func aNameThatIsNotUTF8IsWalkedAndReportedAsUnlisted() throws {
        let folder = TemporaryFolder()
        let root = try folder.makeBundle(site)
        try TemporaryFolder.writeRaw(Array("evil".utf8) + [0xFF, 0xFE] + Array(".html".utf8), in: root, "x")
        let walked = try FileTree.walk(root)
        let odd = try #require(walked.first { !$0.hasCanonicalName })
        #expect(odd.path == "evil\\xFF\\xFE.html" && odd.kind == .file)
        let report = BundleVerifier().verify(folder: root)
        #expect(report.problems.map(\.kind) == [.unlisted] && report.problems.first?.path == "evil\\xFF\\xFE.html",
                "\(report.problems)")
    }

    @Test(arguments: [
        ("evil\u{202E}lmth.exe", BundlePath.Problem.bidiControl), ("a\u{2066}b", .bidiControl), ("x\u{200F}", .bidiControl),
        ("c1\u{85}name", .controlCharacter), ("c1\u{9B}31m", .controlCharacter), ("esc\u{1B}[2J", .controlCharacter),
        ("del\u{7F}", .controlCharacter),
    ])
    func bidiAndC1ControlCharactersAreRefused(_ path: String, _ expected: BundlePath.Problem) {
        #expect(throws: expected) { try BundlePath(validating: path) }
    }

    @Test func pathsThatCannotExistTogetherAreConflicts() {
        let conflicts = BundlePath.conflicts(among: ["a", "a/b", "Index.html", "index.html", "Docs/x.html", "docs/y.html", "fine/z"])
        #expect(conflicts.contains(.init(kind: .fileIsAlsoAFolder, first: "a", second: "a/b")))
        #expect(conflicts.contains(.init(kind: .caseTwins, first: "Index.html", second: "index.html")))
        #expect(conflicts.contains(.init(kind: .caseTwins, first: "Docs", second: "docs")))
        #expect(conflicts.count == 3, "\(conflicts)")
        #expect(BundlePath.conflicts(among: ["a/b", "a/c", "ab", "a-b/c", "\u{C9}t\u{E9}.html", "caf\u{E9}"]).isEmpty)
        #expect(BundlePath.conflicts(among: ["\u{C9}T\u{C9}.html", "\u{E9}t\u{E9}.html"]).map(\.kind) == [.caseTwins])
    }

    /// A manifest made by hand listing `paths` (the files need not exist: the path rules come first).
    static func verify(listing paths: [String], in folder: TemporaryFolder) throws -> VerificationReport {
        let root = folder.write(["index.html": "x"], under: "bundle")
        let files = (["index.html"] + paths).map {
            BundleFile(path: $0, size: 1, sha256: SHA256Hex.of(Data("x".utf8)), type: "text/html")
        }
        let seal = try BundleSeal(name: "t", entry: "index.html", files: files)
        try seal.checksums.write(to: root.appendingPathComponent("SHA256SUMS"))
        try seal.manifest.canonicalJSON.write(to: root.appendingPathComponent("pico-manifest.json"))
        return BundleVerifier().verify(folder: root)
    }

    @Test func verifyRefusesAFileThatIsAlsoAFolderCaseTwinsAndBidiNames() throws {
        let folder = TemporaryFolder()
        var report = try Self.verify(listing: ["a", "a/b"], in: folder)
        #expect(report.problems.contains { $0.kind == .unsafePath && $0.path == "a/b" && $0.message.contains("a is a file") },
                "\(report.problems)")
        report = try Self.verify(listing: ["Index.html"], in: folder)
        #expect(report.problems.contains { $0.kind == .unsafePath && $0.message.contains("differ only in case") }, "\(report.problems)")
        report = try Self.verify(listing: ["invoice\u{202E}fdp.exe"], in: folder)
        #expect(report.problems.contains { $0.kind == .unsafePath && $0.message.contains("bidirectional") }, "\(report.problems)")
    }

    @Test func negativeAndAbsurdSizesAreRefusedAtDecode() throws {
        func manifest(sizes: [String]) -> Data {
            let files = sizes.enumerated().map { index, size in
                "{\"path\":\"f\(index)\",\"sha256\":\"\(String(repeating: "0", count: 64))\",\"size\":\(size),\"type\":\"text/plain\"}"
            }
            return Data("{\"entry\":\"f0\",\"files\":[\(files.joined(separator: ","))],\"format\":\"pico-bundle/1\",\"id\":\"00\",\"name\":\"n\"}".utf8)
        }
        #expect(throws: DecodingError.self) { try BundleManifest.decode(manifest(sizes: ["-1"])) }
        #expect(throws: DecodingError.self) { try BundleManifest.decode(manifest(sizes: ["\(Int.max)"])) }
        // Each under the limit, together over it.
        #expect(throws: DecodingError.self) { try BundleManifest.decode(manifest(sizes: Array(repeating: "\(1 << 49)", count: 3))) }
        let fine = try BundleManifest.decode(manifest(sizes: ["0", "\(1 << 40)"]))
        #expect(fine.totalSize == 1 << 40)
        #expect(Int.max.addingSaturating(1) == Int.max && Int.min.addingSaturating(-1) == Int.min)
    }
}
