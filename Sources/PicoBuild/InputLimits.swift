import Foundation
import PicoCore

/// What one source file may cost the build. A site can come from anyone (a cloned repository,
/// a shared folder), so its files are bounded before a parser sees them: a YAML alias bomb, a
/// few thousand nested brackets or a 200 MB page must end in an error naming the file, not in
/// gigabytes of memory or a crashed stack.
public struct InputLimits: Sendable {
    /// 16 MiB: a hundred times a long Markdown page; peak memory per page is a small multiple of it.
    public static let defaultMaxPageBytes = 16 << 20

    /// The largest file pico reads whole: content pages, templates, and the HTML and CSS it
    /// rewrites (media and other files are streamed, whatever their size). `[build] max_page_mib`.
    public var maxPageBytes = defaultMaxPageBytes

    /// `pico.toml` is read before its own settings are known, so its bound is fixed.
    public static let maxConfigBytes = 1 << 20

    /// Nesting of front matter and `pico.toml` values (lists in maps in lists …). Metadata is
    /// shallow; the parsers and the conversions after them recurse once per level.
    public static let maxValueDepth = 64

    /// Values a front matter may hold once YAML aliases are expanded (a "billion laughs" needs
    /// only a few hundred bytes to reach millions).
    public static let maxFrontMatterValues = 100_000

    /// Nested Markdown containers (block quotes, list items) on one line or by indentation:
    /// cmark's time grows with depth times the text below it.
    public static let maxMarkdownNesting = 64

    public init() {}

    func pageTooLarge(_ size: Int, file: String) -> FileError? {
        guard size > maxPageBytes else { return nil }
        return FileError("is \(size) bytes; pico reads pages, templates, HTML and CSS whole, up to \(maxPageBytes >> 20) MiB each",
                         at: SourceLocation(file: file),
                         hint: "split the file, or raise the bound with `max_page_mib = N` under [build] in pico.toml")
    }
}

/// How deeply a TOML text nests, from the text alone: brackets and braces outside strings,
/// plus the dots of dotted keys and table headers (`a.b.c = 1` nests three tables without a
/// bracket). Dots in numbers count too: an over-estimate, harmless at the limit used.
enum TOMLNesting {
    static func firstLine(exceeding limit: Int, in text: String) -> Int? {
        let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
        var flow = 0
        var multiline: UInt8? = nil // the quote of an open """ or ''' string
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line)
            var dots = 0
            var i = 0
            func opensTriple(_ q: UInt8) -> Bool { i + 2 < bytes.count && bytes[i + 1] == q && bytes[i + 2] == q }
            while i < bytes.count {
                let byte = bytes[i]
                if let q = multiline {
                    if byte == UInt8(ascii: "\\"), q == quote { i += 2; continue }
                    if byte == q, opensTriple(q) { multiline = nil; i += 3; continue }
                    i += 1
                    continue
                }
                switch byte {
                case quote, apostrophe:
                    if opensTriple(byte) { multiline = byte; i += 3; continue }
                    // A one-line string: skip to its closing quote.
                    i += 1
                    while i < bytes.count, bytes[i] != byte {
                        if byte == quote, bytes[i] == UInt8(ascii: "\\") { i += 1 }
                        i += 1
                    }
                case UInt8(ascii: "#"):
                    i = bytes.count
                    continue
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    flow += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    flow = max(0, flow - 1)
                case UInt8(ascii: "."):
                    dots += 1
                default: break
                }
                if flow + dots > limit { return lineNumber }
                i += 1
            }
        }
        return nil
    }
}
