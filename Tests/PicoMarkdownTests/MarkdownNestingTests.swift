import PicoMarkdown
import Testing

/// The nesting bound read from the text before cmark sees it: deep enough for any real page,
/// never fooled into under-counting.
@Suite struct MarkdownNestingTests {
    @Test func ordinaryMarkdownPassesTheCheck() {
        let text = """
        > quote
        > > nested quote
        - a
          - b
            1. c
               - d
        * * *

        ```
        \(String(repeating: " ", count: 300))indented code inside a fence at the top
        ```
        """
        #expect(MarkdownRenderer.firstLine(nestingDeeperThan: 64, in: text) == nil)
    }

    @Test func deepNestingIsFoundAtItsLine() {
        #expect(MarkdownRenderer.firstLine(nestingDeeperThan: 64, in: "intro\n\n" + String(repeating: "- ", count: 65) + "x\n") == 3)
        #expect(MarkdownRenderer.firstLine(nestingDeeperThan: 64, in: String(repeating: "> ", count: 65) + "x\n") == 1)
        #expect(MarkdownRenderer.firstLine(nestingDeeperThan: 64, in: String(repeating: "1. ", count: 65) + "x\n") == 1)
        var indented = ""
        for level in 0..<70 { indented += String(repeating: "  ", count: level) + "- item\n" }
        #expect(MarkdownRenderer.firstLine(nestingDeeperThan: 64, in: indented) == 65)
        // A fence inside a quote ends with the quote: what follows is counted again.
        let escape = "> ```\n" + String(repeating: "- ", count: 100) + "x\n"
        #expect(MarkdownRenderer.firstLine(nestingDeeperThan: 64, in: escape) == 2)
    }
}
