import Foundation
import PicoCore
import PicoFiles
import PicoTestSupport
import Testing

/// What the service worker caches and when (pico-offline.json), hosts that redirect, install
/// failures said to the page, and sites that keep their own worker, in real headless Chromium.
/// An extension of BrowserTests, so that these run one at a time with the other browser
/// scenarios (two Chromiums at once on two cores would blur the 2 s target).
extension BrowserTests {
    /// A folder on /dev/shm when there is one (the large site is 200 MB), removed at the end.
    final class ScratchFolder {
        let url: URL
        init() {
            let shm = URL(fileURLWithPath: "/dev/shm")
            let base = FileTree.isDirectory(shm) ? shm : FileManager.default.temporaryDirectory
            url = base.appendingPathComponent("pico-worker-\(UUID().uuidString)")
            try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }
    }

    static let largePages = 5_000

    /// A finished site of 5,000 pages (each with its own image, the shared style sheet and
    /// script) and 100 data files of 2 MB that pages link to: 215 MB, 10,100 files.
    static func writeLargeSite(at root: URL) throws {
        let fm = FileManager.default
        func write(_ text: String, _ path: String) throws {
            let file = root.appendingPathComponent(path)
            try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        func page(_ title: String, depth: Int, _ body: String) -> String {
            let up = String(repeating: "../", count: depth)
            return """
            <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title><link rel="stylesheet" href="\(up)css/site.css">\
            <script src="\(up)js/site.js" defer></script></head><body><h1>\(title)</h1>\(body)</body></html>

            """
        }
        func svg(_ size: Int, _ fill: String, _ text: String = "") -> String {
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(size)\" height=\"\(size)\"><rect width=\"\(size)\" height=\"\(size)\" "
                + "fill=\"#\(fill)\"/><text x=\"4\" y=\"36\">\(text)</text></svg>\n"
        }
        func number(_ i: Int, _ digits: Int = 4) -> String { String(format: "%0\(digits)d", i) }
        try write("body { font-family: sans-serif; background: url(../img/bg.svg) } h1 { color: #123 }\n", "css/site.css")
        try write("document.documentElement.dataset.site = 'ok';\n", "js/site.js")
        try write(svg(8, "eeeeff"), "img/bg.svg")
        let sections = stride(from: 0, to: largePages, by: 50).map { "<li><a href=\"docs/\(number($0))/\">Page \($0)</a></li>" }
        try write(page("Large site", depth: 0, "<img src=\"img/p0000.svg\" width=\"64\" height=\"64\" alt=\"\"><ul>\(sections.joined())</ul>"), "index.html")
        try write(page("Not found", depth: 0, "<p>No such page.</p>"), "404.html")
        let filler = Array(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", count: 25).joined(separator: " ")
        for i in 0..<largePages {
            let n = number(i)
            try write(svg(64, String(format: "%06x", (i &* 2654435761) & 0xffffff), String(i)), "img/p\(n).svg")
            try write(page("Page \(i)", depth: 2, "<img src=\"../../img/p\(n).svg\" width=\"64\" height=\"64\" alt=\"\"><p>\(filler)</p>"
                           + "<a href=\"../\(number((i + 1) % largePages))/\">next</a> <a href=\"../../downloads/blob-\(number(i % 100, 2)).bin\">data</a>"),
                      "docs/\(n)/index.html")
        }
        var block = [UInt8](repeating: 0, count: 2_000_000)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for k in block.indices { seed = seed &* 6364136223846793005 &+ 1442695040888963407; block[k] = UInt8(truncatingIfNeeded: seed >> 33) }
        try fm.createDirectory(at: root.appendingPathComponent("downloads"), withIntermediateDirectories: true)
        for k in 0..<100 {
            block[0] = UInt8(k)                            // each file its own bytes
            try Data(block).write(to: root.appendingPathComponent("downloads/blob-\(number(k, 2)).bin"))
        }
    }

    /// 5,000 pages, 200 MB: one page view gets a controlled page within 2 s and a cache of a
    /// few files; pages visited online then work with the server stopped; a page never visited
    /// fails offline as a network error.
    @Test func aLargeSiteIsControlledAtOnceAndCachedAsPagesAreVisited() throws {
        let folder = ScratchFolder()
        let site = folder.path("large")
        try Self.writeLargeSite(at: site)
        let bundle = folder.path("large.bundle")
        let built = try TestEnvironment.pico("build", site.path, "-o", bundle.path)
        try #require(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("note: offline: the service worker caches the app shell"), "\(built.stderr)")
        let policy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: bundle.appendingPathComponent("pico-offline.json"))) as? [String: Any])
        #expect(policy["mode"] as? String == "visited")
        #expect(policy["total_bytes"] == nil, "the size is not written: the file changes only with the mode or the shell")
        let manifest = try BundleManifest.decode(Data(contentsOf: bundle.appendingPathComponent("pico-manifest.json")))
        #expect(manifest.files.filter { $0.path.hasSuffix(".html") }.count > Self.largePages)
        #expect(manifest.files.reduce(0) { $0 + $1.size } > 200_000_000)

        let server = try Self.serve(bundle)
        let result = try Self.scenario(["visited", server.url, "--first", "docs/0100/index.html",
                                        "--server-pid", String(server.process.processIdentifier),
                                        "--pages", "docs/0200/index.html,docs/4999/index.html,index.html",
                                        "--unvisited", "docs/3000/index.html", "--max-fraction", "0.1", "--control-within", "2"],
                                       screenshot: "large-visited.png")
        _ = server.stop()
        Self.expectPass(result)
    }

    /// The small example blog keeps today's full precache: its policy says "all".
    @Test func aSmallSiteIsCachedWholeWhenTheWorkerInstalls() throws {
        let folder = TemporaryFolder()
        let bundle = try Self.build("blog", in: folder, named: "blog")
        let policy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: bundle.appendingPathComponent("pico-offline.json"))) as? [String: Any])
        #expect(policy["mode"] as? String == "all" && policy["requested"] as? String == "auto")
        // The offline scenario waits for every file of the manifest in the cache.
        let server = try Self.serve(bundle)
        let result = try Self.scenario(["offline", server.url, "--server-pid", String(server.process.processIdentifier),
                                        "--pages", "about/index.html,posts/index.html,tags/index.html"])
        _ = server.stop()
        Self.expectPass(result)
    }

    /// Cached as pages are visited, each file is checked when it is fetched: a page the host
    /// alters is answered with the worker's refusal (HTTP 502), an altered image with a network
    /// error, neither cached, each named in the worker's console.
    @Test func aFileFetchedOnAVisitIsCheckedBeforeItIsCachedOrShown() throws {
        let folder = TemporaryFolder()
        let bundle = folder.path("blog")
        let built = try TestEnvironment.pico("build", TestEnvironment.repository.appendingPathComponent("Examples/blog").path,
                                             "-o", bundle.path, "-q", "--offline", "visited")
        try #require(built.status == 0, "\(built.stderr)")
        for (file, addition) in [("about/index.html", "<!-- altered by the host -->\n"), ("images/shelf.png", "x")] {
            let handle = try FileHandle(forWritingTo: bundle.appendingPathComponent(file))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(addition.utf8))
            try handle.close()
        }
        let plain = try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/browser.py").path, "static", bundle.path, "--base", "/a/b/", "--port", "0",
        ])
        let result = try Self.scenario(["visited", plain.url, "--server-pid", String(plain.process.processIdentifier),
                                        "--pages", "posts/index.html,tags/index.html", "--tampered", "about/index.html",
                                        "--tampered-resource", "images/shelf.png", "--unvisited", "colophon/index.html",
                                        "--max-fraction", "1"])
        _ = plain.stop()
        Self.expectPass(result)
    }

    /// Cached as pages are visited, an update is offered once its shell and every file the
    /// current version had cached are checked, and then taken whole: no page view mixes versions.
    @Test func aVisitedBundlesUpdateIsTakenWholeAfterReload() throws {
        let folder = TemporaryFolder()
        let site = folder.path("site")
        try FileManager.default.copyItem(at: TestEnvironment.repository.appendingPathComponent("Examples/blog"), to: site)
        let served = folder.path("served")
        try #require(try TestEnvironment.pico("build", site.path, "-o", served.path, "-q", "--offline", "visited").status == 0)
        for (file, addition) in [("content/_index.md", "\nA sentence added in the second version.\n"),
                                 ("static/css/site.css", "\nfooter { outline: 1px dotted; }\n")] {
            // The stylesheet is the blog starter's (Examples/blog says template = "blog"): a changed
            // copy in the site wins over it.
            let url = site.appendingPathComponent(file)
            let current = try (try? String(contentsOf: url, encoding: .utf8))
                ?? String(contentsOf: TestEnvironment.repository.appendingPathComponent("Templates/blog/" + file), encoding: .utf8)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (current + addition).write(to: url, atomically: true, encoding: .utf8)
        }
        let next = folder.path("next")
        try #require(try TestEnvironment.pico("build", site.path, "-o", next.path, "-q", "--offline", "visited").status == 0)
        let new = try BundleManifest.decode(Data(contentsOf: next.appendingPathComponent("pico-manifest.json"))).id
        let server = try Self.serve(served)
        let swap = "mv '\(served.path)' '\(folder.path("old").path)' && mv '\(next.path)' '\(served.path)'"
        let result = try Self.scenario(["update", server.url, "--swap-cmd", swap])
        _ = server.stop()
        Self.expectPass(result)
        #expect(result.stdout.contains(String(new.prefix(12))), "\(result.stdout)")
    }

    /// A page not cached yet that changed on the host (a new version was published) is not
    /// shown from the old version's manifest: the worker checks the new version and the page
    /// comes from it, whole.
    @Test func aPageChangedOnTheHostMovesTheWorkerToTheNewVersion() throws {
        let folder = TemporaryFolder()
        let site = folder.path("site")
        try FileManager.default.copyItem(at: TestEnvironment.repository.appendingPathComponent("Examples/blog"), to: site)
        let served = folder.path("served")
        try #require(try TestEnvironment.pico("build", site.path, "-o", served.path, "-q", "--offline", "visited").status == 0)
        let about = site.appendingPathComponent("content/about.md")
        try (try String(contentsOf: about, encoding: .utf8) + "\nA sentence added in the second version.\n").write(to: about, atomically: true, encoding: .utf8)
        let next = folder.path("next")
        try #require(try TestEnvironment.pico("build", site.path, "-o", next.path, "-q", "--offline", "visited").status == 0)
        let server = try Self.serve(served)
        let swap = "mv '\(served.path)' '\(folder.path("old").path)' && mv '\(next.path)' '\(served.path)'"
        let result = try Self.scenario(["newer", server.url, "--swap-cmd", swap, "--page", "about/index.html"])
        _ = server.stop()
        Self.expectPass(result)
    }

    /// A folder URL shows the folder's index.html, else index.htm, from the worker too.
    @Test func aFolderURLShowsItsIndexHtmFromTheWorker() throws {
        let folder = TemporaryFolder()
        func page(_ title: String, _ up: String) -> String {
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(title)</title><link rel=\"stylesheet\" href=\"\(up)s.css\"></head><body><h1>\(title)</h1></body></html>"
        }
        let site = folder.write(["index.html": page("Home", ""), "s.css": "h1 { color: #345 }\n", "legacy/index.htm": page("Legacy", "../"),
                                 "about/index.html": page("About", "../"), "notes/index.html": page("Notes", "../")], under: "site")
        let bundle = folder.path("bundle")
        let built = try TestEnvironment.pico("build", site.path, "-o", bundle.path, "-q")
        try #require(built.status == 0, "\(built.stderr)")
        let server = try Self.serve(bundle)
        let result = try Self.scenario(["offline", server.url, "--server-pid", String(server.process.processIdentifier),
                                        "--pages", "legacy/,about/,notes/index.html"])
        _ = server.stop()
        Self.expectPass(result)
        #expect(result.stdout.contains("legacy/") && result.stdout.contains("'Legacy'"), "\(result.stdout)")
    }

    static func redirectingHost(_ bundle: URL, _ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            TestEnvironment.repository.appendingPathComponent("Tests/tools/redirecting_host.py").path, bundle.path,
            "--base", "/a/b/", "--port", "0",
        ] + extra)
    }

    /// A host that redirects …/index.html → …/ and ….html → … (Cloudflare Pages): the worker
    /// follows, checks the final bytes, works offline, and refuses an altered page behind a redirect.
    @Test(arguments: ["301", "308"])
    func aRedirectingHostInstallsAndWorksOffline(status: String) throws {
        let folder = TemporaryFolder()
        let bundle = try Self.build("blog", in: folder, named: "blog")
        let host = try Self.redirectingHost(bundle, ["--status", status])
        let result = try Self.scenario(["offline", host.url, "--server-pid", String(host.process.processIdentifier),
                                        "--pages", "about/index.html,posts/index.html,tags/index.html"],
                                       screenshot: status == "308" ? "blog-redirecting-host.png" : nil)
        _ = host.stop()
        Self.expectPass(result)
    }

    @Test func aRedirectingHostsAlteredPageIsRefused() throws {
        let folder = TemporaryFolder()
        let bundle = try Self.build("blog", in: folder, named: "blog")
        let page = bundle.appendingPathComponent("about/index.html")
        try (try String(contentsOf: page, encoding: .utf8) + "<!-- altered by the host -->\n").write(to: page, atomically: true, encoding: .utf8)
        let host = try Self.redirectingHost(bundle)
        let result = try Self.scenario(["tampered", host.url, "--path", "about/index.html", "--expect-mismatch"])
        _ = host.stop()
        Self.expectPass(result)
        #expect(result.stdout.contains("it came from \(host.url)about/"), "\(result.stdout)")
    }

    /// A host that sends …/index.html outside the site: the worker cannot install, and says
    /// why in its console and on the page (status "error", the banner).
    @Test func anInstallFailureIsShownOnThePage() throws {
        let folder = TemporaryFolder()
        let bundle = try Self.build("blog", in: folder, named: "blog")
        let host = try Self.redirectingHost(bundle, ["--outside"])
        let result = try Self.scenario(["install-failed", host.url, "--expect-reason", "outside the site"],
                                       screenshot: "blog-install-failed.png")
        _ = host.stop()
        Self.expectPass(result)
    }

    /// A site with its own worker keeps it, under pico's name (sw.js) or another one
    /// (service-worker.js, registered from a script): pico says so and adds none of its own.
    @Test(arguments: ["sw.js", "service-worker.js"])
    func aSitesOwnServiceWorkerStaysInCharge(script: String) throws {
        let folder = TemporaryFolder()
        let worker = """
        // The site's own worker.
        self.addEventListener('install', () => self.skipWaiting());
        self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
        self.addEventListener('fetch', () => {});

        """
        // sw.js is registered by the page itself, service-worker.js by a script of the site.
        let register = script == "sw.js"
            ? "<script>navigator.serviceWorker.register('sw.js');</script>"
            : "<script src=\"js/app.js\"></script>"
        var files = [
            "index.html": "<!doctype html><html><head><meta charset=\"utf-8\"><title>Own worker</title><link rel=\"stylesheet\" href=\"s.css\"></head><body><h1>Own</h1>\(register)</body></html>",
            "s.css": "body { color: #333 }\n",
            script: worker,
        ]
        if script != "sw.js" {
            files["js/app.js"] = "if ('serviceWorker' in navigator) navigator.serviceWorker.register('\(script)', { scope: './' });\n"
        }
        let site = folder.write(files, under: "site")
        let bundle = folder.path("bundle")
        let built = try TestEnvironment.pico("build", site.path, "-o", bundle.path)
        try #require(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("note: the site keeps its own service worker, /\(script)"), "\(built.stderr)")
        #expect(try String(contentsOf: bundle.appendingPathComponent(script), encoding: .utf8) == worker)
        #expect(!FileManager.default.fileExists(atPath: bundle.appendingPathComponent("pico-app.js").path))
        if script != "sw.js" { #expect(!FileManager.default.fileExists(atPath: bundle.appendingPathComponent("sw.js").path)) }
        let server = try Self.serve(bundle, base: "/")
        let result = try Self.scenario(["own-worker", server.url, "--script", script])
        _ = server.stop()
        Self.expectPass(result)
    }
}
