import Foundation
import PicoCore
import Testing

@Suite struct ManifestTests {
    @Test func canonicalJSONSortsKeysAndHasNoWhitespace() {
        let value = JSONValue.object(["b": .int(1), "a": .array([.string("x\"y\\z\n"), .bool(true), .null]), "é": .string("ü")])
        #expect(value.canonicalString == #"{"a":["x\"y\\z\n",true,null],"b":1,"é":"ü"}"#)
    }

    @Test func checksumsAreSortedByPathBytesAndTheIDIsTheirHash() {
        let files = [
            BundleFile(path: "b.css", size: 1, sha256: String(repeating: "b", count: 64), type: "text/css"),
            BundleFile(path: "B.html", size: 1, sha256: String(repeating: "c", count: 64), type: "text/html"),
            BundleFile(path: "a/index.html", size: 1, sha256: String(repeating: "a", count: 64), type: "text/html"),
        ]
        let text = String(decoding: Checksums.render(files), as: UTF8.self)
        #expect(text == """
        \(String(repeating: "c", count: 64))  B.html
        \(String(repeating: "a", count: 64))  a/index.html
        \(String(repeating: "b", count: 64))  b.css

        """)
        #expect(Checksums.bundleID(of: Data(text.utf8)) == SHA256Hex.of(Data(text.utf8)))
    }

    @Test func sealedManifestRoundTripsAndIsCanonical() throws {
        let files = [BundleFile(path: "index.html", size: 3, sha256: SHA256Hex.of(Data("abc".utf8)), type: "text/html")]
        let seal = try BundleSeal(name: "Site", entry: "index.html", files: files)
        let data = seal.manifest.canonicalJSON
        let decoded = try BundleManifest.decode(data)
        #expect(decoded == seal.manifest)
        #expect(decoded.canonicalJSON == data)
        #expect(seal.manifest.id == SHA256Hex.of(seal.checksums))
        #expect(String(decoding: data, as: UTF8.self).hasPrefix(#"{"entry":"index.html","files":[{"path":"index.html","sha256":"ba7816bf"#))
    }

    @Test func sha256MatchesTheKnownVector() {
        #expect(SHA256Hex.of(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func fileErrorShowsTheLineAndACaretUnderTheColumn() {
        let text = "---\ntitle: \"x\n---\n"
        let error = FileError("bad", file: "content/a.md", text: Array(text.utf8), byteOffset: 11, hint: "fix it")
        #expect(error.location == SourceLocation(file: "content/a.md", line: 2, column: 8))
        #expect(error.description == """
        content/a.md:2:8: error: bad
            2 | title: "x
              |        ^
        hint: fix it
        """)
    }
}
