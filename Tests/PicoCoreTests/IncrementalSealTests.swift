import Foundation
import PicoCore
import Testing

/// `IncrementalSeal` (pico serve --watch's re-seal) against `BundleSeal` and
/// `BundleManifest.canonicalJSON`, the seal `pico build` makes: after every change the three
/// describing outputs are the same bytes, and the manifest decodes to the same value.
@Suite struct IncrementalSealTests {
    struct FixedSigner: BundleSigner {
        func sign(bundleID: String) throws -> BundleSignature {
            BundleSignature(pubkey: String(repeating: "ab", count: 32), sig: String(bundleID.reversed()) + bundleID)
        }
    }

    static func file(_ path: String, _ seed: Int) -> BundleFile {
        BundleFile(path: path, size: seed * 7, sha256: SHA256Hex.of(Data("\(path) \(seed)".utf8)), type: MediaType.of(path: path))
    }

    static func expectSame(_ seal: IncrementalSeal, _ files: [String: BundleFile], signer: (any BundleSigner)?, created: String?,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let name = "A \"quoted\" \"files\":[] name\n"
        let made = try seal.seal(name: name, entry: "index.html", signer: signer, created: created)
        let whole = try BundleSeal(name: name, entry: "index.html", files: Array(files.values), signer: signer, created: created)
        #expect(made.checksums == whole.checksums, sourceLocation: sourceLocation)
        #expect(made.manifest == whole.manifest, sourceLocation: sourceLocation)
        #expect(made.manifestData == whole.manifest.canonicalJSON, sourceLocation: sourceLocation)
        #expect(try BundleManifest.decode(made.manifestData) == whole.manifest, sourceLocation: sourceLocation)
    }

    @Test func everyChangeSealsAsAWholeSealDoes() throws {
        var files: [String: BundleFile] = [:]
        // Paths whose byte order differs from a naive one: case, `-` before `/`, beyond ASCII.
        for (seed, path) in ["index.html", "a/index.html", "a-b/index.html", "B.css", "é/x.txt", "a/b/c.png", "z.js"].enumerated() {
            files[path] = Self.file(path, seed + 1)
        }
        var seal = IncrementalSeal(files: Array(files.values))
        try Self.expectSame(seal, files, signer: nil, created: nil)
        try Self.expectSame(seal, files, signer: FixedSigner(), created: "2024-03-01T00:00:00Z")
        // A changed entry, a new one in the middle, one at each end, removals.
        for (path, seed) in [("a/index.html", 40), ("a/a.html", 41), ("0.txt", 42), ("zz/last.html", 43)] {
            files[path] = Self.file(path, seed)
            seal.update(files[path]!)
            try Self.expectSame(seal, files, signer: FixedSigner(), created: "2024-03-01T00:00:00Z")
        }
        for path in ["B.css", "0.txt", "zz/last.html"] {
            files.removeValue(forKey: path)
            seal.remove(path)
            try Self.expectSame(seal, files, signer: nil, created: "2025-01-01T00:00:00Z")
        }
        #expect(seal.file(at: "a/a.html") == files["a/a.html"])
        #expect(seal.file(at: "B.css") == nil)
        // Everything removed: the empty bundle's seal.
        for path in Array(files.keys) { seal.remove(path) }
        try Self.expectSame(seal, [:], signer: nil, created: nil)
    }
}
