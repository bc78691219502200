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
                         at: SourceLocation(file: file, line: 1, column: 1),
                         hint: "split the file, or raise the bound with `max_page_mib = N` under [build] in pico.toml")
    }
}

/// How deeply a YAML text nests, read from the text alone, before a parser recurses over it:
/// flow brackets (`[`, `{`), block indentation, and `- ` / `? ` entries opened on one line.
/// Quoted text, comments and block scalars (`|`, `>`) do not count. An over-estimate is
/// harmless (metadata never nests 64 deep); an under-estimate would let the parser crash.
enum YAMLNesting {
    /// The first line (1-based, within `text`) where the nesting passes `limit`.
    static func firstLine(exceeding limit: Int, in text: String) -> Int? {
        var indents: [Int] = []
        var flow = 0
        var quote: UInt8? = nil
        var blockScalarIndent: Int? = nil
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line)
            var i = 0
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            let indent = i
            let blank = i == bytes.count || bytes[i] == 0x0D || bytes[i] == UInt8(ascii: "#")
            if let scalarIndent = blockScalarIndent {
                if blank || indent > scalarIndent { continue }
                blockScalarIndent = nil
            }
            if blank, quote == nil { continue }
            var depth = flow
            if quote == nil, flow == 0 {
                while let last = indents.last, last >= indent { indents.removeLast() }
                indents.append(indent)
                depth = indents.count
                // `- - - x` and `? ? x` open one collection per marker on one line.
                while i + 1 < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "?"),
                      bytes[i + 1] == 0x20 || bytes[i + 1] == 0x09 {
                    depth += 1
                    i += 2
                    while i < bytes.count, bytes[i] == 0x20 { i += 1 }
                }
            }
            if depth > limit { return lineNumber }
            var previous: UInt8 = 0x20
            while i < bytes.count {
                let byte = bytes[i]
                if let open = quote {
                    if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") { i += 2; continue }
                    if byte == open {
                        // '' inside a single-quoted scalar is an escaped quote.
                        if open == UInt8(ascii: "'"), i + 1 < bytes.count, bytes[i + 1] == open { i += 2; continue }
                        quote = nil
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "'"):
                        // A quote opens a scalar only at its start, not inside plain text ("it's").
                        if previous == 0x20 || previous == 0x09 || previous == UInt8(ascii: "[")
                            || previous == UInt8(ascii: "{") || previous == UInt8(ascii: ",") || previous == UInt8(ascii: ":") {
                            quote = byte
                        }
                    case UInt8(ascii: "#") where previous == 0x20 || previous == 0x09:
                        i = bytes.count
                        continue
                    case UInt8(ascii: "["), UInt8(ascii: "{"):
                        flow += 1
                        if depth + flow > limit { return lineNumber }
                    case UInt8(ascii: "]"), UInt8(ascii: "}"):
                        flow = max(0, flow - 1)
                    default: break
                    }
                }
                previous = byte
                i += 1
            }
            // `key: |` or `- >-`: the more-indented lines below are text.
            if quote == nil, flow == 0, Self.endsWithBlockIndicator(bytes) {
                blockScalarIndent = indent
            }
        }
        return nil
    }

    /// A line ending in a block scalar header: `|`, `>`, `|-`, `>+`, `|2`, after a space.
    private static func endsWithBlockIndicator(_ bytes: [UInt8]) -> Bool {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x0D { end -= 1 }
        while end > 0, bytes[end - 1] == UInt8(ascii: "-") || bytes[end - 1] == UInt8(ascii: "+")
            || (bytes[end - 1] >= 0x31 && bytes[end - 1] <= 0x39) { end -= 1 }
        guard end > 0, bytes[end - 1] == UInt8(ascii: "|") || bytes[end - 1] == UInt8(ascii: ">") else { return false }
        return end == 1 || bytes[end - 2] == 0x20
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
