import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// One verification policy for every reader of a bundle: a signature that is present is always
/// checked, so a bundle with a valid id but a forged signature is refused by fetch (folder and
/// S3), by publish into a library, and is never shown as "Signed"; `--signer` demands the author.
@Suite(.serialized) struct SignaturePolicyTests {
    struct SignedBundle {
        let bundle: URL
        let npub: String
        let hex: String
    }

    /// A small site built and signed with a new key.
    static func signedBundle(in folder: TemporaryFolder, named name: String = "bundle") throws -> SignedBundle {
        let keyFile = folder.path("\(name).key").path
        let made = try TestEnvironment.pico("key", "new", "-o", keyFile, "--json")
        try #require(made.status == 0, "\(made.stderr)")
        let key = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: String])
        let site = folder.write(["pico.toml": "title = \"Signed \(name)\"\n", "content/_index.md": "# Home\n",
                                 "content/about.md": "# About\n", "static/style.css": "body{}"], under: "site-\(name)")
        let bundle = folder.path(name)
        let built = try TestEnvironment.pico("build", site.path, "-o", bundle.path, "--key", keyFile, "-q")
        try #require(built.status == 0, "\(built.stderr)")
        return SignedBundle(bundle: bundle, npub: try #require(key["npub"]), hex: try #require(key["pubkey"]))
    }

    /// The same bundle with one hex digit of its signature changed: the id and every file still
    /// match, the manifest is still canonical, only the signature no longer checks out.
    static func forgeSignature(of bundle: URL) throws {
        let file = bundle.appendingPathComponent(BundleManifest.fileName)
        var manifest = try BundleManifest.decode(Data(contentsOf: file))
        var sig = Array(try #require(manifest.signature).sig)
        sig[10] = sig[10] == "0" ? "1" : "0"
        manifest.signature?.sig = String(sig)
        try manifest.canonicalJSON.write(to: file)
    }

    @Test func folderFetchRefusesAForgedSignatureAndLeavesNothing() throws {
        let folder = TemporaryFolder()
        let signed = try Self.signedBundle(in: folder)
        let good = folder.path("good")
        let fetchedGood = try TestEnvironment.pico("fetch", signed.bundle.path, "-o", good.path)
        #expect(fetchedGood.status == 0, "\(fetchedGood.stderr)")

        try Self.forgeSignature(of: signed.bundle)
        let out = folder.path("out")
        let fetched = try TestEnvironment.pico("fetch", signed.bundle.path, "-o", out.path)
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains("signature: the signature does not match the bundle id"), "\(fetched.stderr)")
        #expect(!fetched.stdout.contains("Fetched and verified"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).allSatisfy { !$0.contains("pico-staging") })
    }

    @Test func fetchWithSignerDemandsThatAuthor() throws {
        let folder = TemporaryFolder()
        let signed = try Self.signedBundle(in: folder)
        let other = try Self.signedBundle(in: folder, named: "other")

        let right = try TestEnvironment.pico("fetch", signed.bundle.path, "-o", folder.path("right").path, "--signer", signed.npub)
        #expect(right.status == 0, "\(right.stderr)")
        let wrong = try TestEnvironment.pico("fetch", signed.bundle.path, "-o", folder.path("wrong").path, "--signer", other.npub)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("signer: signed by \(signed.hex), not by the required \(other.hex)"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("wrong").path))

        // An unsigned bundle when a signer is required.
        let site = folder.write(["pico.toml": "title = \"u\"\n", "content/_index.md": "# U\n"], under: "site-unsigned")
        #expect(try TestEnvironment.pico("build", site.path, "-o", folder.path("unsigned").path, "-q").status == 0)
        let unsigned = try TestEnvironment.pico("fetch", folder.path("unsigned").path, "-o", folder.path("u-out").path, "--signer", other.npub)
        #expect(unsigned.status == 1 && unsigned.stderr.contains("not signed, but a signer was required"), "\(unsigned.stderr)")

        // A bad --signer is a usage error, as for verify.
        let bad = try TestEnvironment.pico("fetch", signed.bundle.path, "-o", folder.path("bad").path, "--signer", "npub1nope")
        #expect(bad.status != 0 && bad.stderr.contains("not a valid npub"), "\(bad.stderr)")
    }

    @Test func publishIntoALibraryRefusesAForgedSignatureAndTheIndexNeverCallsItSigned() throws {
        let folder = TemporaryFolder()
        let signed = try Self.signedBundle(in: folder)
        let library = folder.path("library")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        let first = try TestEnvironment.pico("publish", signed.bundle.path, "--to", library.path)
        #expect(first.status == 0, "\(first.stderr)")
        var index = try String(contentsOf: library.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("class=\"badge signed\">Signed<"))

        let forged = try Self.signedBundle(in: folder, named: "forged")
        try Self.forgeSignature(of: forged.bundle)
        let refused = try TestEnvironment.pico("publish", forged.bundle.path, "--to", library.path)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("signature: the signature does not match"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: library.appendingPathComponent("signed-forged").path))

        // A forged bundle planted in the library by hand: the next index does not call it signed.
        try FileManager.default.copyItem(at: forged.bundle, to: library.appendingPathComponent("planted"))
        let other = try Self.signedBundle(in: folder, named: "third")
        #expect(try TestEnvironment.pico("publish", other.bundle.path, "--to", library.path).status == 0)
        index = try String(contentsOf: library.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.components(separatedBy: "class=\"badge signed\">Signed<").count == 3, "two genuine bundles are signed")
        #expect(index.contains("Signature does not verify"))
        let verified = try TestEnvironment.pico("verify", library.path)
        #expect(verified.status == 1 && verified.stderr.contains("planted: signature:"), "\(verified.stdout)\(verified.stderr)")
    }

    @Test func s3FetchRefusesAForgedSignature() throws {
        let s3 = try S3TestServer()
        let folder = TemporaryFolder()
        let signed = try Self.signedBundle(in: folder)
        try s3.makeBucket("sites")
        let published = try s3.pico(["publish", signed.bundle.path, "--to", "s3://sites/blog"])
        try #require(published.status == 0, "\(published.stderr)")
        #expect(try s3.pico(["fetch", "s3://sites/blog", "-o", folder.path("good").path, "--signer", signed.npub]).status == 0)

        // Only the manifest object is replaced, by one with a forged signature (same id, same files).
        try Self.forgeSignature(of: signed.bundle)
        let copied = try s3.aws(["s3", "cp", signed.bundle.appendingPathComponent(BundleManifest.fileName).path,
                                 "s3://sites/blog/pico-manifest.json"])
        try #require(copied.status == 0, "\(copied.stderr)")
        let out = folder.path("out")
        let fetched = try s3.pico(["fetch", "s3://sites/blog", "-o", out.path])
        #expect(fetched.status == 1)
        #expect(fetched.stderr.contains("signature: the signature does not match"), "\(fetched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let verified = try s3.pico(["verify", "s3://sites/blog"])
        #expect(verified.status == 1)

        // Nor does a forged bundle get published to S3 (or any silo).
        let republished = try s3.pico(["publish", signed.bundle.path, "--to", "s3://sites/forged"])
        #expect(republished.status == 1 && republished.stderr.contains("signature: the signature does not match"), "\(republished.stderr)")
        #expect(try s3.aws(["s3", "ls", "s3://sites/forged/"]).stdout.isEmpty)
    }
}
