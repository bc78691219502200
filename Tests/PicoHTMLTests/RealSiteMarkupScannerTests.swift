import Foundation
import PicoHTML
import Testing

/// Markup of real sites the scanner must read as a browser does (issue 13).
@Suite struct RealSiteMarkupScannerTests {
    static func scan(_ html: String) -> HTMLReferenceScanner.Scan {
        Array(html.utf8).withUnsafeBufferPointer { HTMLReferenceScanner.scan($0) }
    }

    /// The byte offset of the first `needle`.
    static func offset(of needle: String, in html: String, options: String.CompareOptions = []) -> Int {
        html.utf8.distance(from: html.utf8.startIndex, to: html.range(of: needle, options: options)!.lowerBound)
    }

    /// `</head>` inside a script string, a comment or an attribute is not the end of the head.
    @Test(arguments: [
        #"<html><head><script>var t = "</head>";</script><link rel="stylesheet" href="a.css"></head><body>x</body></html>"#,
        #"<html><head><!-- </head> --><title>t</title></head><body>x</body></html>"#,
        #"<html><head><meta name="x" content="</head>"><title>t</title></HEAD ><body>x</body></html>"#,
        #"<html><head><style>p::after { content: "</head>" }</style></head><body>x</body></html>"#,
    ])
    func theHeadEndsWhereTheParserEndsIt(_ html: String) {
        let scan = Self.scan(html)
        #expect(scan.headEnd == Self.offset(of: "</head", in: html, options: [.backwards, .caseInsensitive]))
        #expect(scan.headStart == Self.offset(of: "<head>", in: html) + 6)
    }

    @Test func anImplicitlyClosedHeadEndsAtTheTagThatClosesIt() {
        let html = #"<!doctype html><html><head><title>t</title><script>x = "</head>"</script><div>body</div></html>"#
        #expect(Self.scan(html).headEnd == Self.offset(of: "<div>", in: html))
        let unclosed = "<html><head><title>t</title>"
        #expect(Self.scan(unclosed).headEnd == unclosed.utf8.count)
    }

    /// Without libxml2's recovery mode a script ended at any `</` and a letter, and what
    /// followed in the string was read as tags.
    @Test func markupInsideAScriptIsNotAReference() {
        let found = Self.scan(#"<body><script>document.write("</div><img src='/gone.png'>")</script><img src="a.png"></body>"#)
        #expect(found.references.map(\.value) == ["a.png"])
    }

    @Test func theFirstBaseWithAnHrefIsTheBase() {
        let html = #"<html><head><base target="_top"><base href="/docs/"><base href="/other/"></head><body><a href="x">x</a></body></html>"#
        let scan = Self.scan(html)
        #expect(scan.base?.reference.value == "/docs/")
        #expect(scan.base?.tagEnd == Self.offset(of: #"<base href="/other/">"#, in: html))
        #expect(scan.references.map(\.value) == ["x"])
    }

    @Test func imageSetStringsAndURLsAreReferences() {
        let css = #"a { background-image: image-set("a.png" 1x, url(b.png) 2x, 'c.avif' type("image/avif")); } "#
            + #"b { background: -webkit-image-set("d.png" 1x, "e.png" 2x) } c { content: "f.png"; font-family: "g.png" }"#
        let bytes = Array(css.utf8)
        let found = bytes.withUnsafeBufferPointer { CSSReferenceScanner.references(in: $0) }
        #expect(found.map(\.value) == ["a.png", "b.png", "c.avif", "d.png", "e.png"])
        #expect(found.map { String(decoding: bytes[$0.range], as: UTF8.self) } == ["a.png", "b.png", "c.avif", "d.png", "e.png"])
        let style = references(#"<p style="background: image-set('x.png' 1x)">"#)
        #expect(style.map(\.1) == ["x.png"])
    }
}
