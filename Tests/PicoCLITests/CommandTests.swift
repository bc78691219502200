import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// `pico init`, `build` and `verify` as a user runs them: exit codes, messages, `--json`.
@Suite struct CommandTests {
    @Test(arguments: ["blog", "docs", "app"])
    func initGivesASiteThatBuildsAndVerifies(_ template: String) throws {
        let folder = TemporaryFolder()
        let site = folder.path("mysite").path
        let created = try TestEnvironment.pico("init", "--template", template, site)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(FileManager.default.fileExists(atPath: site + "/pico.toml"))
        let built = try TestEnvironment.pico("build", site)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.contains("bundle id"))
        let verified = try TestEnvironment.pico("verify", site + "/public")
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("OK "))
        let links = try TestEnvironment.run("python3", [TestEnvironment.repository.appendingPathComponent("Tests/tools/check_bundle_links.py").path, site + "/public"])
        #expect(links.status == 0, "\(links.stdout)")
        // A second init into the same folder refuses.
        #expect(try TestEnvironment.pico("init", site).status == 1)
    }

    @Test func verifyFailsAndNamesTheFileForEachKindOfDamage() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"t\"\n", "content/a.md": "# A\n", "content/b.md": "# B\n",
                                 "static/s.css": "b{}"], under: "site")
        let bundle = folder.path("out")
        #expect(try TestEnvironment.pico("build", site.path, "-o", bundle.path).status == 0)
        #expect(try TestEnvironment.pico("verify", bundle.path).status == 0)

        // One flipped byte.
        let page = bundle.appendingPathComponent("a/index.html")
        var bytes = try Data(contentsOf: page)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: page)
        var result = try TestEnvironment.pico("verify", bundle.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("changed: a/index.html"))

        // One deleted file, one added file.
        try FileManager.default.removeItem(at: bundle.appendingPathComponent("s.css"))
        try Data("x".utf8).write(to: bundle.appendingPathComponent("b/extra.js"))
        result = try TestEnvironment.pico("verify", bundle.path, "--json")
        #expect(result.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(json["ok"] as? Bool == false)
        let problems = (json["problems"] as! [[String: Any]]).map { "\($0["kind"]!) \($0["path"]!)" }
        #expect(Set(problems) == ["changed a/index.html", "missing s.css", "unlisted b/extra.js"])
    }

    @Test func buildErrorsGoToStderrWithFileLineColumnAndExit1() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"t\"\n", "content/a.md": "---\ntitle: [unclosed\n---\n"], under: "site")
        let result = try TestEnvironment.pico("build", site.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("content/a.md:2:"))
        #expect(result.stderr.contains("title: [unclosed"))
        #expect(result.stdout.isEmpty)
    }

    @Test func buildJSONIsOneObject() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"t\"\n", "content/a.md": "# A\n"], under: "site")
        let result = try TestEnvironment.pico("build", site.path, "--json")
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect((json["id"] as? String)?.count == 64)
        #expect(json["files"] as? Int == 2 + 6 + 5, "two pages, sw.js, pico-app.js, pico-offline.json, manifest.webmanifest and two icons, and the search index (search.js, index.js, t-000.js, d-000.js, search/index.html)")
    }

    /// A name that would move the cursor up, clear the line and draw a fake "OK" is printed with
    /// its control characters escaped, on every line verify writes.
    @Test func verifyEscapesControlCharactersInNamesAndManifestFields() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>x</h1>"], under: "bundle", name: "t")
        let fake = "x\u{1B}[1A\u{1B}[2K\rOK bundle: 1 files verified; signed by npub1fake\u{9B}0m"
        try Data("evil".utf8).write(to: bundle.appendingPathComponent(fake))
        var result = try TestEnvironment.pico("verify", bundle.path)
        #expect(result.status == 1)
        for output in [result.stdout, result.stderr] {
            #expect(!output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B || $0 == "\r" }, "\(output)")
        }
        #expect(result.stderr.contains("unlisted: x\\x1B[1A\\x1B[2K\\x0DOK "), "\(result.stderr)")

        // A manifest that lists such a path, and a signer key that is no key but escape codes.
        try FileManager.default.removeItem(at: bundle.appendingPathComponent(fake))
        let manifestFile = bundle.appendingPathComponent("pico-manifest.json")
        var manifest = try BundleManifest.decode(Data(contentsOf: manifestFile))
        manifest.files.append(BundleFile(path: "a\u{1B}]0;pwned\u{7}", size: 1, sha256: String(repeating: "0", count: 64), type: "text/plain"))
        manifest.signature = BundleSignature(pubkey: "\u{1B}[32mgood\u{1B}[0m", sig: "00")
        try manifest.canonicalJSON.write(to: manifestFile)
        result = try TestEnvironment.pico("verify", bundle.path)
        #expect(result.status == 1)
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(result.stderr)")
        #expect(result.stderr.contains("a\\x1B]0;pwned\\x07"), "\(result.stderr)")
        #expect(result.stderr.contains("\\x1B[32mgood"), "\(result.stderr)")
    }

    @Test func helpExplainsTheCommands() throws {
        let help = try TestEnvironment.pico("--help")
        for command in ["init", "build", "verify"] { #expect(help.stdout.contains(command)) }
        let buildHelp = try TestEnvironment.pico("build", "--help")
        #expect(buildHelp.stdout.contains("--allow-broken-links"))
        #expect(try TestEnvironment.pico("frobnicate").status != 0)
    }
}
