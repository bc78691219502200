import Foundation
@testable import PicoBuild
import Testing

@Suite struct PortableURLRewriterTests {
    let rewriter = PortableURLRewriter(files: [
        "index.html", "about/index.html", "posts/a/index.html", "css/site.css", "img/my photo.png", "docs/guide.html",
    ])

    @Test(arguments: [
        // (file holding the link, link, expected)
        ("posts/a/index.html", "/about/", "../../about/index.html"),
        ("posts/a/index.html", "/about", "../../about/index.html"),
        ("posts/a/index.html", "/", "../../index.html"),
        ("index.html", "/", "index.html"),
        ("index.html", "about/", "about/index.html"),
        ("posts/a/index.html", "../../about/#team", "../../about/index.html#team"),
        ("posts/a/index.html", "/css/site.css?v=2", "../../css/site.css?v=2"),
        ("posts/a/index.html", "/img/my%20photo.png", "../../img/my%20photo.png"),
        ("about/index.html", "./", "index.html"),
        ("css/site.css", "/img/my%20photo.png", "../img/my%20photo.png"),
    ])
    func rewritesInternalLinks(_ file: String, _ link: String, _ expected: String) {
        #expect(rewriter.resolve(link, from: PortableURLRewriter.folderSegments(of: file)) == .rewrite(expected))
    }

    @Test(arguments: [
        "https://example.org/x", "//cdn.example.org/x.js", "mailto:me@example.org", "data:image/png;base64,AAAA",
        "#top", "?q=1", "javascript:void(0)", "tel:+123", "../../css/site.css", "guide.html",
    ])
    func leavesExternalAndAlreadyPortableLinks(_ link: String) {
        let from = link == "guide.html" ? "docs/x/../index.html" : "posts/a/index.html"
        #expect(rewriter.resolve(link, from: PortableURLRewriter.folderSegments(of: from == "docs/x/../index.html" ? "docs/index.html" : from)) == .leave)
    }

    @Test(arguments: ["/missing/", "/css/nope.css", "../../../../etc/passwd", "/img/my photo.jpg"])
    func reportsLinksToMissingFiles(_ link: String) {
        guard case .broken = rewriter.resolve(link, from: ["posts", "a"]) else {
            Issue.record("\(link) should be broken")
            return
        }
    }

    @Test func keepsEveryByteButTheChangedURLs() {
        // HTML5 that libxml2's serialiser would change: void elements, inline SVG, odd quoting,
        // unquoted values, comments, entities, CRLF line ends.
        let html = "<!DOCTYPE html>\r\n<html><body>\r\n<p class=x>Caf&eacute; <br> <img src=/css/site.css alt='a \"b\"'>\r\n"
            + "<svg viewBox=\"0 0 1 1\"><path d=\"M0 0\"/><use href=\"#i\"/></svg><!-- <a href=\"/nope/\"> -->\r\n"
            + "<a HREF='/about/' data-x=\"/about/\">About</a><a href=\"https://example.org\">out</a></body></html>\r\n"
        let result = rewriter.rewrite(Data(html.utf8), at: "posts/a/index.html", as: .html)
        let expected = html.replacingOccurrences(of: "src=/css/site.css", with: "src=../../css/site.css")
            .replacingOccurrences(of: "HREF='/about/'", with: "HREF='../../about/index.html'")
        #expect(String(decoding: result.bytes, as: UTF8.self) == expected)
        #expect(result.broken.isEmpty)
        #expect(result.changed == 2)
    }

    @Test func reportsEveryBrokenLinkWithItsPosition() {
        let html = "<p>\n  <a href=\"/gone/\">x</a> <img src=\"nope.png\">\n</p>"
        let result = rewriter.rewrite(Data(html.utf8), at: "index.html", as: .html)
        #expect(result.broken.map(\.reference.value) == ["/gone/", "nope.png"])
        #expect(result.broken.map(\.reference.range.lowerBound) == [15, 39])
    }
}

/// Real sites' markup (issue 13): `<base href>`, `index.htm`, backslashes, `image-set()`,
/// broken root-absolute links, 404.html, XHTML.
@Suite struct RealSiteRewriterTests {
    let rewriter = PortableURLRewriter(files: [
        "index.html", "404.html", "a/b/index.html", "css/site.css", "img/a.png", "img/b.png", "docs/guide.html",
        "docs/index.html", "legacy/index.htm", "x/index.xhtml", "x/page.xhtml",
    ])

    func rewrite(_ html: String, at path: String) -> (String, PortableURLRewriter.Result) {
        let result = rewriter.rewrite(Data(html.utf8), at: path, as: .html)
        return (String(decoding: result.bytes, as: UTF8.self), result)
    }

    /// Angular's default: every URL is relative to the top, and the base becomes portable.
    @Test func aRootAbsoluteBaseIsMadeRelativeAndLinksResolveAgainstIt() {
        let html = #"<html><head><base href="/"><link rel="stylesheet" href="css/site.css"></head><body><img src="img/a.png"><a href="docs/guide.html">g</a></body></html>"#
        let (page, result) = rewrite(html, at: "a/b/index.html")
        #expect(result.broken.isEmpty, "\(result.broken)")
        #expect(page == html.replacingOccurrences(of: #"<base href="/">"#, with: #"<base href="../../">"#))
        #expect(result.page?.rootFromBase == "./")
        #expect(result.page?.headEnd == page.utf8.count - #"</head><body><img src="img/a.png"><a href="docs/guide.html">g</a></body></html>"#.utf8.count)

        let (docs, docsResult) = rewrite(#"<head><base href="/docs/"></head><a href="guide.html">g</a><a href="/img/a.png">i</a><a href="gone.html">x</a>"#, at: "a/b/index.html")
        #expect(docs.contains(#"<base href="../../docs/">"#))
        #expect(docs.contains(#"href="../img/a.png""#))
        #expect(docsResult.broken.map(\.reference.value) == ["gone.html"])
        #expect(docsResult.page?.rootFromBase == "../")
    }

    @Test func aRelativeBaseResolvesAgainstThePage() {
        let (page, result) = rewrite(#"<head><base href="../../docs/"></head><a href="guide.html">g</a>"#, at: "a/b/index.html")
        #expect(result.broken.isEmpty)
        #expect(page.contains(#"<base href="../../docs/">"#))
        #expect(result.page?.rootFromBase == "../")
    }

    @Test func anExternalBaseMakesRelativeLinksExternal() {
        let html = #"<head><base href="https://example.org/app/"></head><a href="nope.html">n</a><a href="/gone/">g</a>"#
        let (page, result) = rewrite(html, at: "a/b/index.html")
        #expect(result.broken.isEmpty)
        #expect(page == html)
        #expect(result.page?.rootFromBase == nil)
        #expect(result.page?.rootFromPage == "../../")
    }

    @Test func aBackslashIsASlash() {
        let html = #"<img src="img\a.png"><img src="\img\b.png"><a href="\\example.org\x">x</a>"#
        let (page, result) = rewrite(html, at: "index.html")
        #expect(result.broken.isEmpty, "\(result.broken)")
        #expect(page == html.replacingOccurrences(of: #""\img\b.png""#, with: #""img/b.png""#))
    }

    @Test(arguments: [("/legacy/", "legacy/index.htm"), ("/legacy", "legacy/index.htm"), ("/x/", "x/index.xhtml"),
                      ("legacy/", "legacy/index.htm")])
    func indexHtmAndIndexXhtmlAreFolderIndexes(_ link: String, _ expected: String) {
        #expect(rewriter.resolve(link, from: []) == .rewrite(expected))
    }

    @Test func aBrokenRootAbsoluteLinkIsStillMadeRelative() {
        let (page, result) = rewrite(#"<a href="/gone/">g</a><img src="/img/gone.png?v=1"><a href="gone.html">x</a>"#, at: "a/b/index.html")
        #expect(result.broken.map(\.reference.value) == ["/gone/", "/img/gone.png?v=1", "gone.html"])
        #expect(page == #"<a href="../../gone/">g</a><img src="../../img/gone.png?v=1"><a href="gone.html">x</a>"#)
    }

    @Test func imageSetURLsAreRewrittenAndChecked() {
        let css = #"a { background: image-set("/img/a.png" 1x, url(/img/b.png) 2x); b: -webkit-image-set('/img/nope.png' 1x) }"#
        let result = rewriter.rewrite(Data(css.utf8), at: "css/site.css", as: .css)
        #expect(String(decoding: result.bytes, as: UTF8.self)
                == #"a { background: image-set("../img/a.png" 1x, url(../img/b.png) 2x); b: -webkit-image-set('../img/nope.png' 1x) }"#)
        #expect(result.broken.map(\.reference.value) == ["/img/nope.png"])
    }

    @Test func the404PageFindsItsRootBeforeItsFirstLink() {
        let html = #"<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/css/site.css"></head><body></body></html>"#
        let (page, result) = rewrite(html, at: "404.html")
        let finder = page.range(of: "<script>(function(){")!
        #expect(page[..<finder.lowerBound].hasSuffix("<head>"))
        #expect(page.contains("pico-manifest.json"))
        #expect(page.contains(#"href="css/site.css""#))
        #expect(result.changed == 1)
        #expect(result.page.map { page.utf8.dropFirst($0.headEnd).starts(with: "</head>".utf8) } == true)
        let (other, _) = rewrite(html, at: "docs/index.html")
        #expect(!other.contains("pico-manifest.json"))
    }

    @Test func everyPageNamed404GetsTheRootFinder() {
        #expect(["404.html", "docs/404.html", "A/404.HTML"].allSatisfy(NotFoundPage.applies))
        #expect(!["x404.html", "404.htm", "index.html", "a/b404.html"].contains(where: NotFoundPage.applies))
        // Its base is the bundle root plus its own folder, and its own (portable) base after that.
        #expect(NotFoundPage.rootFinder(pageFolder: ["docs"], baseFromPage: "../").contains(#"new URL("../",l.origin+d+"docs/")"#))
    }

    @Test func xhtmlPagesAreRewrittenAndCheckedToo() {
        #expect(PortableURLRewriter.kind(of: "x/page.xhtml") == .html)
        let xhtml = #"<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title><link rel="stylesheet" href="/css/site.css"/></head><body><a href="/nope/">n</a></body></html>"#
        let (page, result) = rewrite(xhtml, at: "x/page.xhtml")
        #expect(page.contains(#"href="../css/site.css"/>"#))
        #expect(result.broken.map(\.reference.value) == ["/nope/"])
        #expect(result.page?.isXHTML == true)
    }
}
