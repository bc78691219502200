import PicoHTML
import Testing

func references(_ html: String) -> [(String, String, String)] {
    let bytes = Array(html.utf8)
    return bytes.withUnsafeBufferPointer { buffer in
        HTMLReferenceScanner.references(in: buffer).map { reference in
            (reference.context, reference.value, String(decoding: bytes[reference.range], as: UTF8.self))
        }
    }
}

@Suite struct HTMLReferenceScannerTests {
    @Test func findsEveryKindOfReferenceWithItsRawText() {
        let html = """
        <!doctype html><html><head>
        <link rel="stylesheet" href="/css/a.css"><link rel=manifest href=manifest.webmanifest>
        <link rev="made" href="mailto:me@example.org"><link rel="canonical" href="/x/">
        <meta http-equiv="refresh" content="0; url=/new/">
        <style>body { background: url("/img/bg.png") } /* url(/not/this.png) */</style>
        </head><body style='background-image: url(/img/b.png)'>
        <a href="/about/">About</a><img src="a.png" srcset="/a-1x.png 1x, /a-2x.png 2x" alt="">
        <video poster=/p.jpg src='/v.mp4'><source src="/v.webm"><track src="/t.vtt"></video>
        <form action="/search/"><button formaction="/go/">Go</button></form>
        <object data="/d.svg"></object><script src="/app.js"></script>
        <svg><use href="#icon"/><image xlink:href="/i.png"/></svg>
        </body></html>
        """
        let found = references(html)
        let contexts = found.map(\.0)
        let values = found.map(\.1)
        #expect(values == ["/css/a.css", "manifest.webmanifest", "/new/",
                           "/img/bg.png", "/img/b.png", "/about/", "a.png", "/a-1x.png", "/a-2x.png", "/p.jpg", "/v.mp4",
                           "/v.webm", "/t.vtt", "/search/", "/go/", "/d.svg", "/app.js", "#icon", "/i.png"])
        #expect(contexts.contains("meta refresh"))
        #expect(contexts.contains("CSS url()"))
        for (_, value, raw) in found { #expect(value == raw) }
    }

    @Test func locatesTheRealTagWhenAnAttributeValueLooksLikeATag() {
        let found = references(#"<p><img alt="<img src=x" src="y.png"></p>"#)
        #expect(found.map(\.1) == ["y.png"])
        #expect(found.map(\.2) == ["y.png"])
    }

    @Test func decodesEntitiesButReportsTheRawRange() {
        let found = references(#"<a href="/q/?a=1&amp;b=2">x</a>"#)
        #expect(found.map(\.1) == ["/q/?a=1&b=2"])
        #expect(found.map(\.2) == ["/q/?a=1&amp;b=2"])
    }

    @Test func handlesUppercaseUnquotedAndMultilineTags() {
        let found = references("<A\n  HREF=/x/\n  class=\"c\">X</A><IMG SRC='/y.png'>")
        #expect(found.map(\.1) == ["/x/", "/y.png"])
    }

    @Test func cssScannerSkipsCommentsAndStringsAndFindsImports() {
        let css = #"@import "base.css"; @import url(print.css) print; /* url(no.png) */ a::after { content: "url(no2.png)" } b { background: URL( 'q.png' ) } @font-face { src: url(f.woff2) format("woff2") }"#
        let bytes = Array(css.utf8)
        let found = bytes.withUnsafeBufferPointer { CSSReferenceScanner.references(in: $0) }
        #expect(found.map(\.value) == ["base.css", "print.css", "q.png", "f.woff2"])
        #expect(found.map { String(decoding: bytes[$0.range], as: UTF8.self) } == ["base.css", "print.css", "q.png", "f.woff2"])
    }

    @Test func replacementsAreEscapedForWhereTheyGo() {
        let attribute = URLReference(value: "", range: 0..<0, syntax: .htmlAttribute(quote: .double), context: "")
        #expect(String(decoding: attribute.encoded("a/index.html?x=1&y=\"2\""), as: UTF8.self) == "a/index.html?x=1&amp;y=&quot;2&quot;")
        let unquoted = URLReference(value: "", range: 0..<0, syntax: .htmlAttribute(quote: .none), context: "")
        #expect(String(decoding: unquoted.encoded("a b"), as: UTF8.self) == "\"a b\"")
        let css = URLReference(value: "", range: 0..<0, syntax: .css(quote: .none, attributeQuote: nil), context: "")
        #expect(String(decoding: css.encoded("a (1).png"), as: UTF8.self) == #"a\ \(1\).png"#)
        let srcset = URLReference(value: "", range: 0..<0, syntax: .srcsetCandidate(attributeQuote: .double), context: "")
        #expect(String(decoding: srcset.encoded("a b,c.png"), as: UTF8.self) == "a%20b%2Cc.png")
    }
}
