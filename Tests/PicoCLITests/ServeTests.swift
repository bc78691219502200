import Foundation
import PicoTestSupport
import Testing

/// `pico serve` over real HTTP (curl), from a folder and straight out of a zip.
@Suite struct ServeTests {
    static let site = ["pico.toml": "title = \"Served\"\n", "content/a.md": "# A page\n", "static/css/s.css": "body{}",
                       "static/img/p.png": "PNGDATA"]

    @Test func aFolderIsServedWithTypesAndEveryFileChecked() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site, under: "site")
        let bundle = folder.path("bundle")
        #expect(try TestEnvironment.pico("build", site.path, "-o", bundle.path).status == 0)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0", "--base", "/x/y/"])
        #expect(server.url.hasSuffix("/x/y/"))

        let home = try TestEnvironment.get(server.url)
        #expect(home.status == 200)
        #expect(home.type == "text/html; charset=utf-8")
        #expect(home.cache == "no-cache")
        #expect(home.body == (try Data(contentsOf: bundle.appendingPathComponent("index.html"))))
        let css = try TestEnvironment.get(server.url + "css/s.css")
        #expect(css.status == 200 && css.type.hasPrefix("text/css") && css.cache.contains("max-age"))
        #expect(try TestEnvironment.get(server.url + "img/p.png").type == "image/png")
        #expect(try TestEnvironment.get(server.url + "a").status == 301)
        #expect(try TestEnvironment.get(server.url + "missing.html").status == 404)

        // A file changed on disk is refused, and its bytes never leave the server.
        try Data("<h1>tampered</h1>".utf8).write(to: bundle.appendingPathComponent("a/index.html"))
        let tampered = try TestEnvironment.get(server.url + "a/")
        #expect(tampered.status == 500)
        #expect(!String(decoding: tampered.body, as: UTF8.self).contains("tampered"))
        let log = server.stop()
        #expect(log.contains("refused /a/index.html"), "\(log)")
    }

    @Test func aZipIsServedWithoutUnpackingIt() throws {
        let folder = TemporaryFolder()
        let site = folder.write(Self.site, under: "site")
        let bundle = folder.path("bundle")
        #expect(try TestEnvironment.pico("build", site.path, "-o", bundle.path).status == 0)
        #expect(try TestEnvironment.pico("pack", bundle.path, "-o", folder.path("b.zip").path).status == 0)
        try FileManager.default.removeItem(at: bundle.appendingPathComponent("a")) // the zip is all there is
        let server = try ServerProcess(TestEnvironment.pico, ["serve", folder.path("b.zip").path, "--port", "0"])
        #expect(try TestEnvironment.get(server.url).status == 200)
        let page = try TestEnvironment.get(server.url + "a/")
        #expect(page.status == 200)
        // The page's own Markdown heading (with its id since headings have anchors).
        #expect(String(decoding: page.body, as: UTF8.self).contains(#"<h1 id="a-page">A page<a class="heading-anchor""#))
        #expect(try TestEnvironment.get(server.url + "css/s.css").body == Data("body{}".utf8))
        _ = server.stop()
        // Nothing was unpacked next to the archive.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["b.zip", "bundle", "site"])
    }

    @Test func aCorruptFileInsideAZipIsRefused() throws {
        let corpus = FileManager.default.temporaryDirectory.appendingPathComponent("pico-serve-corpus-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: corpus) }
        let script = TestEnvironment.repository.appendingPathComponent("Tests/tools/make_hostile_archives.py").path
        _ = try TestEnvironment.run("python3", [script, corpus.path, "--small"])
        let server = try ServerProcess(TestEnvironment.pico, ["serve", corpus.appendingPathComponent("flipped-byte.zip").path, "--port", "0"])
        let page = try TestEnvironment.get(server.url)
        #expect(page.status == 500)
        let log = server.stop()
        #expect(log.contains("refused /index.html"), "\(log)")
    }

    @Test func notFoundPagesAtDeepPathsKeepTheirLinksWithABase() throws {
        let folder = TemporaryFolder()
        let bundle = folder.path("blog")
        #expect(try TestEnvironment.pico("build", TestEnvironment.repository.appendingPathComponent("Examples/blog").path, "-o", bundle.path, "-q").status == 0)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0", "--base", "/a/b/"])
        let deep = try TestEnvironment.get(server.url + "no/such/page")
        #expect(deep.status == 404)
        #expect(String(decoding: deep.body, as: UTF8.self).contains("<base href=\"/a/b/\">"))
        let top = try TestEnvironment.get(server.url + "nothing-here")
        let notFoundPage = try Data(contentsOf: bundle.appendingPathComponent("404.html"))
        #expect(top.status == 404 && top.body == notFoundPage)
        _ = server.stop()
    }

    @Test func watchRebuildsASiteOnChangeAndPagesAskForTheNewVersion() throws {
        let folder = TemporaryFolder()
        let site = folder.path("site")
        try FileManager.default.copyItem(at: TestEnvironment.repository.appendingPathComponent("Examples/blog"), to: site)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", site.path, "--watch", "--port", "0"], timeout: 60)
        let first = try TestEnvironment.get(server.url)
        #expect(first.status == 200 && first.cache == "no-store")
        #expect(String(decoding: first.body, as: UTF8.self).contains("window.picoWatch=true"))
        let version = try TestEnvironment.get(server.url + "__pico/version")
        #expect(version.status == 200 && version.body.count == 64)

        let home = site.appendingPathComponent("content/_index.md")
        try (try String(contentsOf: home, encoding: .utf8) + "\nWatched change 42.\n").write(to: home, atomically: true, encoding: .utf8)
        var changed = false
        for _ in 0..<100 where !changed {
            usleep(200_000)
            changed = try TestEnvironment.get(server.url + "__pico/version").body != version.body
        }
        #expect(changed, "the version did not change within 20 s")
        #expect(String(decoding: try TestEnvironment.get(server.url).body, as: UTF8.self).contains("Watched change 42."))

        // A broken change: the error is reported, the last good build stays served.
        try "---\ntitle: [unclosed\n---\n".write(to: site.appendingPathComponent("content/broken.md"), atomically: true, encoding: .utf8)
        usleep(2_500_000)
        #expect(try TestEnvironment.get(server.url).status == 200)
        let log = server.stop()
        #expect(log.contains("rebuild failed") && log.contains("content/broken.md"), "\(log)")
        #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent("public/index.html").path))
    }
}
