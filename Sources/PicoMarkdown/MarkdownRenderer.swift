import CCmarkGFM
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CommonMark with the GitHub extensions (tables, strikethrough, autolinks, task lists,
/// footnotes), rendered to HTML by cmark-gfm. The only place that touches cmark's pointers.
///
/// Raw HTML in Markdown is passed through: a site's author writes its content, and pico's
/// job is to publish what they wrote (the same choice as Zola's and Hugo's `unsafe = true`).
public struct MarkdownRenderer: Sendable {
    private static let extensionNames = ["table", "strikethrough", "autolink", "tasklist"]

    /// cmark-gfm keeps its extension registry in a process-wide list; fill it exactly once
    /// (a Swift static is initialised once, thread-safely).
    private static let registered: Void = { cmark_gfm_core_extensions_ensure_registered() }()

    /// cmark-gfm adds the extensions' characters (`~` for strikethrough, `|` ...) to one
    /// process-wide table when inline parsing starts and removes them when it ends, so two
    /// parsers finishing at once can take `~` away from each other and a page silently loses
    /// its strikethrough (github/cmark-gfm#221). Inline parsing happens in
    /// `cmark_parser_finish`: only that step is serialised; block parsing and rendering run in
    /// parallel.
    private static let inlineParsing = NSLock()

    public init() { _ = Self.registered }

    public func html(from markdown: String) -> String {
        let options = CMARK_OPT_UNSAFE | CMARK_OPT_FOOTNOTES
        guard let parser = cmark_parser_new(options) else { return "" }
        defer { cmark_parser_free(parser) }
        for name in Self.extensionNames {
            if let syntaxExtension = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, syntaxExtension)
            }
        }
        var text = markdown
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                cmark_parser_feed(parser, chars.baseAddress, chars.count)
            }
        }
        guard let document = Self.inlineParsing.withLock({ cmark_parser_finish(parser) }) else { return "" }
        defer { cmark_node_free(document) }
        guard let rendered = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else {
            return ""
        }
        defer { free(rendered) }
        return String(cString: rendered)
    }
}
