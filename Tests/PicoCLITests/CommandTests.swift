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
        #expect(json["files"] as? Int == 2 + 5, "two pages, sw.js, pico-app.js, manifest.webmanifest and two icons")
    }

    @Test func helpExplainsTheCommands() throws {
        let help = try TestEnvironment.pico("--help")
        for command in ["init", "build", "verify"] { #expect(help.stdout.contains(command)) }
        let buildHelp = try TestEnvironment.pico("build", "--help")
        #expect(buildHelp.stdout.contains("--allow-broken-links"))
        #expect(try TestEnvironment.pico("frobnicate").status != 0)
    }
}
