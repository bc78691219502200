import PicoMarkdown
import Testing

@Suite struct MarkdownRendererTests {
    let renderer = MarkdownRenderer()

    @Test func rendersCommonMark() {
        #expect(renderer.html(from: "# Title\n\nSome *em* and `code`.\n") == "<h1>Title</h1>\n<p>Some <em>em</em> and <code>code</code>.</p>\n")
    }

    /// cmark-gfm's special-character table is process-wide; parsers finishing at once used to
    /// take `~` from each other, and a page lost its strikethrough in one build out of a few.
    @Test func manyPagesAtOnceAllKeepTheirExtensions() async {
        let page = String(repeating: "Some ~~struck~~ words and | a | table |\n\n", count: 40)
        let expected = MarkdownRenderer().html(from: page)
        #expect(expected.contains("<del>struck</del>"))
        let outputs = await withTaskGroup(of: String.self) { group in
            for _ in 0..<400 { group.addTask { MarkdownRenderer().html(from: page) } }
            var all: [String] = []
            for await html in group { all.append(html) }
            return all
        }
        #expect(outputs.filter { $0 != expected }.count == 0)
    }

    @Test func rendersTheGitHubExtensions() {
        let html = renderer.html(from: """
        | a | b |
        |---|:-:|
        | 1 | 2 |

        ~~gone~~ and https://example.org

        - [x] done
        - [ ] todo
        """)
        #expect(html.contains("<table>"))
        #expect(html.contains(#"<th align="center">b</th>"#))
        #expect(html.contains("<del>gone</del>"))
        #expect(html.contains(#"<a href="https://example.org">https://example.org</a>"#))
        #expect(html.contains(#"<input type="checkbox" checked="" disabled="" /> done"#))
    }

    @Test func fencedCodeKeepsItsLanguage() {
        #expect(renderer.html(from: "```swift\nlet x = 1\n```\n") == "<pre><code class=\"language-swift\">let x = 1\n</code></pre>\n")
    }

    @Test func rawHTMLPassesThrough() {
        #expect(renderer.html(from: "<figure>x</figure>\n").contains("<figure>x</figure>"))
    }

    @Test func rendersOnManyThreadsAtOnce() async {
        let renderer = self.renderer
        await withTaskGroup(of: String.self) { group in
            for i in 0..<64 { group.addTask { renderer.html(from: "**\(i)**") } }
            var results = Set<String>()
            for await html in group { results.insert(html) }
            #expect(results.count == 64)
        }
    }
}
