import Foundation
import PicoBuild
import PicoCore
import PicoImage
import PicoTestSupport
import Testing

/// What makes a bundle a web app: the manifest from `[app]`, the icons, the service worker and
/// the page script in every page. (Chromium's side is in PicoCLITests/BrowserTests.)
@Suite struct WebAppBuildTests {
    static func build(_ files: [String: String], in folder: TemporaryFolder) throws -> BundleBuilder.Result {
        try BundleBuilder(.init(input: folder.write(files, under: "site"))).build()
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func theManifestComesFromAppWithRelativeURLsAndDrawnIcons() throws {
        let folder = TemporaryFolder()
        let result = try Self.build([
            "pico.toml": "title = \"Field Notes\"\n[app]\nshort_name = \"Notes\"\ntheme_color = \"#0f766e\"\nbackground_color = \"#ffffff\"\ndisplay = \"standalone\"\n",
            "content/_index.md": "# Home\n",
        ], in: folder)
        let manifest = try Self.json(result.output.appendingPathComponent("manifest.webmanifest"))
        #expect(manifest["name"] as? String == "Field Notes")
        #expect(manifest["short_name"] as? String == "Notes")
        #expect(manifest["start_url"] as? String == "./" && manifest["scope"] as? String == "./")
        #expect(manifest["display"] as? String == "standalone")
        let icons = try #require(manifest["icons"] as? [[String: String]])
        #expect(icons.map { $0["sizes"] } == ["192x192", "512x512"])
        for icon in icons {
            let data = try Data(contentsOf: result.output.appendingPathComponent(try #require(icon["src"])))
            let size = try #require(PNGHeader.size(of: data))
            #expect("\(size.width)x\(size.height)" == icon["sizes"])
        }
        // The same input draws the same icons (the bundle is reproducible).
        let again = try BundleBuilder(.init(input: folder.path("site"), output: folder.path("again"))).build()
        #expect(again.manifest.id == result.manifest.id)
    }

    @Test func pngIconsAreValidForZlibAndTheirChecksums() throws {
        let png = IconPainter(background: (79, 70, 229)).icon(for: "Shelf", size: 48).pngData
        // An independent reader: Python's zlib and binascii.crc32 over every chunk.
        let folder = TemporaryFolder()
        let file = folder.path("i.png")
        try png.write(to: file)
        let check = try TestEnvironment.run("/usr/bin/python3", ["-c", """
        import sys, zlib, struct, binascii
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat = 8, b''
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos+8])
            body = data[pos+8:pos+8+n]
            assert struct.unpack('>I', data[pos+8+n:pos+12+n])[0] == binascii.crc32(kind + body), kind
            if kind == b'IHDR': w, h = struct.unpack('>II', body[:8])
            if kind == b'IDAT': idat += body
            pos += 12 + n
        raw = zlib.decompress(idat)
        assert len(raw) == h * (w * 4 + 1), len(raw)
        opaque = sum(raw[1 + r * (w * 4 + 1) + x * 4 + 3] == 255 for r in range(h) for x in range(w))
        print(w, h, opaque)
        """, file.path])
        #expect(check.status == 0, "\(check.stderr)")
        let fields = check.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(fields.count == 3 && fields[0] == 48 && fields[1] == 48)
        #expect(fields.count == 3 && fields[2] > 48 * 48 / 2, "the rounded square covers most of the icon")
    }

    @Test func givenIconsMustHaveThe192And512Sizes() throws {
        let folder = TemporaryFolder()
        let site = folder.write([
            "pico.toml": "title = \"T\"\n[app]\nicons = [{ src = \"i/small.png\", sizes = \"192x192\" }]\n",
            "content/_index.md": "hi",
        ], under: "site")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("static/i"), withIntermediateDirectories: true)
        try IconPainter(background: (0, 0, 0)).icon(for: "A", size: 192).pngData.write(to: site.appendingPathComponent("static/i/small.png"))
        #expect {
            try BundleBuilder(.init(input: site)).build()
        } throws: { error in
            let text = String(describing: error)
            return text.contains("pico.toml") && text.contains("no 512x512 icon")
        }
    }

    @Test func anAbsoluteStartURLIsRefused() throws {
        let folder = TemporaryFolder()
        #expect {
            try Self.build(["pico.toml": "title = \"T\"\n[app]\nstart_url = \"/app/\"\n", "content/_index.md": "hi"], in: folder)
        } throws: { error in
            String(describing: error).contains("start_url") && String(describing: error).contains("relative")
        }
    }

    @Test func aSitesOwnManifestIsKeptAndWhatItLacksIsReported() throws {
        let folder = TemporaryFolder()
        let own = #"{"name":"Mine","start_url":"/","display":"browser","icons":[{"src":"missing.png","sizes":"192x192"}]}"#
        let result = try Self.build(["index.html": "<!doctype html><title>x</title>", "manifest.webmanifest": own], in: folder)
        #expect(try String(contentsOf: result.output.appendingPathComponent("manifest.webmanifest"), encoding: .utf8) == own)
        let warnings = result.warnings.map(\.description).joined(separator: "\n")
        #expect(warnings.contains("start_url \"/\" is tied to one host"), "\(warnings)")
        #expect(warnings.contains("display \"browser\""), "\(warnings)")
        #expect(warnings.contains("icon missing.png is not in the bundle"), "\(warnings)")
        #expect(warnings.contains("no 512x512 icon"), "\(warnings)")
    }

    @Test func everyPageLoadsThePageScriptOnceFromItsRoot() throws {
        let folder = TemporaryFolder()
        let result = try Self.build([
            "index.html": "<!DOCTYPE html><html><HEAD><title>x</title></HEAD><body><a href=\"a/b/\">b</a></body></html>",
            "a/b/index.html": "<html><head><title>b</title></head><body></body></html>",
        ], in: folder)
        let top = try String(contentsOf: result.output.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(top == "<!DOCTYPE html><html><HEAD><title>x</title><script src=\"./pico-app.js\" defer></script></HEAD><body><a href=\"a/b/index.html\">b</a></body></html>")
        let deep = try String(contentsOf: result.output.appendingPathComponent("a/b/index.html"), encoding: .utf8)
        #expect(deep.contains("<script src=\"../../pico-app.js\" defer></script></head>"))
        // Bundling a bundle again adds nothing twice.
        let again = try BundleBuilder(.init(input: result.output, output: folder.path("again"))).build()
        #expect(try String(contentsOf: again.output.appendingPathComponent("index.html"), encoding: .utf8) == top)
        #expect(again.warnings.isEmpty, "\(again.warnings)")
        let sw = try String(contentsOf: result.output.appendingPathComponent("sw.js"), encoding: .utf8)
        #expect(sw.contains("crypto.subtle.digest"))
    }

    // MARK: The offline policy (pico-offline.json)

    static func policy(_ output: URL) throws -> [String: Any] {
        try json(output.appendingPathComponent("pico-offline.json"))
    }

    /// The shell: index.html, 404.html, the manifest and its icons, pico-app.js, and what
    /// index.html and 404.html load (style sheets, scripts, images, fonts; not video, not the
    /// pages and files they link to) and their style sheets load in turn.
    @Test func aSmallBundleIsCachedWholeAndThePolicyIsAVerifiedFileOfIt() throws {
        let folder = TemporaryFolder()
        let result = try Self.build([
            "index.html": "<!doctype html><html><head><title>x</title><link rel=\"stylesheet\" href=\"css/a.css\"><link rel=\"next\" href=\"b.html\"><script src=\"js/app.js\"></script></head>"
                + "<body><img src=\"img/logo.png\"><video src=\"media/film.mp4\"></video><a href=\"files/report.pdf\">report</a><a href=\"b.html\">b</a></body></html>",
            "b.html": "<!doctype html><title>b</title><img src=\"img/other.png\">",
            "404.html": "<!doctype html><title>missing</title><link rel=\"stylesheet\" href=\"css/404.css\">",
            "css/404.css": "h1 { color: red }", "media/film.mp4": "film",
            "css/a.css": "@import url(b.css); body { background: url(../img/bg.png) }",
            "css/b.css": "@font-face { font-family: F; src: url(../fonts/f.woff2) }",
            "js/app.js": "1;", "img/logo.png": "png", "img/bg.png": "png", "img/other.png": "png",
            "fonts/f.woff2": "font", "files/report.pdf": "pdf",
        ], in: folder)
        let policy = try Self.policy(result.output)
        #expect(policy["format"] as? String == "pico-offline/1")
        #expect(policy["mode"] as? String == "all" && policy["requested"] as? String == "auto")
        #expect(policy["auto_limit_bytes"] as? Int == 10 << 20)
        #expect(policy["shell"] as? [String] == ["404.html", "css/404.css", "css/a.css", "css/b.css", "fonts/f.woff2", "icons/icon-192.png", "icons/icon-512.png",
                                                 "img/bg.png", "img/logo.png", "index.html", "js/app.js", "manifest.webmanifest", "pico-app.js"])
        let entry = try #require(result.manifest.files.first { $0.path == "pico-offline.json" })
        let data = try Data(contentsOf: result.output.appendingPathComponent("pico-offline.json"))
        #expect(entry.sha256 == SHA256Hex.of(data) && entry.size == data.count)
        #expect(policy["total_bytes"] == nil, "the size is not written: the file changes only with the mode or the shell")
        #expect(try String(contentsOf: result.output.appendingPathComponent("SHA256SUMS"), encoding: .utf8).contains(" pico-offline.json\n"))
        #expect(result.notes.isEmpty, "\(result.notes)")
        // Built again from the bundle, the policy is made anew, not taken for the site's own file.
        let again = try BundleBuilder(.init(input: result.output, output: folder.path("again"))).build()
        #expect(again.warnings.isEmpty, "\(again.warnings)")
        #expect(try Self.policy(again.output)["shell"] as? [String] == policy["shell"] as? [String])
    }

    @Test func aBundleOverTenMiBIsCachedAsPagesAreVisited() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["index.html": "<!doctype html><title>big</title><a href=\"data.bin\">data</a>"], under: "site")
        try Data(count: (10 << 20) + 1).write(to: site.appendingPathComponent("data.bin"))
        let result = try BundleBuilder(.init(input: site)).build()
        let policy = try Self.policy(result.output)
        #expect(policy["mode"] as? String == "visited" && policy["requested"] as? String == "auto")
        #expect(!(policy["shell"] as? [String] ?? []).contains("data.bin"))
        #expect(result.notes.contains { $0.contains("other files as pages are visited") && $0.contains("over 10 MiB") }, "\(result.notes)")
        // --offline all (a finished site has no pico.toml) keeps everything at install.
        var options = BundleBuilder.Options(input: site, output: folder.path("all"))
        options.offline = .all
        #expect(try Self.policy(try BundleBuilder(options).build().output)["mode"] as? String == "all")
    }

    @Test(arguments: [("all", "all"), ("visited", "visited"), ("auto", "all")])
    func appOfflineSaysWhatIsCached(value: String, mode: String) throws {
        let folder = TemporaryFolder()
        let result = try Self.build(["pico.toml": "title = \"T\"\n[app]\noffline = \"\(value)\"\n", "content/_index.md": "# Home\n"], in: folder)
        let policy = try Self.policy(result.output)
        #expect(policy["mode"] as? String == mode && policy["requested"] as? String == value)
        // It is pico's setting, not a member of the web app manifest.
        #expect(try Self.json(result.output.appendingPathComponent("manifest.webmanifest"))["offline"] == nil)
    }

    @Test func aBadAppOfflineIsAnErrorAtItsValue() throws {
        let folder = TemporaryFolder()
        for (toml, column) in [("title = \"T\"\n[app]\noffline = \"some\"\n", 11), ("title = \"T\"\n[app]\noffline = true\n", 11)] {
            #expect {
                try Self.build(["pico.toml": toml, "content/_index.md": "hi"], in: folder)
            } throws: { error in
                let text = String(describing: error)
                return text.contains("pico.toml:3:\(column)") && text.contains("`offline` must be \"all\", \"visited\" or \"auto\"")
            }
        }
    }

    // MARK: A site's own service worker and manifest

    @Test(arguments: [
        ("sw.js", ["sw.js": "self.addEventListener('fetch', () => {});"], "/sw.js (the site's /sw.js is not pico's)"),
        ("service-worker.js", ["service-worker.js": "//", "js/main.js": "navigator.serviceWorker.register(\"./service-worker.js?v=3\")"],
         "/service-worker.js (registered in /js/main.js as \"./service-worker.js?v=3\")"),
        ("service-worker.js", ["service-worker.js": "//", "index.html": "<!doctype html><title>x</title><script>navigator.serviceWorker.register( '/service-worker.js', {scope: '/'})</script>"],
         "/service-worker.js (registered in /index.html as \"/service-worker.js\")"),
    ])
    func aSitesOwnServiceWorkerIsKeptAndSaid(script: String, files: [String: String], said: String) throws {
        let folder = TemporaryFolder()
        var site = ["index.html": "<!doctype html><html><head><title>x</title></head><body></body></html>"]
        site.merge(files) { _, new in new }
        let result = try Self.build(site, in: folder)
        let paths = Set(result.manifest.files.map(\.path))
        #expect(paths.contains(script) && !paths.contains("pico-app.js") && !paths.contains("pico-offline.json"))
        #expect(try String(contentsOf: result.output.appendingPathComponent(script), encoding: .utf8) == site[script])
        if script != "sw.js" { #expect(!paths.contains("sw.js")) }
        #expect(!(try String(contentsOf: result.output.appendingPathComponent("index.html"), encoding: .utf8)).contains("pico-app.js"))
        #expect(result.notes.contains { $0.contains("the site keeps its own service worker, \(said)") && $0.contains("pico verify still does") },
                "\(result.notes)")
        #expect(result.warnings.isEmpty, "\(result.warnings)")
    }

    /// A register() call for a worker the bundle does not hold (code left in a library) cannot
    /// register anything: pico's worker is added as usual.
    @Test func aRegisterCallForAMissingWorkerIsNotTheSitesOwn() throws {
        let folder = TemporaryFolder()
        let result = try Self.build(["index.html": "<!doctype html><title>x</title>",
                                     "js/lib.js": "function r() { navigator.serviceWorker.register('/service-worker.js') }"], in: folder)
        let paths = Set(result.manifest.files.map(\.path))
        #expect(paths.isSuperset(of: ["sw.js", "pico-app.js", "pico-offline.json"]))
        #expect(result.notes.isEmpty, "\(result.notes)")
    }

    /// Icons resolve against the manifest's own URL; root-absolute, ?query and #fragment are
    /// fine; only a file really missing is reported.
    @Test func aSitesOwnManifestIconsAreFoundWhereverTheyAreWritten() throws {
        let folder = TemporaryFolder()
        let own = #"{"name":"Mine","start_url":"./","display":"standalone","icons":[{"src":"/icons/a.png?v=2","sizes":"192x192"},"#
            + #"{"src":"./icons/b.png#x","sizes":"512x512"},{"src":"icons/c.png","sizes":"48x48"},{"src":"icons/gone.png","sizes":"96x96"}]}"#
        let result = try Self.build(["index.html": "<!doctype html><title>x</title>", "manifest.webmanifest": own,
                                     "icons/a.png": "a", "icons/b.png": "b", "icons/c.png": "c"], in: folder)
        let warnings = result.warnings.map(\.description)
        #expect(warnings.count == 1 && warnings.first?.contains("icon icons/gone.png is not in the bundle") == true, "\(warnings)")
    }
}

