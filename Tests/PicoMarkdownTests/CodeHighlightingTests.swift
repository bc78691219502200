import PicoMarkdown
import Testing

/// Fenced code highlighted at build time by KSyntaxHighlighting: each language pico promises
/// gets its classes, an unknown language stays exactly as cmark writes it, and the bytes are
/// the same every time.
@Suite struct CodeHighlightingTests {
    let renderer = MarkdownRenderer(highlightsCode: true)

    /// A snippet per language and spans its highlighted HTML must contain.
    static let snippets: [(language: String, code: String, spans: [String])] = [
        ("sh", "for f in *.md; do echo \"$f\"; done # list", [#"<span class="cf">for</span>"#, #"<span class="bu">echo</span>"#, #"<span class="va">$f</span>"#, #"<span class="co"># list</span>"#]),
        ("bash", "if [ -n \"$x\" ]; then exit 1; fi", [#"<span class="cf">if</span>"#, #"<span class="va">$x</span>"#]),
        ("c", "#include <stdio.h>\nint main(void) { return 0; /* ok */ }", [#"<span class="pp">#include </span><span class="im">&lt;stdio.h&gt;</span>"#, #"<span class="dt">int</span>"#, #"<span class="cf">return</span>"#, #"<span class="co">/* ok */</span>"#]),
        ("c++", "template <typename T> class Box { public: T value; }; // box", [#"<span class="kw">template</span>"#, #"<span class="kw">class</span>"#, #"<span class="co">// box</span>"#]),
        ("cpp", "auto n = 0x1F;", [#"<span class="kw">auto</span>"#, #"<span class="bn">0x1F</span>"#]),
        ("swift", "struct Page { let title: String = \"x\" } // page", [#"<span class="kw">struct</span>"#, #"<span class="kw">let</span>"#, #"<span class="st">&quot;x&quot;</span>"#, #"<span class="co">// page</span>"#]),
        ("rust", "fn main() { let x = \"hi\"; println!(\"{}\", 42); }", [#"<span class="kw">fn</span>"#, #"<span class="st">&quot;hi&quot;</span>"#, #"<span class="pp">println!</span>"#, #"<span class="dv">42</span>"#]),
        ("go", "package main\nfunc main() { fmt.Println(\"hi\") }", [#"<span class="kw">package</span>"#, #"<span class="kw">func</span>"#, #"<span class="st">&quot;hi&quot;</span>"#]),
        ("python", "def greet(name):\n    return f\"hi {name}\"  # greet", [#"<span class="kw">def</span>"#, #"<span class="cf">return</span>"#, #"<span class="co"># greet</span>"#]),
        ("javascript", "const x = await fetch(\"/a\"); // js", [#"<span class="kw">const</span>"#, #"<span class="cf">await</span>"#, #"<span class="fu">fetch</span>"#, #"<span class="co">// js</span>"#]),
        ("typescript", "interface Page { title: string; } const n: number = 1;", [#"<span class="kw">interface</span>"#, #"<span class="dt">string</span>"#, #"<span class="dv">1</span>"#]),
        ("json", "{\"name\": \"pico\", \"n\": 1, \"ok\": true}", [#"<span class="dt">&quot;name&quot;</span>"#, #"<span class="st">&quot;pico&quot;</span>"#, #"<span class="dv">1</span>"#, #"<span class="kw">true</span>"#]),
        ("yaml", "title: Hello # c\ntags: [a, b]", [#"<span class="fu">title</span>"#, #"<span class="co"> # c</span>"#]),
        ("toml", "[site]\ntitle = \"Blog\" # c\nn = 3", [#"<span class="dt">site</span>"#, #"<span class="st">&quot;Blog&quot;</span>"#, #"<span class="co"># c</span>"#, #"<span class="dv">3</span>"#]),
        ("html", "<a href=\"x.html\">link</a><!-- c -->", [#"<span class="kw">&lt;a</span>"#, #"<span class="ot"> href=</span>"#, #"<span class="st">&quot;x.html&quot;</span>"#, #"<span class="co">&lt;!-- c --&gt;</span>"#]),
        ("css", "body { color: #fff; } /* c */", [#"<span class="kw">color</span>"#, #"<span class="cn">#fff</span>"#, #"<span class="co">/* c */</span>"#]),
        ("sql", "SELECT name FROM pages WHERE id = 1; -- c", [#"<span class="kw">SELECT</span>"#, #"<span class="kw">FROM</span>"#, #"<span class="dv">1</span>"#, #"<span class="co">-- c</span>"#]),
        ("diff", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new", [#"<span class="kw">--- a/x</span>"#, #"<span class="dt">@@ -1 +1 @@</span>"#, #"<span class="st">-old</span>"#, #"<span class="va">+new</span>"#]),
        ("markdown", "# Title\nSome *em* and `code`.", [#"<span class="fu"># Title</span>"#, #"<span class="in">`code`</span>"#]),
    ]

    @Test(arguments: snippets.indices)
    func eachLanguageGetsItsClasses(index: Int) {
        let snippet = Self.snippets[index]
        let html = renderer.html(from: "Before.\n\n```\(snippet.language)\n\(snippet.code)\n```\n")
        #expect(html.hasPrefix("<p>Before.</p>\n<pre class=\"highlight\"><code class=\"language-\(snippet.language)\">"), "\(html)")
        #expect(html.hasSuffix("</code></pre>\n"), "\(html)")
        for span in snippet.spans {
            #expect(html.contains(span), "\(snippet.language): \(span) not in \(html)")
        }
    }

    @Test func theTextIsKeptWordForWord() {
        // Every language: removing the tags and unescaping gives back the code itself.
        for snippet in Self.snippets {
            let html = renderer.html(from: "```\(snippet.language)\n\(snippet.code)\n```\n")
            let code = html.range(of: "\">", range: html.range(of: "<code")!.upperBound..<html.endIndex)!.upperBound
            var text = String(html[code..<html.range(of: "</code></pre>")!.lowerBound].replacing(/<[^>]*>/, with: ""))
            for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&amp;", "&")] {
                text = text.replacingOccurrences(of: entity, with: character)
            }
            #expect(text == snippet.code + "\n", "\(snippet.language)")
        }
    }

    @Test func textBeyondASCIIIsKeptByteForByte() {
        // Two-, three- and four-byte UTF-8 (the last a surrogate pair in Qt's UTF-16), in a
        // string, a comment and plain text, each escaped as cmark escapes it.
        let code = "let s = \"é日本🎉<&>\" // ça 🎉\nprint(s) ÿ€𝄞"
        let html = renderer.html(from: "```swift\n\(code)\n```\n")
        #expect(html.contains(#"<span class="st">&quot;é日本🎉&lt;&amp;&gt;&quot;</span>"#), "\(html)")
        #expect(html.contains(#"<span class="co">// ça 🎉</span>"#), "\(html)")
        let start = html.range(of: "\">", range: html.range(of: "<code")!.upperBound..<html.endIndex)!.upperBound
        var text = String(html[start..<html.range(of: "</code></pre>")!.lowerBound].replacing(/<[^>]*>/, with: ""))
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        #expect(Array(text.utf8) == Array((code + "\n").utf8))
    }

    @Test func anUnknownLanguageStaysPlainWithNoError() {
        let markdown = "```nosuchlanguage\nlet x = \"<y>\"\n```\n\n```\nno info\n```\n\n    indented code\n"
        #expect(renderer.html(from: markdown) == """
        <pre><code class="language-nosuchlanguage">let x = &quot;&lt;y&gt;&quot;
        </code></pre>
        <pre><code>no info
        </code></pre>
        <pre><code>indented code
        </code></pre>

        """)
    }

    @Test func aliasesAndCaseNameTheSameDefinition() {
        func body(_ language: String) -> String {
            let html = renderer.html(from: "```\(language)\nfn main() {}\n```\n")
            return String(html[html.range(of: "\">", range: html.range(of: "<code")!.upperBound..<html.endIndex)!.upperBound...])
        }
        #expect(body("rust") == body("rs"))
        #expect(body("rust") == body("Rust"))
        #expect(body("rust") == body("rust,ignore"))
        #expect(body("rust").contains(#"<span class="kw">fn</span>"#))
    }

    /// Blocks already highlighted are remembered (per thread, by fence word and code): the same
    /// code under another language is highlighted for that language, and again for the first.
    @Test func theSameCodeInAnotherLanguageIsHighlightedForThatLanguage() {
        let code = "x = 1 # one"
        let html = renderer.html(from: ["python", "c", "python", "py"].map { "```\($0)\n\(code)\n```\n" }.joined(separator: "\n"))
        let bodies = html.components(separatedBy: "<pre class=\"highlight\">").dropFirst().map { block in
            String(block[block.range(of: "\">")!.upperBound...])
        }
        #expect(bodies.count == 4)
        #expect(bodies[0].contains(#"<span class="co"># one</span>"#), "\(bodies[0])")
        #expect(!bodies[1].contains(#"<span class="co"># one</span>"#), "\(bodies[1])")
        #expect(bodies[0] == bodies[2])
        #expect(bodies[0] == bodies[3])
    }

    @Test func theSameInputGivesTheSameBytes() async {
        let page = Self.snippets.map { "```\($0.language)\n\($0.code)\n```\n" }.joined(separator: "\n")
        let first = MarkdownRenderer(highlightsCode: true).html(from: page)
        // Many pages at once, on several threads (each thread has its own definitions).
        let outputs = await withTaskGroup(of: String.self) { group in
            for _ in 0..<64 { group.addTask { MarkdownRenderer(highlightsCode: true).html(from: page) } }
            var all: [String] = []
            for await html in group { all.append(html) }
            return all
        }
        #expect(outputs.allSatisfy { $0 == first })
        #expect(first.components(separatedBy: "<pre class=\"highlight\">").count == Self.snippets.count + 1)
    }
}
