/// Finds the URLs of a style sheet: `url(...)` (quoted or not), `@import "..."`, and the
/// strings directly inside `image-set(...)` / `-webkit-image-set(...)`, which are URLs there.
/// A small tokenizer (comments and strings are skipped as CSS skips them), not a pattern
/// search, so a `url(` inside a comment or a string is never taken for a reference.
public enum CSSReferenceScanner {
    /// Scans `bytes[range]`. When the CSS sits in an HTML `style` attribute, give its quote:
    /// the raw text is then HTML-escaped, and values are decoded and re-escaped accordingly.
    public static func references(in bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil,
                                  attributeQuote: URLReference.Quote? = nil) -> [URLReference] {
        let range = range ?? 0..<bytes.count
        var found: [URLReference] = []
        var i = range.lowerBound
        let end = range.upperBound
        func at(_ k: Int) -> UInt8 { k < end ? bytes[k] : 0 }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D }
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F || b >= 0x80
        }
        func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 32 : b }
        func matches(_ word: String, at k: Int) -> Bool {
            var k = k
            for w in word.utf8 { if lower(at(k)) != w { return false }; k += 1 }
            return true
        }
        func skipSpace(_ k: inout Int) { while k < end, isSpace(bytes[k]) { k += 1 } }
        /// Reads a quoted string starting at its quote; returns the inner range and the index after it.
        func readString(_ k: Int) -> (Range<Int>, Int) {
            let quote = bytes[k]
            var j = k + 1
            while j < end, bytes[j] != quote, bytes[j] != 0x0A {
                if bytes[j] == UInt8(ascii: "\\") { j += 1 }
                j += 1
            }
            return (k + 1..<min(j, end), min(j + 1, end))
        }
        func decodedValue(_ raw: Range<Int>) -> String {
            var out: [UInt8] = []
            var j = raw.lowerBound
            while j < raw.upperBound {
                if bytes[j] == UInt8(ascii: "\\"), j + 1 < raw.upperBound {
                    out.append(bytes[j + 1])
                    j += 2
                } else {
                    out.append(bytes[j])
                    j += 1
                }
            }
            return attributeQuote == nil ? String(decoding: out, as: UTF8.self) : CharacterReferences.decode(out)
        }
        func add(_ raw: Range<Int>, quote: URLReference.Quote, context: String) {
            let value = decodedValue(raw)
            found.append(URLReference(value: value.trimmingSpaces, range: raw,
                                      syntax: .css(quote: quote, attributeQuote: attributeQuote), context: context))
        }

        // Open parentheses, and the depths at which an image-set's own arguments sit.
        var depth = 0
        var imageSetDepths: [Int] = []
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "(") {
                depth += 1
                i += 1
            } else if b == UInt8(ascii: ")") {
                if imageSetDepths.last == depth { imageSetDepths.removeLast() }
                depth = max(0, depth - 1)
                i += 1
            } else if (b == UInt8(ascii: "i") || b == UInt8(ascii: "I") || b == UInt8(ascii: "-")),
                      i == range.lowerBound || !isNameByte(bytes[i - 1]),
                      let length = matches("image-set(", at: i) ? 10 : matches("-webkit-image-set(", at: i) ? 18 : nil {
                depth += 1
                imageSetDepths.append(depth)
                i += length
            } else if (b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")), imageSetDepths.last == depth {
                let (inner, next) = readString(i)
                add(inner, quote: .init(b), context: "CSS image-set()")
                i = next
            } else if b == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "*") {
                var j = i + 2
                while j < end, !(bytes[j] == UInt8(ascii: "*") && at(j + 1) == UInt8(ascii: "/")) { j += 1 }
                i = j + 2
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                i = readString(i).1
            } else if b == UInt8(ascii: "@"), matches("@import", at: i) {
                var j = i + 7
                skipSpace(&j)
                if at(j) == UInt8(ascii: "\"") || at(j) == UInt8(ascii: "'") {
                    let (inner, next) = readString(j)
                    add(inner, quote: .init(bytes[j]), context: "CSS @import")
                    i = next
                } else {
                    i = j
                }
            } else if (b == UInt8(ascii: "u") || b == UInt8(ascii: "U")), matches("url(", at: i),
                      i == range.lowerBound || !isNameByte(bytes[i - 1]) {
                var j = i + 4
                skipSpace(&j)
                if at(j) == UInt8(ascii: "\"") || at(j) == UInt8(ascii: "'") {
                    let (inner, next) = readString(j)
                    add(inner, quote: .init(bytes[j]), context: "CSS url()")
                    i = next
                } else {
                    let start = j
                    while j < end, bytes[j] != UInt8(ascii: ")") {
                        if bytes[j] == UInt8(ascii: "\\") { j += 1 }
                        j += 1
                    }
                    var stop = min(j, end)
                    while stop > start, isSpace(bytes[stop - 1]) { stop -= 1 }
                    if stop > start { add(start..<stop, quote: .none, context: "CSS url()") }
                    i = j + 1
                }
            } else {
                i += 1
            }
        }
        return found
    }
}

extension String {
    var trimmingSpaces: String {
        // Most URLs start and end with an ASCII character that is not a space: nothing to trim.
        func isPlainASCII(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return byte < 0x80 && byte != 0x20 && !(0x09...0x0D).contains(byte)
        }
        if isPlainASCII(utf8.first), isPlainASCII(utf8.last) { return self }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
