import Foundation
import PicoHTML
#if canImport(Glibc)
import Glibc
#endif

/// Heading ids and the table of contents of a Markdown page. cmark writes every heading as a
/// bare `<hN>…</hN>`; each gets an `id` made from its text (`## Getting started` →
/// `getting-started`), unique in the page (a second `Usage` is `usage-1`, then `usage-2`), and
/// an anchor link to itself. Headings written as HTML with attributes are the author's and left
/// alone. The ids depend on the text only, so they stay the same from build to build.
enum Headings {
    /// One heading of the table of contents, with the headings below it.
    struct Entry: Sendable, Equatable {
        var level: Int
        var id: String
        /// The heading's text: tags removed, entities decoded (templates escape it again).
        var title: String
        var children: [Entry] = []

        /// What templates see as `page.toc`: `title`, `id`, `url` (`#id`), `level`, `children`, `has_children`.
        var templateValue: [String: Any] {
            ["title": title, "id": id, "url": "#" + id, "level": level,
             "children": children.map(\.templateValue), "has_children": !children.isEmpty]
        }
    }

    /// `html` with an id and an anchor link in every bare heading, and its table of contents.
    /// Runs on every page of every build: the page is searched with memchr for `<h`, the
    /// heading text is read as bytes, and a page without headings is given back as it is.
    static func anchor(_ html: String) -> (html: String, toc: [Entry]) {
        var source = html
        return source.withUTF8 { bytes -> (String, [Entry]) in
            guard let base = bytes.baseAddress else { return (html, []) }
            var out: [UInt8] = []
            var used = Set<String>()
            var flat: [Entry] = []
            var position = 0
            var i = 0
            while i + 4 <= bytes.count {
                guard let hit = memchr(base + i, Int32(UInt8(ascii: "<")), bytes.count - 3 - i) else { break }
                i = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                guard bytes[i + 1] == UInt8(ascii: "h"), bytes[i + 2] >= UInt8(ascii: "1"), bytes[i + 2] <= UInt8(ascii: "6"),
                      bytes[i + 3] == UInt8(ascii: ">") else {
                    i += 1
                    continue
                }
                let digit = bytes[i + 2]
                let start = i + 4
                // `</hN>`: cmark writes a heading on one line, so its end is near.
                var end = start
                var found = false
                while end + 5 <= bytes.count {
                    guard let close = memchr(base + end, Int32(UInt8(ascii: "<")), bytes.count - 4 - end) else { break }
                    end = UnsafeRawPointer(close) - UnsafeRawPointer(base)
                    if bytes[end + 1] == UInt8(ascii: "/"), bytes[end + 2] == UInt8(ascii: "h"), bytes[end + 3] == digit,
                       bytes[end + 4] == UInt8(ascii: ">") { found = true; break }
                    end += 1
                }
                guard found else {
                    i = start
                    continue
                }
                let inner = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let text = plainText(inner)
                let id = unique(slug(text), in: &used)
                if out.isEmpty { out.reserveCapacity(bytes.count + 256) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<i]))
                out.append(contentsOf: "<h".utf8)
                out.append(digit)
                out.append(contentsOf: " id=\"".utf8)
                out.append(contentsOf: id.utf8)
                out.append(contentsOf: "\">".utf8)
                out.append(contentsOf: inner)
                out.append(contentsOf: "<a class=\"heading-anchor\" href=\"#".utf8)
                out.append(contentsOf: id.utf8)
                out.append(contentsOf: "\" aria-hidden=\"true\">#</a></h".utf8)
                out.append(digit)
                out.append(UInt8(ascii: ">"))
                flat.append(Entry(level: Int(digit - UInt8(ascii: "0")), id: id, title: text))
                position = end + 5
                i = position
            }
            guard !flat.isEmpty else { return (html, []) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position...]))
            return (String(decoding: out, as: UTF8.self), nest(flat))
        }
    }

    /// Each heading under the nearest one before it of a higher rank.
    static func nest(_ flat: [Entry]) -> [Entry] {
        var index = 0
        func children(deeperThan level: Int) -> [Entry] {
            var found: [Entry] = []
            while index < flat.count, flat[index].level > level {
                var entry = flat[index]
                index += 1
                entry.children = children(deeperThan: entry.level)
                found.append(entry)
            }
            return found
        }
        return children(deeperThan: 0)
    }

    /// `Getting Started: the 2nd step!` → `getting-started-the-2nd-step`: letters, digits, `_`
    /// kept (lowercased), spaces and `-` one `-`, anything else dropped; `section` when nothing is left.
    static func slug(_ text: String) -> String {
        var out: [UInt8] = []
        var ascii = true
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): out.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): out.append(byte | 0x20)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "-"):
                if !out.isEmpty, out.last != UInt8(ascii: "-") { out.append(UInt8(ascii: "-")) }
            case 0x80...: ascii = false
            default: break
            }
            if !ascii { break }
        }
        guard ascii else { return unicodeSlug(text) }
        while out.last == UInt8(ascii: "-") { out.removeLast() }
        return out.isEmpty ? "section" : String(decoding: out, as: UTF8.self)
    }

    /// `slug` for text beyond ASCII: Unicode letters and digits count.
    private static func unicodeSlug(_ text: String) -> String {
        var out = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "_" { out.append(character) }
            else if character.isWhitespace || character == "-", !out.isEmpty, !out.hasSuffix("-") { out.append("-") }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "section" : out
    }

    /// `slug`, or `slug-1`, `slug-2`, … when the page has it already.
    static func unique(_ slug: String, in used: inout Set<String>) -> String {
        var candidate = slug
        var number = 0
        while used.contains(candidate) {
            number += 1
            candidate = "\(slug)-\(number)"
        }
        used.insert(candidate)
        return candidate
    }

    /// The heading's HTML as text: tags removed, whitespace runs one space, entities decoded.
    static func plainText(_ inner: UnsafeBufferPointer<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(inner.count)
        var inTag = false
        var hasReference = false
        for byte in inner {
            switch byte {
            case UInt8(ascii: "<"): inTag = true
            case UInt8(ascii: ">") where inTag: inTag = false
            case _ where inTag: continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                if !text.isEmpty, text.last != UInt8(ascii: " ") { text.append(UInt8(ascii: " ")) }
            default:
                if byte == UInt8(ascii: "&") { hasReference = true }
                text.append(byte)
            }
        }
        while text.last == UInt8(ascii: " ") { text.removeLast() }
        return hasReference ? CharacterReferences.decode(text, names: CharacterReferences.textNamed) : String(decoding: text, as: UTF8.self)
    }
}
