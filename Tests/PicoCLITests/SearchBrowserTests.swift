import Foundation
import PicoTestSupport
import Testing

/// A bundle's search (issue 17) in real headless Chromium, through the real `pico build`:
/// Tests/tools/search_check.py opens search/index.html?q=…, asks PicoSearch.search, types into
/// the box, and watches the console; from file:// and over http from a sub-path.
@Suite(.serialized) struct SearchBrowserTests {
    static let tools = TestEnvironment.repository.appendingPathComponent("Tests/tools")

    /// A blog whose words make the ranking known: "bundles" is the title and four body words of
    /// one page and a single word of another; the running page has "running" twice and "run"
    /// once but never "runs"; "zebra" is on one page only, beside one "running". Each page's
    /// first paragraph (the summary the section and home pages list) has none of these words.
    static func site(in folder: TemporaryFolder) -> URL {
        let first = "A note from the field.\n\n"
        return folder.write([
            "pico.toml": "title = \"Field notes\"\nlanguage = \"en\"\ntemplate = \"blog\"\n",
            "content/_index.md": "Welcome.\n",
            "content/notes/_index.md": "---\ntitle: Notes\n---\nAll the notes.\n",
            "content/notes/bundles.md": "---\ntitle: Bundles on a drive\ndate: 2024-05-01\n---\n" + first
                + "Bundles travel well. Every folder of bundles holds bundles of pages, and bundles keep their checksums.\n",
            "content/notes/running.md": "---\ntitle: Morning routine\ndate: 2024-05-02\n---\n" + first
                + "I was running before dawn. To run every day is the plan; running clears the head.\n",
            "content/notes/stripes.md": "---\ntitle: Stripes\ndate: 2024-05-03\n---\n" + first
                + "A zebra grazes beside the running track.\n",
            "content/notes/quiet.md": "---\ntitle: Quiet\ndate: 2024-05-04\n---\n" + first
                + "Little happens here: a single bundle & a <b>bold</b> word.\n",
        ], under: "site")
    }

    static func build(_ site: URL, into bundle: URL) throws {
        let built = try TestEnvironment.pico("build", site.path, "-o", bundle.path, "-q")
        try #require(built.status == 0, "\(built.stdout)\n\(built.stderr)")
        for file in ["pico-search/search.js", "pico-search/index.js", "search/index.html"] {
            try #require(FileManager.default.fileExists(atPath: bundle.appendingPathComponent(file).path), "no \(file) in the bundle")
        }
    }

    /// What every run of the blog checks: the known first results, prefix and stemmed forms,
    /// AND, snippets with the words marked (and the site's `&` and `<b>` escaped), no result,
    /// the keyboard, and the header's plain form on another page.
    static let blogChecks = [
        "--expect", "bundles=notes/bundles/index.html",
        "--expect", "bund=notes/bundles/index.html",
        "--expect", "runs=notes/running/index.html",
        "--expect", "zebra=notes/stripes/index.html",
        "--expect", "zebra running=notes/stripes/index.html",
        "--expect", "bold single=notes/quiet/index.html",
        "--mark", "runs=running", "--mark", "bund=bundles", "--mark", "zebra running=zebra",
        "--mark", "bold single=bold",
        "--none", "quokka",
        "--keyboard", "zebra=notes/stripes/index.html",
        "--form", "notes/running/index.html=zebra",
    ]

    static func check(_ url: String, _ arguments: [String], screenshot: String) throws -> ProcessOutput {
        try FileManager.default.createDirectory(at: BrowserTests.screenshots, withIntermediateDirectories: true)
        return try TestEnvironment.run("/usr/bin/python3", [tools.appendingPathComponent("search_check.py").path, url] + arguments + [
            "--timeout", "150", "--screenshot", BrowserTests.screenshots.appendingPathComponent(screenshot).path,
        ])
    }

    @Test func fromFileTheSearchPageFindsTheExpectedPagesWithACleanConsole() throws {
        let folder = TemporaryFolder()
        let bundle = folder.path("bundle")
        try Self.build(Self.site(in: folder), into: bundle)
        // The starter's own search page (templates/search.mustache), styled like the site.
        let page = try String(contentsOf: bundle.appendingPathComponent("search/index.html"), encoding: .utf8)
        #expect(page.contains("data-pico-search-results=\"search-results\"") && page.contains("css/site.css"), "\(page)")
        // Every page's header has the plain form that opens it.
        let post = try String(contentsOf: bundle.appendingPathComponent("notes/bundles/index.html"), encoding: .utf8)
        #expect(post.contains("action=\"../../search/index.html\""), "\(post)")

        let result = try Self.check(bundle.absoluteURL.absoluteString, Self.blogChecks, screenshot: "search-file.png")
        #expect(result.status == 0 && result.stdout.contains(": PASS"), "\(result.stdout)\n\(result.stderr)")
    }

    @Test func overHTTPFromASubPathTheSameQueriesAnswerTheSame() throws {
        let folder = TemporaryFolder()
        let bundle = folder.path("bundle")
        try Self.build(Self.site(in: folder), into: bundle)
        let server = try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0", "--base", "/sub/path/"])
        let result = try Self.check(server.url, Self.blogChecks, screenshot: "search-http.png")
        _ = server.stop()
        #expect(server.url.hasSuffix("/sub/path/"), "\(server.url)")
        #expect(result.status == 0 && result.stdout.contains(": PASS"), "\(result.stdout)\n\(result.stderr)")
    }

    /// --no-search: no index, no search page, and the starter's header has no form that would
    /// link to the missing page (the build would fail on the broken link).
    @Test func withNoSearchTheBundleHasNoIndexAndTheHeaderNoSearchBox() throws {
        let folder = TemporaryFolder()
        let bundle = folder.path("bundle")
        let built = try TestEnvironment.pico("build", Self.site(in: folder).path, "-o", bundle.path, "-q", "--no-search")
        try #require(built.status == 0, "\(built.stdout)\n\(built.stderr)")
        for file in ["pico-search", "search/index.html"] {
            #expect(!FileManager.default.fileExists(atPath: bundle.appendingPathComponent(file).path), "\(file)")
        }
        let post = try String(contentsOf: bundle.appendingPathComponent("notes/bundles/index.html"), encoding: .utf8)
        #expect(!post.contains("role=\"search\"") && post.contains("Bundles travel well"), "\(post)")
    }

    /// A finished site (no pico.toml) in French gets the built-in page in its language, and
    /// French stems: "fromage" and "fromages" find both pages, the one with two first; the home
    /// page, whose only "fromages" are in its <nav>, is not among them.
    @Test func aFinishedSiteGetsTheBuiltInPageInItsLanguage() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "index.html": "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Accueil</title></head>"
                + "<body><nav>fromages fromages fromages</nav><main><p>Bienvenue.</p></main></body></html>",
            "cave/index.html": "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>La cave</title></head>"
                + "<body><main><h1>La cave</h1><p>Les fromages mûrissent lentement dans la cave fraîche, près des fromages de chèvre.</p></main></body></html>",
            "jardin/index.html": "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Le jardin</title></head>"
                + "<body><main><h1>Le jardin</h1><p>Des tomates et un seul fromage oublié.</p></main></body></html>",
        ], under: "site")
        let bundle = folder.path("bundle")
        try Self.build(site, into: bundle)
        let page = try String(contentsOf: bundle.appendingPathComponent("search/index.html"), encoding: .utf8)
        #expect(page.contains("<html lang=\"fr\">"), "\(page)")

        let result = try Self.check(bundle.absoluteURL.absoluteString, [
            // The home page's <nav> words are not indexed: it is not among the results.
            "--expect", "fromage=cave/index.html",
            "--exactly", "fromages=cave/index.html,jardin/index.html",
            "--expect", "cave=cave/index.html",
            "--mark", "fromage=fromages",
            "--none", "quokka",
        ], screenshot: "search-finished.png")
        #expect(result.status == 0 && result.stdout.contains(": PASS"), "\(result.stdout)\n\(result.stderr)")
    }

    /// The pages that rank first for the common words are numbered first, in the hot document
    /// shard search.js carries: from file://, a cold query of such a word loads search.js
    /// (with index.js and d-000.js) and one term shard, and no document shard, though its
    /// results sort last by path (the last shard, in path order).
    @Test func aColdQueryFindsItsResultsInTheHotShardAndLoadsNoOther() throws {
        let folder = TemporaryFolder()
        func page(_ title: String, _ body: String) -> String {
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title)</title></head><body><main><p>\(body)</p></main></body></html>"
        }
        var files = ["index.html": page("Home", "The home page.")]
        for n in 0..<400 {
            files["a/\(n)/index.html"] = page("P\(n)", (0..<110).map { "w\(n)x\($0)" }.joined(separator: " ") + " harbour lantern")
        }
        for n in 0..<3 {
            files["z/\(n).html"] = page("Dense \(n)", Array(repeating: "harbour lantern", count: 4).joined(separator: " "))
        }
        let bundle = folder.path("bundle")
        try Self.build(folder.write(files, under: "site"), into: bundle)
        let index = try String(contentsOf: bundle.appendingPathComponent("pico-search/index.js"), encoding: .utf8)
        #expect(index.contains("\"hot\":1}") && index.contains("\"d-002.js\""), "several document shards, one hot: \(index.suffix(200))")

        let run = try TestEnvironment.run("/usr/bin/python3", [
            TestEnvironment.repository.appendingPathComponent("Benchmarks/search_query.py").path, "pico", bundle.path,
            "--mode", "file", "--queries", "harbour,lantern", "--rounds", "1",
        ])
        try #require(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let first = try #require(result["first"] as? [String: Any])
        let top = try #require(first["top"] as? [[String: Any]])
        #expect(top.prefix(3).compactMap { $0["path"] as? String }.sorted() == ["z/0.html", "z/1.html", "z/2.html"], "\(top)")
        #expect((top.first?["snippet"] as? String)?.contains("<mark>harbour</mark>") == true, "\(top)")
        let loaded = try #require(first["cold_files"] as? [String])
        #expect(loaded.sorted() == ["search.js"] + loaded.filter { $0.hasPrefix("t-") } && loaded.filter { $0.hasPrefix("t-") }.count == 1,
                "\(loaded)")
        #expect(result["console_errors"] as? Int == 0, "\(result["console"] ?? "")")
    }

    /// An index shard altered after the build: `pico verify` names it, pico serve refuses it,
    /// and the service worker's own check refuses it from a host that serves it as it is.
    @Test func aTamperedShardIsRefusedByVerifyAndByTheServiceWorker() throws {
        let folder = TemporaryFolder()
        let bundle = folder.path("bundle")
        try Self.build(Self.site(in: folder), into: bundle)
        let shard = bundle.appendingPathComponent("pico-search/t-000.js")
        let original = try String(contentsOf: shard, encoding: .utf8)
        try original.replacingOccurrences(of: "PicoSearch.terms(", with: "PicoSearch.terms( ").write(to: shard, atomically: true, encoding: .utf8)

        let verified = try TestEnvironment.pico("verify", bundle.path)
        #expect(verified.status != 0 && (verified.stdout + verified.stderr).contains("pico-search/t-000.js"),
                "\(verified.stdout)\n\(verified.stderr)")

        let picoServer = try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0", "--base", "/sub/path/"])
        let refusedByServer = try BrowserTests.scenario(["tampered", picoServer.url, "--path", "pico-search/t-000.js"])
        let log = picoServer.stop()
        BrowserTests.expectPass(refusedByServer)
        #expect(log.contains("pico-search/t-000.js"), "\(log)")

        let plain = try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            Self.tools.appendingPathComponent("browser.py").path, "static", bundle.path, "--base", "/sub/path/", "--port", "0",
        ])
        let refusedByWorker = try BrowserTests.scenario(["tampered", plain.url, "--path", "pico-search/t-000.js", "--expect-mismatch"],
                                                        screenshot: "search-tampered.png")
        _ = plain.stop()
        BrowserTests.expectPass(refusedByWorker)
    }
}
