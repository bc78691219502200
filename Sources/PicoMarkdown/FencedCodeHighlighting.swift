import CCmarkGFM
#if canImport(Glibc)
import Glibc
#endif

/// Fenced code blocks whose first info word names a language CodeHighlighter knows become HTML
/// blocks with the highlighted code, in the wrapper cmark writes (`<pre><code class="language-X">`)
/// plus `class="highlight"` on the `pre` for the stylesheet. Any other code block is left to cmark,
/// so an unknown language renders exactly as before, with no error.
enum FencedCodeHighlighting {
    static func highlight(in document: OpaquePointer, with highlighter: CodeHighlighter) {
        // Collected first, replaced after: cmark's iterator must not see its nodes replaced.
        var codeBlocks: [OpaquePointer] = []
        guard let iterator = cmark_iter_new(document) else { return }
        while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
            if let node = cmark_iter_get_node(iterator), cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK {
                codeBlocks.append(node)
            }
        }
        cmark_iter_free(iterator)
        for node in codeBlocks {
            guard let info = cmark_node_get_fence_info(node) else { continue }
            let language = Self.language(of: String(cString: info))
            guard !language.isEmpty, let literal = cmark_node_get_literal(node),
                  let code = highlighter.html(code: String(cString: literal), language: language),
                  let block = cmark_node_new(CMARK_NODE_HTML_BLOCK) else { continue }
            let html = "<pre class=\"highlight\"><code class=\"language-\(Self.escaped(language))\">\(code)</code></pre>\n"
            guard cmark_node_set_literal(block, html) == 1, cmark_node_replace(node, block) == 1 else {
                cmark_node_free(block)
                continue
            }
            cmark_node_free(node)
        }
    }

    /// The info string's first word (rustdoc's `rust,ignore` gives `rust`).
    static func language(of info: String) -> String {
        String(info.prefix { !$0.isWhitespace && $0 != "," })
    }

    private static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
