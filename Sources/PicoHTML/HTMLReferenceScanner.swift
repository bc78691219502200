import CLibXML2

/// Finds every URL an HTML page makes the browser load or follow, with the exact byte range
/// of its raw text, so that a rewriter can splice new values into the original bytes and
/// leave every other byte alone.
///
/// libxml2's HTML parser (a real, error-tolerant HTML parser) finds the elements and their
/// decoded attribute values. When it reports a start tag its input sits at the tag's `>`; the
/// tag's raw text is located by stepping back to its `<` and lexing its attributes, accepted
/// only when the lexed attribute names are exactly the ones libxml2 reported.
public enum HTMLReferenceScanner {
    /// What one scan found: the references, where the head is, the page's `<base>`, and
    /// whether libxml2 lost track of byte positions.
    public struct Scan: Sendable {
        public var references: [URLReference]
        /// Set when libxml2 could no longer say where it was in the page (it fails to switch to
        /// an encoding a `<meta charset>` names, and then reports position -1): the references
        /// of the tags after that point are unknown, so the page cannot be called checked.
        public var positionsLost: Bool
        /// Just after the `<head …>` start tag, when the page writes one.
        public var headStart: Int?
        /// Where the head ends as the parser sees it: the `<` of its `</head>`, or of the first
        /// tag (or text) that closes it implicitly; the end of the page if it never ends. A
        /// `</head>` inside a script, a comment or an attribute is not it.
        public var headEnd: Int?
        /// The first `<base>` with an `href`: the document's base URL (HTML's rule).
        public var base: Base?
        /// Every `id` in the page, and the `name` of every `<a>`: what a URL's fragment can
        /// point at (HTML's "indicated part of the document"), decoded, in page order.
        public var ids: [String] = []

        public init(references: [URLReference], positionsLost: Bool, headStart: Int? = nil, headEnd: Int? = nil, base: Base? = nil) {
            (self.references, self.positionsLost, self.headStart, self.headEnd, self.base) = (references, positionsLost, headStart, headEnd, base)
        }
    }

    /// A `<base href>`: its URL, and the offset just after its tag.
    public struct Base: Sendable {
        public var reference: URLReference
        public var tagEnd: Int
    }

    public static func references(in bytes: UnsafeBufferPointer<UInt8>) -> [URLReference] {
        scan(bytes).references
    }

    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Scan {
        _ = initialised
        guard bytes.count > 0, bytes.count < Int(Int32.max), let base = bytes.baseAddress else {
            return Scan(references: [], positionsLost: false)
        }
        let collector = ReferenceCollector(bytes: bytes)
        let parsed: Void? = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
            guard let context = htmlCreateMemoryParserCtxt(chars, Int32(bytes.count)) else { return nil }
            defer { htmlFreeParserCtxt(context) }
            var handler = htmlSAXHandler()
            handler.startElement = { rawContext, name, attributes in
                guard let rawContext, let name else { return }
                let context = rawContext.assumingMemoryBound(to: xmlParserCtxt.self)
                guard let owner = context.pointee._private else { return }
                let collector = Unmanaged<ReferenceCollector>.fromOpaque(owner).takeUnretainedValue()
                let tagEnd = Int(xmlByteConsumed(context))
                // Most elements hold no URL: decided on libxml2's C strings, before any Swift
                // string or array is made for them (this runs for every element of every page).
                guard tagEnd >= 0 else {
                    collector.positionsLost = true
                    return
                }
                ReferenceCollector.collectIDs(name, attributes, into: &collector.ids)
                let isHead = ReferenceCollector.isName(name, "head")
                let interesting = ReferenceCollector.isName(name, "style") || ReferenceCollector.isName(name, "meta")
                    || ReferenceCollector.hasReferenceAttribute(attributes)
                guard isHead || interesting else { return }
                var pairs: [(String, String?)] = []
                pairs.reserveCapacity(8)
                var cursor = attributes
                while let attributeName = cursor?.pointee {
                    let value = cursor?.successor().pointee
                    // A value startElement never reads is not decoded (only whether it has one counts).
                    let read = ReferenceCollector.valueIsRead(attributeName)
                    pairs.append((String(cString: attributeName), value.map { read ? String(cString: $0) : "" }))
                    cursor = cursor?.advanced(by: 2)
                }
                collector.startElement(String(cString: name), attributes: pairs, tagEnd: tagEnd, interesting: interesting)
            }
            handler.endElement = { rawContext, name in
                // Only the head's end matters; compared as C bytes, since this runs for every element.
                guard let rawContext, let name, name[0] | 0x20 == 0x68, name[1] | 0x20 == 0x65, name[2] | 0x20 == 0x61,
                      name[3] | 0x20 == 0x64, name[4] == 0 else { return }
                let context = rawContext.assumingMemoryBound(to: xmlParserCtxt.self)
                guard let owner = context.pointee._private else { return }
                let collector = Unmanaged<ReferenceCollector>.fromOpaque(owner).takeUnretainedValue()
                collector.endHead(at: Int(xmlByteConsumed(context)))
            }
            context.pointee.sax.pointee = handler
            context.pointee.userData = UnsafeMutableRawPointer(context)
            context.pointee._private = Unmanaged.passUnretained(collector).toOpaque()
            // RECOVER: a script or style ends only at its own end tag, as in a browser (without
            // it libxml2 2.9 ends a script at any `</` and a letter, e.g. `"</head>"` in a string).
            htmlCtxtUseOptions(context, Int32(HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                                             | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOIMPLIED.rawValue
                                             | HTML_PARSE_RECOVER.rawValue))
            // pico reads pages as UTF-8 so that byte positions are positions in the file.
            xmlSwitchEncoding(context, XML_CHAR_ENCODING_UTF8)
            htmlParseDocument(context)
            return ()
        }
        _ = parsed
        var scan = Scan(references: collector.references, positionsLost: collector.positionsLost,
                        headStart: collector.headStart, headEnd: collector.headEnd, base: collector.base)
        scan.ids = collector.ids
        return scan
    }

    /// libxml2 must be initialised once, before threads parse concurrently.
    private static let initialised: Void = { xmlInitParser() }()
}

/// Gathers references while libxml2 parses. Lives only for one parse on one thread.
private final class ReferenceCollector {
    let bytes: UnsafeBufferPointer<UInt8>
    var references: [URLReference] = []
    var positionsLost = false
    var headStart: Int?
    var headEnd: Int?
    var base: HTMLReferenceScanner.Base?
    var ids: [String] = []

    /// `lexAttributes`' buffers, kept between tags.
    private var lexedNames: [Range<Int>] = []
    private var lexedRanges: [Range<Int>?] = []
    private var lexedQuotes: [URLReference.Quote] = []

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// libxml2 ends the head after the `>` of an explicit `</head>`, or at the start of what
    /// closes it implicitly (a body tag, text); only the first end counts.
    func endHead(at consumed: Int) {
        guard headEnd == nil, consumed >= 0, consumed <= bytes.count else { return }
        var end = consumed
        if end > 0, bytes[end - 1] == UInt8(ascii: ">") {
            var open = end - 1
            let limit = max(0, end - 4096)
            while open > limit, bytes[open] != UInt8(ascii: "<") { open -= 1 }
            if bytes[open] == UInt8(ascii: "<"), open + 6 < end, bytes[open + 1] == UInt8(ascii: "/"),
               nameMatches(Array("head".utf8), at: open + 2) {
                end = open
            }
        }
        headEnd = end
    }

    // Attributes that hold a URL on any element that has them: href, src, srcset, poster,
    // action, formaction, xlink:href (see `hasReferenceAttribute`).
    /// `rel` values a browser neither loads nor follows as a page of this site.
    static let ignoredRel: Set<String> = ["canonical", "preconnect", "dns-prefetch", "pingback", "webmention"]

    /// Whether an element has an attribute that may hold a URL (the URL attributes, `style`, `data`,
    /// `background`), compared as libxml2's NUL-terminated bytes (it lowercases HTML names).
    static func hasReferenceAttribute(_ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) -> Bool {
        var cursor = attributes
        while let attribute = cursor?.pointee {
            switch attribute[0] {
            case UInt8(ascii: "h"): if isName(attribute, "href") { return true }
            case UInt8(ascii: "s"): if isName(attribute, "src") || isName(attribute, "srcset") || isName(attribute, "style") { return true }
            case UInt8(ascii: "p"): if isName(attribute, "poster") { return true }
            case UInt8(ascii: "a"): if isName(attribute, "action") { return true }
            case UInt8(ascii: "f"): if isName(attribute, "formaction") { return true }
            case UInt8(ascii: "x"): if isName(attribute, "xlink:href") { return true }
            case UInt8(ascii: "d"): if isName(attribute, "data") { return true }
            case UInt8(ascii: "b"): if isName(attribute, "background") { return true }
            default: break
            }
            cursor = cursor?.advanced(by: 2)
        }
        return false
    }

    /// The attributes whose decoded value `startElement` reads; of the others (srcset, style,
    /// content: read from the raw bytes; class, id, ...) only the presence of a value matters.
    static func valueIsRead(_ attribute: UnsafePointer<xmlChar>) -> Bool {
        switch attribute[0] {
        case UInt8(ascii: "h"): isName(attribute, "href") || isName(attribute, "http-equiv")
        case UInt8(ascii: "s"): isName(attribute, "src")
        case UInt8(ascii: "p"): isName(attribute, "poster")
        case UInt8(ascii: "a"): isName(attribute, "action")
        case UInt8(ascii: "f"): isName(attribute, "formaction")
        case UInt8(ascii: "x"): isName(attribute, "xlink:href")
        case UInt8(ascii: "d"): isName(attribute, "data")
        case UInt8(ascii: "b"): isName(attribute, "background")
        case UInt8(ascii: "r"): isName(attribute, "rel") || isName(attribute, "rev")
        default: false
        }
    }

    /// The element's `id`, and an `<a>`'s `name`, compared as C bytes: this runs for every element.
    static func collectIDs(_ element: UnsafePointer<xmlChar>, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
                           into ids: inout [String]) {
        var cursor = attributes
        while let attribute = cursor?.pointee {
            if attribute[0] == UInt8(ascii: "i") || attribute[0] == UInt8(ascii: "n"),
               isName(attribute, "id") || (isName(attribute, "name") && isName(element, "a")),
               let value = cursor?.successor().pointee, value[0] != 0 {
                ids.append(String(cString: value))
            }
            cursor = cursor?.advanced(by: 2)
        }
    }

    /// `name` (NUL-terminated) is exactly `literal`; reads no byte past `name`'s NUL.
    static func isName(_ name: UnsafePointer<xmlChar>, _ literal: StaticString) -> Bool {
        let expected = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount where name[offset] != expected[offset] { return false }
        return name[literal.utf8CodeUnitCount] == 0
    }

    /// `interesting`: the element is a `<style>` or a `<meta>` or has an attribute that may hold
    /// a URL (`hasReferenceAttribute`); otherwise only the head's start is looked for.
    func startElement(_ element: String, attributes: [(String, String?)], tagEnd: Int, interesting: Bool) {
        guard tagEnd >= 0 else {
            positionsLost = true
            return
        }
        if element == "head", headStart == nil {
            // libxml2 stops at the tag's `>` (or just past it).
            if tagEnd < bytes.count, bytes[tagEnd] == UInt8(ascii: ">") {
                headStart = tagEnd + 1
            } else if tagEnd > 0, tagEnd <= bytes.count, bytes[tagEnd - 1] == UInt8(ascii: ">") {
                headStart = tagEnd
            }
        }
        guard interesting, let lexed = locateTag(element, attributes: attributes, tagEnd: tagEnd) else { return }
        let value = { (name: String) in attributes.first { $0.0 == name }?.1 }

        if element == "base" {
            // HTML takes the first base that has an href; it is not a link to check.
            if base == nil, let index = attributes.firstIndex(where: { $0.0 == "href" }), let decoded = attributes[index].1,
               let raw = lexed.ranges[index] {
                let reference = URLReference(value: decoded.trimmingSpaces, range: raw, syntax: .htmlAttribute(quote: lexed.quotes[index]),
                                             context: "base href")
                base = HTMLReferenceScanner.Base(reference: reference, tagEnd: lexed.close.map { $0 + 1 } ?? bytes.count)
            }
            return
        }
        if element == "link" {
            let rel = (value("rel") ?? "").lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
            if rel.isEmpty, value("rev") != nil { return }
            if !rel.isEmpty, rel.allSatisfy(Self.ignoredRel.contains) { return }
        }

        for (index, (name, decoded)) in attributes.enumerated() {
            guard let decoded, let raw = lexed.ranges[index] else { continue }
            let quote = lexed.quotes[index]
            var context: String { element + " " + name }
            switch name {
            case "href", "src", "poster", "action", "formaction", "xlink:href":
                references.append(URLReference(value: decoded.trimmingSpaces, range: raw,
                                               syntax: .htmlAttribute(quote: quote), context: context))
            case "data" where element == "object", "background" where ["body", "table", "td", "th"].contains(element):
                references.append(URLReference(value: decoded.trimmingSpaces, range: raw,
                                               syntax: .htmlAttribute(quote: quote), context: context))
            case "srcset":
                scanSrcset(raw, quote: quote, context: context)
            case "style":
                references += CSSReferenceScanner.references(in: bytes, range: raw, attributeQuote: quote)
            case "content" where element == "meta" && value("http-equiv")?.lowercased() == "refresh":
                scanRefresh(raw, quote: quote)
            default:
                continue
            }
        }

        if element == "style", let close = lexed.close {
            let bodyStart = close + 1
            let bodyEnd = findRawTextEnd(from: bodyStart, element: "style")
            references += CSSReferenceScanner.references(in: bytes, range: bodyStart..<bodyEnd)
        }
    }

    private struct LexedTag {
        var ranges: [Range<Int>?]
        var quotes: [URLReference.Quote]
        var close: Int?
    }

    private func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 32 : b }
    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D }

    /// Steps back from where libxml2 stopped to the `<` that opens this tag.
    private func locateTag(_ element: String, attributes: [(String, String?)], tagEnd: Int) -> LexedTag? {
        guard tagEnd >= 0, tagEnd <= bytes.count else { return nil }
        var close = tagEnd
        while close < bytes.count, close < tagEnd + 2, bytes[close] != UInt8(ascii: ">") { close += 1 }
        let name = Array(element.utf8)
        var candidate = min(tagEnd, bytes.count) - 1
        let limit = max(0, tagEnd - 1 << 20)
        while candidate >= limit {
            if bytes[candidate] == UInt8(ascii: "<"), nameMatches(name, at: candidate + 1),
               let lexed = lexAttributes(from: candidate + 1 + name.count, close: close, expected: attributes) {
                return lexed
            }
            candidate -= 1
        }
        return nil
    }

    private func nameMatches(_ name: [UInt8], at start: Int) -> Bool {
        guard start + name.count < bytes.count else { return false }
        for (offset, byte) in name.enumerated() where lower(bytes[start + offset]) != byte { return false }
        let next = bytes[start + name.count]
        return isSpace(next) || next == UInt8(ascii: "/") || next == UInt8(ascii: ">")
    }

    /// Lexes attributes the way the HTML tokenizer does, from after the tag name to `close`.
    private func lexAttributes(from start: Int, close: Int, expected: [(String, String?)]) -> LexedTag? {
        // The buffers of the last tag, reused: no allocation per tag once they have grown.
        var names = lexedNames, ranges = lexedRanges, quotes = lexedQuotes
        (lexedNames, lexedRanges, lexedQuotes) = ([], [], [])
        defer { (lexedNames, lexedRanges, lexedQuotes) = (names, ranges, quotes) }
        names.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
        quotes.removeAll(keepingCapacity: true)
        var i = start
        while true {
            while i < close, isSpace(bytes[i]) || bytes[i] == UInt8(ascii: "/") { i += 1 }
            if i >= close { break }
            let nameStart = i
            i += 1 // the first character may be '='
            while i < close, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: "/"), bytes[i] != UInt8(ascii: "=") { i += 1 }
            let name = nameStart..<i
            var j = i
            while j < close, isSpace(bytes[j]) { j += 1 }
            var range: Range<Int>? = nil
            var quote = URLReference.Quote.none
            if j < close, bytes[j] == UInt8(ascii: "=") {
                j += 1
                while j < close, isSpace(bytes[j]) { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "'") {
                    let q = bytes[j]
                    quote = .init(q)
                    var k = j + 1
                    while k < bytes.count, bytes[k] != q { k += 1 }
                    guard k < bytes.count, k <= close else { return nil }
                    range = j + 1..<k
                    i = k + 1
                } else {
                    var k = j
                    while k < close, !isSpace(bytes[k]) { k += 1 }
                    range = j..<k
                    i = k
                }
            }
            // libxml2 keeps the first of duplicated attributes.
            if !names.contains(where: { sameName($0, name) }) {
                names.append(name)
                ranges.append(range)
                quotes.append(quote)
            }
        }
        guard i == close || (i == close + 1 && close >= bytes.count), names.count == expected.count,
              zip(names, expected).allSatisfy({ name($0, is: $1.0) }) else { return nil }
        return LexedTag(ranges: ranges, quotes: quotes, close: close < bytes.count ? close : nil)
    }

    /// An attribute name as lexed: its bytes lowercased (ASCII only, as the tokenizer does).
    private func lexedName(_ range: Range<Int>) -> String {
        String(decoding: bytes[range].map(lower), as: UTF8.self)
    }

    private func isASCII(_ range: Range<Int>) -> Bool { !bytes[range].contains { $0 >= 0x80 } }

    /// Two lexed names are the same name. ASCII names compare byte by byte; others as strings
    /// (canonical equivalence, as before).
    private func sameName(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        if a.count == b.count, !(0..<a.count).contains(where: { lower(bytes[a.lowerBound + $0]) != lower(bytes[b.lowerBound + $0]) }) {
            return true
        }
        guard isASCII(a), isASCII(b) else { return lexedName(a) == lexedName(b) }
        return false
    }

    /// A lexed name is the name libxml2 reported.
    private func name(_ range: Range<Int>, is reported: String) -> Bool {
        var reported = reported
        let sameBytes = reported.withUTF8 { expected in
            expected.count == range.count
                && !(0..<range.count).contains { lower(bytes[range.lowerBound + $0]) != expected[$0] }
        }
        if sameBytes { return true }
        guard isASCII(range), reported.utf8.allSatisfy({ $0 < 0x80 }) else { return lexedName(range) == reported }
        return false
    }

    /// A raw-text element (`<style>`) ends at the first `</style`, whatever its case.
    private func findRawTextEnd(from start: Int, element: String) -> Int {
        let closing = Array("</\(element)".utf8)
        var i = start
        while i + closing.count <= bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                var matched = true
                for (offset, byte) in closing.enumerated() where lower(bytes[i + offset]) != byte { matched = false; break }
                if matched { return i }
            }
            i += 1
        }
        return bytes.count
    }

    /// `srcset="a.png 1x, b.png 2x"`: the URLs are the tokens before each descriptor.
    private func scanSrcset(_ raw: Range<Int>, quote: URLReference.Quote, context: String) {
        var i = raw.lowerBound
        while i < raw.upperBound {
            while i < raw.upperBound, isSpace(bytes[i]) || bytes[i] == UInt8(ascii: ",") { i += 1 }
            let start = i
            while i < raw.upperBound, !isSpace(bytes[i]) { i += 1 }
            var end = i
            var endsCandidate = false
            while end > start, bytes[end - 1] == UInt8(ascii: ",") { end -= 1; endsCandidate = true }
            if end > start {
                references.append(URLReference(value: CharacterReferences.decode(bytes[start..<end]), range: start..<end,
                                               syntax: .srcsetCandidate(attributeQuote: quote), context: context))
            }
            if endsCandidate { continue }
            var depth = 0
            while i < raw.upperBound {
                let b = bytes[i]
                if b == UInt8(ascii: "(") { depth += 1 } else if b == UInt8(ascii: ")") { depth -= 1 }
                else if b == UInt8(ascii: ","), depth <= 0 { break }
                i += 1
            }
        }
    }

    /// `content="0; url=/new/"`.
    private func scanRefresh(_ raw: Range<Int>, quote: URLReference.Quote) {
        var i = raw.lowerBound
        while i < raw.upperBound, bytes[i] != UInt8(ascii: ";"), bytes[i] != UInt8(ascii: ",") { i += 1 }
        guard i < raw.upperBound else { return }
        i += 1
        while i < raw.upperBound, isSpace(bytes[i]) { i += 1 }
        if i + 3 <= raw.upperBound, lower(bytes[i]) == UInt8(ascii: "u"), lower(bytes[i + 1]) == UInt8(ascii: "r"),
           lower(bytes[i + 2]) == UInt8(ascii: "l") {
            var j = i + 3
            while j < raw.upperBound, isSpace(bytes[j]) { j += 1 }
            if j < raw.upperBound, bytes[j] == UInt8(ascii: "=") {
                j += 1
                while j < raw.upperBound, isSpace(bytes[j]) { j += 1 }
                i = j
            }
        }
        var end = raw.upperBound
        if i < end, bytes[i] == UInt8(ascii: "'") || bytes[i] == UInt8(ascii: "\"") {
            let q = bytes[i]
            i += 1
            if let closing = (i..<end).first(where: { bytes[$0] == q }) { end = closing }
        }
        while end > i, isSpace(bytes[end - 1]) { end -= 1 }
        guard end > i else { return }
        references.append(URLReference(value: CharacterReferences.decode(bytes[i..<end]), range: i..<end,
                                       syntax: .metaRefresh(attributeQuote: quote), context: "meta refresh"))
    }
}
