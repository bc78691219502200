import PicoCore
import Testing

@Suite struct BundlePathTests {
    @Test(arguments: ["index.html", "a/b/index.html", "caf\u{E9}.png", "with space.txt", ".well-known/x"])
    func acceptsSafePaths(_ path: String) throws {
        #expect(try BundlePath(validating: path).string == path)
    }

    @Test(arguments: [
        ("", BundlePath.Problem.empty), ("/etc/passwd", .absolute), ("../x", .dotSegment),
        ("a/../../x", .dotSegment), ("a/./b", .dotSegment), ("a\\b", .backslash), ("a//b", .emptySegment),
        ("a/", .emptySegment), ("a\nb", .controlCharacter), ("C:/x", .absolute), ("cafe\u{301}.png", .notNFC),
    ])
    func rejectsUnsafePaths(_ path: String, _ expected: BundlePath.Problem) {
        #expect(throws: expected) { try BundlePath(validating: path) }
    }

    @Test func sortsByUTF8Bytes() throws {
        // "Z" (0x5A) < "a" (0x61) < "é" (0xC3 0xA9): byte order, not locale order.
        let paths = try ["é", "a", "Z", "a/b", "a-b"].map { try BundlePath(validating: $0) }
        #expect(paths.sorted().map(\.string) == ["Z", "a", "a-b", "a/b", "é"])
    }

    @Test func aManifestsSafeFilesAreTheOnesWhosePathsKeepTheRules() {
        let files = ["index.html", "../x", "a/b.css", "/etc/passwd", "a\\b"].map { BundleFile(path: $0, size: 1, sha256: "00", type: "t") }
        let manifest = BundleManifest(name: "n", entry: "index.html", files: files, id: "00")
        #expect(manifest.safeFiles.map(\.path.string) == ["index.html", "a/b.css"])
        #expect(manifest.safeFiles.map(\.listed) == [files[0], files[2]])
    }
}
