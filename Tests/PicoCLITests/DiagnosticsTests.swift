import Foundation
import PicoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What `pico build` says about a site with many problems, on pages with very long lines:
/// found fast, printed in a bounded window, counted past 20 of a kind, all kept in a file and
/// in `--json`.
@Suite struct DiagnosticsTests {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    static func timedBuild(_ arguments: [String]) throws -> (ProcessOutput, TimeInterval) {
        let started = Date()
        let result = try TestEnvironment.run(TestEnvironment.pico.path, ["build"] + arguments)
        return (result, Date().timeIntervalSince(started))
    }

    static func jsonErrors(_ stdout: String) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        return try #require(object["errors"] as? [[String: Any]])
    }

    /// The list file named in "… the full list is in FILE".
    static func listFile(in stderr: String) -> String? {
        guard let range = stderr.range(of: #"the full list is in (\S+?)(;|\s|$)"#, options: .regularExpression) else { return nil }
        let match = String(stderr[range]).replacingOccurrences(of: "the full list is in ", with: "")
        return String(match.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ";")))
    }

    /// 8,000 broken links on one 1.9 MB line of a copied page: each diagnostic used to walk the
    /// page from its start (174 s measured).
    @Test func eightThousandBrokenLinksOnOneLineAreFoundFast() throws {
        let folder = TemporaryFolder()
        var page = Array("<!doctype html><title>big</title><p>".utf8)
        for n in 0..<8000 {
            page += Array("<a href=\"missing/\(n).html\">link \(n) with some words around it to fill the page</a> ".utf8)
            page += [UInt8](repeating: UInt8(ascii: "x"), count: 155)
        }
        try Self.write(page, to: folder.path("site/index.html"))
        #expect(page.count > 1_900_000)
        let (result, seconds) = try Self.timedBuild([folder.path("site").path, "-o", folder.path("out").path])
        #expect(result.status == 1)
        #expect(seconds < 10, "took \(seconds) s")
        #expect(result.stderr.utf8.count < 64 << 10, "stderr is \(result.stderr.utf8.count) bytes")
        #expect(result.stderr.contains("and 7980 more broken links"))
        #expect(result.stderr.contains("index.html:1:"))
        if let list = Self.listFile(in: result.stderr) { try? FileManager.default.removeItem(atPath: list) }
    }

    /// The same for a generated page: its errors point into the Markdown source, which was read
    /// again and searched from its start for every link.
    @Test func eightThousandBrokenLinksInAGeneratedPageAreFoundFast() throws {
        let folder = TemporaryFolder()
        folder.write(["pico.toml": "title = \"t\"\n", "content/_index.md": "# Home\n"], under: "site")
        var markdown = "---\ntitle: Big\n---\n"
        for n in 0..<8000 {
            markdown += "Paragraph \(n) links to [page \(n)](/missing/\(n)/) " + String(repeating: "words ", count: 36) + "\n\n"
        }
        try Self.write(Array(markdown.utf8), to: folder.path("site/content/big.md"))
        #expect(markdown.utf8.count > 1_900_000)
        let (result, seconds) = try Self.timedBuild([folder.path("site").path, "--json"])
        #expect(result.status == 1)
        #expect(seconds < 10, "took \(seconds) s")
        let errors = try Self.jsonErrors(result.stdout)
        #expect(errors.count == 8000)
        // Link n is on line 4 + 2n of the source, right after "](".
        let last = try #require(errors.first { ($0["message"] as? String)?.contains("/missing/7999/") == true })
        #expect(last["file"] as? String == "content/big.md")
        #expect(last["line"] as? Int == 4 + 2 * 7999)
        #expect(last["column"] as? Int == "Paragraph 7999 links to [page 7999](".count + 1)
    }

    /// 500 broken links on 1 MB lines: stderr stays small, says how many more there are and
    /// where the list went; the list and `--json` hold all 500.
    @Test func megabyteLinesKeepStderrSmallAndEveryErrorIsKept() throws {
        let folder = TemporaryFolder()
        for pageNumber in 0..<5 {
            var page = Array("<!doctype html><title>p</title>".utf8)
            for n in 0..<100 {
                page += [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
                page += Array("<img src=\"gone/\(pageNumber)-\(n).png\">".utf8)
            }
            try Self.write(page, to: folder.path(pageNumber == 0 ? "site/index.html" : "site/page\(pageNumber).html"))
        }
        let site = folder.path("site").path
        let (failed, _) = try Self.timedBuild([site, "-o", folder.path("out").path])
        #expect(failed.status == 1)
        #expect(failed.stderr.utf8.count < 64 << 10, "stderr is \(failed.stderr.utf8.count) bytes")
        #expect(failed.stderr.contains("… and 480 more broken links"))
        #expect(failed.stderr.contains("pico build --json"))
        let list = try #require(Self.listFile(in: failed.stderr), "\(failed.stderr.suffix(400))")
        defer { try? FileManager.default.removeItem(atPath: list) }
        let listed = try String(contentsOfFile: list, encoding: .utf8)
        #expect(listed.components(separatedBy: "error: broken link:").count - 1 == 500)
        #expect(listed.utf8.count < 2 << 20, "the list shows windows too, not megabyte lines")

        let (json, _) = try Self.timedBuild([site, "-o", folder.path("out").path, "--json"])
        #expect(json.status == 1)
        let errors = try Self.jsonErrors(json.stdout)
        #expect(errors.count == 500)
        for error in errors {
            #expect(error["file"] is String && error["line"] is Int && error["column"] is Int)
            #expect(error["message"] is String && error["hint"] is String)
        }
        #expect(errors.contains { $0["file"] as? String == "page3.html" && $0["column"] as? Int == 31 + 10_000 * 3 + 2 * "<img src=\"gone/3-0.png\">".count + "<img src=\"".count + 1 })

        // Allowed, they are warnings: grouped the same way.
        let (allowed, _) = try Self.timedBuild([site, "-o", folder.path("out").path, "--allow-broken-links"])
        #expect(allowed.status == 0, "\(allowed.stderr.suffix(400))")
        #expect(allowed.stderr.utf8.count < 64 << 10)
        #expect(allowed.stderr.contains("… and 480 more broken links"))
        #expect(allowed.stderr.contains(": warning: broken link:"))
        if let warnings = Self.listFile(in: allowed.stderr) { try? FileManager.default.removeItem(atPath: warnings) }
    }

    /// A link deep in a long line with a tab and bytes that are not UTF-8 before it: about 120
    /// characters around it, "…" where the line was cut, the caret under the link.
    @Test func theLineIsShownAsAWindowWithTheCaretUnderTheLink() throws {
        let folder = TemporaryFolder()
        var page = Array("<title>t</title>".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 3000)
        page += [0x09, 0xFF, 0xFE] + Array("é<a href=\"/gone.html\">x</a>".utf8) + [UInt8](repeating: UInt8(ascii: "c"), count: 3000)
        try Self.write(page, to: folder.path("site/index.html"))
        let (result, _) = try Self.timedBuild([folder.path("site").path, "-o", folder.path("out").path])
        #expect(result.status == 1)
        // 16 + 3000 characters, the tab, two invalid bytes (one character each), "é", `<a href="`.
        let column = 16 + 3000 + 1 + 2 + 1 + 9 + 1
        #expect(result.stderr.contains("index.html:1:\(column): error: broken link: a href=\"/gone.html\""), "\(result.stderr)")
        let lines = result.stderr.components(separatedBy: "\n")
        let shown = try #require(lines.first { $0.hasPrefix("    1 | ") })
        let caret = try #require(lines.first { $0.hasPrefix("      | ") && $0.hasSuffix("^") })
        let text = Array(shown.dropFirst("    1 | ".count))
        #expect(text.count <= 125, "\(text.count) characters shown")
        #expect(text.first == "…" && text.last == "…")
        #expect(!text.contains("\t"))
        let caretAt = caret.count - "      | ".count - 1
        #expect(String(text[caretAt...]).hasPrefix("/gone.html"), "caret at \(caretAt) of \(String(text))")
    }

    /// Symbolic links as Debian's doc trees have them: a linked folder inside the site, a file
    /// linked from /usr/share. Each needs its own option, and the error names it.
    @Test func symlinksAreFollowedWithTheOptionsTheErrorsName() throws {
        let folder = TemporaryFolder()
        folder.write(["outside/jquery.js": "window.jq = 1;\n", "outside/pasted.txt": "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n"])
        let site = folder.write([
            "index.html": "<title>Docs</title><script src=\"_static/jquery.js\"></script><img src=\"img/a.png\"><a href=\"manual.html\">m</a>",
            "assets/img/a.png": "png",
            "user-manual.html": "<title>manual</title>",
        ], under: "site")
        let fm = FileManager.default
        try fm.createDirectory(atPath: site.path + "/_static", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: site.path + "/_static/jquery.js", withDestinationPath: folder.path("outside/jquery.js").path)
        try fm.createSymbolicLink(atPath: site.path + "/img", withDestinationPath: "assets/img")
        try fm.createSymbolicLink(atPath: site.path + "/manual.html", withDestinationPath: "user-manual.html")
        let out = folder.path("out").path

        let plain = try TestEnvironment.pico("build", site.path, "-o", out)
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("img: error: is a symbolic link to a folder"))
        #expect(plain.stderr.contains("--follow-symlinks"))
        #expect(plain.stderr.contains("_static/jquery.js: error: is a symbolic link to a file outside the site"))
        #expect(plain.stderr.contains("--follow-symlinks-outside"))

        let inside = try TestEnvironment.pico("build", site.path, "-o", out, "--follow-symlinks")
        #expect(inside.status == 1)
        #expect(!inside.stderr.contains("img: error"))
        #expect(inside.stderr.contains("_static/jquery.js: error: is a symbolic link to a file outside the site"))
        #expect(inside.stderr.contains("--follow-symlinks-outside"))

        let both = try TestEnvironment.pico("build", site.path, "-o", out, "--follow-symlinks-outside")
        #expect(both.status == 0, "\(both.stderr)")
        #expect(try String(contentsOfFile: out + "/_static/jquery.js", encoding: .utf8) == "window.jq = 1;\n")
        #expect(try String(contentsOfFile: out + "/img/a.png", encoding: .utf8) == "png")
        #expect(try String(contentsOfFile: out + "/manual.html", encoding: .utf8).contains("manual"))
        var info = stat()
        #expect(lstat(out + "/img", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR, "a real folder in the bundle")
        #expect(try TestEnvironment.pico("verify", out).status == 0)

        // Never followed: a cycle, a hidden or secret file, a key outside, a device.
        folder.write([".env": "TOKEN=1\n"], under: "site")
        try fm.createSymbolicLink(atPath: site.path + "/loop", withDestinationPath: ".")
        try fm.createSymbolicLink(atPath: site.path + "/notes.txt", withDestinationPath: ".env")
        try fm.createSymbolicLink(atPath: site.path + "/cert.txt", withDestinationPath: folder.path("outside/pasted.txt").path)
        try fm.createSymbolicLink(atPath: site.path + "/zero.bin", withDestinationPath: "/dev/zero")
        let refused = try TestEnvironment.pico("build", site.path, "-o", out, "--follow-symlinks-outside")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("loop: error: is a symbolic link to a folder that holds it"), "\(refused.stderr)")
        #expect(refused.stderr.contains("notes.txt: error: is a symbolic link to a hidden or secret file"))
        #expect(refused.stderr.contains("zero.bin: error: is a symbolic link to a special file"))
        for link in ["loop", "notes.txt", "zero.bin"] { try fm.removeItem(atPath: site.path + "/" + link) }
        let key = try TestEnvironment.pico("build", site.path, "-o", out, "--follow-symlinks-outside")
        #expect(key.status == 1)
        #expect(key.stderr.contains("cert.txt:1:1: error: holds"), "the content key scan still applies: \(key.stderr)")
        #expect(!key.stderr.contains("MIIEvQ"))
    }

    /// A pico site's static/ may hold a linked folder too.
    @Test func aPicoSitesStaticFolderFollowsLinkedFolders() throws {
        let folder = TemporaryFolder()
        let site = folder.write(["pico.toml": "title = \"t\"\n", "content/_index.md": "![i](/vendor/i.png)\n",
                                 "vendor-files/i.png": "png"], under: "site")
        try FileManager.default.createDirectory(atPath: site.path + "/static", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: site.path + "/static/vendor", withDestinationPath: "../vendor-files")
        let plain = try TestEnvironment.pico("build", site.path)
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("static/vendor: error: is a symbolic link to a folder"), "\(plain.stderr)")
        #expect(plain.stderr.contains("--follow-symlinks"))
        let followed = try TestEnvironment.pico("build", site.path, "--follow-symlinks")
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(try String(contentsOfFile: site.path + "/public/vendor/i.png", encoding: .utf8) == "png")
    }

    /// Hugo's `public/` is not the app "public": a finished site is named after its index
    /// page's title; `--name` names either kind.
    @Test func aFinishedSiteIsNamedAfterItsTitle() throws {
        let folder = TemporaryFolder()
        let titled = folder.write(["index.html": "<!doctype html><html><head>\n<meta charset=utf-8>\n<TITLE>\n  Rust &amp; Friends &#8212; Docs\n</TITLE><svg><title>icon</title></svg>"], under: "public")
        let built = try TestEnvironment.pico("build", titled.path, "--json")
        #expect(built.status == 0, "\(built.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(built.stdout.utf8)) as? [String: Any]
        #expect(json?["name"] as? String == "Rust & Friends — Docs")
        let webManifest = try String(contentsOf: folder.path("public.bundle/manifest.webmanifest"), encoding: .utf8)
        #expect(webManifest.contains("Rust & Friends"))

        let untitled = folder.write(["index.html": "<p>no title</p>"], under: "plain")
        let plain = try TestEnvironment.pico("build", untitled.path, "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])?["name"] as? String == "plain")

        let named = try TestEnvironment.pico("build", titled.path, "--name", "Handbook", "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(named.stdout.utf8)) as? [String: Any])?["name"] as? String == "Handbook")
        let picoSite = folder.write(["pico.toml": "title = \"From config\"\n", "content/_index.md": "# Home\n"], under: "blog")
        let picoNamed = try TestEnvironment.pico("build", picoSite.path, "--name", "Handbook", "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(picoNamed.stdout.utf8)) as? [String: Any])?["name"] as? String == "Handbook")
    }

    @Test func packTakesQuiet() throws {
        let folder = TemporaryFolder()
        let bundle = try folder.makeBundle(["index.html": "<h1>x</h1>"])
        let packed = try TestEnvironment.pico("pack", bundle.path, "-o", folder.path("b.zip").path, "-q")
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect(packed.stdout.isEmpty)
        #expect(FileManager.default.fileExists(atPath: folder.path("b.zip").path))
        let long = try TestEnvironment.pico("pack", bundle.path, "-o", folder.path("c.tar").path, "--quiet")
        #expect(long.status == 0 && long.stdout.isEmpty)
    }

    /// The independent checker reads a Latin-1 page and resolves links against `<base href>`.
    @Test func theLinkCheckerReadsAnyEncodingAndHonoursBase() throws {
        let folder = TemporaryFolder()
        let root = folder.write(["sub/a.html": "<p>a</p>", "b.html": "<p>b</p>"], under: "bundle")
        try Self.write(Array("<title>Caf".utf8) + [0xE9] + Array("</title><a href=\"b.html\">b</a>".utf8), to: root.appendingPathComponent("latin1.html"))
        folder.write(["based.html": "<base href=\"sub/\"><a href=\"a.html\">a</a><a href=\"../b.html\">b</a>"], under: "bundle")
        let checker = TestEnvironment.repository.appendingPathComponent("Tests/tools/check_bundle_links.py").path
        let good = try TestEnvironment.run("python3", [checker, root.path])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("3 references checked, 0 broken"), "\(good.stdout)")

        folder.write(["based.html": "<base href=\"sub/\"><a href=\"b.html\">not in sub/</a>"], under: "bundle")
        let bad = try TestEnvironment.run("python3", [checker, root.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("based.html: b.html"), "\(bad.stdout)")
        folder.write(["based.html": "<base href=\"/\"><a href=\"b.html\">root</a>"], under: "bundle")
        let rooted = try TestEnvironment.run("python3", [checker, root.path])
        #expect(rooted.status == 1)
        #expect(rooted.stdout.contains("root-absolute"), "\(rooted.stdout)")
    }
}
