import CCmarkGFM
import Foundation
import Synchronization
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
    /// parallel. A lock, not an actor: the callers are the build's worker threads, which must
    /// not suspend, and the critical section is one short C call.
    private static let inlineParsing = Mutex(())

    /// Whether fenced code in a language KSyntaxHighlighting knows is highlighted (see
    /// CodeHighlighter); off, every code block is cmark's plain `<pre><code>`.
    public let highlightsCode: Bool

    public init(highlightsCode: Bool = false) {
        _ = Self.registered
        self.highlightsCode = highlightsCode
    }

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
        var finished: OpaquePointer?
        Self.inlineParsing.withLock { _ in finished = cmark_parser_finish(parser) }
        guard let document = finished else { return "" }
        defer { cmark_node_free(document) }
        if highlightsCode { FencedCodeHighlighting.highlight(in: document, with: CodeHighlighter()) }
        guard let rendered = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else {
            return ""
        }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    /// The first line (1-based) whose block quotes and list items nest deeper than `limit`,
    /// read from the text before cmark sees it: cmark's time grows with nesting depth times the
    /// text inside (5,000 nested list items over a line of brackets took minutes). Counts the
    /// container markers opening a line plus its indentation in steps of two columns (the
    /// least a nested list item needs), so it may over-count text indented by hundreds of
    /// columns but never under-counts; fenced code at the top is skipped.
    public static func firstLine(nestingDeeperThan limit: Int, in markdown: String) -> Int? {
        var text = markdown
        return text.withUTF8 { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            var lineNumber = 0
            var fence: (byte: UInt8, count: Int)? = nil
            var start = 0
            while start <= bytes.count {
                lineNumber += 1
                // Only the start of each line is read; memchr skips the rest.
                let end = memchr(base + start, 0x0A, bytes.count - start).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? bytes.count
                defer { start = end + 1 }
                var i = start
                var columns = 0
                var markers = 0
                scan: while i < end {
                    if bytes[i] == 0x20 || bytes[i] == 0x09 {
                        columns += bytes[i] == 0x09 ? 4 : 1
                        i += 1
                        continue
                    }
                    switch bytes[i] {
                    case UInt8(ascii: ">"):
                        markers += 1
                        i += 1
                    case UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "+"):
                        guard i + 1 < end, bytes[i + 1] == 0x20 || bytes[i + 1] == 0x09 else { break scan }
                        markers += 1
                        i += 1
                    case UInt8(ascii: "0")...UInt8(ascii: "9"):
                        var j = i
                        while j < end, j - i < 9, bytes[j] >= 0x30, bytes[j] <= 0x39 { j += 1 }
                        guard j + 1 < end, bytes[j] == UInt8(ascii: ".") || bytes[j] == UInt8(ascii: ")"),
                              bytes[j + 1] == 0x20 || bytes[j + 1] == 0x09 else { break scan }
                        markers += 1
                        i = j + 1
                    default:
                        break scan
                    }
                }
                // Inside fenced code every line is text, however indented. Only fences at the top are
                // skipped: one inside a quote or list ends where its container does.
                var run = 0
                if i < end, bytes[i] == UInt8(ascii: "`") || bytes[i] == UInt8(ascii: "~") {
                    while i + run < end, bytes[i + run] == bytes[i] { run += 1 }
                }
                if let open = fence {
                    if run >= open.count, bytes[i] == open.byte { fence = nil }
                    continue
                }
                if run >= 3, markers == 0, columns < 4 { fence = (bytes[i], run) }
                if markers + columns / 2 > limit { return lineNumber }
            }
            return nil
        }
    }
}
