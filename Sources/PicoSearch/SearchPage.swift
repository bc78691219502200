import Foundation
import PicoHTML

/// What the index needs of one page, taken from its HTML in one pass: the title, the text
/// (headings and body in order, whitespace collapsed), the words with their stems and
/// field-weighted counts. Made on the thread that made the page (the build's parallel pass),
/// so the builder only merges.
public struct SearchPage: Sendable {
    /// The page's path in the bundle (the .html file).
    public var path: String
    public var title: String
    /// `<html lang>`'s primary subtag, lowercased ("" when the page says none).
    public var language: String
    /// Headings and body text in document order, without the title, whitespace collapsed.
    public var text: String
    /// Each stem with its term frequency, fields weighted (title ×5, headings ×2, body ×1), in
    /// the order first met.
    public var terms: [Term]
    /// Surface words whose stem differs, with their stem.
    public var surfaceWords: [Word]

    /// A stem of the page, its count and the hash the index's merge files it under (computed
    /// on the page's thread, so the merge of all pages hashes nothing).
    public struct Term: Sendable {
        public var stem: String
        public var count: Int32
        public var hash: UInt64
    }
    /// A word whose stem differs, and its hash.
    public struct Word: Sendable {
        public var word: String
        public var stem: String
        public var hash: UInt64
    }
    /// The weighted token count (BM25's document length).
    public var length: Int

    /// The stems as a dictionary (for reading; the index merges `terms`).
    public var stems: [String: Int] {
        Dictionary(terms.map { ($0.stem, Int($0.count)) }, uniquingKeysWith: +)
    }
    /// The surface words as a dictionary.
    public var words: [String: String] {
        Dictionary(surfaceWords.map { ($0.word, $0.stem) }, uniquingKeysWith: { first, _ in first })
    }

    public static let titleWeight: Int32 = 5, headingWeight: Int32 = 2

    public init(path: String, title: String, language: String, text: String, headings: String = "",
                stemmers: Stemmers = .shared) {
        self.path = path
        self.title = title
        self.language = language
        self.text = text
        var title = title, headings = headings, text = text
        let counted = stemmers.counting(language) { counter in
            counter.begin()
            title.withUTF8 { counter.add($0, weight: Self.titleWeight) }
            // Heading words are in `text` too: one more count each makes them weigh 2.
            headings.withUTF8 { counter.add($0, weight: Self.headingWeight - 1) }
            text.withUTF8 { counter.add($0, weight: 1) }
            return counter.finish()
        }
        terms = counted.stems
        surfaceWords = counted.words
        length = counted.length
    }

    /// The page's index entry, or nil when it is not indexed: `noindex` robots, or
    /// `data-pico-search="skip"` on `<html>` or `<body>`. A page without `<html lang>` is
    /// taken to be in `defaultLanguage` (the bundle's).
    public static func extract(html: some Collection<UInt8>, path: String, defaultLanguage: String = "en",
                               stemmers: Stemmers = .shared) -> SearchPage? {
        let scanned: VisibleText? = html.withContiguousStorageIfAvailable { VisibleText.scan($0) }
            ?? Array(html).withUnsafeBufferPointer { VisibleText.scan($0) }
        guard let scanned, !scanned.excluded else { return nil }
        let title = scanned.title.isEmpty ? scanned.firstH1 : scanned.title
        return SearchPage(path: path, title: title.isEmpty ? path : title,
                          language: scanned.language.isEmpty ? defaultLanguage : scanned.language,
                          text: scanned.text, headings: scanned.headings, stemmers: stemmers)
    }

    /// Whether a bundle path is one the index may hold: an .html/.htm page other than
    /// `404.html`, the search page and anything in `pico-search/`.
    public static func isIndexable(path: String) -> Bool {
        let lower = path.lowercased()
        guard lower.hasSuffix(".html") || lower.hasSuffix(".htm") else { return false }
        if lower == "404.html" || lower.hasSuffix("/404.html") || lower == SearchIndexBuilder.pagePath { return false }
        return !lower.hasPrefix(SearchIndexBuilder.folder + "/")
    }
}

extension Stemmers {
    /// The stemmers of the process: a build and a library's index share them.
    public static let shared = Stemmers()
}

/// The visible text of an HTML page, by a byte scanner rather than a parser: the index needs
/// only where elements start and end, and building libxml2's tree of every page would cost more
/// than the build's whole budget for search. What it leaves out: `<head>` but its `<title>`;
/// `<nav>`, `<header>`, `<footer>`, `<script>`, `<style>`, `<template>`, `<noscript>`, `<svg>`
/// (and form controls, frames, `<math>`) and any element with `data-pico-search="skip"`, with
/// everything inside (counted by tag name, so an unclosed `<p>` inside does not matter). When
/// the page has a `<main>`, only its text.
struct VisibleText {
    var title = ""
    var firstH1 = ""
    var language = ""
    var excluded = false
    var text = ""
    var headings = ""

    /// A tag name of up to 8 bytes, lowercased, as one number (0: longer, matches nothing
    /// below): the scanner meets hundreds of tags a page, and comparing numbers costs nothing.
    typealias TagName = UInt64
    static let html = tag("html"), body = tag("body"), meta = tag("meta"), titleTag = tag("title"), main = tag("main")
    static let h1 = tag("h1")
    /// Elements left out with their content.
    static let skipped = TagSet(["nav", "header", "footer", "script", "style", "template", "noscript", "svg",
                                            "textarea", "select", "button", "iframe", "object", "canvas", "math"].map { tag($0) })
    /// Elements whose content is raw text up to their end tag.
    static let rawText = TagSet(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
                                            "noscript"].map { tag($0) })
    /// Elements that do not break a word: `<em>x</em>y` is one word.
    static let inline = TagSet(["a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark",
                                           "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
                                           "font", "del", "ins", "tt", "big", "strike", "label"].map { tag($0) })
    static let void = TagSet(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                                         "track", "wbr", "param"].map { tag($0) })
    /// A fixed set of tag names, looked up by one multiply (Set<UInt64> hashed each of a page's
    /// hundreds of tags with SipHash: 0.9 % of a build's samples).
    struct TagSet {
        /// 128 slots, 0 for empty: the sets hold at most 32 names.
        private var slots = [TagName](repeating: 0, count: 128)

        init(_ names: [TagName]) {
            for name in names where !contains(name) {
                var slot = Self.slot(name)
                while slots[slot] != 0 { slot = (slot + 1) & 127 }
                slots[slot] = name
            }
        }

        @inline(__always) static func slot(_ name: TagName) -> Int { Int(truncatingIfNeeded: (name &* 0x9E37_79B9_7F4A_7C15) >> 57) }

        @inline(__always) func contains(_ name: TagName) -> Bool {
            guard name != 0 else { return false }
            var slot = Self.slot(name)
            while true {
                let held = slots[slot]
                if held == name { return true }
                if held == 0 { return false }
                slot = (slot + 1) & 127
            }
        }
    }

    static func tag(_ name: String) -> TagName {
        var value: UInt64 = 0
        for (index, byte) in name.utf8.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
        return value
    }

    static func isHeading(_ name: TagName) -> Bool {
        name & 0xFF == 0x68 && (0x31...0x36).contains(name >> 8) // h1…h6
    }

    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> VisibleText {
        // The tag names and sets in locals: a `static let` read in the loop is a lazy-init
        // check (swift_once) and a retain of its slots on each of a page's hundreds of tags.
        let (html, body, meta, titleTag, main, h1) = (Self.html, Self.body, Self.meta, Self.titleTag, Self.main, Self.h1)
        let (skipped, rawText, inline, void) = (Self.skipped, Self.rawText, Self.inline, Self.void)
        var result = VisibleText()
        var all = TextBuffer(), allHeadings = TextBuffer(), inMain = TextBuffer(), mainHeadings = TextBuffer()
        var h1Text = TextBuffer()
        var sawMain = false, mainDepth = 0, headingDepth = 0, h1Depth = 0, sawH1 = false
        var skipName: TagName? = nil, skipDepth = 0
        var i = 0
        let n = bytes.count
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }
        /// The offset of `</name` (any case) from `from`, or n.
        func endTag(_ name: TagName, from: Int) -> Int {
            var j = from
            while j + 2 < n {
                if bytes[j] == 0x3C, bytes[j + 1] == 0x2F {
                    var k = 0, rest = name
                    while rest != 0, j + 2 + k < n, lower(bytes[j + 2 + k]) == UInt8(rest & 0xFF) { k += 1; rest >>= 8 }
                    if rest == 0 { return j }
                }
                j += 1
            }
            return n
        }
        func addText(_ start: Int, _ end: Int) {
            guard end > start, skipName == nil else { return }
            let run = UnsafeBufferPointer(rebasing: bytes[start..<end])
            // Once a <main> is met, only its text is the page's: the rest is not gathered.
            if !sawMain {
                all.append(run)
                if headingDepth > 0 { allHeadings.append(run) }
            }
            if mainDepth > 0 {
                inMain.append(run)
                if headingDepth > 0 { mainHeadings.append(run) }
            }
            if h1Depth > 0 { h1Text.append(run) }
        }
        func breakWord() {
            guard skipName == nil else { return }
            all.space(); allHeadings.space(); inMain.space(); mainHeadings.space(); h1Text.space()
        }
        func decoded(_ range: Range<Int>) -> String {
            var buffer = TextBuffer()
            buffer.append(UnsafeBufferPointer(rebasing: bytes[range]))
            return buffer.string()
        }
        var textStart = 0
        while i < n {
            guard bytes[i] == 0x3C else { i += 1; continue }
            // A tag, comment or declaration starts at i.
            guard i + 1 < n else { break }
            let next = bytes[i + 1]
            if next == 0x21 { // <!-- … -->, <!DOCTYPE …>
                addText(textStart, i)
                if i + 3 < n, bytes[i + 2] == 0x2D, bytes[i + 3] == 0x2D {
                    var j = i + 4
                    while j + 2 < n, !(bytes[j] == 0x2D && bytes[j + 1] == 0x2D && bytes[j + 2] == 0x3E) { j += 1 }
                    i = min(n, j + 3)
                } else {
                    while i < n, bytes[i] != 0x3E { i += 1 }
                    i += 1
                }
                textStart = i
                continue
            }
            let closing = next == 0x2F
            let nameStart = closing ? i + 2 : i + 1
            guard nameStart < n, (lower(bytes[nameStart]) >= 0x61 && lower(bytes[nameStart]) <= 0x7A) || next == 0x3F else {
                i += 1 // a "<" in text
                continue
            }
            addText(textStart, i)
            var j = nameStart
            var name: TagName = 0, nameLength = 0
            while j < n, !isSpace(bytes[j]), bytes[j] != 0x3E, bytes[j] != 0x2F {
                if nameLength < 8 { name |= UInt64(lower(bytes[j])) << (8 * UInt64(nameLength)) }
                nameLength += 1
                j += 1
            }
            if nameLength > 8 { name = 0 }
            // Attributes, up to the tag's end; only the few the index reads are kept.
            var lang: Range<Int>? = nil, skip = false, metaName: Range<Int>? = nil, metaContent: Range<Int>? = nil
            var selfClosing = false
            while j < n, bytes[j] != 0x3E {
                if isSpace(bytes[j]) { j += 1; continue }
                if bytes[j] == 0x2F { selfClosing = true; j += 1; continue }
                selfClosing = false
                let attrStart = j
                while j < n, !isSpace(bytes[j]), bytes[j] != 0x3D, bytes[j] != 0x3E, !(bytes[j] == 0x2F && j + 1 < n && bytes[j + 1] == 0x3E) { j += 1 }
                let attrEnd = j
                while j < n, isSpace(bytes[j]) { j += 1 }
                var value: Range<Int>? = nil
                if j < n, bytes[j] == 0x3D {
                    j += 1
                    while j < n, isSpace(bytes[j]) { j += 1 }
                    if j < n, bytes[j] == 0x22 || bytes[j] == 0x27 {
                        let quote = bytes[j]
                        let vStart = j + 1
                        j = vStart
                        while j < n, bytes[j] != quote { j += 1 }
                        value = vStart..<min(j, n)
                        j += 1
                    } else {
                        let vStart = j
                        while j < n, !isSpace(bytes[j]), bytes[j] != 0x3E { j += 1 }
                        value = vStart..<j
                    }
                }
                guard !closing, let value else { continue }
                func named(_ s: StaticString) -> Bool {
                    guard attrEnd - attrStart == s.utf8CodeUnitCount else { return false }
                    for k in 0..<s.utf8CodeUnitCount where lower(bytes[attrStart + k]) != s.utf8Start[k] { return false }
                    return true
                }
                switch attrEnd - attrStart {
                case 4 where named("lang"): lang = value
                case 4 where named("name"): metaName = value
                case 7 where named("content"): metaContent = value
                case 16 where named("data-pico-search"): skip = decoded(value).lowercased() == "skip"
                default: break
                }
            }
            i = min(n, j + 1)
            textStart = i
            if next == 0x3F { continue } // <?xml …?>

            // Inside a left-out element: only its own name is counted.
            if let skipping = skipName {
                if name == skipping {
                    if closing { skipDepth -= 1 } else if !selfClosing { skipDepth += 1 }
                    if skipDepth == 0 { skipName = nil; breakWord() }
                }
                if skipName != nil, !closing, rawText.contains(name) {
                    i = endTag(name, from: i)
                    textStart = i
                }
                continue
            }
            if closing {
                if name == main {
                    mainDepth = max(0, mainDepth - 1)
                } else if isHeading(name) {
                    headingDepth = max(0, headingDepth - 1)
                    if name == h1, h1Depth > 0 { h1Depth -= 1; if h1Depth == 0 { sawH1 = true } }
                }
                if !inline.contains(name) { breakWord() }
                continue
            }
            switch name {
            case html:
                if let lang { result.language = decoded(lang).split(separator: "-").first.map { $0.lowercased() } ?? "" }
                if skip { result.excluded = true }
                continue
            case body:
                if skip { result.excluded = true }
                continue
            case meta:
                if let metaName, decoded(metaName).lowercased() == "robots", let metaContent,
                   decoded(metaContent).lowercased().split(separator: ",").contains(where: {
                       let word = $0.trimmingCharacters(in: .whitespaces)
                       return word == "noindex" || word == "none"
                   }) {
                    result.excluded = true
                }
                continue
            case titleTag:
                let end = endTag(name, from: i)
                if result.title.isEmpty { result.title = decoded(i..<end) }
                i = end
                textStart = i
                continue
            default: break
            }
            if skip || skipped.contains(name) {
                if selfClosing || void.contains(name) { continue }
                breakWord()
                if rawText.contains(name) {
                    // Its end tag is read next and ends nothing.
                    i = endTag(name, from: i)
                    textStart = i
                    continue
                }
                skipName = name
                skipDepth = 1
                continue
            }
            if rawText.contains(name) { // xmp, noembed, …: text to leave out
                i = endTag(name, from: i)
                textStart = i
                continue
            }
            if name == main { mainDepth += 1; sawMain = true }
            if isHeading(name) {
                headingDepth += 1
                if name == h1, !sawH1 { h1Depth += 1 }
            }
            if !inline.contains(name) { breakWord() }
        }
        addText(textStart, n)
        result.text = (sawMain ? inMain : all).string()
        result.headings = (sawMain ? mainHeadings : allHeadings).string()
        result.firstH1 = h1Text.string()
        return result
    }
}

/// Text as it is gathered: runs of page bytes, character references decoded and whitespace
/// (a decoded no-break space too) collapsed to one space as they come, so the text is made in
/// one pass with no string searching afterwards. A reference never spans a tag, so each run
/// is decoded alone.
struct TextBuffer {
    private var bytes: [UInt8] = []
    private var pendingSpace = false

    /// Named references as bytes (the set page titles and text use; numeric ones all decode).
    static let references: [[UInt8]: [UInt8]] = Dictionary(
        CharacterReferences.textNamed.map { (Array($0.key.utf8), Array($0.value.utf8)) }, uniquingKeysWith: { a, _ in a })

    mutating func append(_ run: UnsafeBufferPointer<UInt8>) {
        var index = 0
        while index < run.count {
            let byte = run[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                pendingSpace = true
                index += 1
                continue
            }
            if byte == 0x26, let (decoded, length) = Self.reference(in: run, at: index) {
                index += length
                if decoded == [0xC2, 0xA0] { pendingSpace = true; continue } // &nbsp;
                if decoded.count == 1, decoded[0] <= 0x20 { pendingSpace = true; continue }
                put(decoded)
                continue
            }
            if byte == 0xC2, index + 1 < run.count, run[index + 1] == 0xA0 { // a literal no-break space
                pendingSpace = true
                index += 2
                continue
            }
            // A stretch of plain bytes, up to the next reference, no-break space or whitespace other
            // than one space between two plain bytes (kept as it is): copied whole, usually a line.
            var end = index + 1
            while end < run.count {
                let next = run[end]
                if next == 0x20, end + 1 < run.count, Self.isPlain(run[end + 1]) { end += 2; continue }
                if !Self.isPlain(next) { break }
                end += 1
            }
            if pendingSpace {
                if !bytes.isEmpty { bytes.append(0x20) }
                pendingSpace = false
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: run[index..<end]))
            index = end
        }
    }

    /// Not whitespace, `&` or the lead byte of a no-break space: copied as it is.
    @inline(__always) static func isPlain(_ byte: UInt8) -> Bool {
        byte > 0x20 ? byte != 0x26 && byte != 0xC2 : !(byte == 0x20 || (byte <= 0x0D && byte >= 0x09 && byte != 0x0B))
    }

    private mutating func put(_ decoded: [UInt8]) {
        if pendingSpace {
            if !bytes.isEmpty { bytes.append(0x20) }
            pendingSpace = false
        }
        bytes += decoded
    }

    /// The character reference at `at` (`&name;`, `&#n;`, `&#xh;`) and its length, or nil.
    static func reference(in run: UnsafeBufferPointer<UInt8>, at: Int) -> ([UInt8], Int)? {
        var end = at + 1
        while end < run.count, end - at <= 32, run[end] != 0x3B, run[end] != 0x26, run[end] > 0x20 { end += 1 }
        guard end < run.count, run[end] == 0x3B, end > at + 1 else { return nil }
        let name = run[(at + 1)..<end]
        if name.first == 0x23 { // #
            var digits = name.dropFirst()
            var radix: UInt32 = 10
            if let x = digits.first, x == 0x78 || x == 0x58 { radix = 16; digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.count <= 8 else { return nil }
            var value: UInt32 = 0
            for digit in digits {
                let d: UInt32
                switch digit {
                case 0x30...0x39: d = UInt32(digit - 0x30)
                case 0x61...0x66 where radix == 16: d = UInt32(digit - 0x61 + 10)
                case 0x41...0x46 where radix == 16: d = UInt32(digit - 0x41 + 10)
                default: return nil
                }
                value = value * radix + d
            }
            guard let scalar = Unicode.Scalar(value), value != 0 else { return nil }
            return (Array(String(Character(scalar)).utf8), end - at + 1)
        }
        guard let decoded = references[Array(name)] else { return nil }
        return (decoded, end - at + 1)
    }

    mutating func space() { pendingSpace = true }

    func string() -> String { String(decoding: bytes, as: UTF8.self) }
}

extension SearchPage {
    /// `<html lang>`'s primary subtag, lowercased, or nil when the page says none.
    public static func language(ofPage html: some Collection<UInt8>) -> String? {
        let scanned = html.withContiguousStorageIfAvailable { VisibleText.scan($0) } ?? Array(html).withUnsafeBufferPointer { VisibleText.scan($0) }
        return scanned.language.isEmpty ? nil : scanned.language
    }
}
