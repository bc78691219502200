import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// The real pico binary against hostile archives (Tests/tools/make_hostile_archives.py):
/// `verify`, `unpack` and `serve` exit 1 with a message that names the problem, never crash,
/// and leave nothing behind; `unpack` checks signatures like `verify`.
@Suite(.serialized) struct HostileArchiveCommandTests {
    static let corpus: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pico-hostile-cli-\(getpid())")
        let script = TestEnvironment.repository.appendingPathComponent("Tests/tools/make_hostile_archives.py").path
        _ = try? TestEnvironment.run("python3", [script, folder.path, "--small"])
        return folder
    }()

    static let unreadable = ["zip", "tar", "tar.gz", "tar.zst"].flatMap { ending in
        ["empty", "random", "text", "cut"].map { "unreadable-\($0).\(ending)" }
    }

    static let differentials = [
        "tar-plus-zip.zip", "tar-plus-zip.tar", "tar-plus-zip.tar.gz", "gzip-trailing.tar.gz", "tar-trailing.tar",
        "zip-comment.zip", "zip-prefix.zip", "zip-name-mismatch.zip", "zip-unicode-path.zip", "zip-hidden-local.zip",
        "zip-no-utf8-flag.zip", "pax-path.tar", "pax-path.tar.gz", "pax-path.tar.zst", "pax-size.tar", "pax-global.tar",
        "pax-cut-collision.tar",
    ]

    /// `pico serve` would run until stopped if it accepted the archive: it gets 20 s.
    static func serve(_ archive: URL) throws -> ProcessOutput {
        try TestEnvironment.run("timeout", ["20", TestEnvironment.pico.path, "serve", archive.path, "--port", "0"])
    }

    /// Each command refuses the archive with `expected` in its message, and unpack leaves
    /// nothing in or beside its output folder.
    static func expectRefusedEverywhere(_ archive: URL, saying expected: [String]) throws {
        let folder = TemporaryFolder()
        let verified = try TestEnvironment.pico("verify", archive.path)
        #expect(verified.status == 1, "verify: \(verified.status) \(verified.stderr)")
        #expect(expected.contains { verified.stderr.contains($0) }, "verify: \(verified.stderr)")
        let unpacked = try TestEnvironment.pico("unpack", archive.path, "-o", folder.path("work/out").path)
        #expect(unpacked.status == 1, "unpack: \(unpacked.status) \(unpacked.stderr)")
        #expect(expected.contains { unpacked.stderr.contains($0) }, "unpack: \(unpacked.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.path("work").path)) ?? [] == [])
        let served = try serve(archive)
        #expect(served.status == 1, "serve: \(served.status) \(served.stdout) \(served.stderr)")
        #expect(expected.contains { served.stderr.contains($0) }, "serve: \(served.stderr)")
    }

    /// These crashed all three commands (SIGSEGV, a double free) and left unpack's staging folder.
    @Test(arguments: unreadable)
    func aFileThatIsNoArchiveIsRefusedByEveryCommand(_ name: String) throws {
        let archive = Self.corpus.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: archive.path), "the corpus was not generated")
        try Self.expectRefusedEverywhere(archive, saying: ["not an archive pico can read"])
    }

    @Test(arguments: differentials)
    func anArchiveOtherReadersSeeDifferentlyIsRefusedByEveryCommand(_ name: String) throws {
        let archive = Self.corpus.appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: archive.path), "the corpus was not generated")
        try Self.expectRefusedEverywhere(archive, saying: ["other archive readers would see other files", "not an archive pico can read"])
    }

    // MARK: - signatures

    struct Signed {
        let bundle: URL
        let npub: String
    }

    static func signedBundle(in folder: TemporaryFolder, named name: String = "bundle", signed: Bool = true) throws -> Signed {
        let keyFile = folder.path("\(name).key").path
        let made = try TestEnvironment.pico("key", "new", "-o", keyFile, "--json")
        try #require(made.status == 0, "\(made.stderr)")
        let key = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String])
        let site = folder.write(["pico.toml": "title = \"Archive \(name)\"\n", "content/_index.md": "# Home\n",
                                 "static/style.css": "body{}"], under: "site-\(name)")
        let bundle = folder.path(name)
        let built = try TestEnvironment.run(TestEnvironment.pico.path, ["build", site.path, "-o", bundle.path, "-q"] + (signed ? ["--key", keyFile] : []))
        try #require(built.status == 0, "\(built.stderr)")
        return Signed(bundle: bundle, npub: try #require(key["npub"]))
    }

    static func pack(_ bundle: URL, to archive: URL) throws {
        let packed = try TestEnvironment.pico("pack", bundle.path, "-o", archive.path)
        try #require(packed.status == 0, "\(packed.stderr)")
    }

    @Test func unpackWithSignerDemandsThatAuthor() throws {
        let folder = TemporaryFolder()
        let signed = try Self.signedBundle(in: folder)
        let other = try Self.signedBundle(in: folder, named: "other")
        let unsigned = try Self.signedBundle(in: folder, named: "unsigned", signed: false)
        try Self.pack(signed.bundle, to: folder.path("signed.zip"))
        try Self.pack(unsigned.bundle, to: folder.path("unsigned.tar.gz"))

        let good = try TestEnvironment.pico("unpack", folder.path("signed.zip").path, "-o", folder.path("good").path, "--signer", signed.npub)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("signed by \(signed.npub)"), "\(good.stdout)")

        let wrong = try TestEnvironment.pico("unpack", folder.path("signed.zip").path, "-o", folder.path("wrong").path, "--signer", other.npub)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("not by the required"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("wrong").path))

        let none = try TestEnvironment.pico("unpack", folder.path("unsigned.tar.gz").path, "-o", folder.path("none").path, "--signer", signed.npub)
        #expect(none.status == 1)
        #expect(none.stderr.contains("not signed"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("none").path))
        let plain = try TestEnvironment.pico("unpack", folder.path("unsigned.tar.gz").path, "-o", folder.path("plain").path)
        #expect(plain.status == 0 && plain.stdout.contains("unsigned"), "\(plain.stdout)\(plain.stderr)")

        let bad = try TestEnvironment.pico("unpack", folder.path("signed.zip").path, "-o", folder.path("bad").path, "--signer", "npub1nope")
        #expect(bad.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).allSatisfy { !$0.contains("pico-unpack") })
    }

    /// A signature that is there is always checked, with or without --signer.
    @Test func unpackRefusesAForgedSignature() throws {
        let folder = TemporaryFolder()
        let signed = try Self.signedBundle(in: folder)
        let file = signed.bundle.appendingPathComponent(BundleManifest.fileName)
        var manifest = try BundleManifest.decode(Data(contentsOf: file))
        var sig = Array(try #require(manifest.signature).sig)
        sig[10] = sig[10] == "0" ? "1" : "0"
        manifest.signature?.sig = String(sig)
        try manifest.canonicalJSON.write(to: file)
        try Self.pack(signed.bundle, to: folder.path("forged.tar"))
        let unpacked = try TestEnvironment.pico("unpack", folder.path("forged.tar").path, "-o", folder.path("out").path)
        #expect(unpacked.status == 1)
        #expect(unpacked.stderr.contains("signature"), "\(unpacked.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).allSatisfy { !$0.contains("pico-unpack") })
    }

    /// The attack of the issue: a signed tar with an attacker's zip appended, named .zip, passed
    /// `verify --signer` while unzip extracted the attacker's index.html.
    @Test func aSignedTarWithAZipAppendedFailsVerifyWithSigner() throws {
        let folder = TemporaryFolder()
        let signed = try Self.signedBundle(in: folder)
        try Self.pack(signed.bundle, to: folder.path("signed.tar"))
        let script = """
        import io, sys, zipfile
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w') as z:
            z.writestr('index.html', '<h1>The attacker\\'s page</h1>')
        open(sys.argv[2], 'wb').write(open(sys.argv[1], 'rb').read() + buffer.getvalue())
        """
        for name in ["polyglot.zip", "polyglot.tar"] {
            let made = try TestEnvironment.run("python3", ["-c", script, folder.path("signed.tar").path, folder.path(name).path])
            try #require(made.status == 0, "\(made.stderr)")
            let unzip = try TestEnvironment.run("unzip", ["-p", folder.path(name).path, "index.html"])
            #expect(unzip.stdout.contains("attacker"), "unzip really reads the appended zip")
            let verified = try TestEnvironment.pico("verify", folder.path(name).path, "--signer", signed.npub)
            #expect(verified.status == 1, "\(name): \(verified.stdout)")
            #expect(!verified.stdout.contains("OK"))
        }
        let intact = try TestEnvironment.pico("verify", folder.path("signed.tar").path, "--signer", signed.npub)
        #expect(intact.status == 0, "\(intact.stderr)")
    }
}
