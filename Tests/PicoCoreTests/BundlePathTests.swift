import PicoCore
import Testing

@Suite struct BundlePathTests {
    @Test(arguments: ["index.html", "a/b/index.html", "caf\u{E9}.png", "with space.txt", ".well-known/x"])
    func acceptsSafePaths(_ path: String) throws {
        #expect(BundlePath.problem(in: path) == nil)
        _ = try BundlePath(validating: path)
    }

    @Test(arguments: [
        ("", BundlePath.Problem.empty), ("/etc/passwd", .absolute), ("../x", .dotSegment),
        ("a/../../x", .dotSegment), ("a/./b", .dotSegment), ("a\\b", .backslash), ("a//b", .emptySegment),
        ("a/", .emptySegment), ("a\nb", .controlCharacter), ("C:/x", .absolute), ("cafe\u{301}.png", .notNFC),
    ])
    func rejectsUnsafePaths(_ path: String, _ expected: BundlePath.Problem) {
        #expect(BundlePath.problem(in: path) == expected)
        #expect(throws: expected) { try BundlePath(validating: path) }
    }

    @Test func sortsByUTF8Bytes() throws {
        // "Z" (0x5A) < "a" (0x61) < "é" (0xC3 0xA9): byte order, not locale order.
        let paths = try ["é", "a", "Z", "a/b", "a-b"].map { try BundlePath(validating: $0) }
        #expect(paths.sorted().map(\.string) == ["Z", "a", "a-b", "a/b", "é"])
    }
}
