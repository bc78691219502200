/// A URL written in a document, where its raw text sits, and how to write a new one there.
public struct URLReference: Sendable, Equatable {
    /// How the URL's raw text is embedded, which decides how a replacement must be escaped.
    public enum Syntax: Sendable, Equatable {
        /// The whole value of an HTML attribute (`href`, `src`, ...).
        case htmlAttribute(quote: Quote)
        /// One URL of a `srcset` list.
        case srcsetCandidate(attributeQuote: Quote)
        /// The `url=` part of `<meta http-equiv="refresh" content="...">`.
        case metaRefresh(attributeQuote: Quote)
        /// A CSS `url()` or `@import` string; `attributeQuote` is set when the CSS sits in a
        /// `style` attribute (and so is HTML-escaped too).
        case css(quote: Quote, attributeQuote: Quote?)
    }

    public enum Quote: Sendable, Equatable {
        case none, double, single
        var byte: UInt8? {
            switch self {
            case .none: nil
            case .double: UInt8(ascii: "\"")
            case .single: UInt8(ascii: "'")
            }
        }
        init(_ byte: UInt8?) {
            switch byte {
            case UInt8(ascii: "\""): self = .double
            case UInt8(ascii: "'"): self = .single
            default: self = .none
            }
        }
    }

    /// The URL as the browser sees it (entities and CSS escapes decoded).
    public var value: String
    /// Byte range of the raw URL text in the document, quotes excluded.
    public var range: Range<Int>
    public var syntax: Syntax
    /// What holds the URL, for messages: `a href`, `img srcset`, `style url()`, ...
    public var context: String

    public init(value: String, range: Range<Int>, syntax: Syntax, context: String) {
        self.value = value
        self.range = range
        self.syntax = syntax
        self.context = context
    }

    /// The bytes to put in `range` so that the document holds `newValue`, escaped for where it is.
    public func encoded(_ newValue: String) -> [UInt8] {
        switch syntax {
        case .htmlAttribute(let quote):
            return Self.attributeEscaped(Array(newValue.utf8), quote: quote)
        case .srcsetCandidate(let quote):
            // Whitespace and commas separate srcset candidates, so they must be percent-encoded.
            var bytes: [UInt8] = []
            for byte in newValue.utf8 {
                switch byte {
                case UInt8(ascii: " "): bytes += Array("%20".utf8)
                case UInt8(ascii: ","): bytes += Array("%2C".utf8)
                default: bytes.append(byte)
                }
            }
            return Self.attributeEscaped(bytes, quote: quote)
        case .metaRefresh(let quote):
            return Self.attributeEscaped(Array(newValue.utf8), quote: quote, mayAddQuotes: false)
        case .css(let cssQuote, let attributeQuote):
            var bytes: [UInt8] = []
            for byte in newValue.utf8 {
                let needsEscape: Bool = switch cssQuote {
                case .none: byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: "\\")
                    || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == 0x20 || byte == 0x09
                case .double, .single: byte == cssQuote.byte || byte == UInt8(ascii: "\\")
                }
                if byte == 0x0A { bytes += Array("\\a ".utf8); continue }
                if needsEscape { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            guard let attributeQuote else { return bytes }
            return Self.attributeEscaped(bytes, quote: attributeQuote, mayAddQuotes: false)
        }
    }

    private static func attributeEscaped(_ bytes: [UInt8], quote: Quote, mayAddQuotes: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        var needsQuotes = bytes.isEmpty
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "\"") where quote != .single: out += Array("&quot;".utf8)
            case UInt8(ascii: "'") where quote == .single: out += Array("&#39;".utf8)
            default:
                if quote == .none, [0x20, 0x09, 0x0A, 0x0C, 0x0D, UInt8(ascii: "'"), UInt8(ascii: "="),
                                    UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "`")].contains(byte) {
                    needsQuotes = true
                }
                out.append(byte)
            }
        }
        if quote == .none, needsQuotes, mayAddQuotes { return [UInt8(ascii: "\"")] + out + [UInt8(ascii: "\"")] }
        return out
    }
}

/// Decodes the character references that appear in URLs (`&amp;`, `&#47;`, ...). Used only for
/// URLs pico reads from raw bytes itself (srcset, style attributes); whole attribute values
/// come decoded from libxml2.
public enum CharacterReferences {
    /// The names URLs use (what pico decodes in the URLs it reads from raw bytes).
    public static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "sol": "/", "colon": ":", "num": "#", "quest": "?", "equals": "=", "percnt": "%",
        "lpar": "(", "rpar": ")", "comma": ",", "period": ".", "Tab": "\t", "NewLine": "\n",
    ]

    /// The names page titles use besides those (named references of HTML 4 that titles hold in
    /// practice; every numeric one is decoded anyway).
    public static let textNamed: [String: String] = named.merging([
        "ndash": "–", "mdash": "—", "hellip": "…", "laquo": "«", "raquo": "»", "lsquo": "‘", "rsquo": "’",
        "ldquo": "“", "rdquo": "”", "copy": "©", "reg": "®", "trade": "™", "middot": "·", "bull": "•",
        "para": "¶", "sect": "§",
    ]) { first, _ in first }

    /// `bytes` (UTF-8) with its character references decoded: numeric ones, and the `names` given.
    public static func decode(_ bytes: some Collection<UInt8>, names: [String: String] = named) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(32).firstIndex(of: ";") {
                let name = after[..<semi]
                var replacement: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    replacement = UInt32(name.dropFirst(1)).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    replacement = names[String(name)]
                }
                if let replacement {
                    out += replacement
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }
}
