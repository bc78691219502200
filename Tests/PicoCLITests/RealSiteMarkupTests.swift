import Foundation
import PicoCore
import PicoTestSupport
import Testing

/// Less common markup of real sites, built by the real `pico build` and opened in real headless
/// Chromium (Tests/tools/page_check.py) from file://, `pico serve` and a plain static host that
/// answers misses with 404.html (Tests/tools/static_host.py): issue 13.
@Suite(.serialized) struct RealSiteMarkupTests {
    static let tools = TestEnvironment.repository.appendingPathComponent("Tests/tools")
    static let css = "body { color: rgb(1, 2, 3); } h1 { margin-left: 17px; }\n"
    /// A 1×1 PNG.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!

    /// Writes `files` (text, or bytes for `binary`) as a finished site and builds it.
    static func build(_ files: [String: String], binary: [String: Data] = [:], in folder: TemporaryFolder,
                      _ options: String...) throws -> (bundle: URL, output: ProcessOutput) {
        let site = folder.write(files, under: "site")
        for (path, data) in binary.merging(["img/a.png": png], uniquingKeysWith: { first, _ in first }) {
            let file = site.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file)
        }
        let bundle = folder.path("bundle")
        let output = try TestEnvironment.run(TestEnvironment.pico.path, ["build", site.path, "-o", bundle.path, "-q"] + options)
        return (bundle, output)
    }

    static func page(_ url: String, _ checks: [String]) throws -> ProcessOutput {
        try TestEnvironment.run("/usr/bin/python3", [tools.appendingPathComponent("page_check.py").path, url, "--timeout", "120"] + checks)
    }

    static func expectPass(_ output: ProcessOutput, _ comment: String = "") {
        #expect(output.status == 0 && output.stdout.contains("page_check.py: PASS"), "\(comment)\n\(output.stdout)\n\(output.stderr)")
    }

    static func serve(_ bundle: URL, base: String = "/") throws -> ServerProcess {
        try ServerProcess(TestEnvironment.pico, ["serve", bundle.path, "--port", "0", "--base", base])
    }

    static func host(_ bundle: URL, base: String = "/", _ options: String...) throws -> ServerProcess {
        try ServerProcess(URL(fileURLWithPath: "/usr/bin/python3"),
                          [tools.appendingPathComponent("static_host.py").path, bundle.path, "--base", base, "--port", "0"] + options)
    }

    static func text(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    // MARK: 4. the page script goes where the parser ends the head

    @Test func aHeadEndTagInAScriptCommentOrAttributeDoesNotGetThePageScript() throws {
        let folder = TemporaryFolder()
        let head = #"<!doctype html><html><head><meta charset="utf-8"><title>t</title>"#
            + #"<meta name="note" content="ends with </head>"><!-- </head> -->"#
            + #"<script>var t = "</head>"; window.headString = t;</script><link rel="stylesheet" href="/css/site.css">"#
        let (bundle, built) = try Self.build([
            "index.html": head + "</head><body><h1>Home</h1></body></html>",
            "a/b/index.html": head + "<body><h1>Deep, head closed by body</h1></body></html>",
            // The first textual </head> is in the script: the tag put there broke the script (SyntaxError).
            "s/index.html": #"<!doctype html><html><head><meta charset="utf-8"><script>var t = "</head>"; window.headString = t;</script>"#
                + #"<link rel="stylesheet" href="/css/site.css"></head><body><h1>Script first</h1></body></html>"#,
            "css/site.css": Self.css,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let index = Self.text(bundle.appendingPathComponent("index.html"))
        #expect(index.contains(#"window.headString = t;</script><link rel="stylesheet" href="css/site.css"><script src="./pico-app.js" defer></script></head>"#), "\(index)")
        let deep = Self.text(bundle.appendingPathComponent("a/b/index.html"))
        #expect(deep.contains(#"<script src="../../pico-app.js" defer></script><body>"#), "\(deep)")

        let server = try Self.serve(bundle, base: "/sub/")
        defer { _ = server.stop() }
        for page in ["", "a/b/", "s/"] {
            Self.expectPass(try Self.page(server.url + page, [
                "--no-errors", "--style", "h1|margin-left|17px", "--js", #"window.headString === "</head>""#,
                "--js", "document.documentElement.dataset.picoStatus", "--js", "window.pico && window.pico.root === \"\(server.url)\"",
            ]), page)
        }
    }

    // MARK: 5. <base href>

    /// Angular's default `<base href="/">`: links relative to the top, from every page.
    @Test func anAngularStyleBaseWorksFromFileAndFromASubPath() throws {
        let folder = TemporaryFolder()
        let page = { (title: String) in
            #"<!doctype html><html><head><meta charset="utf-8"><base href="/"><title>\#(title)</title>"#
                + #"<link rel="stylesheet" href="css/site.css"></head><body><h1>\#(title)</h1><img src="img/a.png" alt="">"#
                + #"<a href="a/b/">deep</a></body></html>"#
        }
        // A base in a folder of the bundle: links and the page script resolve against it.
        let docsBase = #"<!doctype html><html><head><meta charset="utf-8"><base href="/docs/"><link rel="stylesheet" href="../css/site.css"></head>"#
            + #"<body><h1>Docs base</h1><img src="../img/a.png" alt=""><a href="guide.html">guide</a></body></html>"#
        let (bundle, built) = try Self.build(["index.html": page("Home"), "a/b/index.html": page("Deep"), "css/site.css": Self.css,
                                              "c/index.html": docsBase, "docs/guide.html": "<p>guide</p>"], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let deep = Self.text(bundle.appendingPathComponent("a/b/index.html"))
        #expect(deep.contains(#"<base href="../../">"#) && deep.contains(#"<a href="a/b/index.html">"#), "\(deep)")
        #expect(deep.contains(#"<script src="./pico-app.js" defer></script></head>"#), "\(deep)")

        let checks = ["--no-errors", "--images", "--style", "h1|margin-left|17px", "--js", "document.documentElement.dataset.picoStatus"]
        Self.expectPass(try Self.page(bundle.appendingPathComponent("a/b/index.html").absoluteString, checks), "file://")
        let server = try Self.serve(bundle, base: "/sub/")
        defer { _ = server.stop() }
        Self.expectPass(try Self.page(server.url + "a/b/", checks + ["--js", "window.pico && window.pico.root === \"\(server.url)\""]), "pico serve")
        #expect(Self.text(bundle.appendingPathComponent("c/index.html")).contains(#"<base href="../docs/">"#))
        Self.expectPass(try Self.page(server.url + "c/", checks + ["--js", "window.pico && window.pico.root === \"\(server.url)\"",
                                                                   "--js", "document.querySelector('a').href === \"\(server.url)docs/guide.html\""]),
                        "a base in a folder")
    }

    /// A base on another origin: relative links are that origin's, not checked; the page
    /// script still comes from the bundle, found from the page's own address.
    @Test func anExternalBaseLeavesLinksAloneAndThePageScriptStillLoads() throws {
        let folder = TemporaryFolder()
        let (bundle, built) = try Self.build([
            "index.html": #"<!doctype html><html><head><meta charset="utf-8"><title>x</title><link rel="stylesheet" href="css/site.css"></head><body><h1>x</h1></body></html>"#,
            "docs/page.html": #"<!doctype html><html><head><meta charset="utf-8"><base href="https://cdn.example.invalid/assets/"><title>Ext</title></head>"#
                + #"<body><h1>Ext</h1><a href="not-here.html">elsewhere</a></body></html>"#,
            "css/site.css": Self.css,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let page = Self.text(bundle.appendingPathComponent("docs/page.html"))
        #expect(page.contains(#"<a href="not-here.html">"#))
        #expect(page.contains("new URL(\"../pico-app.js\",location.href)"), "\(page)")
        let server = try Self.serve(bundle, base: "/sub/")
        defer { _ = server.stop() }
        Self.expectPass(try Self.page(server.url + "docs/page.html", [
            "--no-errors", "--js", "window.pico && window.pico.root === \"\(server.url)\"",
            "--js", #"document.querySelector("a").href === "https://cdn.example.invalid/assets/not-here.html""#,
        ]))
    }

    /// Valid links under a `<base>` were reported broken; broken ones under it are found.
    @Test func linksAreCheckedAgainstTheBase() throws {
        let folder = TemporaryFolder()
        let (_, built) = try Self.build([
            "index.html": "<p>home</p>",
            "a/b/index.html": #"<head><base href="/docs/"></head><a href="guide.html">ok</a><a href="missing.html">gone</a>"#,
            "docs/guide.html": "<p>guide</p>",
        ], in: folder)
        #expect(built.status == 1)
        #expect(built.stderr.contains(#"broken link: a href="missing.html""#) && !built.stderr.contains(#"broken link: a href="guide.html""#),
                "\(built.stderr)")
    }

    // MARK: 3. 404.html at any depth on a plain static host

    @Test(arguments: ["/", "/sub/"])
    func theNotFoundPageIsStyledAtAnyDepthOnAPlainHost(base: String) throws {
        let folder = TemporaryFolder()
        let (bundle, built) = try Self.build([
            "index.html": #"<!doctype html><html><head><meta charset="utf-8"><title>Home</title><link rel="stylesheet" href="/css/site.css"></head><body><h1>Home</h1></body></html>"#,
            "404.html": #"<!doctype html><html><head><meta charset="utf-8"><title>Not found</title><link rel="stylesheet" href="/css/site.css"></head>"#
                + #"<body><h1>Not found</h1><img src="/img/a.png" alt=""><a href="/">home</a></body></html>"#,
            "css/site.css": Self.css,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let checks = ["--status", "404", "--images", "--style", "h1|margin-left|17px", "--text", "Not found"]
        let host = try Self.host(bundle, base: base)
        defer { _ = host.stop() }
        for missing in ["x/y/z/missing", "missing", "x/"] {
            let result = try Self.page(host.url + missing, checks + [
                "--js", "document.querySelector('a').href === \"\(host.url)index.html\"",
            ])
            Self.expectPass(result, "static host \(base)\(missing)")
        }
        // pico serve and the worker put their own <base> first: the page then leaves it alone.
        let server = try Self.serve(bundle, base: base)
        defer { _ = server.stop() }
        Self.expectPass(try Self.page(server.url + "x/y/z/missing", checks + ["--no-errors", "--js", "document.querySelectorAll('base').length === 1"]),
                        "pico serve \(base)")
    }

    /// nginx with an `error_page` per location answers a miss under docs/ with docs/404.html.
    @Test func aFolderOwn404PageIsStyledAtDepthToo() throws {
        let folder = TemporaryFolder()
        let (bundle, built) = try Self.build([
            "index.html": "<p>home</p>",
            "docs/index.html": "<p>docs</p>",
            "docs/404.html": #"<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/css/site.css"></head>"#
                + #"<body><h1>No such doc</h1><img src="../img/a.png" alt=""><a href="/docs/">docs</a></body></html>"#,
            "css/site.css": Self.css,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let host = try Self.host(bundle, base: "/sub/", "--nearest")
        defer { _ = host.stop() }
        Self.expectPass(try Self.page(host.url + "docs/x/y/missing", [
            "--status", "404", "--images", "--style", "h1|margin-left|17px", "--text", "No such doc",
            "--js", "document.querySelector('a').href === \"\(host.url)docs/index.html\"",
        ]))
    }

    // MARK: 7. pico serve sends the charset the page declares

    @Test func pageCharsetIsTheOneThePageDeclares() throws {
        let folder = TemporaryFolder()
        let latin1 = Data(#"<!doctype html><html><head><meta charset="iso-8859-1"><title>c</title></head><body><h1>Caf"#.utf8) + Data([0xE9])
            + Data("</h1></body></html>".utf8)
        let httpEquiv = Data(#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body>na"#.utf8)
            + Data([0xEF]) + Data("ve</body></html>".utf8)
        let (bundle, built) = try Self.build([
            "index.html": #"<!doctype html><meta charset="utf-8"><p>Café</p>"#,
            "plain.html": "<p>no declaration</p>",
            "css/site.css": Self.css,
        ], binary: ["latin1.html": latin1, "equiv.html": httpEquiv], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let server = try Self.serve(bundle)
        defer { _ = server.stop() }
        for (path, type) in [("latin1.html", "text/html; charset=iso-8859-1"), ("equiv.html", "text/html; charset=windows-1252"),
                             ("", "text/html; charset=utf-8"), ("plain.html", "text/html"), ("css/site.css", "text/css; charset=utf-8")] {
            let got = try TestEnvironment.get(server.url + path)
            #expect(got.status == 200 && got.type == type, "\(path): \(got.type)")
        }
        Self.expectPass(try Self.page(server.url + "latin1.html", ["--text", "Café", "--no-errors"]))
        Self.expectPass(try Self.page(server.url + "equiv.html", ["--text", "naïve"]))
    }

    /// `pico publish` to S3 sets the same Content-Type as `pico serve` (checked with the aws CLI).
    @Test func s3ObjectsGetThePageCharsetToo() throws {
        let folder = TemporaryFolder()
        let latin1 = Data(#"<!doctype html><meta charset="iso-8859-1"><p>Caf"#.utf8) + Data([0xE9]) + Data("</p>".utf8)
        let (bundle, built) = try Self.build(["index.html": #"<!doctype html><meta charset="utf-8"><p>x</p>"#, "plain.html": "<p>plain</p>",
                                              "css/site.css": Self.css], binary: ["latin1.html": latin1], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let s3 = try S3TestServer()
        try s3.makeBucket("sites")
        let published = try s3.pico(["publish", bundle.path, "--to", "s3://sites/site"])
        try #require(published.status == 0, "\(published.stderr)")
        for (key, type) in [("latin1.html", "text/html; charset=iso-8859-1"), ("plain.html", "text/html"),
                            ("index.html", "text/html; charset=utf-8"), ("css/site.css", "text/css; charset=utf-8")] {
            let head = try s3.aws(["s3api", "head-object", "--bucket", "sites", "--key", "site/" + key, "--query", "ContentType", "--output", "text"])
            #expect(head.status == 0 && head.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == type, "\(key): \(head.stdout)\(head.stderr)")
        }
    }

    // MARK: 10. index.htm and index.xhtml; broken root-absolute links still made relative

    @Test func indexHtmIsAFolderIndexInTheBuildAndInServe() throws {
        let folder = TemporaryFolder()
        let (bundle, built) = try Self.build([
            "index.html": #"<a href="/legacy/">legacy</a> <a href="/x">x</a>"#,
            "legacy/index.htm": "<p>legacy page</p>",
            "x/index.xhtml": #"<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head><body><p>xhtml index</p></body></html>"#,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let index = Self.text(bundle.appendingPathComponent("index.html"))
        #expect(index.contains(#"<a href="legacy/index.htm">"#) && index.contains(#"<a href="x/index.xhtml">"#), "\(index)")
        let server = try Self.serve(bundle)
        defer { _ = server.stop() }
        let legacy = try TestEnvironment.get(server.url + "legacy/")
        #expect(legacy.status == 200 && String(decoding: legacy.body, as: UTF8.self).contains("legacy page"))
        let x = try TestEnvironment.get(server.url + "x/")
        #expect(x.status == 200 && x.type == "application/xhtml+xml", "\(x.type)")
        #expect(try TestEnvironment.get(server.url + "legacy").status == 301)
    }

    @Test func withAllowBrokenLinksABrokenRootAbsoluteLinkIsStillMadeRelative() throws {
        let folder = TemporaryFolder()
        let (bundle, built) = try Self.build([
            "index.html": "<p>home</p>",
            "a/b/index.html": #"<a href="/gone/">gone</a><img src="/img/gone.png"><a href="/">home</a>"#,
        ], in: folder, "--allow-broken-links")
        try #require(built.status == 0, "\(built.stderr)")
        let page = Self.text(bundle.appendingPathComponent("a/b/index.html"))
        #expect(page.contains(#"<a href="../../gone/">"#) && page.contains(#"<img src="../../img/gone.png">"#)
                && page.contains(#"<a href="../../index.html">"#), "\(page)")
    }

    // MARK: 11. image-set()

    @Test func imageSetURLsAreRewrittenCheckedAndLoadFromFile() throws {
        let folder = TemporaryFolder()
        let (bundle, built) = try Self.build([
            "index.html": #"<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/css/site.css"></head><body><h1>x</h1><div id="i"></div></body></html>"#,
            "css/site.css": #"#i { width: 1px; height: 1px; background-image: image-set("/img/a.png" 1x, url(/img/a.png) 2x); } "#
                + #"h1 { background-image: -webkit-image-set("/img/a.png" 1x); }"#,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let css = Self.text(bundle.appendingPathComponent("css/site.css"))
        #expect(css.contains(#"image-set("../img/a.png" 1x, url(../img/a.png) 2x)"#) && css.contains(#"-webkit-image-set("../img/a.png" 1x)"#), "\(css)")
        Self.expectPass(try Self.page(bundle.appendingPathComponent("index.html").absoluteString, [
            "--no-errors", "--js", #"getComputedStyle(document.getElementById("i")).backgroundImage.includes("/img/a.png")"#,
            // The URL the browser resolved from the rewritten image-set() loads.
            "--js", #"new Promise((done) => { const url = getComputedStyle(document.getElementById("i")).backgroundImage.match(/url\("([^"]+)"/)[1]; "#
                + #"const image = new Image(); image.onload = () => done(url); image.onerror = () => done(false); image.src = url; })"#,
        ]))

        let (_, broken) = try Self.build(["index.html": #"<link rel="stylesheet" href="/s.css">"#,
                                          "s.css": #"a { background: image-set("nope.png" 1x, 'also-nope.png' 2x) }"#], in: TemporaryFolder())
        #expect(broken.status == 1 && broken.stderr.contains("nope.png") && broken.stderr.contains("also-nope.png"), "\(broken.stderr)")
    }

    // MARK: 13. img\a.png; XHTML pages

    @Test func aBackslashInALinkIsASlashAndNoBrokenLink() throws {
        let folder = TemporaryFolder()
        let (bundle, built) = try Self.build([
            "index.html": #"<!doctype html><html><head><meta charset="utf-8"></head><body><img src="img\a.png" alt=""></body></html>"#,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        #expect(Self.text(bundle.appendingPathComponent("index.html")).contains(#"<img src="img\a.png""#))
        Self.expectPass(try Self.page(bundle.appendingPathComponent("index.html").absoluteString, ["--images", "--no-errors"]))
    }

    @Test func xhtmlPagesAreRewrittenCheckedAndStayWellFormed() throws {
        let folder = TemporaryFolder()
        let xhtml = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"
            + #"<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>X</title>"#
            + #"<link rel="stylesheet" href="/css/site.css"/><script>//<![CDATA[ var t = "</head>"; //]]></script></head>"#
            + #"<body><h1>X</h1><img src="/img/a.png" alt=""/><a href="/">home</a></body></html>"#
        let (bundle, built) = try Self.build([
            "index.html": #"<a href="/docs/page.xhtml">x</a>"#,
            "docs/page.xhtml": xhtml,
            "docs/other.xhtml": #"<html xmlns="http://www.w3.org/1999/xhtml"><head><base href="https://example.invalid/"/></head><body/></html>"#,
            "css/site.css": Self.css,
        ], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let page = Self.text(bundle.appendingPathComponent("docs/page.xhtml"))
        #expect(page.contains(#"href="../css/site.css"/>"#) && page.contains(#"<img src="../img/a.png""#), "\(page)")
        #expect(page.contains(#"<script src="../pico-app.js" defer="defer"></script></head>"#), "\(page)")
        for name in ["page", "other"] {
            let parsed = try TestEnvironment.run("/usr/bin/python3", ["-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1]); print('well-formed')",
                                                                      bundle.appendingPathComponent("docs/\(name).xhtml").path])
            #expect(parsed.status == 0 && parsed.stdout.contains("well-formed"), "\(name): \(parsed.stderr)")
        }
        let (_, broken) = try Self.build(["index.html": "<p>x</p>", "p.xhtml": #"<html xmlns="http://www.w3.org/1999/xhtml"><body><a href="/nope/">n</a></body></html>"#],
                                         in: TemporaryFolder())
        #expect(broken.status == 1 && broken.stderr.contains("p.xhtml") && broken.stderr.contains("/nope/"), "\(broken.stderr)")

        let server = try Self.serve(bundle, base: "/sub/")
        defer { _ = server.stop() }
        Self.expectPass(try Self.page(server.url + "docs/page.xhtml", [
            "--no-errors", "--images", "--style", "h1|margin-left|17px", "--js", "document.documentElement.dataset.picoStatus",
            "--js", "window.pico && window.pico.root === \"\(server.url)\"",
        ]))
    }
}
