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
